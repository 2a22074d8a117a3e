"""Project and plan operations: validation, versions, stage changes, the audit trail."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import Max
from django.urls import reverse

from keyprojects.core.audit import Source, audit_context
from keyprojects.projects import services
from keyprojects.projects.models import (
    AnnualPlan,
    FundingSource,
    Nature,
    Project,
    Stage,
    StageTransition,
)

pytestmark = pytest.mark.django_db


def form_data(project: Project, **changes) -> dict:
    data = {
        "name": project.name, "code": project.code or "", "region": project.region_id,
        "total_investment": str(project.total_investment), "project_type": project.project_type,
        "investment_nature": project.investment_nature, "level": project.level, "version": project.version,
        "sector": project.sector_id or "", "owner": project.owner_id or "",
        "responsible_unit": project.responsible_unit_id or "",
        "leaders": [leader.pk for leader in project.leaders.all()],
    }
    data.update(changes)
    return data


def new_project_data(cast, **changes) -> dict:
    data = {
        "name": "兴城临海产业区标准化厂房项目", "code": "2022-211481-47-01-000321", "region": cast.lianshan.pk,
        "total_investment": "12000", "project_type": "industry", "investment_nature": "enterprise",
        "level": "city", "stage": "preparation", "planned_start": "2022-04-01", "planned_completion": "2023-10-31",
        "funding_self_raised": "10000", "funding_bank_loan": "2000",
    }
    data.update(changes)
    return data


def test_county_clerk_registers_a_project_with_funding(cast, client):
    client.force_login(cast.lianshan_clerk)
    response = client.post(reverse("projects:create"), new_project_data(cast))
    project = Project.objects.get(code="2022-211481-47-01-000321")
    assert response.status_code == 302 and response.url == reverse("projects:detail", args=[project.pk])
    assert project.region == cast.lianshan and project.stage == Stage.PREPARATION
    assert {f.kind: f.amount for f in project.funding.all()} == {
        "self_raised": Decimal("10000"), "bank_loan": Decimal("2000")}
    assert project.stage_transitions.get().to_stage == Stage.PREPARATION


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": "2022-2114-44-01-123"}, "code", "项目代码格式不正确"),
        ({"total_investment": "-5"}, "total_investment", "金额不能为负数"),
        ({"total_investment": "一千万"}, "total_investment", "输入一个数字"),
        ({"planned_completion": "2021-01-01"}, "planned_completion", "计划竣工日期不能早于计划开工日期"),
        ({"funding_self_raised": "20000"}, "total_investment", "超过了总投资"),
        ({"funding_bank_loan": "-1"}, "funding_bank_loan", "金额不能为负数"),
        ({"region": "999999"}, "region", "选择一个有效的选项"),
        ({"owner": "999999"}, "owner", "选择一个有效的选项"),
        ({"name": ""}, "name", "字段是必填项"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(cast, client, changes, field, message):
    client.force_login(cast.lianshan_clerk)
    before = Project.objects.count(), FundingSource.objects.count(), Project.history.count()
    response = client.post(reverse("projects:create"), new_project_data(cast, **changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert message in response.content.decode()
    assert (Project.objects.count(), FundingSource.objects.count(), Project.history.count()) == before


def test_duplicate_project_code_is_refused(cast, client):
    cast.p_suizhong.code = "2022-211421-44-01-000001"
    cast.p_suizhong.save()
    client.force_login(cast.admin)
    response = client.post(reverse("projects:create"), new_project_data(cast, code="2022-211421-44-01-000001"))
    assert response.status_code == 200
    assert "code" in response.context["form"].errors


def test_bad_input_in_english_when_the_user_chose_english(cast, client):
    client.force_login(cast.lianshan_clerk)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("projects:create"), new_project_data(cast, total_investment="abc"))
    assert "Enter a number." in response.context["form"].errors["total_investment"]


def test_edit_records_who_where_and_before_after(cast, client):
    client.force_login(cast.lianshan_clerk)
    project = cast.p_lianshan
    response = client.post(reverse("projects:edit", args=[project.pk]),
                           form_data(project, total_investment="60000", address="连山区北港工业区"))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.version == 2 and project.total_investment == Decimal("60000")
    record = project.history.filter(version=2).earliest("history_date")
    assert record.history_user == cast.lianshan_clerk
    assert record.history_source == "web"
    assert record.history_type == "~"
    delta = record.diff_against(record.prev_record)
    changed = {c.field: (c.old, c.new) for c in delta.changes}
    assert changed == {"total_investment": (Decimal("52000.0000"), Decimal("60000.0000")),
                       "address": ("", "连山区北港工业区")}  # nothing else was touched
    history_page = client.get(reverse("projects:history", args=[project.pk])).content.decode()
    assert "连山区北港工业区" in history_page and "总投资" in history_page and "网页" in history_page


def test_second_save_of_a_stale_version_is_refused_and_keeps_the_input(cast, client):
    project = cast.p_lianshan
    opened_version = project.version
    client.force_login(cast.admin)
    assert client.post(reverse("projects:edit", args=[project.pk]),
                       form_data(project, address="第一位的修改")).status_code == 302
    client.force_login(cast.lianshan_clerk)
    response = client.post(reverse("projects:edit", args=[project.pk]),
                           form_data(project, address="第二位的修改", version=opened_version))
    assert response.status_code == 200
    page = response.content.decode()
    assert "已被" in page and "修改" in page
    assert 'value="第二位的修改"' in page  # what the second person typed is still in the form
    project.refresh_from_db()
    assert project.address == "第一位的修改" and project.version == opened_version + 1


def test_service_refuses_stale_version(cast):
    project = cast.p_lianshan
    services.update_project(cast.admin, project.pk, 1, {"address": "A"})
    with pytest.raises(services.EditConflict):
        services.update_project(cast.lianshan_clerk, project.pk, 1, {"address": "B"})
    assert Project.objects.get(pk=project.pk).address == "A"


def test_stage_change_is_dated_and_checked(cast, client):
    client.force_login(cast.lianshan_clerk)
    project = cast.p_lianshan
    url = reverse("projects:stage", args=[project.pk])
    client.post(url, {"to_stage": "construction", "date": "2022-03-15", "version": project.version, "note": "主体开工"})
    project.refresh_from_db()
    assert project.stage == Stage.CONSTRUCTION and project.actual_start == date(2022, 3, 15)
    transition = StageTransition.objects.filter(project=project).latest("id")
    assert (transition.from_stage, transition.to_stage, transition.created_by) == (
        Stage.PREPARATION, Stage.CONSTRUCTION, cast.lianshan_clerk)
    # 在建 → 投产 skips 竣工: refused, nothing changes
    client.post(url, {"to_stage": "operating", "date": "2022-05-01", "version": project.version})
    project.refresh_from_db()
    assert project.stage == Stage.CONSTRUCTION
    # a date before the last change is refused
    with pytest.raises(ValidationError) as err:
        services.change_stage(cast.lianshan_clerk, project.pk, project.version, Stage.COMPLETED, date(2022, 1, 1))
    assert "date" in err.value.error_dict


def test_annual_plan_cannot_exceed_what_remains(cast, client):
    client.force_login(cast.lianshan_clerk)
    project = cast.p_lianshan  # total 52000
    response = client.post(reverse("projects:plan_create", args=[project.pk]), {
        "year": 2023, "nature": "continuing", "planned_investment": "40000", "prior_completed": "20000",
    })
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "planned_investment" in errors and "剩余投资" in errors["planned_investment"][0]
    assert not AnnualPlan.objects.filter(project=project, year=2023).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"started": "on"}, "started_on"),  # started without a date
        ({"started": "on", "started_on": "2021-12-01"}, "started_on"),  # outside the plan year
        ({"started_on": "2023-03-01"}, "started"),  # a date without the flag
        ({"planned_start_month": "13"}, "planned_start_month"),
        ({"planned_investment": "abc"}, "planned_investment"),
    ],
)
def test_annual_plan_validation(cast, client, changes, field):
    client.force_login(cast.lianshan_clerk)
    data = {"year": 2023, "nature": "new", "planned_investment": "1000", "prior_completed": "0", **changes}
    response = client.post(reverse("projects:plan_create", args=[cast.p_lianshan.pk]), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not AnnualPlan.objects.filter(project=cast.p_lianshan, year=2023).exists()


def test_plan_year_cannot_be_entered_twice(cast, client):
    client.force_login(cast.lianshan_clerk)
    response = client.post(reverse("projects:plan_create", args=[cast.p_lianshan.pk]),
                           {"year": 2022, "nature": "new", "planned_investment": "100", "prior_completed": "0"})
    assert "year" in response.context["form"].errors


def test_plan_saved_and_audited(cast, client):
    client.force_login(cast.lianshan_clerk)
    response = client.post(reverse("projects:plan_create", args=[cast.p_lianshan.pk]), {
        "year": 2023, "nature": "continuing", "planned_investment": "8000", "prior_completed": "13000",
        "batch": "construction", "started": "on", "started_on": "2023-03-01",
    })
    assert response.status_code == 302
    plan = AnnualPlan.objects.get(project=cast.p_lianshan, year=2023)
    assert plan.history.get().history_user == cast.lianshan_clerk


def test_delete_is_audited(cast, client):
    client.force_login(cast.admin)
    project = cast.p_suizhong
    client.post(reverse("projects:delete", args=[project.pk]), {"version": project.version})
    assert not Project.objects.filter(pk=project.pk).exists()
    deletion = Project.history.filter(id=project.pk, history_type="-").get()
    assert deletion.history_user == cast.admin and deletion.name == "绥中四方台风电项目"


def test_writes_from_a_command_are_attributed_to_the_command(cast):
    call_command("add_zone", "龙港区", "葫芦岛经济开发区", as_user="admin")
    zone_record = cast.city.__class__.history.filter(name="葫芦岛经济开发区").get()
    assert zone_record.history_source == "command"
    assert zone_record.history_user == cast.admin
    assert zone_record.history_detail == "add_zone"


def test_no_bulk_writes_on_audited_models():
    """QuerySet.update, bulk_create and bulk_update bypass the audit trail: the code never uses
    them. Bulk work goes through core.bulk.save_in_bulk (which writes a history row per object
    itself) or, in the synthetic generator, django-simple-history's bulk_create_with_history;
    the raw bulk_creates left write many-to-many rows and their history snapshot in
    save_in_bulk, beside the owner's history rows. (The roll-up of approved reports, derived
    data that keeps no history, is written by core.bulk.insert_rows; the data versions,
    counters, by one UPDATE and an INSERT of the counters not there yet: core.versions.)"""
    import pathlib
    import re

    package = pathlib.Path(__file__).resolve().parent.parent / "keyprojects"
    allowed = {("core/bulk.py", "through.objects.bulk_create("), ("core/bulk.py", "snapshot.objects.bulk_create("),
               ("core/versions.py", ".update(n="), ("core/versions.py", "counters.bulk_create("),
               ("core/chain.py", "entries.bulk_create(")}  # the audit chain's links, which seal the history rows
    offenders = []
    for path in package.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        name = path.relative_to(package).as_posix()
        for line in path.read_text(encoding="utf-8").splitlines():
            for pattern in (r"\.update\(\s*\w+\s*=", r"\.bulk_create\(", r"\.bulk_update\("):
                found = re.search(r"[\w.]*" + pattern, line)
                if found and (name, found.group(0)) not in allowed:
                    offenders.append(f"{name}: {line.strip()}")
    assert offenders == []


def test_admin_edits_are_audited_and_bump_the_version(cast, client):
    project = cast.p_lianshan
    client.force_login(cast.superuser)
    page = client.get(f"/admin/projects/project/{project.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if not isinstance(v, list)}
    data.update({"name": "连石化工苯二胺项目（后台改名）", "lists": [], "leaders": [cast.leader.pk],
                 "total_investment": "52000", "_save": "保存"})
    for prefix in ("plans", "funding"):
        formset = next(f for f in page.context["inline_admin_formsets"] if f.formset.prefix == prefix).formset
        data.update({f"{prefix}-TOTAL_FORMS": formset.total_form_count(),
                     f"{prefix}-INITIAL_FORMS": formset.initial_form_count(),
                     f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000})
        for i, inline in enumerate(formset.forms):
            for name, value in inline.initial.items():
                data[f"{prefix}-{i}-{name}"] = "" if value is None else value
            data[f"{prefix}-{i}-id"] = inline.instance.pk
            data[f"{prefix}-{i}-project"] = project.pk
    response = client.post(f"/admin/projects/project/{project.pk}/change/", data)
    errors = response.context and [response.context["adminform"].form.errors] + [f.formset.errors for f in response.context["inline_admin_formsets"]] + [response.context.get("errors")]
    assert response.status_code == 302, errors
    project.refresh_from_db()
    assert project.name == "连石化工苯二胺项目（后台改名）" and project.version == 2
    record = project.history.filter(name=project.name).earliest("history_date")
    assert record.history_source == "admin" and record.history_user == cast.superuser


def test_the_year_list_holds_the_years_of_the_projects_one_may_see(cast, client):
    AnnualPlan.objects.create(project=cast.p_jinzhou, year=2025, nature=Nature.NEW, planned_investment=Decimal("100"))
    client.force_login(cast.admin)
    assert client.get(reverse("projects:list")).context["years"] == [2022]
    client.force_login(cast.outsider)
    assert client.get(reverse("projects:list")).context["years"] == [2025, 2022]


def test_pages_hold_every_row_once_whatever_ties_the_order(cast):
    """Five projects of one amount, ordered by amount, two a page: each appears on exactly one
    page, in the same order as the whole list, with its annotations."""
    from keyprojects.core.paging import Paginator

    with audit_context(Source.SYSTEM, detail="test"):
        for n in range(5):
            cast.project(f"同额项目{n}", cast.lianshan, Decimal("7777"))
    rows = Project.objects.filter(total_investment=Decimal("7777")).annotate(plan_year=Max("plans__year"))
    for order in (("total_investment",), ("-total_investment", "region__code")):
        paginator = Paginator(rows.order_by(*order), 2)
        pages = [paginator.page(n).object_list for n in paginator.page_range]
        assert [len(p) for p in pages] == [2, 2, 1]
        seen = [project.pk for page in pages for project in page]
        assert seen == list(rows.order_by(*order, "pk").values_list("pk", flat=True))
        assert all(project.plan_year == 2022 for page in pages for project in page)
    assert Paginator(rows, 2, count=99).num_pages == 50  # a count given is believed

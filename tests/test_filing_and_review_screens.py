"""The filing screen acts on the rows changed or ticked 已核对 only, and says how many; the review
screen questions a started project that reported 0 and its "approve the clean ones" skips it;
the top nav's groups, by role."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from conftest import api
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from keyprojects.core.audit import Source, audit_context
from keyprojects.core.nav import menu
from keyprojects.projects.models import AnnualPlan, Nature, Project
from keyprojects.reporting import services
from keyprojects.reporting.checks import QUESTION, check_report
from keyprojects.reporting.models import ProgressReport

pytestmark = pytest.mark.django_db
Status = ProgressReport.Status
HOUSING = "连山区钢屯镇老旧小区改造工程"


@pytest.fixture
def period(cast):
    today = timezone.localdate()
    with audit_context(Source.SYSTEM, detail="test fixture"):
        housing = Project.objects.create(name=HOUSING, region=cast.lianshan, total_investment=Decimal("8000"))
        AnnualPlan.objects.create(project=housing, year=2022, nature=Nature.NEW, planned_investment=Decimal("3000"))
    period = services.create_period(cast.admin, cast.city, 2022, 5, today - timedelta(days=2), today + timedelta(days=3))
    services.prefill_period(cast.lianshan_clerk, period.pk)
    return period


def as_stored(report, **changes):
    """The row as the screen shows it (nothing changed), with ``changes``."""
    data = {"completed_month": str(report.completed_month), "completed_ytd": str(report.completed_ytd),
            "completed_since_start": str(report.completed_since_start), "progress": report.progress,
            "started_on": report.started_on.isoformat() if report.started_on else "", "problems": report.problems,
            "next_steps": report.next_steps, "version": report.version, **changes}
    if report.started:
        data.setdefault("started", "on")
    return {f"r{report.pk}-{k}": v for k, v in data.items()}


def reports(period):
    return (ProgressReport.objects.get(period=period, project__name=HOUSING),
            ProgressReport.objects.exclude(project__name=HOUSING).get(period=period))


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_submitting_the_page_submits_only_the_changed_row_and_says_how_many(cast, period, client):
    housing, chemicals = reports(period)
    client.force_login(cast.lianshan_clerk)
    response = client.post(reverse("reporting:fill", args=[period.pk]), {
        **as_stored(housing, completed_month="200", completed_ytd="200", completed_since_start="200",
                    started="on", started_on="2022-05-03"),
        **as_stored(chemicals), "submit": "1"})
    assert response.status_code == 302
    assert said(response) == ["已报送 1 个项目的月报；本页另有 1 个项目未修改也未勾选“已核对”，未动"]
    housing.refresh_from_db(), chemicals.refresh_from_db()
    assert housing.status == Status.SUBMITTED and housing.completed_month == 200
    assert chemicals.status == Status.DRAFT and chemicals.version == 1


def test_a_row_ticked_as_checked_is_submitted_unchanged(cast, period, client):
    housing, chemicals = reports(period)
    client.force_login(cast.lianshan_clerk)
    client.post(reverse("reporting:fill", args=[period.pk]), {
        **as_stored(housing), **as_stored(chemicals), f"r{chemicals.pk}-confirm": "1", "submit": "1"})
    housing.refresh_from_db(), chemicals.refresh_from_db()
    assert (housing.status, chemicals.status) == (Status.DRAFT, Status.SUBMITTED)


def test_a_draft_saved_before_goes_with_the_page_but_an_untouched_copy_does_not(cast, period, client):
    housing, chemicals = reports(period)
    services.save_draft(cast.lianshan_clerk, housing.project_id, period.pk, {"progress": "办理施工许可"}, housing.version)
    housing.refresh_from_db()
    client.force_login(cast.lianshan_clerk)
    response = client.post(reverse("reporting:fill", args=[period.pk]),
                           {**as_stored(housing), **as_stored(chemicals), "submit": "1"})
    assert said(response)[0].startswith("已报送 1 个项目的月报")
    housing.refresh_from_db(), chemicals.refresh_from_db()
    assert (housing.status, chemicals.status) == (Status.SUBMITTED, Status.DRAFT)


def test_a_draft_created_through_the_api_goes_with_the_page_like_one_saved_on_it(cast, client):
    """A report the API's POST created holds the filer's figures: not an untouched copy, although
    it was never at the carried-over version the prefill writes."""
    today = timezone.localdate()
    with audit_context(Source.SYSTEM, detail="test fixture"):
        housing = Project.objects.create(name=HOUSING, region=cast.lianshan, total_investment=Decimal("8000"))
        AnnualPlan.objects.create(project=housing, year=2022, nature=Nature.NEW, planned_investment=Decimal("3000"))
    period = services.create_period(cast.admin, cast.city, 2022, 5, today - timedelta(days=2), today + timedelta(days=3))
    created = api(cast.lianshan_clerk).post("/api/reports/", {
        "project": housing.pk, "period": period.pk, "completed_month": "300", "completed_ytd": "300",
        "completed_since_start": "300", "started": True, "started_on": "2022-05-06", "progress": "基础施工"},
        format="json")
    assert created.status_code == 201, created.content
    services.prefill_period(cast.lianshan_clerk, period.pk)  # the county's other project: last month's copy
    housing_report, chemicals = reports(period)
    assert housing_report.is_saved_draft and not chemicals.is_saved_draft
    client.force_login(cast.lianshan_clerk)
    page = client.get(reverse("reporting:fill", args=[period.pk])).content.decode()
    assert page.count("data-saved-draft") == 1
    response = client.post(reverse("reporting:fill", args=[period.pk]),
                           {**as_stored(housing_report), **as_stored(chemicals), "submit": "1"})
    assert said(response)[0].startswith("已报送 1 个项目的月报")
    housing_report.refresh_from_db(), chemicals.refresh_from_db()
    assert (housing_report.status, chemicals.status) == (Status.SUBMITTED, Status.DRAFT)


def test_saving_an_untouched_page_saves_nothing_and_says_so(cast, period, client):
    housing, chemicals = reports(period)
    client.force_login(cast.lianshan_clerk)
    response = client.post(reverse("reporting:fill", args=[period.pk]),
                           {**as_stored(housing), **as_stored(chemicals), "save": "1"})
    assert response.status_code == 200
    assert "本页没有修改过或勾选“已核对”的项目，没有保存任何月报" in response.content.decode()
    assert set(ProgressReport.objects.values_list("version", flat=True)) == {1}


def test_an_untouched_row_changed_meanwhile_elsewhere_does_not_stop_the_changed_one(cast, period, client):
    housing, chemicals = reports(period)
    client.force_login(cast.lianshan_clerk)
    stale = as_stored(chemicals)  # the screen as loaded; then the row is saved from another tab
    services.save_draft(cast.lianshan_clerk, chemicals.project_id, period.pk, {"progress": "设备安装"}, chemicals.version)
    response = client.post(reverse("reporting:fill", args=[period.pk]), {  # as the page's script posts it
        **as_stored(housing, progress="办理施工许可"), f"r{housing.pk}-edited": "1", "tracked": "1", **stale, "save": "1"})
    assert response.status_code == 302
    housing.refresh_from_db(), chemicals.refresh_from_db()
    assert housing.progress == "办理施工许可" and chemicals.progress == "设备安装"


def test_without_the_script_a_row_changed_meanwhile_elsewhere_is_a_conflict_not_lost(cast, period, client):
    housing, chemicals = reports(period)
    client.force_login(cast.lianshan_clerk)
    stale = as_stored(chemicals, progress="我的修改")
    services.save_draft(cast.lianshan_clerk, chemicals.project_id, period.pk, {"progress": "设备安装"}, chemicals.version)
    response = client.post(reverse("reporting:fill", args=[period.pk]), {**as_stored(housing), **stale, "save": "1"})
    assert response.status_code == 200 and "全部未保存" in response.content.decode()
    chemicals.refresh_from_db()
    assert chemicals.progress == "设备安装"


def test_a_started_project_that_did_nothing_this_month_is_questioned(cast, period):
    housing, _ = reports(period)
    housing.started, housing.started_on = True, date(2022, 5, 3)
    questions = [f for f in check_report(housing, None, None) if f.level == QUESTION]
    assert [q.message for q in questions] == ["已开复工，本月完成投资却为 0：请核实是否停工、未计量或漏报"]
    assert not questions[0].is_blocker
    housing.completed_month = housing.completed_ytd = housing.completed_since_start = Decimal("50")
    assert not [f for f in check_report(housing, None, None) if f.level == QUESTION]
    housing.started, housing.completed_month = False, Decimal("0")
    assert not [f for f in check_report(housing, None, None) if f.level == QUESTION]  # not started: no question


def test_review_skips_the_questioned_report_and_says_how_many(cast, period, client):
    housing, chemicals = reports(period)
    for report, done in ((housing, Decimal("0")), (chemicals, Decimal("400"))):
        services.save_draft(cast.lianshan_clerk, report.project_id, period.pk, {
            "completed_month": done, "completed_ytd": done, "completed_since_start": done + 20000 if report == chemicals
            else done, "started": True, "started_on": date(2022, 5, 3), "progress": "主体施工"},
            report.version, submit=True)
    client.force_login(cast.admin)
    page = client.get(reverse("reporting:review", args=[period.pk]))
    assert page.context["skipped"] == 1 and [r.pk for r in page.context["clean"]] == [chemicals.pk]
    html = page.content.decode()
    assert "？待核实" in html and "跳过本页 1 份有疑问" in html and "通过本页 1 份无问题的月报" in html
    chemicals.refresh_from_db()
    response = client.post(reverse("reporting:review_approve", args=[period.pk]),
                           {"report": f"{chemicals.pk}:{chemicals.version}", "skipped": "1"})
    assert said(response) == ["已通过 1 份月报；跳过 1 份有疑问的月报，请逐份查看后通过或退回"]
    housing.refresh_from_db(), chemicals.refresh_from_db()
    assert (housing.status, chemicals.status) == (Status.SUBMITTED, Status.APPROVED)


def labels(user, path="/dashboard/"):
    return {str(g["label"]): [str(link["label"]) for link in g["links"]] for g in menu(user, path)}


def test_the_nav_groups_links_by_role(cast):
    clerk, admin, leader = labels(cast.lianshan_clerk), labels(cast.admin), labels(cast.leader_user)
    assert list(admin) == ["None", "项目", "调度", "分析", "管理"]
    assert "管理" not in clerk and "单位与人员" not in sum(clerk.values(), [])
    assert "我的包抓" in leader["分析"] and "领导包抓" not in leader["分析"]
    assert "领导包抓" in admin["分析"] and "我的包抓" not in admin["分析"]


def test_the_nav_marks_the_longest_matching_link_as_current(cast):
    groups = menu(cast.admin, "/approvals/catalogue/")
    current = [(str(g["label"]), str(link["label"])) for g in groups for link in g["links"] if link["current"]]
    assert current == [("项目", "前期手续目录")]
    assert [str(g["label"]) for g in groups if g["current"]] == ["项目"]
    assert not any(link["current"] for g in menu(cast.admin, "/dashboard/x") for link in g["links"]
                   if str(link["label"]) == "驾驶舱")  # the dashboard is current on its own address only

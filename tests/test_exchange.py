"""The provincial exchange: profiles as data, the city's sheet and its check list, the province's
returned list read back (matches, differences, acceptance audited as 省平台), and the pull of
changed projects with its cursor."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from conftest import api
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from keyprojects.core.audit import Source, audit_context
from keyprojects.core.permissions import SYSTEM
from keyprojects.exchange import changes, services
from keyprojects.exchange.models import Profile, Return
from keyprojects.exchange.sheet import checks, sheet, workbook
from keyprojects.indicators import figures
from keyprojects.projects import services as project_services
from keyprojects.projects.models import AnnualPlan, Nature, Project

pytestmark = pytest.mark.django_db

YEAR, MONTH, TODAY = 2022, 5, date(2022, 6, 2)


@pytest.fixture
def profiles(cast) -> dict[str, Profile]:
    """The shipped profiles (loaded again: a flushing test elsewhere may have emptied the table),
    and codes on the cast's two Huludao projects."""
    loaded = {p.province_code: p for p in services.load_profiles(SYSTEM)}
    for project, seq in ((cast.p_lianshan, 101), (cast.p_suizhong, 102)):
        project_services.update_project(cast.admin, project.pk, None,
                                        {"code": f"2021-{project.region.code}-26-01-{seq:06d}"})
    return {"liaoning": loaded["210000"], "gansu": loaded["620000"]}


def city_sheet(cast, profile):
    return sheet(cast.admin, profile, cast.city, YEAR, MONTH, TODAY)


def rows_of(content: bytes) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def edited(content: bytes, edits: dict[tuple[str, str], object]) -> bytes:
    """The workbook with cells changed, each found by the row's project name and the header."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet_ = book.active
    headers = [c.value for c in sheet_[3]]
    rows = {key: next(r for r in sheet_.iter_rows(min_row=4) if key[0] in [c.value for c in r]) for key in edits}
    for (name, header), value in edits.items():
        rows[name, header][headers.index(header)].value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def all_diffs(found: Return) -> list[tuple[str, str, str]]:
    return [(row["name"], d["key"], d["theirs"]) for row in found.rows for d in row["diffs"]]


# --- profiles are data ------------------------------------------------------------------------

def test_liaoning_sheet_has_the_provinces_headers_in_order_and_amounts_in_wan(cast, profiles):
    content = workbook(city_sheet(cast, profiles["liaoning"]))
    rows = rows_of(content)
    assert rows[2] == ["序号", "项目代码", "项目名称", "建设地点", "建设性质", "总投资（万元）", "年度计划投资（万元）",
                       "1-5月完成投资（万元）", "开工时间", "形象进度", "包抓领导", "责任单位"]
    body = {r[2]: r for r in rows[3:-1]}
    assert set(body) == {cast.p_lianshan.name, cast.p_suizhong.name}  # 锦州's is not the city's
    lianshan = body[cast.p_lianshan.name]
    assert lianshan[1] == f"2021-{cast.lianshan.code}-26-01-000101"
    assert lianshan[4] == "新建" and lianshan[5] == 52000 and lianshan[6] == 13000
    assert lianshan[10] == "王建国" and lianshan[11] == "葫芦岛市工业和信息化局"
    assert rows[-1][0] == "合计" and rows[-1][5] == 132000 and rows[-1][6] == 33000


def test_gansu_profile_is_exported_with_its_own_headers_units_and_words(cast, profiles):
    project_services.update_project(cast.admin, cast.p_suizhong.pk, None, {"level": Project.Level.PROVINCIAL})
    rows = rows_of(workbook(city_sheet(cast, profiles["gansu"])))
    assert rows[2] == ["编号", "项目名称", "所属县区", "所属行业", "项目类别", "三个一批", "项目状态", "赋码编号",
                       "总投资（亿元）", "本年计划投资（亿元）", "本年累计完成（亿元）", "开工以来累计完成（亿元）",
                       "项目单位", "项目进展情况"]
    # Gansu asks for provincial projects of 1 亿元 and more: the 市重点 of 连山区 is not in its sheet
    assert [r[1] for r in rows[3:-1]] == [cast.p_suizhong.name]
    row = rows[3]
    assert row[2] == "绥中县" and row[4] == "省列重点项目" and row[6] == "前期" and row[7].endswith("-000102")
    assert row[8] == 8 and row[9] == 2  # 80,000 and 20,000 万元 in 亿元
    assert rows[-1][8] == 8


def test_a_profile_file_with_an_unknown_column_is_refused(cast, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"province": "130000", "name": "x", "version": 1, "columns": [{"key": "colour", "header": "颜色"}]}',
                   encoding="utf-8")
    with pytest.raises(ValidationError) as refused:
        services.load_profiles(SYSTEM, [bad])
    assert "未知字段“colour”" in " ".join(refused.value.messages)
    assert not Profile.objects.filter(province_code="130000").exists()


# --- the check list ---------------------------------------------------------------------------

def test_check_list_names_missing_codes_codes_of_another_region_and_totals_from_the_figures(cast, profiles):
    project_services.update_project(cast.admin, cast.p_lianshan.pk, None, {"code": None})
    # 绥中县's project with a code 连山区 issued
    project_services.update_project(cast.admin, cast.p_suizhong.pk, None,
                                    {"code": f"2021-{cast.lianshan.code}-26-01-000102"})
    found = city_sheet(cast, profiles["liaoning"])
    by_key = {c.key: c for c in checks(cast.admin, found)}
    assert not by_key["missing_code"].ok and by_key["missing_code"].items == [cast.p_lianshan.name]
    assert not by_key["code_region"].ok and cast.p_suizhong.name in by_key["code_region"].items[0]
    assert by_key["totals"].ok and by_key["expected"].ok
    # the sheet's totals are the project list's totals line (the list the check links to)
    listing = figures.project_list(cast.admin, {"year": "2022", "as_of": found.as_of.isoformat(),
                                                "region": str(cast.city.pk), "province": str(found.profile.pk)})
    assert listing.totals["count"] == len(found.rows) == 2
    assert listing.totals["total_investment"] == found.totals["total_investment"] == Decimal("132000")


def test_check_list_shows_rounding_the_province_will_find_in_the_totals(cast, profiles):
    for project in (cast.p_lianshan, cast.p_suizhong):
        project_services.update_project(cast.admin, project.pk, None, {"level": Project.Level.PROVINCIAL,
                                                                        "total_investment": Decimal("12345")})
    found = city_sheet(cast, profiles["gansu"])
    totals = next(c for c in checks(cast.admin, found) if c.key == "totals")
    # each row shows 1.23 亿元, the total 2.47 亿元 (24,690 万元): the province adds up 2.46
    assert not totals.ok
    assert "按表中数字相加为 2.46 亿元，合计行（统计数）为 2.47 亿元" in totals.items[0]


# --- the round trip ---------------------------------------------------------------------------

def test_round_trip_shows_exactly_the_two_values_the_province_changed_and_accepts_one_as_province(cast, profiles):
    profile = profiles["liaoning"]
    content = workbook(city_sheet(cast, profile))
    unchanged = services.upload_return(cast.admin, profile, cast.city, YEAR, MONTH, "原样.xlsx", content, today=TODAY)
    assert all_diffs(unchanged) == []
    assert {row["match"] for row in unchanged.rows} == {"code"}

    returned = edited(content, {(cast.p_suizhong.name, "总投资（万元）"): 85000,
                                (cast.p_lianshan.name, "年度计划投资（万元）"): 15000})
    found = services.upload_return(cast.admin, profile, cast.city, YEAR, MONTH, "省平台返回.xlsx", returned,
                                   today=TODAY)
    assert sorted(all_diffs(found)) == sorted([(cast.p_suizhong.name, "total_investment", "85000.00 万元"),
                                               (cast.p_lianshan.name, "planned_investment", "15000.00 万元")])
    suizhong_row = next(r for r in found.rows if r["project_id"] == cast.p_suizhong.pk)

    assert services.accept(cast.admin, found.pk, [(suizhong_row["row"], "total_investment")], set()) == 1

    cast.p_suizhong.refresh_from_db()
    assert cast.p_suizhong.total_investment == Decimal("85000")
    last = cast.p_suizhong.history.first()
    assert (last.history_source, last.history_user) == (Source.PROVINCE, cast.admin)
    assert last.get_history_source_display() == "省平台"
    assert AnnualPlan.objects.get(project=cast.p_lianshan, year=YEAR).planned_investment == Decimal("13000")
    assert Return.objects.get(pk=found.pk).accepted[0]["field"] == "total_investment"


def test_a_name_match_waits_for_a_person_to_confirm_it(cast, profiles):
    profile = profiles["liaoning"]
    content = workbook(city_sheet(cast, profile))
    # the province lost the code and wrote the name in Traditional characters, full width
    returned = edited(content, {(cast.p_suizhong.name, "项目代码"): None,
                                (cast.p_suizhong.name, "项目名称"): "綏中四方臺風電項目",
                                (cast.p_suizhong.name, "总投资（万元）"): 90000})
    found = services.upload_return(cast.admin, profile, cast.city, YEAR, MONTH, "返回.xlsx", returned, today=TODAY)
    row = next(r for r in found.rows if r["project_id"] == cast.p_suizhong.pk)
    assert row["match"] == "name"
    with pytest.raises(ValidationError) as refused:
        services.accept(cast.admin, found.pk, [(row["row"], "total_investment")], set())
    assert "按名称匹配的，请先确认匹配" in refused.value.messages[0]
    services.accept(cast.admin, found.pk, [(row["row"], "total_investment")], {row["row"]})
    assert Project.objects.get(pk=cast.p_suizhong.pk).total_investment == Decimal("90000")


def test_projects_the_province_has_and_the_city_lacks_are_on_the_next_check_list(cast, profiles):
    profile = profiles["liaoning"]
    content = edited(workbook(city_sheet(cast, profile)),
                     {(cast.p_lianshan.name, "项目名称"): "连山区新建物流园项目",
                      (cast.p_lianshan.name, "项目代码"): f"2022-{cast.lianshan.code}-59-03-000999"})
    services.upload_return(cast.admin, profile, cast.city, YEAR, MONTH, "返回.xlsx", content, today=TODAY)
    expected = next(c for c in checks(cast.admin, city_sheet(cast, profile)) if c.key == "expected")
    assert not expected.ok and expected.items == [f"连山区新建物流园项目（2022-{cast.lianshan.code}-59-03-000999）"]


def test_a_bad_cell_names_row_and_column_and_nothing_is_kept(cast, profiles):
    profile = profiles["liaoning"]
    content = edited(workbook(city_sheet(cast, profile)), {(cast.p_suizhong.name, "总投资（万元）"): "八万"})
    with pytest.raises(ValidationError) as refused:
        services.upload_return(cast.admin, profile, cast.city, YEAR, MONTH, "返回.xlsx", content, today=TODAY)
    assert refused.value.messages == ["第5行F列（总投资（万元））：“八万”不是金额"]
    assert not Return.objects.exists()


def test_accepting_is_all_or_nothing(cast, profiles):
    profile = profiles["liaoning"]
    content = edited(workbook(city_sheet(cast, profile)),
                     {(cast.p_suizhong.name, "总投资（万元）"): 85000,
                      (cast.p_lianshan.name, "年度计划投资（万元）"): 999999})  # more than the project's total
    found = services.upload_return(cast.admin, profile, cast.city, YEAR, MONTH, "返回.xlsx", content, today=TODAY)
    chosen = [(r["row"], d["key"]) for r in found.rows for d in r["diffs"]]
    history = Project.history.count()
    with pytest.raises(ValidationError) as refused:
        services.accept(cast.admin, found.pk, chosen, set())
    assert "年度计划投资" in refused.value.messages[0] and cast.p_lianshan.name in refused.value.messages[0]
    assert Project.objects.get(pk=cast.p_suizhong.pk).total_investment == Decimal("80000")
    assert Project.history.count() == history


def test_a_project_changed_after_the_upload_is_not_overwritten(cast, profiles):
    profile = profiles["liaoning"]
    content = edited(workbook(city_sheet(cast, profile)), {(cast.p_suizhong.name, "总投资（万元）"): 85000})
    found = services.upload_return(cast.admin, profile, cast.city, YEAR, MONTH, "返回.xlsx", content, today=TODAY)
    project_services.update_project(cast.suizhong_clerk, cast.p_suizhong.pk, None, {"address": "绥中县前所镇"})
    row = next(r for r in found.rows if r["diffs"])
    with pytest.raises(ValidationError, match="导入返回清单后该项目已被修改"):
        services.accept(cast.admin, found.pk, [(row["row"], "total_investment")], set())


# --- scope ------------------------------------------------------------------------------------

def test_a_county_clerk_cannot_export_the_city_or_accept_its_changes(cast, profiles, client):
    profile = profiles["liaoning"]
    with pytest.raises(PermissionDenied):
        sheet(cast.lianshan_clerk, profile, cast.city, YEAR, MONTH, TODAY)
    content = edited(workbook(city_sheet(cast, profile)), {(cast.p_lianshan.name, "总投资（万元）"): 60000})
    with pytest.raises(PermissionDenied):
        services.upload_return(cast.lianshan_clerk, profile, cast.city, YEAR, MONTH, "返回.xlsx", content)
    found = services.upload_return(cast.admin, profile, cast.city, YEAR, MONTH, "返回.xlsx", content, today=TODAY)
    row = next(r for r in found.rows if r["diffs"])
    for clerk in (cast.lianshan_clerk, cast.dept_clerk, cast.outsider):
        with pytest.raises(Http404):
            services.accept(clerk, found.pk, [(row["row"], "total_investment")], set())
    assert Project.objects.get(pk=cast.p_lianshan.pk).total_investment == Decimal("52000")

    client.force_login(cast.lianshan_clerk)
    assert client.get(reverse("exchange:page")).status_code == 403
    query = f"?profile={profile.pk}&region={cast.city.pk}&year={YEAR}&month={MONTH}"
    assert client.get(reverse("exchange:export") + query).status_code == 403
    # the city's returned list is not the county's to see
    assert client.get(reverse("exchange:review", args=[found.pk])).status_code == 404
    assert client.post(reverse("exchange:accept", args=[found.pk]),
                       {"take": f"{row['row']}:total_investment"}).status_code == 404


def test_the_city_admin_goes_through_the_pages(cast, profiles, client):
    profile = profiles["liaoning"]
    client.force_login(cast.admin)
    query = f"?profile={profile.pk}&region={cast.city.pk}&year={YEAR}&month={MONTH}"
    page = client.get(reverse("exchange:page") + query)
    assert page.status_code == 200 and "合计与统计数核对" in page.content.decode()
    download = client.get(reverse("exchange:export") + query)
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    returned = edited(download.content, {(cast.p_suizhong.name, "总投资（万元）"): 85000})
    upload = client.post(reverse("exchange:upload"), {
        "profile": profile.pk, "region": cast.city.pk, "year": YEAR, "month": MONTH,
        "file": SimpleUploadedFile("省平台返回.xlsx", returned)})
    found = Return.objects.get()
    assert upload.status_code == 302 and upload["Location"] == reverse("exchange:review", args=[found.pk])
    review = client.get(reverse("exchange:review", args=[found.pk]))
    assert "85000.00 万元" in review.content.decode()
    row = next(r for r in found.rows if r["diffs"])
    client.post(reverse("exchange:accept", args=[found.pk]), {"take": f"{row['row']}:total_investment"})
    assert Project.objects.get(pk=cast.p_suizhong.pk).total_investment == Decimal("85000")
    assert Project.objects.get(pk=cast.p_suizhong.pk).history.first().history_source == Source.PROVINCE


def test_the_page_opens_at_the_latest_month_with_approved_reports_and_says_so(cast, profiles, client):
    from keyprojects.reporting import services as reporting

    client.force_login(cast.admin)
    today = timezone.localdate()
    last = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    page = client.get(reverse("exchange:page"))
    assert (page.context["form"]["year"].value(), page.context["form"]["month"].value()) == last
    assert f"尚无已审核月报，默认为上月：{last[0]}年{last[1]}月" in page.content.decode()
    reporting.approve_report(cast.admin, submitted_report(cast, MONTH).pk)
    submitted_report(cast, MONTH + 1)  # submitted, not approved: no data yet
    page = client.get(reverse("exchange:page"))
    assert (page.context["form"]["year"].value(), page.context["form"]["month"].value()) == (YEAR, MONTH)
    assert f"默认为有数据的最近月份：{YEAR}年{MONTH}月" in page.content.decode()


# --- the pull: projects changed since a time ---------------------------------------------------

@pytest.fixture
def settled(settings):
    settings.KEYPROJECTS_CHANGES_SETTLE_SECONDS = 0


def test_the_cursor_skips_no_row_while_projects_change_between_pages(cast, settled):
    start = timezone.now() - timedelta(seconds=1)
    with audit_context(Source.SYSTEM, detail="test"):
        extra = [cast.project(f"葫芦岛项目{i}", cast.lianshan, Decimal("10000")) for i in range(4)]
    seen: list[int] = []
    page = changes.changed(cast.admin, start, None, limit=2)
    seen += [p.pk for p in page.projects]
    first_served, not_yet = seen[0], extra[-1]
    assert not_yet.pk not in seen
    # between two calls: a project served already and one not yet served are changed
    project_services.update_project(cast.admin, first_served, None, {"address": "连山区钢屯镇"})
    project_services.save_annual_plan(cast.admin, not_yet.pk, YEAR, {"planned_investment": Decimal("1000")})
    while page.more or page.projects:
        page = changes.changed(cast.admin, start, page.cursor, limit=2)
        seen += [p.pk for p in page.projects]
        if not page.more:
            break
    huludao = set(Project.objects.filter(region__path__startswith=cast.city.path).values_list("pk", flat=True))
    assert set(seen) == huludao  # none skipped (锦州's is outside the admin's view)
    assert seen.count(first_served) == 2 and seen.count(not_yet.pk) == 1
    assert seen[-1] == not_yet.pk  # its plan's change came last


def test_a_change_is_served_once_it_has_settled(cast):
    start = timezone.now() - timedelta(seconds=1)
    project_services.update_project(cast.admin, cast.p_lianshan.pk, None, {"address": "连山区"})
    assert changes.changed(cast.admin, start, None).projects == []
    later = changes.changed(cast.admin, start, None, now=timezone.now() + timedelta(seconds=31))
    assert cast.p_lianshan.pk in [p.pk for p in later.projects]


def test_the_api_pull_gives_current_values_in_the_users_scope(cast, settled):
    since = (timezone.now() - timedelta(days=1)).isoformat()
    response = api(cast.lianshan_clerk).get(reverse("api:project-changes"), {"changed_since": since, "limit": 1})
    assert response.status_code == 200, response.content
    body = response.json()
    assert [p["name"] for p in body["results"]] == [cast.p_lianshan.name]
    assert body["results"][0]["total_investment"] == "52000.0000" and body["results"][0]["changed_at"]
    rest = api(cast.lianshan_clerk).get(reverse("api:project-changes"), {"cursor": body["next_cursor"]}).json()
    assert rest["results"] == [] and rest["more"] is False
    bad = api(cast.admin).get(reverse("api:project-changes"), {"changed_since": "昨天"})
    assert bad.status_code == 400 and "changed_since 应为 ISO 8601 时间" in bad.content.decode()


@pytest.mark.parametrize("since, status", [
    ("0267-06-22T11:56:05+21:26", 200),  # an offset Python takes and PostgreSQL refuses
    ("2022-13-01T00:00:00", 400),  # well formed, no such month
    ("0001-01-01T00:00:00+08:00", 400),  # before year 1 in UTC
])
def test_odd_times_are_read_in_utc_or_refused(cast, since, status):
    response = api(cast.admin).get(reverse("api:project-changes"), {"changed_since": since})
    assert response.status_code == status, response.content
    forged = changes.encode(datetime.fromisoformat(since) if status == 200 else timezone.now(), 1)
    assert api(cast.admin).get(reverse("api:project-changes"), {"cursor": forged}).status_code == 200


def test_plans_of_a_project_count_as_its_changes(cast, settled):
    project_services.save_annual_plan(cast.admin, cast.p_suizhong.pk, YEAR, {"nature": Nature.CONTINUING})
    mark = AnnualPlan.history.filter(project_id=cast.p_suizhong.pk).latest("history_date").history_date
    found = changes.changed(cast.admin, mark, None)
    assert [p.pk for p in found.projects] == [cast.p_suizhong.pk]


def changed_since(user, mark) -> list[int]:
    return [p.pk for p in changes.changed(user, mark, None).projects]


def submitted_report(cast, month: int = MONTH):
    """连山区's project's report of ``month`` of 2022, submitted (not yet approved)."""
    from keyprojects.reporting import services as reporting

    period = reporting.create_period(cast.admin, cast.city, YEAR, month, date(YEAR, month, 20), date(YEAR, month, 25))
    report = reporting.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, period.pk, {
        "completed_month": Decimal("1000"), "completed_ytd": Decimal("1000"),
        "completed_since_start": Decimal("1000"), "progress": "主体施工"})
    return reporting.submit_report(cast.lianshan_clerk, report.pk)


def test_approving_a_report_counts_as_a_change_of_its_project_and_saving_a_draft_does_not(cast, settled):
    from keyprojects.reporting import services as reporting

    mark = timezone.now()
    report = submitted_report(cast)
    assert changed_since(cast.admin, mark) == []
    approved = reporting.approve_report(cast.admin, report.pk)
    assert changed_since(cast.admin, approved.reviewed_at - timedelta(microseconds=1)) == [cast.p_lianshan.pk]


def test_leaders_lists_and_funding_count_as_changes_a_deleted_leader_too(cast, settled):
    from keyprojects.projects.models import FundingSource, ProjectList

    listed = ProjectList.objects.create(name="专项债券项目", year=YEAR)
    mark = timezone.now()
    project_services.update_project(cast.admin, cast.p_suizhong.pk, None, {"lists": [listed]})
    assert changed_since(cast.admin, mark) == [cast.p_suizhong.pk]
    mark = timezone.now()
    project_services.update_project(cast.admin, cast.p_lianshan.pk, None, {},
                                    funding={FundingSource.Kind.SPECIAL_BOND: Decimal("5000")})
    assert changed_since(cast.admin, mark) == [cast.p_lianshan.pk]
    mark = timezone.now()
    with audit_context(Source.SYSTEM, detail="test"):
        cast.leader.delete()  # the project loses its 包抓领导 without a save of its own
    assert changed_since(cast.admin, mark) == [cast.p_lianshan.pk]


def test_a_renamed_owner_or_responsible_unit_is_a_change_of_the_projects_served_with_its_name(cast, settled):
    from keyprojects.accounts import services as accounts

    mark = timezone.now()
    accounts.save_unit(cast.admin, {"name": "辽宁连石化工有限公司"}, cast.company)  # p_lianshan's owner
    assert changed_since(cast.admin, mark) == [cast.p_lianshan.pk]
    body = api(cast.admin).get(reverse("api:project-changes"), {"changed_since": mark.isoformat()}).json()
    assert [p["owner_name"] for p in body["results"]] == ["辽宁连石化工有限公司"]
    mark = timezone.now()
    accounts.save_unit(cast.admin, {"contact_person": "李明"}, cast.fgw)  # nobody's owner or responsible unit
    assert changed_since(cast.admin, mark) == []


def test_the_pull_carries_the_latest_approved_month(cast, settled):
    from keyprojects.reporting import services as reporting

    mark = timezone.now()
    reporting.approve_report(cast.admin, submitted_report(cast, 4).pk)
    reporting.approve_report(cast.admin, submitted_report(cast, 5).pk)
    body = api(cast.admin).get(reverse("api:project-changes"), {"changed_since": mark.isoformat()}).json()
    [served] = body["results"]
    month = served["latest_month"]
    assert (month["year"], month["month"], month["completed_ytd"], month["progress"], month["started"]) == (
        YEAR, 5, "1000.0000", "主体施工", False)
    project_services.update_project(cast.admin, cast.p_suizhong.pk, None, {"scope": "风机 40 台"})
    later = api(cast.admin).get(reverse("api:project-changes"), {"cursor": body["next_cursor"]}).json()
    assert [(p["id"], p["latest_month"]) for p in later["results"]] == [(cast.p_suizhong.pk, None)]


def test_a_deleted_project_is_a_tombstone_for_those_who_could_see_it(cast, settled):
    mark = timezone.now()
    code = f"2021-{cast.lianshan.code}-26-01-000777"
    project_services.update_project(cast.admin, cast.p_lianshan.pk, None, {"code": code})
    project_services.delete_project(cast.admin, cast.p_lianshan.pk, None)
    for who, sees in (("admin", True), ("lianshan_clerk", True), ("dept_clerk", True), ("owner", True),
                      ("suizhong_clerk", False), ("outsider", False)):
        page = changes.changed(getattr(cast, who), mark, None)
        assert [t.id for t in page.deleted] == ([cast.p_lianshan.pk] if sees else []), who
        assert cast.p_lianshan.pk not in [p.pk for p in page.projects]
    body = api(cast.lianshan_clerk).get(reverse("api:project-changes"), {"changed_since": mark.isoformat()}).json()
    assert body["results"] == []
    [tombstone] = body["deleted"]
    assert (tombstone["id"], tombstone["code"], tombstone["name"], tombstone["region"]["code"]) == (
        cast.p_lianshan.pk, code, cast.p_lianshan.name, cast.lianshan.code)
    assert tombstone["deleted_at"]
    again = api(cast.lianshan_clerk).get(reverse("api:project-changes"), {"cursor": body["next_cursor"]}).json()
    assert again["deleted"] == [] and again["results"] == []


def test_deletions_and_changes_share_one_cursor_and_none_is_skipped(cast, settled):
    start = timezone.now()
    with audit_context(Source.SYSTEM, detail="test"):
        extra = [cast.project(f"葫芦岛项目{i}", cast.lianshan, Decimal("10000")) for i in range(5)]
    project_services.delete_project(cast.admin, extra[1].pk, None)
    project_services.delete_project(cast.admin, extra[3].pk, None)
    seen: list[tuple[str, int]] = []
    page = changes.changed(cast.admin, start, None, limit=2)
    while True:
        assert len(page.projects) + len(page.deleted) <= 2
        seen += [("live", p.pk) for p in page.projects] + [("gone", t.id) for t in page.deleted]
        if not page.more:
            break
        page = changes.changed(cast.admin, start, page.cursor, limit=2)
    assert sorted(seen) == sorted([("live", p.pk) for p in (extra[0], extra[2], extra[4])]
                                  + [("gone", extra[1].pk), ("gone", extra[3].pk)])


def test_the_pull_costs_the_same_queries_for_a_page_of_many(cast, settled, django_assert_max_num_queries):
    since = (timezone.now() - timedelta(days=1)).isoformat()
    client = api(cast.admin)
    client.get(reverse("api:project-changes"), {"changed_since": since})  # (the token's first use)
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("api:project-changes"), {"changed_since": since})
    with audit_context(Source.SYSTEM, detail="test"):
        extra = [cast.project(f"葫芦岛项目{i}", cast.lianshan, Decimal("10000")) for i in range(12)]
        for project in extra[:6]:
            project.leaders.add(cast.leader)
        for project in extra[6:]:
            project_services.delete_project(cast.admin, project.pk, None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(reverse("api:project-changes"), {"changed_since": since}).json()
    assert len(body["results"]) == 8 and len(body["deleted"]) == 6


def test_the_provinces_word_for_a_nature_is_taken_back_as_ours(cast, profiles):
    profile = profiles["liaoning"]
    content = edited(workbook(city_sheet(cast, profile)), {(cast.p_lianshan.name, "建设性质"): "续建（当年竣工）"})
    found = services.upload_return(cast.admin, profile, cast.city, YEAR, MONTH, "返回.xlsx", content, today=TODAY)
    row = next(r for r in found.rows if r["diffs"])
    assert [(d["key"], d["ours"], d["theirs"]) for d in row["diffs"]] == [("nature", "新建", "续建(当年竣工)")]
    services.accept(cast.admin, found.pk, [(row["row"], "nature")], set())
    plan = AnnualPlan.objects.get(project=cast.p_lianshan, year=YEAR)
    assert plan.nature == Nature.COMPLETING and plan.history.first().history_source == Source.PROVINCE

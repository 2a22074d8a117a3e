"""Funding rounds: the conditions screened, the province's list imported, the figures and their
drill-down, who sees and does what, the API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import xlsxwriter
from conftest import api
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from keyprojects.approvals.models import ApprovalItem, ProjectApproval
from keyprojects.funding import conditions, province, services
from keyprojects.funding.models import Application, Round
from keyprojects.indicators import figures

DAY = date(2022, 6, 30)


@pytest.fixture
def rounds(cast):
    cast.p_lianshan.code = "2022-211402-26-01-000001"
    cast.p_lianshan.actual_start = date(2022, 3, 1)
    cast.p_lianshan.save()
    round_ = services.save_round(cast.admin, cast.city, {
        "kind": Round.Kind.SPECIAL_BONDS, "year": 2022, "batch": "第二批", "deadline": date(2022, 4, 30),
        "approvals_complete": True, "min_start_rate_applied": Decimal("50"), "min_start_rate_issued": Decimal("50"),
        "start_within_months": 3, "spend_within_months": 6})
    a = services.propose(cast.lianshan_clerk, round_.pk, cast.p_lianshan, Decimal("10000"), today=date(2022, 4, 1))
    b = services.propose(cast.suizhong_clerk, round_.pk, cast.p_suizhong, Decimal("20000"), today=date(2022, 4, 2))
    return round_, a, b


def _item(cast, name: str, order: int) -> ApprovalItem:
    return ApprovalItem.objects.create(region=cast.city, code=f"i{order}", name=name, issuer_name="市发改委",
                                       duration=10, order=order)


# --- conditions -------------------------------------------------------------------------------

def test_screening_shows_each_condition_with_its_reason(cast, rounds):
    round_, a, b = rounds
    ProjectApproval.objects.create(project=cast.p_suizhong, item=_item(cast, "可研批复", 1), obtained_on=date(2022, 3, 1))
    ProjectApproval.objects.create(project=cast.p_suizhong, item=_item(cast, "环评批复", 2))
    apps = list(round_.applications.select_related("round", "project__region"))
    found = conditions.screen_round(round_, apps, DAY)

    lianshan = {c.key: c for c in found[a.pk]}
    assert lianshan["approvals"].passed is True  # no items registered, but started before the deadline
    assert "已开工" in lianshan["approvals"].reason
    assert lianshan["start_rate_applied"].passed is True
    assert "开工率 100.0%" in lianshan["start_rate_applied"].reason
    assert lianshan["start_after_issue"].passed is None and lianshan["start_after_issue"].reason == "资金尚未下达"

    suizhong = {c.key: c for c in found[b.pk]}
    assert suizhong["approvals"].passed is False
    assert "未办结 1 项：环评批复" in suizhong["approvals"].reason
    assert suizhong["start_rate_applied"].passed is False  # its county: 0 of 1 started
    assert "绥中县申报 1 个项目" in suizhong["start_rate_applied"].reason
    assert not conditions.passes(found[b.pk]) and conditions.passes(found[a.pk])


def test_works_not_started_within_three_months_of_issuance_fail_once_the_period_is_over(cast, rounds):
    round_, a, b = rounds
    services.screen(cast.admin, b.pk, True)
    services.record_result(cast.admin, b.pk, {"approved": Decimal("15000"), "approved_on": date(2022, 5, 10),
                                              "approval_number": "辽财债〔2022〕8号", "issued": Decimal("15000"),
                                              "issued_on": date(2022, 5, 20)})
    b.refresh_from_db()
    county = [b]
    before = {c.key: c for c in conditions.checks(round_, b, county, None, date(2022, 8, 1))}
    assert before["start_after_issue"].passed is None and "开工时限 2022-08-20" in before["start_after_issue"].reason
    after = {c.key: c for c in conditions.checks(round_, b, county, None, date(2022, 8, 21))}
    assert after["start_after_issue"].passed is False
    assert after["start_rate_issued"].passed is False
    cast.p_suizhong.actual_start = date(2022, 7, 1)
    cast.p_suizhong.save()
    b.refresh_from_db()
    started = {c.key: c for c in conditions.checks(round_, b, [b], None, date(2022, 8, 21))}
    assert started["start_after_issue"].passed is True


def test_unspent_money_is_flagged_after_the_rounds_period(cast, rounds):
    round_, a, _b = rounds
    services.record_result(cast.admin, a.pk, {"approved": Decimal("8000"), "approved_on": date(2022, 5, 10),
                                              "issued": Decimal("8000"), "issued_on": date(2022, 5, 20),
                                              "spent": Decimal("3000"), "spent_on": date(2022, 9, 30)})
    a.refresh_from_db()
    assert a.spend_due() == date(2022, 11, 20)
    assert not a.unspent_overdue(date(2022, 11, 20))
    assert a.unspent_overdue(date(2022, 11, 21))
    services.record_result(cast.admin, a.pk, {"spent": Decimal("8000"), "spent_on": date(2022, 11, 1)})
    a.refresh_from_db()
    assert not a.unspent_overdue(date(2023, 1, 1))


def test_result_amounts_are_checked_and_nothing_is_saved_when_wrong(cast, rounds):
    _round, a, _b = rounds
    with pytest.raises(ValidationError) as err:
        services.record_result(cast.admin, a.pk, {"approved": Decimal("5000"), "approved_on": date(2022, 5, 10),
                                                  "issued": Decimal("6000"), "issued_on": date(2022, 5, 20)})
    assert "下达金额（6000 万元）不能超过批复金额（5000 万元）" in str(err.value)
    a.refresh_from_db()
    assert a.approved is None and a.state == Application.State.PROPOSED and a.history.count() == 1


def test_a_county_cannot_propose_after_the_deadline_or_twice_or_more_than_the_total(cast, rounds):
    round_, a, _b = rounds
    with pytest.raises(ValidationError) as err:
        services.propose(cast.lianshan_clerk, round_.pk, cast.p_lianshan, Decimal("1"), today=date(2022, 5, 1))
    assert "已于 2022-04-30 截止申报" in str(err.value)
    assert "已申报本批次" in str(err.value)
    a.delete()
    with pytest.raises(ValidationError) as err:
        services.propose(cast.lianshan_clerk, round_.pk, cast.p_lianshan, Decimal("60000"), today=date(2022, 4, 3))
    assert "不能超过项目总投资" in str(err.value)


# --- the province's list ------------------------------------------------------------------------

def _province_list(path, rows):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("省级批复")
    sheet.write_row(0, 0, ["2022年第二批新增专项债券项目批复表"])
    sheet.write_row(1, 0, ["序号", "项目代码", "项目名称", "批复金额（万元）", "批复文号", "批复日期"])
    for n, row in enumerate(rows, start=2):
        sheet.write_row(n, 0, [n - 1, *row])
    book.close()
    return path


def test_province_list_is_matched_by_code_then_by_name_across_width_and_traditional(cast, rounds, tmp_path):
    round_, a, b = rounds
    services.screen(cast.admin, a.pk, True)
    services.screen(cast.admin, b.pk, True)
    path = _province_list(tmp_path / "list.xlsx", [
        ["2022-211402-26-01-000001", "连石化工苯二胺项目（省里写的名字）", 9000, "辽财债〔2022〕12号", "2022-05-15"],
        ["", "綏中四方台 風電項目", "1.2亿", "辽财债〔2022〕12号", "2022年5月15日"],  # Traditional, a space
        ["", "锦州港扩建工程", 5000, "辽财债〔2022〕12号", "2022-05-15"],  # not in this round
    ])
    preview = province.read(round_, path)
    assert [(m.application.pk, m.by, m.approved) for m in preview.matched] == [
        (a.pk, "code", Decimal("9000")), (b.pk, "name", Decimal("12000"))]
    assert [(u.row, u.name) for u in preview.unmatched] == [(5, "锦州港扩建工程")]
    a.refresh_from_db()
    assert a.approved is None  # a preview writes nothing

    result = province.apply(cast.admin, round_.pk, path)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.state, a.approved, a.approval_number, a.approved_on) == (
        Application.State.APPROVED, Decimal("9000"), "辽财债〔2022〕12号", date(2022, 5, 15))
    assert (b.approved, b.approved_on) == (Decimal("12000"), date(2022, 5, 15))
    assert len(result.unmatched) == 1
    assert a.history.first().history_source  # recorded, with its source


def test_province_list_names_full_width_and_recommended_absent_are_not_approved(cast, rounds, tmp_path):
    round_, a, b = rounds
    cast.p_suizhong.name = "绥中ABC风电项目"
    cast.p_suizhong.save()
    services.screen(cast.admin, a.pk, True)
    services.screen(cast.admin, b.pk, True)
    path = _province_list(tmp_path / "list.xlsx", [["", "绥中ＡＢＣ风电项目", "８０００", "", "2022-05-15"]])
    result = province.apply(cast.admin, round_.pk, path)
    a.refresh_from_db()
    b.refresh_from_db()
    assert [m.application.pk for m in result.matched] == [b.pk] and b.approved == Decimal("8000")
    assert a.state == Application.State.REJECTED


def test_a_bad_amount_in_the_province_list_names_sheet_row_and_column_and_saves_nothing(cast, rounds, tmp_path):
    round_, a, b = rounds
    path = _province_list(tmp_path / "list.xlsx", [
        ["2022-211402-26-01-000001", "连石化工", 9000, "", "2022-05-15"],
        ["", "绥中四方台风电项目", "一千万左右", "", "2022-05-15"],
    ])
    with pytest.raises(ValidationError) as err:
        province.apply(cast.admin, round_.pk, path)
    assert err.value.messages == ["工作表“省级批复”第 4 行 D 列“批复金额（万元）”：“一千万左右”不是金额"]
    a.refresh_from_db()
    assert a.approved is None and a.state == Application.State.PROPOSED


def test_only_the_commission_imports_the_province_list(cast, rounds, tmp_path):
    round_, _a, _b = rounds
    path = _province_list(tmp_path / "list.xlsx", [["", "绥中四方台风电项目", 100, "", "2022-05-15"]])
    with pytest.raises(PermissionDenied):
        province.apply(cast.lianshan_clerk, round_.pk, path)


# --- figures and their drill-down -----------------------------------------------------------------

def _issue(cast, rounds):
    round_, a, b = rounds
    services.record_result(cast.admin, a.pk, {"approved": Decimal("8000"), "approved_on": date(2022, 5, 10),
                                              "issued": Decimal("6000"), "issued_on": date(2022, 5, 20),
                                              "spent": Decimal("1000"), "spent_on": date(2022, 6, 15)})
    services.record_result(cast.admin, b.pk, {"approved": Decimal("12000"), "approved_on": date(2022, 7, 10)})
    return round_, a, b


def test_funding_figures_by_kind_county_and_round_as_of_a_date(cast, rounds):
    round_, a, b = _issue(cast, rounds)
    found = figures.funding(cast.admin, 2022, DAY, cast.city)
    bonds = found["kinds"]["special_bonds"]
    assert (bonds["applied"], bonds["total_investment"], bonds["requested"]) == (2, Decimal("132000"), Decimal("30000"))
    assert (bonds["approved_n"], bonds["approved"]) == (1, Decimal("8000"))  # b's approval is after the date
    assert (bonds["issued_n"], bonds["issued"], bonds["issued_total_investment"]) == (1, Decimal("6000"), Decimal("52000"))
    assert bonds["spent"] == Decimal("1000")
    assert found["kinds"]["central_budget"]["applied"] == 0
    by_county = {row["label"]: row["applied"] for row in found["by_region"]}
    assert by_county == {"连山区": 1, "绥中县": 1}
    assert [row["label"] for row in found["by_round"]] == [str(round_)]
    later = figures.funding(cast.admin, 2022, date(2022, 7, 10), cast.city)["kinds"]["special_bonds"]
    assert later["approved"] == Decimal("20000")


@pytest.mark.parametrize("stage,count,amount", [("", "applied", "requested"), ("approved", "approved_n", "approved"),
                                                ("issued", "issued_n", "issued"), ("spent", "issued_n", "spent")])
def test_each_figure_links_to_a_list_whose_totals_equal_it(cast, rounds, login, stage, count, amount):
    _issue(cast, rounds)
    found = figures.funding(cast.admin, 2022, DAY, cast.city)["kinds"]["special_bonds"]
    response = login(cast.admin).get("/funding/applications/", {"year": 2022, "as_of": DAY.isoformat(),
                                                                 "kind": "special_bonds", "stage": stage})
    assert response.status_code == 200
    totals = response.context["totals"]
    assert totals[amount] == found[amount]
    assert totals["count"] == len(response.context["page"].object_list) == found[count]


def test_without_a_date_the_funding_pages_count_to_the_day_the_dashboard_would_and_say_why(cast, rounds, login):
    """A past year's rounds are counted, as on the dashboard, to the day its data speaks for (here
    the year's end: no report of 2022 approved), not to today; a date asked for is kept."""
    round_, _a, _b = _issue(cast, rounds)
    expected, why = figures.data_date(cast.admin, 2022, cast.city)
    assert expected == date(2022, 12, 31) and why
    admin = login(cast.admin)
    for url in ("/funding/", "/funding/applications/", f"/funding/rounds/{round_.pk}/"):
        page = admin.get(url, {"year": 2022})
        assert page.context["as_of"] == expected, url
        assert f"截至 2022年12月31日（{why}）" in page.content.decode(), url
    assert admin.get("/funding/").context["found"]["kinds"]["special_bonds"]["approved"] == Decimal("20000")
    asked = admin.get("/funding/", {"year": 2022, "as_of": DAY.isoformat()})
    assert asked.context["as_of"] == DAY and "截至 2022年6月30日" in asked.content.decode()
    assert why not in asked.content.decode()
    assert asked.context["found"]["kinds"]["special_bonds"]["approved"] == Decimal("8000")
    assert admin.get("/funding/", {"as_of": "2022-13-01"}).status_code == 400


def test_a_city_without_rounds_sees_the_year_shown_in_the_year_select(cast, rounds, login):
    page = login(cast.outsider).get("/funding/")  # 锦州: no round of its own
    assert page.status_code == 200 and page.context["years"] == [page.context["year"]]
    assert f'<option value="{page.context["year"]}" selected>' in page.content.decode()


def test_a_county_clerk_counts_only_their_countys_applications(cast, rounds):
    _issue(cast, rounds)
    found = figures.funding(cast.lianshan_clerk, 2022, DAY)["kinds"]["special_bonds"]
    assert (found["applied"], found["requested"]) == (1, Decimal("10000"))
    with pytest.raises(Http404):
        figures.funding(cast.lianshan_clerk, 2022, DAY, cast.suizhong)


# --- scope and permissions ----------------------------------------------------------------------

def test_who_sees_which_rounds_and_applications(cast, rounds):
    round_, a, b = rounds
    seen = {user: set(Application.objects.visible_to(user).values_list("pk", flat=True))
            for user in (cast.admin, cast.lianshan_clerk, cast.suizhong_clerk, cast.dept_clerk, cast.owner,
                         cast.viewer, cast.outsider)}
    assert seen[cast.admin] == seen[cast.viewer] == {a.pk, b.pk}
    assert seen[cast.lianshan_clerk] == {a.pk} and seen[cast.suizhong_clerk] == {b.pk}
    assert seen[cast.dept_clerk] == seen[cast.owner] == {a.pk}  # the project they are responsible for / own
    assert seen[cast.outsider] == set()
    assert list(Round.objects.visible_to(cast.lianshan_clerk)) == [round_]  # the city's round, from the county
    assert not Round.objects.visible_to(cast.outsider).exists()


def test_who_may_do_what(cast, rounds):
    round_, a, b = rounds
    with pytest.raises(Http404):  # another county's project
        services.propose(cast.lianshan_clerk, round_.pk, cast.p_suizhong, Decimal("1"), today=date(2022, 4, 3))
    with pytest.raises(PermissionDenied):
        services.propose(cast.viewer, round_.pk, cast.p_lianshan, Decimal("1"), today=date(2022, 4, 3))
    for user in (cast.lianshan_clerk, cast.dept_clerk, cast.viewer):
        with pytest.raises(PermissionDenied):
            services.screen(user, a.pk, True)
        with pytest.raises(PermissionDenied):
            services.record_result(user, a.pk, {"approved": Decimal("1"), "approved_on": date(2022, 5, 1)})
    with pytest.raises(Http404):
        services.screen(cast.outsider, a.pk, True)
    with pytest.raises(PermissionDenied):
        services.save_round(cast.lianshan_clerk, cast.city, {"batch": "x"})
    with pytest.raises(ValidationError) as err:
        services.screen(cast.admin, a.pk, False)
    assert "不推荐的项目请填写筛选意见" in str(err.value)
    assert services.screen(cast.admin, a.pk, False, "前期手续不全").state == Application.State.NOT_RECOMMENDED


def test_pages_answer_each_role(cast, rounds, login, client):
    round_, a, b = rounds
    assert login(cast.lianshan_clerk).get(f"/funding/rounds/{round_.pk}/").status_code == 200
    page = client.get(f"/funding/rounds/{round_.pk}/")
    assert [x.pk for x in page.context["page"]] == [a.pk]
    assert client.get(f"/funding/applications/{b.pk}/").status_code == 404
    assert client.get(f"/funding/rounds/{round_.pk}/import/").status_code == 403
    assert client.post(f"/funding/applications/{a.pk}/", {"approved": "1"}).status_code == 403
    assert client.get(f"/funding/rounds/{round_.pk}/export/").status_code == 200
    assert login(cast.outsider).get(f"/funding/rounds/{round_.pk}/").status_code == 404
    admin = login(cast.admin)
    assert admin.get(f"/funding/applications/{b.pk}/").status_code == 200
    response = admin.post(f"/funding/rounds/{round_.pk}/", {"application": b.pk, "recommend": "1", "note": "",
                                                            "version": b.version})
    assert response.status_code == 302
    b.refresh_from_db()
    assert b.state == Application.State.RECOMMENDED


def test_the_province_import_page_previews_then_saves(cast, rounds, login, tmp_path):
    round_, a, _b = rounds
    path = _province_list(tmp_path / "list.xlsx", [["2022-211402-26-01-000001", "x", 700, "辽财债〔2022〕1号", ""]])
    client = login(cast.admin)
    with path.open("rb") as f:
        preview = client.post(f"/funding/rounds/{round_.pk}/import/", {"file": f})
    assert preview.status_code == 200 and len(preview.context["result"].matched) == 1
    a.refresh_from_db()
    assert a.approved is None
    missing_date = client.post(f"/funding/rounds/{round_.pk}/import/", {"stored": preview.context["stored"]})
    assert missing_date.status_code == 200  # the row has no date and none was given
    done = client.post(f"/funding/rounds/{round_.pk}/import/", {"stored": preview.context["stored"],
                                                                 "approved_on": "2022-05-15"})
    assert done.status_code == 302
    a.refresh_from_db()
    assert (a.approved, a.approved_on) == (Decimal("700"), date(2022, 5, 15))


def test_the_application_list_exports_in_the_provinces_layout(cast, rounds, login):
    from io import BytesIO

    from python_calamine import CalamineWorkbook

    round_, _a, _b = rounds
    response = login(cast.admin).get(f"/funding/rounds/{round_.pk}/export/")
    rows = CalamineWorkbook.from_filelike(BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "葫芦岛市2022年专项债券第二批申报项目汇总表"
    assert rows[2][:4] == ["序号", "县区", "项目名称", "项目代码"]
    assert rows[4][2] == "合计（2个项目）" and rows[4][6] == 30000
    assert [r[2] for r in rows[5:]] == ["连山区小计（1个）", "连石化工年产3.5万吨苯二胺项目", "绥中县小计（1个）", "绥中四方台风电项目"]


# --- API ----------------------------------------------------------------------------------------

def test_api_lists_applications_in_scope_and_records_results_with_versions(cast, rounds):
    round_, a, b = rounds
    clerk = api(cast.lianshan_clerk)
    listed = clerk.get("/api/funding/applications/")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [a.pk]
    assert clerk.get(f"/api/funding/applications/{b.pk}/").status_code == 404
    assert clerk.get("/api/funding/rounds/").json()["results"][0]["id"] == round_.pk
    refused = clerk.patch(f"/api/funding/applications/{a.pk}/", {"approved": "1", "approved_on": "2022-05-01",
                                                                  "version": a.version}, format="json")
    assert refused.status_code == 403
    admin = api(cast.admin)
    stale = admin.patch(f"/api/funding/applications/{a.pk}/", {"approved": "8000", "approved_on": "2022-05-10",
                                                                "version": a.version + 5}, format="json")
    assert stale.status_code == 409
    bad = admin.patch(f"/api/funding/applications/{a.pk}/", {"approved": "8000", "version": a.version}, format="json")
    assert bad.status_code == 400 and "approved_on" in bad.json()["errors"]
    ok = admin.patch(f"/api/funding/applications/{a.pk}/", {"approved": "8000", "approved_on": "2022-05-10",
                                                             "approval_number": "辽财债〔2022〕3号",
                                                             "version": a.version}, format="json")
    assert ok.status_code == 200 and ok.json()["state"] == "approved" and ok.json()["version"] == a.version + 1
    created = api(cast.suizhong_clerk).post("/api/funding/applications/", {
        "round": round_.pk, "project": cast.p_lianshan.pk, "requested": "10"}, format="json")
    assert created.status_code in (400, 404)


# --- a round's change reaches the counties' remembered figures ----------------------------------

@pytest.fixture
def real_cache(settings):
    from django.core.cache import cache

    from keyprojects import settings as project_settings

    settings.CACHES = project_settings.CACHES  # (the test settings have none)
    cache.clear()


@pytest.mark.usefixtures("committed_db", "real_cache")
def test_a_round_edited_by_the_city_renews_the_figures_of_every_county_that_applied(cast, rounds, login):
    round_, a, b = _issue(cast, rounds)
    lianshan = login(cast.lianshan_clerk)
    page = lianshan.get("/funding/", {"year": 2022, "as_of": DAY.isoformat(), "region": cast.lianshan.pk})
    assert page.status_code == 200
    before = figures.funding(cast.lianshan_clerk, 2022, DAY, cast.lianshan)
    assert before["kinds"]["special_bonds"]["applied"] == 1 and before["kinds"]["central_budget"]["applied"] == 0
    assert figures.funding(cast.suizhong_clerk, 2022, DAY, cast.suizhong)["by_round"][0]["label"] == str(round_)

    services.save_round(cast.admin, cast.city, {"kind": Round.Kind.CENTRAL_BUDGET, "batch": "第三批"}, round_.pk,
                        round_.version)

    after = figures.funding(cast.lianshan_clerk, 2022, DAY, cast.lianshan)
    assert after["kinds"]["special_bonds"]["applied"] == 0 and after["kinds"]["central_budget"]["applied"] == 1
    assert after["by_round"][0]["label"] == "2022年中央预算内投资第三批"
    suizhong = figures.funding(cast.suizhong_clerk, 2022, DAY, cast.suizhong)
    assert suizhong["by_round"][0]["label"] == "2022年中央预算内投资第三批"
    shown = lianshan.get("/funding/", {"year": 2022, "as_of": DAY.isoformat(), "region": cast.lianshan.pk})
    assert "第三批" in shown.content.decode()


# --- idle funds, in the daily evaluation of warnings -------------------------------------------

def test_the_daily_evaluation_warns_of_issued_money_left_idle_and_closes_the_warning_once_resolved(
        cast, rounds, login):
    """A round with time limits gives its city the rule of idle funds; the one daily evaluation of
    warnings (06:45) applies it: no job of its own evaluates the same rules again."""
    from keyprojects.alerts import tasks
    from keyprojects.alerts.models import Colour, Kind, Warning, WarningRule
    from keyprojects.core.money import format_wan
    from keyprojects.core.schedule import SCHEDULE
    from keyprojects.notices.models import Message

    assert "chase_idle_funds" not in {s.name for s in SCHEDULE}
    round_, a, b = rounds
    rule = WarningRule.objects.get(region=cast.city, kind=Kind.FUNDS_IDLE)  # given with the round
    assert rule.history.get().history_user == cast.admin
    WarningRule.objects.filter(region=cast.city).exclude(kind=Kind.FUNDS_IDLE).delete()  # (this kind's alone)
    # 连山区's project started before the money came; 绥中县's has not started
    services.record_result(cast.admin, a.pk, {"approved": Decimal("8000"), "approved_on": date(2022, 5, 10),
                                              "issued": Decimal("8000"), "issued_on": date(2022, 5, 20),
                                              "spent": Decimal("3000"), "spent_on": date(2022, 9, 30)})
    services.record_result(cast.admin, b.pk, {"approved": Decimal("15000"), "approved_on": date(2022, 5, 10),
                                              "issued": Decimal("15000"), "issued_on": date(2022, 5, 20)})

    def chase(day: date) -> dict[str, int]:
        return tasks.evaluate_warnings.enqueue(day.isoformat()).return_value

    def open_causes() -> set[tuple[str, str]]:
        return {(w.project.name, w.key.split(":")[0]) for w in Warning.objects.filter(closed_on__isnull=True)}

    assert chase(date(2022, 8, 20))["opened"] == 0  # the start's time limit (3 months) ends this day
    assert chase(date(2022, 8, 21))["opened"] == 1
    warning = Warning.objects.get()
    assert (warning.project, warning.colour, warning.region) == (cast.p_suizhong, Colour.YELLOW, cast.suizhong)
    assert "应于3个月内（2022-08-20前）开工" in warning.reason
    assert chase(date(2022, 8, 21)) == {"opened": 0, "changed": 0, "closed": 0, "turned_red": 0}

    # after the spending period (6 months): both have money unspent, 绥中县's start is red by now
    chase(date(2022, 11, 21))
    assert open_causes() == {(cast.p_suizhong.name, "funds-start"), (cast.p_suizhong.name, "funds-spend"),
                             (cast.p_lianshan.name, "funds-spend")}
    assert Warning.objects.get(key=f"funds-start:{b.pk}").colour == Colour.RED
    assert f"尚有{format_wan(Decimal('5000'))}万元未支出" in Warning.objects.get(key=f"funds-spend:{a.pk}").reason

    # the county clerk sees their county's warnings, told once; the other county's are not theirs
    suizhong = login(cast.suizhong_clerk).get("/alerts/")
    assert suizhong.status_code == 200 and "下达资金未按期开工或支出" in suizhong.content.decode()
    assert {w.project for w in Warning.objects.visible_to(cast.suizhong_clerk)} == {cast.p_suizhong}
    assert {w.project for w in Warning.objects.visible_to(cast.lianshan_clerk)} == {cast.p_lianshan}
    # (opened yellow, turned red; the spending one opened)
    assert Message.objects.filter(recipient=cast.suizhong_clerk).count() == 3

    # resolved: works start in 绥中县, 连山区 reports the money spent; the warnings close that day
    cast.p_suizhong.actual_start = date(2022, 11, 25)
    cast.p_suizhong.save()
    a.refresh_from_db()
    services.record_result(cast.admin, a.pk, {"spent": Decimal("8000"), "spent_on": date(2022, 11, 28)}, a.version)
    assert chase(date(2022, 12, 1))["closed"] == 2
    assert open_causes() == {(cast.p_suizhong.name, "funds-spend")}
    closed = Warning.objects.get(key=f"funds-start:{b.pk}")
    assert closed.closed_on == date(2022, 12, 1)
    assert closed.history.latest("history_date").history_detail.startswith("evaluate_warnings 2022-12-01")

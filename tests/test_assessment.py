"""Assessment and ranking: each formula kind, ties, a published ranking that stays as it was
after a later correction (with the note), scope, the command's JSON and bad input."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.http import Http404

from keyprojects.assessment import services
from keyprojects.assessment.models import Formula, Snapshot
from keyprojects.assessment.ranking import corrections, ranking_of
from keyprojects.assessment.scoring import line_points, rank_group
from keyprojects.assessment.text import paragraph
from keyprojects.dispatch import services as dispatch_services
from keyprojects.projects import services as project_services

pytestmark = pytest.mark.django_db

D = Decimal


def line(formula: str, value: str = "completion_rate", **fields: object) -> dict[str, object]:
    base = {"name": "x", "value": value, "formula": formula, "weight": "0", "target": None, "benchmark": "",
            "benchmark_value": None, "points_per_unit": None, "cap": None, "floor": None}
    return {**base, **{k: str(v) if isinstance(v, (int, Decimal)) else v for k, v in fields.items()}}


BENCH = {"time_progress": "33.3", "city": {"completion_rate": "25.0"}}


# --- each formula kind ---------------------------------------------------------------------------
def test_ratio_to_the_best_gives_the_weight_to_the_best_and_a_share_to_the_others():
    rule = line(Formula.RATIO_BEST, weight=40)
    group = [D("20.0"), D("15.0"), None]
    assert line_points(rule, D("20.0"), group, BENCH) == D("40.00")
    assert line_points(rule, D("15.0"), group, BENCH) == D("30.00")
    assert line_points(rule, D("7.0"), group, BENCH) == D("14.00")
    assert line_points(rule, None, group, BENCH) == D("0.00")  # no plan: nothing to score


def test_ratio_to_a_target_shares_the_weight_by_the_target():
    rule = line(Formula.RATIO_TARGET, weight=30, target=60)
    assert line_points(rule, D("45.0"), [], BENCH) == D("22.50")
    assert line_points(rule, D("2.0"), [], BENCH) == D("1.00")


def test_points_per_point_above_or_below_time_progress():
    rule = line(Formula.PER_POINT, weight=20, benchmark="time_progress", points_per_unit=D("0.5"))
    assert line_points(rule, D("40.0"), [], BENCH) == D("23.35")  # 20 + 6.7 × 0.5
    assert line_points(rule, D("30.0"), [], BENCH) == D("18.35")  # 20 − 3.3 × 0.5


def test_points_per_point_against_the_group_average_and_the_city():
    average = line(Formula.PER_POINT, weight=10, benchmark="group_average", points_per_unit=1)
    group = [D("10"), D("20"), D("30"), None]  # average 20 over the members that have the value
    assert line_points(average, D("30"), group, BENCH) == D("20.00")
    assert line_points(average, D("10"), group, BENCH) == D("0.00")
    city = line(Formula.PER_POINT, weight=10, benchmark="city", points_per_unit=2)
    assert line_points(city, D("20.0"), group, BENCH) == D("0.00")  # 10 − 5 × 2


def test_a_cap_and_a_floor_bound_any_line():
    capped = line(Formula.PER_POINT, weight=20, benchmark="fixed", benchmark_value=0, points_per_unit=1, cap=25,
                  floor=5)
    assert line_points(capped, D("12"), [], BENCH) == D("25.00")
    assert line_points(capped, D("-30"), [], BENCH) == D("5.00")
    assert line_points(capped, D("3"), [], BENCH) == D("23.00")


def test_events_deduct_or_add_per_event_within_the_floor():
    overdue = line(Formula.PER_EVENT, "overdue_problems", points_per_unit=-1, floor=-10)
    assert line_points(overdue, D(3), [], BENCH) == D("-3.00")
    assert line_points(overdue, D(15), [], BENCH) == D("-10.00")
    assert str(line_points(overdue, D(0), [], BENCH)) == "0.00"  # not "-0.00"
    bonus = line(Formula.PER_EVENT, "red_warnings", points_per_unit=D("0.5"), cap=1)
    assert line_points(bonus, D(1), [], BENCH) == D("0.50")
    assert line_points(bonus, D(9), [], BENCH) == D("1.00")


def member(key: str, name: str, **values: object) -> dict[str, object]:
    return {"key": key, "name": name, "order": key, "values": {k: str(v) for k, v in values.items()}}


def test_equal_scores_share_a_rank_and_are_ordered_by_the_tie_break():
    group = {"name": "县区", "member_kind": "county",
             "lines": [line(Formula.RATIO_TARGET, "start_or_resume_rate", weight=100, target=100)]}
    members = [member("03", "丙县", start_or_resume_rate=50, completion_rate=10),
               member("01", "甲县", start_or_resume_rate=80, completion_rate=5),
               member("02", "乙县", start_or_resume_rate=50, completion_rate=30),
               member("04", "丁县", start_or_resume_rate=80, completion_rate=5),
               member("05", "戊县", start_or_resume_rate=20, completion_rate=50)]
    ranked = rank_group(group, members, BENCH, "completion_rate", 2, previous={"01": 3, "02": 2, "05": 5})
    assert [(r.rank, r.name) for r in ranked.rows] == [(1, "甲县"), (1, "丁县"), (3, "乙县"), (3, "丙县"), (5, "戊县")]
    assert [r.movement for r in ranked.rows] == ["↑2", "", "↓1", "", "—"]
    assert [r.name for r in ranked.top] == ["甲县", "丁县"]
    # 乙县 and 丙县 share the 2nd place from the back: both are on the black list of 2
    assert [r.name for r in ranked.bottom] == ["乙县", "丙县", "戊县"]
    fewer_first = rank_group(group, members, BENCH, "red_warnings", 2)
    assert [r.name for r in fewer_first.rows][:2] == ["甲县", "丁县"]  # without the value: then by code


# --- the whole path, on the fixed cast -----------------------------------------------------------
YEAR = 2022


@pytest.fixture
def scheme(cast):
    admin = cast.admin
    scheme = services.save_scheme(admin, cast.city, None, {
        "name": "月度排名", "year": YEAR, "period_kind": "monthly", "data_lag_days": 0, "list_size": 1,
        "tie_break": "start_or_resume_rate"})
    group = services.save_group(admin, scheme.pk, None, {"name": "县区", "member_kind": "county", "order": 1})
    services.save_line(admin, group.pk, None, {"name": "开复工率", "value": "start_or_resume_rate",
                                               "formula": "ratio_target", "weight": D(100), "target": D(100)})
    services.save_line(admin, group.pk, None, {"name": "逾期问题", "value": "overdue_problems",
                                               "formula": "per_event", "points_per_unit": D(-5)})
    project_services.save_annual_plan(admin, cast.p_lianshan.pk, YEAR, {"started": True,
                                                                         "started_on": date(YEAR, 5, 10)})
    dispatch_services.raise_problem(cast.suizhong_clerk, {
        "project": cast.p_suizhong, "source": "meeting", "category": "land", "title": "用地指标未落实",
        "lead_unit": cast.suizhong_fgj, "deadline": date(YEAR, 5, 15)}, on=date(YEAR, 5, 1))
    return scheme


def ranks(ranking) -> list[tuple[int, str, str]]:
    return [(r.rank, r.name, str(r.score)) for r in ranking.groups[0].rows]


def test_a_snapshot_scores_the_counties_from_the_figures_and_the_events(cast, scheme):
    snapshot = services.take_snapshot(cast.admin, scheme.pk, "2022-05")
    assert snapshot.as_of == date(YEAR, 5, 31) and snapshot.taken_by == cast.admin
    ranked = ranks(ranking_of(snapshot))
    assert ranked[0] == (1, "连山区", "100.00")
    assert ranked[-1] == (6, "绥中县", "-5.00")  # started nothing, one problem overdue on 31 May
    assert {r[0] for r in ranked[1:-1]} == {2}  # the counties without a plan tie at 0
    suizhong = ranking_of(snapshot).groups[0].rows[-1]
    assert suizhong.values["overdue_problems"] == 1 and suizhong.values["start_or_resume_rate"] == 0


def test_a_published_ranking_stays_the_same_after_a_correction_and_shows_it(cast, scheme, client):
    snapshot = services.publish(cast.admin, services.take_snapshot(cast.admin, scheme.pk, "2022-05").pk)
    before = ranks(ranking_of(snapshot))
    # 绥中's start in May is recorded late: May's figures change after publication
    project_services.save_annual_plan(cast.admin, cast.p_suizhong.pk, YEAR, {"started": True,
                                                                              "started_on": date(YEAR, 5, 20)})
    again = Snapshot.objects.get(pk=snapshot.pk)
    assert ranks(ranking_of(again)) == before
    assert corrections(cast.admin, again) == ["绥中县 开复工率：取数时 0，现为 100"]
    with pytest.raises(ValidationError, match="已发布"):
        services.take_snapshot(cast.admin, scheme.pk, "2022-05")
    client.force_login(cast.admin)
    page = client.get(f"/assessment/{scheme.pk}/2022-05/").content.decode()
    assert "绥中县 开复工率：取数时 0，现为 100" in page and "排名仍以取数时的数据为准" in page
    # June, taken after the correction, counts it: 绥中 moves up from 6th to 2nd
    services.publish(cast.admin, services.take_snapshot(cast.admin, scheme.pk, "2022-06").pk)
    june = ranking_of(Snapshot.objects.get(scheme=scheme, period="2022-06")).groups[0].rows
    assert [(r.name, r.rank, r.movement) for r in june[:2]] == [("连山区", 1, "—"), ("绥中县", 2, "↑4")]


def test_rules_changed_after_a_snapshot_do_not_change_its_ranks(cast, scheme):
    snapshot = services.take_snapshot(cast.admin, scheme.pk, "2022-05")
    before = ranks(ranking_of(snapshot))
    deduction = scheme.groups.get().lines.get(value="overdue_problems")
    services.save_line(cast.admin, deduction.group_id, deduction.pk, {"points_per_unit": D(-50)})
    assert ranks(ranking_of(Snapshot.objects.get(pk=snapshot.pk))) == before


def test_the_ranking_page_and_its_xlsx(cast, scheme, client):
    services.publish(cast.admin, services.take_snapshot(cast.admin, scheme.pk, "2022-05").pk)
    client.force_login(cast.viewer)
    page = client.get(f"/assessment/{scheme.pk}/2022-05/")
    text = page.content.decode()
    assert page.status_code == 200 and "红榜" in text and "黑榜" in text and "得分相同者名次并列" in text
    assert "5月份，各县区综合排名第一位的是连山区，末位的是绥中县。" in text
    assert "发布排名" not in text  # a viewer publishes nothing
    book = client.get(f"/assessment/{scheme.pk}/2022-05/ranking.xlsx")
    assert book.status_code == 200 and book["Content-Type"].startswith("application/vnd.openxmlformats")


def test_each_value_of_the_ranking_links_to_the_list_that_gives_it(cast, scheme, client):
    """A county's 开复工率 to its started projects on the date (the list's count over its plan
    count is the rate), its overdue problems to the ledger's; a department's to the projects it
    is responsible for."""
    group = services.save_group(cast.admin, scheme.pk, None, {"name": "市直部门", "member_kind": "unit", "order": 2})
    services.save_line(cast.admin, group.pk, None, {"name": "开复工率", "value": "start_or_resume_rate",
                                                    "formula": "ratio_target", "weight": D(100), "target": D(100)})
    snapshot = services.take_snapshot(cast.admin, scheme.pk, "2022-05")
    client.force_login(cast.admin)
    page = client.get(f"/assessment/{scheme.pk}/2022-05/")
    checked = 0
    for group, rows in page.context["groups"]:
        for row, cells in rows:
            for line, (_points, value, link) in zip(group.lines, cells, strict=True):
                assert link, (row.name, line["name"])
                totals = client.get(link).context["totals"]
                if line["value"] == "overdue_problems":
                    assert totals["count"] == value, (row.name, link)
                else:  # the rate's numerator: started on the date, over the member's plan rows
                    plans = client.get(link.replace("&started=yes", "")).context["totals"]["count"]
                    assert (totals["count"] * 100 / plans if plans else 0) == (value or 0), (row.name, link)
                checked += 1
    departments = page.context["groups"][1][1]
    assert departments and checked == 2 * 6 + len(departments)
    suizhong = next(cells for row, cells in page.context["groups"][0][1] if row.name == "绥中县")
    assert client.get(suizhong[1][2]).context["totals"]["count"] == 1
    assert snapshot.as_of.isoformat() in suizhong[0][2]


def test_the_paragraph_names_the_front_and_the_back(cast, scheme):
    services.save_scheme(cast.admin, None, scheme.pk, {"list_size": 3})
    services.publish(cast.admin, services.take_snapshot(cast.admin, scheme.pk, "2022-05").pk)
    text = paragraph(ranking_of(Snapshot.objects.get(scheme=scheme)))
    # the four counties without a plan tie for 2nd: all on the red list, none on the black one
    assert text == ("5月份，各县区综合排名前三位的是连山区、龙港区（并列）、南票区（并列）、建昌县（并列）、"
                    "兴城市（并列），后三位的是绥中县。")


# --- scope ---------------------------------------------------------------------------------------
def test_a_county_clerk_cannot_edit_the_scheme_nor_take_or_publish(cast, scheme):
    group = scheme.groups.get()
    with pytest.raises((Http404, PermissionDenied)):
        services.save_scheme(cast.lianshan_clerk, None, scheme.pk, {"list_size": 5})
    with pytest.raises((Http404, PermissionDenied)):
        services.save_line(cast.lianshan_clerk, group.pk, None, {"name": "x", "value": "completion_rate",
                                                                  "formula": "ratio_best", "weight": D(1)})
    with pytest.raises((Http404, PermissionDenied)):
        services.take_snapshot(cast.lianshan_clerk, scheme.pk, "2022-05")
    with pytest.raises(PermissionDenied):
        services.save_scheme(cast.lianshan_clerk, cast.lianshan, None, {"name": "自定", "year": YEAR})


def test_nobody_sees_another_citys_ranking(cast, scheme, client):
    services.publish(cast.admin, services.take_snapshot(cast.admin, scheme.pk, "2022-05").pk)
    for user in (cast.outsider, cast.owner):  # another city; an enterprise, which is not ranked
        client.force_login(user)
        for url in (f"/assessment/{scheme.pk}/", f"/assessment/{scheme.pk}/2022-05/",
                    f"/assessment/{scheme.pk}/2022-05/ranking.xlsx"):
            assert client.get(url).status_code == 404, (user, url)
        assert "月度排名" not in client.get("/assessment/").content.decode()
        assert client.post(f"/assessment/{scheme.pk}/take/", {"period": "2022-06"}).status_code == 404
    assert not Snapshot.objects.filter(period="2022-06").exists()
    with pytest.raises(Http404):
        services.take_snapshot(cast.outsider, scheme.pk, "2022-06")


@pytest.mark.parametrize("who", ["lianshan_clerk", "dept_clerk"])
def test_a_county_or_department_reads_the_city_s_published_ranking_but_not_its_drafts(cast, scheme, client, who):
    """The published ranking (通报) is circulated to those it ranks: read-only, published periods only."""
    services.publish(cast.admin, services.take_snapshot(cast.admin, scheme.pk, "2022-05").pk)
    services.take_snapshot(cast.admin, scheme.pk, "2022-06")  # a draft
    user = getattr(cast, who)
    assert set(Snapshot.objects.visible_to(user).values_list("period", flat=True)) == {"2022-05"}
    client.force_login(user)
    listing = client.get("/assessment/").content.decode()
    assert "月度排名" in listing and "2022-05" in listing and "2022-06" not in listing
    assert "2022-06" not in client.get(f"/assessment/{scheme.pk}/").content.decode()
    page = client.get(f"/assessment/{scheme.pk}/2022-05/")
    assert page.status_code == 200 and "连山区" in page.content.decode()
    assert "2022-06" not in page.content.decode() and "发布排名" not in page.content.decode()
    assert page.context["ranking"].notes == []  # the corrections are the city's figures now: the city's
    assert client.get(f"/assessment/{scheme.pk}/2022-05/ranking.xlsx").status_code == 200
    for url in (f"/assessment/{scheme.pk}/2022-06/", f"/assessment/{scheme.pk}/2022-06/ranking.xlsx"):
        assert client.get(url).status_code == 404, url
    # read-only: taking, publishing and the rules stay the city admins'
    assert client.post(f"/assessment/{scheme.pk}/take/", {"period": "2022-07"}).status_code == 403
    assert client.post(f"/assessment/{scheme.pk}/2022-06/publish/").status_code == 404
    assert client.get(f"/assessment/{scheme.pk}/edit/").status_code == 403
    with pytest.raises(PermissionDenied):
        services.save_scheme(user, None, scheme.pk, {"list_size": 5})
    assert not Snapshot.objects.filter(period="2022-07").exists()
    assert not Snapshot.objects.get(period="2022-06").published


def test_a_county_sees_no_ranking_before_one_is_published(cast, scheme, client):
    services.take_snapshot(cast.admin, scheme.pk, "2022-05")
    client.force_login(cast.lianshan_clerk)
    assert client.get(f"/assessment/{scheme.pk}/").status_code == 404
    assert client.get(f"/assessment/{scheme.pk}/2022-05/").status_code == 404
    assert "月度排名" not in client.get("/assessment/").content.decode()


# --- the command and bad input -------------------------------------------------------------------
def test_the_command_prints_the_ranking_as_json(cast, scheme):
    services.publish(cast.admin, services.take_snapshot(cast.admin, scheme.pk, "2022-05").pk)
    out = io.StringIO()
    call_command("ranking", "--region", "葫芦岛市", "--period", "2022-05", "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["period"] == "2022-05" and payload["published"] and not payload["provisional"]
    rows = payload["groups"][0]["rows"]
    assert (rows[0]["rank"], rows[0]["name"], rows[0]["score"]) == (1, "连山区", "100.00")
    assert (rows[-1]["rank"], rows[-1]["name"], rows[-1]["points"]) == (6, "绥中县", ["0.00", "-5.00"])
    assert payload["groups"][0]["red_list"] == ["连山区"] and payload["groups"][0]["black_list"] == ["绥中县"]
    out = io.StringIO()
    call_command("ranking", "--region", "葫芦岛市", "--period", "2022-07", "--json", stdout=out)
    assert json.loads(out.getvalue())["provisional"] is True  # not taken: the figures now, not saved
    assert not Snapshot.objects.filter(period="2022-07").exists()


@pytest.mark.parametrize("period", ["2022-13", "2022-Q5", "22-05", "2022/05", ""])
def test_a_bad_period_is_a_clear_error(cast, scheme, period, client):
    with pytest.raises(CommandError, match="月份写作 2022-05"):
        call_command("ranking", "--region", "葫芦岛市", "--period", period, stdout=io.StringIO())
    with pytest.raises(ValidationError, match="考核期"):
        services.take_snapshot(cast.admin, scheme.pk, period)
    client.force_login(cast.admin)
    assert client.post(f"/assessment/{scheme.pk}/take/", {"period": period}, follow=True).status_code == 200
    assert not Snapshot.objects.exists()


def test_a_quarter_for_a_monthly_scheme_and_a_period_of_another_year_are_refused(cast, scheme):
    with pytest.raises(ValidationError, match="2022-05"):
        services.take_snapshot(cast.admin, scheme.pk, "2022-Q1")
    with pytest.raises(ValidationError, match="2022年"):
        services.take_snapshot(cast.admin, scheme.pk, "2023-01")


def test_a_line_missing_what_its_formula_needs_is_refused_on_the_page(cast, scheme, client):
    group = scheme.groups.get()
    client.force_login(cast.admin)
    response = client.post(f"/assessment/groups/{group.pk}/lines/new/", {
        "order": 3, "name": "投资完成率", "value": "completion_rate", "formula": "ratio_target", "weight": "10"})
    assert response.status_code == 200 and "按目标值计分须填写大于0的目标值" in response.content.decode()
    with pytest.raises(ValidationError, match="事件数请按事件加减分"):
        services.save_line(cast.admin, group.pk, None, {"name": "问题", "value": "overdue_problems",
                                                        "formula": "ratio_best", "weight": D(5)})
    assert group.lines.count() == 2


def test_a_quarterly_scheme_scores_a_quarter_on_its_last_day_plus_the_lag(cast, scheme):
    quarterly = services.save_scheme(cast.admin, cast.city, None, {
        "name": "季度考核", "year": YEAR, "period_kind": "quarterly", "data_lag_days": 8, "list_size": 1,
        "tie_break": "completion_rate"})
    group = services.save_group(cast.admin, quarterly.pk, None, {"name": "县区", "member_kind": "county"})
    services.save_line(cast.admin, group.pk, None, {"name": "开复工率", "value": "start_or_resume_rate",
                                                    "formula": "ratio_best", "weight": D(50)})
    snapshot = services.take_snapshot(cast.admin, quarterly.pk, "2022-q2")
    assert (snapshot.period, snapshot.as_of) == ("2022-Q2", date(YEAR, 7, 8))
    ranking = ranking_of(snapshot)
    assert ranking.groups[0].rows[0].name == "连山区" and ranking.groups[0].rows[0].score == D("50.00")
    assert paragraph(ranking).startswith("二季度，各县区综合排名第一位的是连山区")
    with pytest.raises(ValidationError, match="2022-Q1"):
        services.take_snapshot(cast.admin, quarterly.pk, "2022-05")


def test_a_briefing_finds_the_published_ranking_of_a_period(cast, scheme):
    from keyprojects.assessment.periods import parse
    from keyprojects.assessment.ranking import published

    snapshot = services.take_snapshot(cast.admin, scheme.pk, "2022-05")
    assert published(cast.admin, cast.city, parse("2022-05")) is None  # taken, not yet published
    services.publish(cast.admin, snapshot.pk)
    found = published(cast.admin, cast.city, parse("2022-05"))
    assert found is not None and found.groups[0].rows[0].name == "连山区"
    assert published(cast.outsider, cast.city, parse("2022-05")) is None


def test_the_ranking_page_after_a_correction_costs_no_query_per_member(cast, scheme, client,
                                                                       django_assert_max_num_queries):
    """The correction notes gather the members' values again: the counties from one breakdown
    (the four of 葫芦岛市 without a plan took five queries each), the events and tasks added up
    per member in Python. (Tests cache nothing: every figure is counted here.)"""
    services.publish(cast.admin, services.take_snapshot(cast.admin, scheme.pk, "2022-05").pk)
    project_services.save_annual_plan(cast.admin, cast.p_suizhong.pk, YEAR, {"started": True,
                                                                              "started_on": date(YEAR, 5, 20)})
    client.force_login(cast.admin)
    with django_assert_max_num_queries(29):
        page = client.get(f"/assessment/{scheme.pk}/2022-05/")
    assert "绥中县 开复工率：取数时 0，现为 100" in page.content.decode()

"""The dispatch figures (调度 · 问题) through the indicator module: meetings by kind, problems
raised, signed off, open and overdue as of a date, 按期办结率 and the median days to sign-off,
counted in the actor's scope; every count links to a list whose total equals it; the dashboard's
card 问题协调, ``stats --json`` and the indicators API carry them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from conftest import api
from django.core.management import call_command
from django.http import Http404
from django.urls import reverse

from keyprojects.core.permissions import SYSTEM
from keyprojects.dispatch import services
from keyprojects.dispatch.models import Meeting, Problem, overdue_on_q, overdue_q
from keyprojects.indicators import engine, figures

pytestmark = pytest.mark.django_db

AS_OF = date(2022, 6, 30)
YEAR = 2022
State, Kind, Category = Problem.State, Meeting.Kind, Problem.Category


@dataclass
class Ledger:
    problems: dict[str, Problem]
    meetings: dict[str, Meeting]


def _problem(cast, clerk, project, raised_on, category, lead=None, deadline=None, title="") -> Problem:
    data = {"project": project, "source": Problem.Source.REPORT, "category": category,
            "title": title or f"问题 {raised_on} {category}", "lead_unit": lead, "deadline": deadline}
    return services.raise_problem(clerk, data, on=raised_on)


def _reply(problem: Problem, by, on: date) -> None:
    services.reply(by, problem.pk, None, "已办结", on=on)


def _sign_off(problem: Problem, by, on: date) -> None:
    services.sign_off(by, problem.pk, None, "同意销号", on=on)


@pytest.fixture
def ledger(cast) -> Ledger:
    """Problems in every state around 2022-06-30 (A…L in 连山区, S1 S2 in 绥中县; lead unit 工信局
    unless said), and meetings of each kind inside and outside the year:
    A signed off on time · B signed off late · C replied, signed off after as_of · D overdue at
    as_of, signed off after it · E awaiting assignment · F escalated, past the escalation's
    deadline · G in hand within its deadline · K overdue at as_of, escalated after it · H raised
    in 2021, signed off late in 2022 · I raised in 2021, still in hand and overdue · J raised after
    as_of · L raised and signed off in 2021 · S1 signed off on time (绥中县's own unit) · S2 in hand,
    overdue (lead 工信局)."""
    lian, gxj, dept, sui = cast.lianshan_clerk, cast.gxj, cast.dept_clerk, cast.suizhong_clerk
    p = cast.p_lianshan
    d = date
    problems: dict[str, Problem] = {}

    def make(name, raised_on, category, deadline=None, lead=gxj, clerk=lian, project=p):
        problems[name] = _problem(cast, clerk, project, raised_on, category, lead if deadline else None, deadline,
                                  title=f"问题{name}")
        return problems[name]

    a = make("A", d(2022, 3, 1), Category.LAND, d(2022, 3, 20))
    _reply(a, dept, d(2022, 3, 15))
    _sign_off(a, lian, d(2022, 3, 18))
    b = make("B", d(2022, 3, 1), Category.LAND, d(2022, 3, 10))
    _reply(b, dept, d(2022, 3, 25))
    _sign_off(b, lian, d(2022, 4, 1))
    c = make("C", d(2022, 5, 1), Category.FUNDING, d(2022, 5, 20))
    _reply(c, dept, d(2022, 6, 10))
    _sign_off(c, lian, d(2022, 7, 5))
    dd = make("D", d(2022, 5, 1), Category.FUNDING, d(2022, 5, 20))
    _reply(dd, dept, d(2022, 7, 2))
    _sign_off(dd, lian, d(2022, 7, 3))
    make("E", d(2022, 4, 1), Category.APPROVAL)
    f = make("F", d(2022, 4, 1), Category.LAND, d(2022, 4, 20))
    services.escalate(lian, f.pk, None, "县级无法解决", d(2022, 5, 31), on=d(2022, 5, 1))
    make("G", d(2022, 6, 1), Category.APPROVAL, d(2022, 7, 31))
    k = make("K", d(2022, 6, 1), Category.LAND, d(2022, 6, 15))
    services.escalate(lian, k.pk, None, "县级无法解决", d(2022, 7, 31), on=d(2022, 7, 5))
    h = make("H", d(2021, 11, 1), Category.OTHER, d(2021, 12, 1))
    _reply(h, dept, d(2022, 1, 20))
    _sign_off(h, lian, d(2022, 2, 1))
    make("I", d(2021, 10, 1), Category.OTHER, d(2021, 12, 31))
    make("J", d(2022, 7, 10), Category.LAND, d(2022, 7, 20))
    old = make("L", d(2021, 3, 1), Category.LAND, d(2021, 3, 20))
    _reply(old, dept, d(2021, 3, 10))
    _sign_off(old, lian, d(2021, 4, 1))
    s1 = make("S1", d(2022, 2, 1), Category.ENERGY, d(2022, 2, 28), lead=cast.suizhong_fgj, clerk=sui,
              project=cast.p_suizhong)
    _reply(s1, sui, d(2022, 2, 20))
    _sign_off(s1, sui, d(2022, 2, 21))
    make("S2", d(2022, 2, 1), Category.ENERGY, d(2022, 3, 31), clerk=sui, project=cast.p_suizhong)

    meetings: dict[str, Meeting] = {}
    for name, who, where, kind, day, units in [
        ("city-1", cast.admin, cast.city, Kind.CONCENTRATED, d(2022, 2, 10), []),
        ("city-2", cast.admin, cast.city, Kind.CONCENTRATED, d(2022, 6, 30), []),  # on as_of: counted
        ("city-3", cast.admin, cast.city, Kind.SINGLE_PROJECT, d(2022, 5, 5), [gxj]),
        ("city-4", cast.admin, cast.city, Kind.ON_SITE, d(2022, 7, 10), []),  # after as_of
        ("city-5", cast.admin, cast.city, Kind.CLOUD, d(2021, 12, 20), []),  # the year before
        ("lianshan", lian, cast.lianshan, Kind.ON_SITE, d(2022, 3, 3), []),
        ("suizhong", sui, cast.suizhong, Kind.CLOUD, d(2022, 4, 1), []),
    ]:
        meetings[name] = services.save_meeting(who, None, None, {
            "kind": kind, "title": f"{where.name}{day}调度会", "region": where, "date": day, "units": units})
    return Ledger(problems, meetings)


def _counts(found) -> dict:
    return {key: found["problems"][key] for key in ("raised", "solved", "on_time", "open", "overdue")}


def test_city_figures_count_each_problem_by_its_state_as_of_the_date(cast, ledger):
    found = figures.dispatch(cast.admin, YEAR, AS_OF, cast.city)
    # raised A B C D E F G K S1 S2 · signed off A B H S1, on time A S1 · open C D E F G K I S2 ·
    # overdue D F K I S2 (C had replied, E was unassigned, G within its deadline)
    assert _counts(found) == {"raised": 10, "solved": 4, "on_time": 2, "open": 8, "overdue": 5}
    assert found["problems"]["on_time_rate"] == Decimal("50.0")
    assert found["problems"]["median_days"] == Decimal("25.5")  # 17, 20, 31, 92 days
    assert found["meetings"] == {"concentrated": 2, "single_project": 1, "on_site": 1, "cloud": 1}
    assert found["meetings_total"] == 5
    assert (found["start"], found["end"]) == (date(2022, 1, 1), AS_OF)


def test_a_problem_signed_off_after_the_date_is_open_then_and_overdue_by_its_state_then(cast, ledger):
    problems = Problem.objects.filter(region__path__startswith=cast.city.path)
    overdue_then = set(problems.filter(overdue_on_q(AS_OF)).values_list("title", flat=True))
    names = {ledger.problems[n].title: n for n in ledger.problems}
    assert {names[t] for t in overdue_then} == {"D", "F", "K", "I", "S2"}
    # read from the problems as they are now, D is signed off and K runs to the escalation's
    # deadline: the as-of figures must not be
    now = {names[t] for t in problems.filter(overdue_q(AS_OF)).values_list("title", flat=True)}
    assert "D" not in now and "K" not in now
    assert Problem.objects.get(pk=ledger.problems["D"].pk).state == State.CLOSED


def test_escalated_problems_count_as_open_where_they_were_raised(cast, ledger):
    county = figures.dispatch(cast.lianshan_clerk, YEAR, AS_OF, cast.lianshan)
    assert _counts(county) == {"raised": 8, "solved": 3, "on_time": 1, "open": 7, "overdue": 4}
    assert county["problems"]["on_time_rate"] == Decimal("33.3")
    assert county["problems"]["median_days"] == Decimal("31.0")
    assert county["meetings"] == {"concentrated": 0, "single_project": 0, "on_site": 1, "cloud": 0}


def test_later_dates_see_the_later_sign_offs(cast, ledger):
    found = figures.dispatch(cast.admin, YEAR, date(2022, 7, 31), cast.city)
    # C and D signed off (late); J raised, and past its deadline; K within the escalation's deadline
    assert _counts(found) == {"raised": 11, "solved": 6, "on_time": 2, "open": 7, "overdue": 4}
    after_the_year = figures.dispatch(SYSTEM, 2021, date(2023, 3, 1), cast.city)
    assert after_the_year["end"] == date(2021, 12, 31)
    # H L I raised; L signed off late; H and I open on 31 December, H overdue (I due that day)
    assert _counts(after_the_year) == {"raised": 3, "solved": 1, "on_time": 0, "open": 2, "overdue": 1}


def test_breakdowns_by_category_lead_unit_and_leader_add_up_to_the_totals(cast, ledger):
    found = figures.dispatch(cast.admin, YEAR, AS_OF, cast.city)
    for group in ("category", "lead_unit", "leader"):
        rows = found["by"][group]
        for key in ("raised", "solved", "on_time", "open", "overdue"):
            assert sum(row[key] for row in rows) == found["problems"][key], (group, key)
    land = next(r for r in found["by"]["category"] if r["key"] == Category.LAND)
    assert (land["label"], land["raised"], land["open"], land["overdue"]) == ("用地", 4, 2, 2)
    units = {row["label"]: row["raised"] for row in found["by"]["lead_unit"]}
    assert units == {cast.gxj.name: 8, cast.suizhong_fgj.name: 1, None: 1}  # E awaits assignment


def test_county_clerk_counts_only_their_county_and_not_the_city(cast, ledger):
    assert _counts(figures.dispatch(cast.lianshan_clerk, YEAR, AS_OF)) == _counts(
        figures.dispatch(cast.lianshan_clerk, YEAR, AS_OF, cast.lianshan))
    suizhong = figures.dispatch(cast.suizhong_clerk, YEAR, AS_OF, cast.suizhong)
    assert _counts(suizhong) == {"raised": 2, "solved": 1, "on_time": 1, "open": 1, "overdue": 1}
    with pytest.raises(Http404):
        figures.dispatch(cast.lianshan_clerk, YEAR, AS_OF, cast.city)
    with pytest.raises(Http404):
        figures.dispatch(cast.outsider, YEAR, AS_OF, cast.city)


def test_department_clerk_counts_only_their_units_problems_and_meetings(cast, ledger):
    found = figures.dispatch(cast.dept_clerk, YEAR, AS_OF, cast.city)
    # the problems of 工信局's project (连山区's) and S2, which it leads — not S1
    assert _counts(found) == {"raised": 9, "solved": 3, "on_time": 1, "open": 8, "overdue": 5}
    assert found["meetings"] == {"concentrated": 0, "single_project": 1, "on_site": 0, "cloud": 0}


@pytest.mark.usefixtures("committed_db")
def test_figures_are_remembered_until_a_write_in_the_region(cast, settings, django_assert_num_queries):
    from django.core.cache import cache

    from keyprojects import settings as project_settings

    settings.CACHES = project_settings.CACHES  # (the test settings have none)
    cache.clear()
    _problem(cast, cast.lianshan_clerk, cast.p_lianshan, date(2022, 6, 1), Category.LAND)
    assert figures.dispatch(cast.admin, YEAR, AS_OF, cast.city)["problems"]["raised"] == 1
    with django_assert_num_queries(1):  # the data versions, nothing counted again
        figures.dispatch(cast.admin, YEAR, AS_OF, cast.city)
    _problem(cast, cast.suizhong_clerk, cast.p_suizhong, date(2022, 6, 20), Category.LAND)
    assert figures.dispatch(cast.admin, YEAR, AS_OF, cast.city)["problems"]["raised"] == 2
    services.save_meeting(cast.admin, None, None, {"kind": Kind.CLOUD, "title": "云调度", "region": cast.city,
                                                   "date": date(2022, 6, 2)})
    assert figures.dispatch(cast.admin, YEAR, AS_OF, cast.city)["meetings"]["cloud"] == 1


# --- drill-down: each count's list has that many rows ----------------------------------------

def _figure_links(client, user, region, as_of=AS_OF):
    client.force_login(user)
    response = client.get(reverse("dashboard"), {"region": region.pk, "year": YEAR, "as_of": as_of.isoformat()})
    assert response.status_code == 200
    return response, [f for f in response.context["figures"]
                      if f.url.startswith(("/dispatch/problems/", "/dispatch/meetings/"))]


@pytest.mark.parametrize(("who", "where", "as_of"), [
    ("admin", "city", AS_OF), ("admin", "city", date(2022, 7, 31)), ("lianshan_clerk", "lianshan", AS_OF),
    ("dept_clerk", "city", AS_OF), ("suizhong_clerk", "suizhong", AS_OF),
])
def test_every_dispatch_count_on_the_dashboard_equals_its_lists_total(cast, ledger, client, who, where, as_of):
    response, linked = _figure_links(client, getattr(cast, who), getattr(cast, where), as_of)
    card = response.context["dispatch"]
    assert len(linked) >= 5 + 5 + 5  # meetings (total, 4 kinds), problems (5), a category's 5
    assert {f.value for f in linked} != {0}
    for figure in linked:
        listing = client.get(figure.url)
        assert listing.status_code == 200
        assert listing.context["totals"]["count"] == figure.value, (figure.url, figure.indicator)
    assert card["counts"]["open"].value == figures.dispatch(getattr(cast, who), YEAR, as_of,
                                                            getattr(cast, where))["problems"]["open"]


def test_the_lists_behind_the_figures_hold_exactly_those_problems(cast, ledger, client):
    client.force_login(cast.admin)
    base = {"region": cast.city.pk}

    def titles(**query) -> set[str]:
        page = client.get(reverse("dispatch:problems"), {**base, **query})
        names = {ledger.problems[n].title: n for n in ledger.problems}
        return {names[p.title] for p in page.context["page"]}

    assert titles(open_on="2022-06-30") == {"C", "D", "E", "F", "G", "K", "I", "S2"}
    assert titles(overdue_on="2022-06-30") == {"D", "F", "K", "I", "S2"}
    assert titles(signed_off_from="2022-01-01", signed_off_to="2022-06-30") == {"A", "B", "H", "S1"}
    assert titles(signed_off_from="2022-01-01", signed_off_to="2022-06-30", on_time="yes") == {"A", "S1"}
    assert titles(signed_off_from="2022-01-01", signed_off_to="2022-06-30", on_time="no") == {"B", "H"}
    assert titles(raised_from="2022-01-01", raised_to="2022-06-30", lead_unit="none") == {"E"}
    page = client.get(reverse("dispatch:problems"), {**base, "open_on": "2022-06-30"}).content.decode()
    assert "按指标口径筛选" in page and "截至该日未销号 2022年6月30日" in page


def test_the_meeting_list_filters_by_region_and_kind(cast, ledger, client):
    client.force_login(cast.admin)
    page = client.get(reverse("dispatch:meetings"), {"region": cast.lianshan.pk})
    assert [m.title for m in page.context["page"]] == [ledger.meetings["lianshan"].title]
    page = client.get(reverse("dispatch:meetings"), {"region": cast.city.pk, "kind": "concentrated",
                                                     "date_from": "2022-01-01", "date_to": "2022-06-30"})
    assert page.context["totals"]["count"] == 2


# --- the card, the command and the API -------------------------------------------------------

def test_the_card_shows_on_the_city_and_the_county_dashboard(cast, ledger, client):
    response, _linked = _figure_links(client, cast.admin, cast.city)
    page = response.content.decode()
    assert "问题协调" in page and "按期办结率" in page and "50.0%" in page and "25.5 天" in page
    assert response.context["dispatch"]["categories"][0]["label"] == "用地"  # most raised first
    assert engine.INDICATORS["problems_overdue"].definition_zh in page  # the definition, as a tooltip
    response, _linked = _figure_links(client, cast.lianshan_clerk, cast.lianshan)
    page = response.content.decode()
    assert "问题协调" in page and "33.3%" in page
    assert response.context["dispatch"]["counts"]["raised"].value == 8


def test_stats_json_carries_the_dispatch_figures_in_their_shape(cast, ledger, capsys):
    call_command("stats", region="葫芦岛市", year=YEAR, as_of="2022-06-30", json=True)
    payload = json.loads(capsys.readouterr().out)
    assert payload["dispatch"] == {
        "meetings": {"concentrated": 2, "single_project": 1, "on_site": 1, "cloud": 1},
        "problems": {"raised": 10, "solved": 4, "open": 8, "overdue": 5, "on_time_rate": "50.0"},
    }
    call_command("stats", region="连山区", year=YEAR, as_of="2022-06-30")
    out = capsys.readouterr().out
    assert "问题：提出 8，已销号 3，未销号 7，逾期 4；按期办结率 33.3%；办结用时中位数 31.0 天" in out
    call_command("stats", region="锦州市", year=YEAR, as_of="2022-06-30", json=True)
    empty = json.loads(capsys.readouterr().out)["dispatch"]
    assert empty["problems"] == {"raised": 0, "solved": 0, "open": 0, "overdue": 0, "on_time_rate": None}


def test_the_indicators_api_carries_the_same_dispatch_object_in_the_users_scope(cast, ledger, capsys):
    call_command("stats", region="连山区", year=YEAR, as_of="2022-06-30", json=True)
    expected = json.loads(capsys.readouterr().out)["dispatch"]
    response = api(cast.lianshan_clerk).get("/api/indicators/", {"year": YEAR, "as_of": "2022-06-30"})
    assert response.status_code == 200
    assert response.json()["dispatch"] == expected
    response = api(cast.dept_clerk).get("/api/indicators/", {"year": YEAR, "as_of": "2022-06-30"})
    assert response.json()["dispatch"]["problems"]["raised"] == 9


def test_the_median_is_of_the_middle_values():
    assert engine.median([]) is None
    assert engine.median([5]) == Decimal("5.0")
    assert engine.median([9, 1, 4]) == Decimal("4.0")
    assert engine.median([1, 2, 4, 9]) == Decimal("3.0")
    assert engine.median([1, 2]) == Decimal("1.5")

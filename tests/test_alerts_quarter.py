"""The warning 落后季度目标 with frozen dates: a plan behind its quarterly roadmap (投资路线图) by the
yellow threshold's points of the quarter's target is warned, red past the red threshold, closed when
it catches up; a plan without a roadmap never is; counted on the dashboard like the others."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from keyprojects.alerts import services
from keyprojects.alerts.models import THRESHOLDS, Colour, Kind, Warning, WarningRule
from keyprojects.core.permissions import SYSTEM
from keyprojects.indicators import figures
from keyprojects.projects.models import PlanQuarter
from tests.test_alerts import YEAR, only, period, plan_of, report, start, warnings_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(cast) -> dict[str, WarningRule]:
    return {rule.kind: rule for rule in services.create_default_rules(cast.admin, cast.city)}


def roadmap(project, **amounts: str | None) -> None:
    """Quarters q1…q4 with the cumulative investment expected by each one's end (None: work only)."""
    plan = plan_of(project)
    for name, amount in amounts.items():
        PlanQuarter.objects.create(plan=plan, quarter=int(name[1]), work="主体施工",
                                   expected_investment=Decimal(amount) if amount is not None else None)


def test_behind_the_quarterly_target_opens_yellow_turns_red_and_closes_when_it_catches_up(cast, rules):
    start(cast.p_lianshan, date(YEAR, 2, 1))
    roadmap(cast.p_lianshan, q1="2000", q2="6000")
    report(cast.p_lianshan, period(cast, 3), Decimal("1700"), Decimal("1700"))  # 85 % of 2,000: 15 behind
    services.evaluate(date(YEAR, 3, 25))  # March's window still open: no quarter reported yet
    assert warnings_of(cast.p_lianshan, Kind.BEHIND_QUARTER) == []
    services.evaluate(date(YEAR, 3, 26))
    warning = only(cast.p_lianshan, Kind.BEHIND_QUARTER)
    assert (warning.colour, warning.reason) == (
        Colour.YELLOW, "2022年一季度末目标累计完成投资2,000万元，截至3月26日完成1,700万元（85.0%），落后15.0个百分点")
    report(cast.p_lianshan, period(cast, 6), Decimal("2500"), Decimal("4200"))  # 70 % of 6,000: 30 behind
    services.evaluate(date(YEAR, 6, 26))
    warning.refresh_from_db()
    assert warning.colour == Colour.RED and warning.figures["quarter"] == "2022-Q2"
    assert warning.red_since == date(YEAR, 6, 26)
    report(cast.p_lianshan, period(cast, 7), Decimal("1400"), Decimal("5600"))  # 93.3 % of 6,000: 6.7 behind
    services.evaluate(date(YEAR, 7, 26))
    warning.refresh_from_db()
    assert warning.closed_on == date(YEAR, 7, 26)
    assert [h.history_change_reason for h in warning.history.order_by("history_date")] == [
        "预警发出", "预警更新", "原因消除，预警解除"]


def test_the_thresholds_are_the_citys_data(cast, rules):
    assert rules[Kind.BEHIND_QUARTER].yellow == Decimal(THRESHOLDS[Kind.BEHIND_QUARTER][1]) == Decimal(10)
    assert rules[Kind.BEHIND_QUARTER].red == Decimal(20)
    start(cast.p_lianshan, date(YEAR, 2, 1))
    roadmap(cast.p_lianshan, q1="2000")
    report(cast.p_lianshan, period(cast, 3), Decimal("1820"), Decimal("1820"))  # 9 behind: under 10
    services.evaluate(date(YEAR, 3, 26))
    assert warnings_of(cast.p_lianshan, Kind.BEHIND_QUARTER) == []
    services.save_rule(cast.admin, rules[Kind.BEHIND_QUARTER].pk, {"yellow": Decimal(5), "red": Decimal(8)})
    services.evaluate(date(YEAR, 3, 27))
    assert only(cast.p_lianshan, Kind.BEHIND_QUARTER).colour == Colour.RED
    services.save_rule(cast.admin, rules[Kind.BEHIND_QUARTER].pk, {"active": False})
    services.evaluate(date(YEAR, 3, 28))
    assert only(cast.p_lianshan, Kind.BEHIND_QUARTER).closed_on == date(YEAR, 3, 28)


def test_a_plan_without_a_roadmap_amount_is_never_warned(cast, rules):
    roadmap(cast.p_lianshan, q1=None, q2=None)  # work written, no amount
    period(cast, 3), period(cast, 6)
    services.evaluate(date(YEAR, 6, 26))  # nothing done at all by either project
    assert warnings_of(cast.p_lianshan, Kind.BEHIND_QUARTER) == []
    assert warnings_of(cast.p_suizhong, Kind.BEHIND_QUARTER) == []  # no roadmap


def test_a_later_quarter_without_an_amount_is_held_to_the_latest_stated_one(cast, rules):
    roadmap(cast.p_lianshan, q1="2000", q2=None)
    report(cast.p_lianshan, period(cast, 6), Decimal("1000"), Decimal("1000"))  # 50 % of Q1's 2,000
    services.evaluate(date(YEAR, 6, 26))
    warning = only(cast.p_lianshan, Kind.BEHIND_QUARTER)
    assert warning.colour == Colour.RED and warning.figures["target"] == "2000.00"


def test_a_county_sees_only_its_quarter_warnings_and_the_dashboard_counts_them(cast, rules):
    for project in (cast.p_lianshan, cast.p_suizhong):
        roadmap(project, q1="2000")
    period(cast, 3)
    day = date(YEAR, 3, 26)
    services.evaluate(day)
    mine = Warning.objects.visible_to(cast.lianshan_clerk).filter(kind=Kind.BEHIND_QUARTER)
    assert list(mine.values_list("project", flat=True)) == [cast.p_lianshan.pk]
    counted = figures.warnings(SYSTEM, day, cast.city)
    line = next(k for k in counted["by_kind"] if k["key"] == Kind.BEHIND_QUARTER)
    assert (line["red"], line["yellow"]) == (2, 0)
    assert counted["red"] == Warning.objects.filter(closed_on__isnull=True, colour=Colour.RED).count()


def test_the_rules_page_prints_the_definition(cast, rules, login):
    page = login(cast.admin).get("/alerts/rules/").content.decode()
    assert "落后季度目标" in page and str(THRESHOLDS[Kind.BEHIND_QUARTER][0]) in page

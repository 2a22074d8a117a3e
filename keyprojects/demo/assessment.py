"""A city's assessment scheme for the demo and the benchmarks (``install``): its counties, its
development zones and its departments responsible for projects, each a group with indicator
lines of every formula kind, and published monthly (or quarterly) snapshots.

The weights follow the shape of published rules (e.g. 定西 "按月评比、按季考核"): investment
completion scored against the best in the group, starts against the group's average, the gap
to time progress point by point within a cap, deductions for overdue problems, late reports
and red warnings with a floor."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from keyprojects.accounts.models import Unit
from keyprojects.assessment import services
from keyprojects.assessment.models import Benchmark, Formula, MemberKind, PeriodKind, Scheme, Value
from keyprojects.assessment.periods import parse
from keyprojects.core import clock
from keyprojects.core.permissions import SYSTEM, Actor
from keyprojects.projects.models import AnnualPlan
from keyprojects.regions.models import Region

D = Decimal

REGION_LINES: list[dict[str, Any]] = [
    {"name": "投资完成率", "value": Value.COMPLETION_RATE, "formula": Formula.RATIO_BEST, "weight": D(40)},
    {"name": "开复工率", "value": Value.START_OR_RESUME_RATE, "formula": Formula.PER_POINT, "weight": D(30),
     "benchmark": Benchmark.GROUP_AVERAGE, "points_per_unit": D("0.5"), "cap": D(40), "floor": D(10)},
    {"name": "超/慢时间进度", "value": Value.PROGRESS_GAP, "formula": Formula.PER_POINT, "weight": D(20),
     "benchmark": Benchmark.FIXED, "benchmark_value": D(0), "points_per_unit": D("0.5"), "cap": D(25), "floor": D(0)},
    {"name": "逾期未办结问题", "value": Value.OVERDUE_PROBLEMS, "formula": Formula.PER_EVENT,
     "points_per_unit": D(-1), "floor": D(-10)},
    {"name": "月报逾期或未报", "value": Value.LATE_REPORTS, "formula": Formula.PER_EVENT,
     "points_per_unit": D("-0.5"), "floor": D(-5)},
    {"name": "红色预警", "value": Value.RED_WARNINGS, "formula": Formula.PER_EVENT,
     "points_per_unit": D("-0.5"), "floor": D(-10)},
]
UNIT_LINES: list[dict[str, Any]] = [
    {"name": "投资完成率", "value": Value.COMPLETION_RATE, "formula": Formula.RATIO_BEST, "weight": D(50)},
    {"name": "开复工率", "value": Value.START_OR_RESUME_RATE, "formula": Formula.RATIO_TARGET, "weight": D(40),
     "target": D(100), "cap": D(40)},
    {"name": "逾期未办结问题", "value": Value.OVERDUE_PROBLEMS, "formula": Formula.PER_EVENT,
     "points_per_unit": D(-2), "floor": D(-20)},
    {"name": "红色预警", "value": Value.RED_WARNINGS, "formula": Formula.PER_EVENT,
     "points_per_unit": D(-1), "floor": D(-10)},
]


def install(city: Region, year: int, periods: Iterable[str] = (), publish: bool = True,
            kind: str = PeriodKind.MONTHLY, lag: int = 8, actor: Actor = SYSTEM) -> Scheme:
    """The city's scheme of ``year`` (made once; found again by its name), with a group for each
    kind of member the city has, and a snapshot of each of ``periods`` ("2022-01", "2022-Q1"),
    published if asked. ``lag``: the days after a period's end whose figures it is scored on
    (the demo cities approve a month's reports by the 8th of the next)."""
    name = "重点项目建设月度排名" if kind == PeriodKind.MONTHLY else "重点项目建设季度考核"
    scheme = Scheme.objects.filter(region=city, year=year, name=name).first()
    if scheme is None:
        scheme = services.save_scheme(actor, city, None, {"name": name, "year": year, "period_kind": kind,
                                                          "data_lag_days": lag, "list_size": 3, "tie_break": Value.COMPLETION_RATE})
        for order, (member_kind, label, lines) in enumerate(_groups(city, year), start=1):
            group = services.save_group(actor, scheme.pk, None, {"name": label, "member_kind": member_kind,
                                                                 "order": order})
            for n, line in enumerate(lines, start=1):
                services.save_line(actor, group.pk, None, {"order": n, **line})
    for period in periods:
        # taken and published on the day its figures stand (the period's end and the lag)
        with clock.at(clock.moment(scheme.as_of(parse(period)), 16)):
            snapshot = services.take_snapshot(actor, scheme.pk, period)
            if publish:
                services.publish(actor, snapshot.pk)
    return scheme


def _groups(city: Region, year: int) -> list[tuple[str, str, list[dict[str, Any]]]]:
    groups: list[tuple[str, str, list[dict[str, Any]]]] = []
    if Region.objects.filter(parent=city, level=Region.Level.COUNTY).exists():
        groups.append((MemberKind.COUNTY, "县区", REGION_LINES))
    if Region.objects.filter(path__startswith=city.path, level=Region.Level.ZONE).exists():
        groups.append((MemberKind.ZONE, "开发区", REGION_LINES))
    responsible = AnnualPlan.objects.filter(year=year, project__responsible_unit__region=city,
                                            project__responsible_unit__kind=Unit.Kind.DEPARTMENT)
    if responsible.exists():
        groups.append((MemberKind.UNIT, "市直部门", UNIT_LINES))
    return groups

"""Where each value of a ranking comes from: the list behind a member's figure on the snapshot's
date (the project list for the plan's figures, the problem ledger for overdue problems, the
warnings list for red warnings, the task list for a department's tasks), filtered to the member
as ``ranking.collect`` counted it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.http import urlencode

from keyprojects.regions.models import Region

from .models import MemberKind, Value
from .ranking import Ranking
from .scoring import GroupRanking, Row

Cell = tuple[Decimal, Decimal | None, str | None]  # a line's points, value and the list behind the value

TASKS: dict[str, dict[str, str]] = {Value.TASK_ON_TIME_RATE: {}, Value.OVERDUE_TASKS: {"state": "overdue"}}
# The project list's filters that select the rows a figure is computed from (its numerator where
# it is a rate: the started projects of 开复工率, the new ones started of 新项目开工率).
PROJECT_FILTERS: dict[str, dict[str, str]] = {
    Value.COMPLETION_RATE: {}, Value.PROGRESS_GAP: {}, Value.COMPLETED_INVESTMENT: {},
    Value.START_OR_RESUME_RATE: {"started": "yes"},
    Value.NEW_START_RATE: {"nature": "new", "started": "yes"},
}


def value_links(ranking: Ranking) -> list[tuple[GroupRanking, list[tuple[Row, list[Cell]]]]]:
    """Each group's rows, each with its cells as (points, value, link or None)."""
    city = ranking.scheme.region
    as_of, year = ranking.snapshot.as_of, ranking.scheme.year
    regions = {r.code: r.pk for r in Region.objects.filter(path__startswith=city.path)}
    out = []
    for group in ranking.groups:
        rows = []
        for row in group.rows:
            if group.member_kind == MemberKind.UNIT:
                unit = row.key.removeprefix("unit:")
                where = {"project": {"region": city.pk, "unit": unit}, "problem": {"region": city.pk, "lead_unit": unit},
                         "warning": {"region": city.pk, "unit": unit}, "task": {"region": city.pk, "unit": unit}}
            else:
                pk = regions.get(row.key)
                where = {kind: {"region": pk} for kind in ("project", "problem", "warning")} if pk else {}
            cells = [(points, value, _link(line["value"], where, year, as_of) if where else None)
                     for line, (points, value) in zip(group.lines, row.cells, strict=True)]
            rows.append((row, cells))
        out.append((group, rows))
    return out


def _link(value: str, where: dict[str, dict[str, Any]], year: int, as_of: Any) -> str | None:
    day = as_of.isoformat()
    if value in PROJECT_FILTERS:
        query = {"year": year, "as_of": day, **where["project"], **PROJECT_FILTERS[value]}
        return f"{reverse('projects:list')}?{urlencode(query)}"
    if value == Value.OVERDUE_PROBLEMS:
        query = {**where["problem"], "overdue_on": day, "raised_to": day}
        return f"{reverse('dispatch:problems')}?{urlencode(query)}"
    if value == Value.RED_WARNINGS:
        query = {**where["warning"], "colour": "red", "open_on": day}
        return f"{reverse('alerts:list')}?{urlencode(query)}"
    if value in TASKS and "task" in where:  # (a county's tasks are those its units lead: no list of them yet)
        query = {"year": year, "as_of": day, **where["task"], **TASKS[value]}
        return f"{reverse('tasklists:list')}?{urlencode(query)}"
    return None  # late reports: no list of them yet

"""The backward schedule (倒排): from a target start date, each required item's latest start and
completion in working days, through its dependencies. Pure: it is given the items and returns
dates; the service writes them.

An item no other required item waits for must be obtained by the last working day before the
start. An item others wait for must be obtained before the first of them has to begin, that is
``duration`` working days before that one's own date. A dependency on an item the project does
not need passes through to what that item waits for, so skipping 项目建议书 for a filed project
does not cut the chain. The critical path (关键路径) is the chain that begins earliest: every item
on it has to start on its planned day, or the start date moves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from keyprojects.core.workdays import add_working_days, subtract_working_days, working_day_before


@dataclass(frozen=True)
class Node:
    duration: int  # working days
    depends: frozenset[int]  # catalogue ids it waits for, required or not


@dataclass(frozen=True)
class Slot:
    starts: date  # the first of the item's working days, at the latest
    due: date  # latest day to have it (计划办结日期)
    critical: bool


def effective_depends(catalogue: Mapping[int, Node], required: set[int]) -> dict[int, set[int]]:
    """For each required item, the required items it waits for, passing through those not required."""
    def reach(item: int, seen: frozenset[int]) -> set[int]:
        found: set[int] = set()
        for dep in catalogue[item].depends:
            if dep in seen:
                raise ValidationError(_("前期手续目录存在循环的前置事项，请先修改目录"))
            if dep not in catalogue:
                continue
            found |= {dep} if dep in required else reach(dep, seen | {dep})
        return found

    return {item: reach(item, frozenset({item})) for item in required}


def schedule(catalogue: Mapping[int, Node], required: set[int], start: date) -> dict[int, Slot]:
    depends = effective_depends(catalogue, required)
    dependents: dict[int, set[int]] = {item: set() for item in required}
    for item, deps in depends.items():
        for dep in deps:
            dependents[dep].add(item)
    due: dict[int, date] = {}
    begins: dict[int, date] = {}
    placing: set[int] = set()

    def place(item: int) -> None:
        if item in due:
            return
        if item in placing:
            raise ValidationError(_("前期手续目录存在循环的前置事项，请先修改目录"))
        placing.add(item)
        for later in dependents[item]:
            place(later)
        due[item] = min((begins[later] for later in dependents[item]), default=working_day_before(start))
        begins[item] = subtract_working_days(due[item], catalogue[item].duration)

    for item in required:
        place(item)
    critical = _critical_path(begins, due, dependents)
    return {item: Slot(add_working_days(begins[item], 1), due[item], item in critical) for item in required}


def _critical_path(begins: dict[int, date], due: dict[int, date], dependents: dict[int, set[int]]) -> set[int]:
    if not begins:
        return set()
    item: int | None = min(begins, key=lambda i: (begins[i], i))
    path: set[int] = set()
    while item is not None:
        path.add(item)
        binding = sorted(later for later in dependents[item] if begins[later] == due[item])
        item = binding[0] if binding else None
    return path

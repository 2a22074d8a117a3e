"""Approvals (前期手续) for a demo city: the default catalogue, each new project's items scheduled
back from its start, and their obtained dates — before the start for a project that started,
the earliest of its items first for one still waiting. Where an article gives the completion
rate on a day (Dingxi: 99 % on 2022-04-20, 57 % a year before) the items still missing then are
chosen so that the rate is exactly that; elsewhere what was planned long enough ago is mostly
obtained and the rest is late, as in any city's ledger.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from keyprojects.accounts.models import Unit
from keyprojects.approvals import services
from keyprojects.approvals.models import (
    ApprovalItem,
    ApprovalSchedule,
    ProjectApproval,
    default_path,
)
from keyprojects.core import clock
from keyprojects.core.bulk import save_in_bulk
from keyprojects.core.permissions import SYSTEM
from keyprojects.indicators.engine import percent
from keyprojects.projects.models import AnnualPlan, Nature, Project
from keyprojects.regions.models import Region


@dataclass
class Population:
    """The new projects of a plan year with their start dates (None: not this year), and the
    completion rate the article gives on ``as_of`` (None: none given)."""

    as_of: date
    starts: dict[int, date | None]  # project id → start
    rate: Decimal | None = None


def write(city: Region, projects: Sequence[Project], starts: dict[int, date], populations: Sequence[Population],
          rng: random.Random, helpers: Sequence[Unit] = ()) -> int:
    """Schedule ``projects`` back from ``starts`` and date their items so that each population's
    rate on its day is as given; returns the number of items written."""
    # scheduled on the (last) day the rates are counted, each item confirmed the day it was obtained
    with clock.at(clock.moment(max(p.as_of for p in populations), 9)):
        return _write(city, projects, starts, populations, rng, helpers)


def _write(city: Region, projects: Sequence[Project], starts: dict[int, date], populations: Sequence[Population],
           rng: random.Random, helpers: Sequence[Unit]) -> int:
    if not ApprovalItem.objects.filter(region=city).exists():
        services.install_catalogue(SYSTEM, city)
    catalogue = list(ApprovalItem.objects.filter(region=city).prefetch_related("depends_on"))
    now = timezone.now()
    schedules, items = [], []
    by_project: dict[int, list[ProjectApproval]] = {}
    for project in projects:
        path = default_path(project)
        schedules.append(ApprovalSchedule(project=project, path=path, target_start=starts[project.pk],
                                          helper=rng.choice(helpers) if helpers and rng.random() < 0.3 else None,
                                          scheduled_at=now))
        mine = []
        for row in services.plan_from(project, starts[project.pk], path, catalogue, {}):
            mine.append(ProjectApproval(project=project, item=row.item, issuer=row.item.issuer, required=True,
                                        planned_from=row.starts, planned_on=row.due, critical=row.critical))
        by_project[project.pk] = mine
        items.extend(mine)
    for population in sorted(populations, key=lambda p: p.as_of):
        _date(population, by_project, rng)
    for approval in items:
        if approval.obtained_on is not None:
            approval.valid_until = approval.lapses_on()
            approval.number = _number(city, approval, rng)
            approval.confirmed_at = (clock.moment(approval.obtained_on, 15) if approval.issuer_id
                                     and rng.random() < 0.8 else None)
    save_in_bulk(ApprovalSchedule, schedules)
    save_in_bulk(ProjectApproval, items)
    return len(items)


def for_plan(city: Region, year: int, as_of: date, rng: random.Random, helpers: Sequence[Unit] = ()) -> int:
    """The new projects of ``city``'s plan of ``year``, scheduled back from their start (or their
    planned start month, the 15th, for those not started), dated as of ``as_of`` with no rate to
    meet: those not started keep some items late."""
    plans = (AnnualPlan.objects.filter(year=year, nature=Nature.NEW, project__region__path__startswith=city.path)
             .select_related("project__region").order_by("project_id"))
    projects, targets, started = [], {}, {}
    for plan in plans:
        projects.append(plan.project)
        month = plan.planned_start_month or 9
        targets[plan.project_id] = plan.started_on or date(year, month, 15)
        started[plan.project_id] = plan.started_on
    return write(city, projects, targets, [Population(as_of, started)], rng, helpers)


def _date(population: Population, by_project: dict[int, list[ProjectApproval]], rng: random.Random) -> None:
    """Give the population's items not dated yet their obtained dates around ``as_of``."""
    day = population.as_of
    counted = [a for pk in population.starts for a in by_project[pk]]
    waiting: list[tuple[ProjectApproval, date | None]] = []
    for pk, start in population.starts.items():
        for approval in by_project[pk]:
            if approval.obtained_on is not None:
                continue
            if start is not None and start <= day:  # started: everything obtained before the start
                approval.obtained_on = _before(approval.planned_on, start - timedelta(days=1), rng)
            else:
                waiting.append((approval, start))
    missing_now = sum(1 for a in counted if a.obtained_on is not None and a.obtained_on > day)
    if population.rate is not None:
        to_miss = _missing_for(len(counted), population.rate) - missing_now
        if not 0 <= to_miss <= len(waiting):
            raise ValueError(f"cannot reach {population.rate} % of {len(counted)} items on {day}")
    else:  # what was due more than a fortnight ago is mostly in hand
        to_miss = sum(1 for a, _s in waiting if a.planned_on is None or a.planned_on > day - timedelta(days=14)
                      or rng.random() < 0.15)
    # The latest planned wait longest.
    waiting.sort(key=lambda pair: (pair[0].planned_on or date.max, pair[0].pk or 0), reverse=True)
    for n, (approval, start) in enumerate(waiting):
        if n < to_miss:
            if start is not None and start > day:  # obtained later, by the start at the latest
                approval.obtained_on = day + timedelta(days=rng.randint(1, (start - day).days))
        else:
            approval.obtained_on = _before(approval.planned_on, day, rng)


def _missing_for(required: int, rate: Decimal) -> int:
    """How many of ``required`` items must still be missing for the rate to read ``rate`` %."""
    for missing in range(required + 1):
        if percent(required - missing, required) == rate:
            return missing
    raise ValueError(f"no count of {required} items gives {rate} %")


def _before(planned: date | None, latest: date, rng: random.Random) -> date:
    """A day on or before ``latest``, near the planned one (most items arrive a little early)."""
    near = (planned or latest) + timedelta(days=rng.randint(-20, 6))
    return min(near, latest)


ISSUER_PREFIX = {"proposal": "发改审批", "filing": "发改备", "feasibility": "发改审批", "ratification": "发改核准",
                 "design": "发改设计", "energy": "发改能审", "land_pre": "自然资预", "land_planning": "地字第",
                 "works_planning": "建字第", "eia": "环审", "soil": "水保", "stability": "稳评", "drawings": "施审",
                 "permit": "施许"}


def _number(city: Region, approval: ProjectApproval, rng: random.Random) -> str:
    short = city.name[:2]
    prefix = ISSUER_PREFIX.get(approval.item.code, "审批")
    year = approval.obtained_on.year if approval.obtained_on else ""
    return f"{short}{prefix}〔{year}〕{rng.randint(1, 380)}号"

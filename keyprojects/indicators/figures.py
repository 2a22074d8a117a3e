"""The one door to figures: pages, the API, exports, commands and jobs get every number here.

Each public function takes the actor first: the user whose scope the figures are counted in,
or ``core.permissions.SYSTEM`` for commands and jobs. It
1. refuses a region the actor may not view (404, as any object outside their scope);
2. counts only the plan rows the actor may view (``core.permissions.restrict``), with no second
   filter when the region alone lies inside their scope;
3. remembers the result until a write that could change it: whole results until a write in the
   region (``cached_within``), and beneath them the grouped sums a part of the region at a time
   (``cached_in_parts``), so that after a write in one county only its part is summed again.
``engine.py`` below computes and knows nothing of users or caches.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from django.db.models import Exists, Max, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from keyprojects.accounts.models import Leader
from keyprojects.alerts.models import Warning
from keyprojects.approvals.models import ProjectApproval
from keyprojects.core.cache import cached, cached_in_parts, cached_within
from keyprojects.core.paging import all_keys
from keyprojects.core.params import valid_filter
from keyprojects.core.permissions import (
    Actor,
    region_holding,
    require_view_region,
    restrict,
    sees_all_of,
)
from keyprojects.core.versions import VersionScope
from keyprojects.dispatch import cadence
from keyprojects.dispatch.models import CadenceRule, Meeting, Problem
from keyprojects.projects.filters import ProjectFilter
from keyprojects.projects.models import AnnualPlan, Project
from keyprojects.regions.models import Region, path_codes
from keyprojects.reporting.models import ProgressReport, ReportingPeriod
from keyprojects.tasklists.models import Area

from . import engine
from .engine import BREAKDOWNS, OVERVIEW

# --- the figures of a plan year -----------------------------------------------------------


def data_date(actor: Actor, year: int, region: Region | None = None) -> tuple[date, str]:
    """The date a page counts to when the user names none, and why: today within the current
    year; for a past year the day of the latest review that approved a report of it the actor may
    view — a figure counts a report from its approval, so the end of its month would leave the
    month out (and the year's end would put time progress at 100 % against reports that stop in
    May); the year's last day when none is approved."""
    today = timezone.localdate()
    if year >= today.year:
        return today, "今天"
    reports = _in_scope(actor, region, ProgressReport, "project__region__path")
    reviewed = cached_within(region, _last_review, year, reports)
    if reviewed is None:
        return date(year, 12, 31), "年末（本年无已审核月报）"
    return timezone.localdate(reviewed), "最近一次审核通过月报之日"


def _last_review(year: int, reports: QuerySet) -> datetime | None:
    reviewed: datetime | None = reports.filter(period__year=year, status=ProgressReport.Status.APPROVED) \
        .aggregate(reviewed=Max("reviewed_at"))["reviewed"]
    return reviewed


def data_month(actor: Actor, region: Region | None = None) -> tuple[int, int] | None:
    """The latest reporting month (year, month) with a report approved in ``region`` that the
    actor may view: the month a page about the month's progress opens at. None when none is."""
    reports = _in_scope(actor, region, ProgressReport, "project__region__path")
    return cached_within(region, _data_month, reports)


def _data_month(reports: QuerySet) -> tuple[int, int] | None:
    # Periods newest first, each asked whether an approved report is in it: a few lookups of the
    # reports' period index, not a sort of every approved report.
    approved = reports.filter(period=OuterRef("pk"), status=ProgressReport.Status.APPROVED)
    found: tuple[int, int] | None = ReportingPeriod.objects.filter(Exists(approved)) \
        .order_by("-year", "-month").values_list("year", "month").first()
    return found


def year_figures(actor: Actor, year: int, as_of: date, region: Region | None = None) -> dict[str, Any]:
    """Everything about a plan year as of a date (``engine.plan_stats`` with 时间进度 and the gap)."""
    plans = _plans(actor, region)
    return cached_within(region, _year_figures, year, as_of, region, plans)


def year_figures_with_change(actor: Actor, year: int, as_of: date, region: Region | None = None) -> dict[str, Any]:
    """``year_figures`` and ``year_on_year``: each rate's change in percentage points against
    the same day a year before (同比; None where either year has no rate), by the rate's key."""
    plans = _plans(actor, region)
    now = cached_within(region, _year_figures, year, as_of, region, plans)
    return {**now, "year_on_year": _rate_changes(now, year, as_of, region, plans)}


def breakdown(actor: Actor, year: int, as_of: date, by: str, region: Region | None = None) -> list[dict[str, Any]]:
    """The year's figures by ``by`` (one of ``engine.BREAKDOWNS``), a row per group."""
    plans = _plans(actor, region)
    return cached_within(region, _breakdown, year, as_of, by, region, plans)


def year_figures_of(actor: Actor, year: int, as_of: date, regions: list[Region], within: Region) -> dict[str, Any]:
    """``year_figures`` of each of ``regions`` (all within ``within``), by code: those right under
    ``within`` read from its breakdown by region (a region without plan rows there has the
    figures of none, without a query of its own), the others one by one."""
    children = {row["key"]: row for row in breakdown(actor, year, as_of, "region", within)}
    found = {}
    for region in regions:
        if region.parent_id == within.pk:
            found[region.code] = children.get(region.code) or engine.year_stats_from([], year, as_of)
        else:
            found[region.code] = year_figures(actor, year, as_of, region)
    return found


def overview(actor: Actor, year: int, as_of: date, region: Region | None = None,
             by: tuple[str, ...] = ("sector", "batch")) -> dict[str, Any]:
    """The year's figures, their monthly series and the additive breakdowns ``by``, from one
    grouped query (``engine.overview_from``)."""
    plans = _plans(actor, region)
    return cached_within(region, _overview, year, as_of, region, plans, tuple(by))


def indicators(actor: Actor, year: int, as_of: date, region: Region | None = None,
               by: tuple[str, ...] = BREAKDOWNS) -> dict[str, Any]:
    """The year's figures, their rates' changes on a year before (``year_figures_with_change``)
    and the breakdowns ``by`` (by region only under a region): what the API's indicator
    endpoint returns. The additive ones come with the totals from one query."""
    plans = _plans(actor, region)
    wanted = [b for b in BREAKDOWNS if b in by and (b != "region" or region is not None)]
    now = cached_within(region, _overview, year, as_of, region, plans, tuple(b for b in OVERVIEW if b in wanted))
    return {"stats": now["stats"], "year_on_year": _rate_changes(now["stats"], year, as_of, region, plans),
            "breakdowns": {
                b: now[b] if b in OVERVIEW else cached_within(region, _breakdown, year, as_of, b, region, plans)
                for b in wanted}}


def dashboard(actor: Actor, year: int, as_of: date, region: Region | None) -> dict[str, Any]:
    """What the leaders' dashboard shows: the year's figures and their monthly series, the same
    day's a year before and the change (同比), and the year by county (ranked), sector, batch
    and leader."""
    plans = _plans(actor, region)
    by_region = region is not None and region.level != Region.Level.ZONE
    now = cached_within(region, _overview, year, as_of, region, plans, OVERVIEW if by_region else ("sector", "batch"))
    last_year = _last_year(year, as_of, region, plans)
    return {**now, "region": engine.rank(now["region"]) if by_region else [],
            "leader": cached_within(region, _breakdown, year, as_of, "leader", region, plans),
            "last_year": last_year, "year_on_year": engine.year_on_year(now["stats"], last_year)}


def region_table(actor: Actor, year: int, as_of: date, region: Region) -> list[dict[str, Any]]:
    """The year's figures by the regions right under ``region``, ranked by completion rate
    (分县区指标表)."""
    return engine.rank(breakdown(actor, year, as_of, "region", region))


def _plans(actor: Actor, region: Region | None) -> QuerySet | None:
    """The plan rows the actor's figures count, for ``engine.plans_in`` to narrow to a region:
    None (all) when the region lies inside what the actor may view."""
    if region is not None:
        require_view_region(actor, region)
    return None if sees_all_of(actor, region) else AnnualPlan.objects.visible_to(actor)


def _last_year(year: int, as_of: date, region: Region | None, plans: QuerySet | None) -> dict[str, Any]:
    """The figures of the year before on the same day (同比's base)."""
    return cached_within(region, _year_figures, year - 1, engine.same_day_last_year(as_of), region, plans)


def _rate_changes(stats: dict[str, Any], year: int, as_of: date, region: Region | None,
                  plans: QuerySet | None) -> dict[str, Any]:
    """Each rate of the plan (``engine.RATES``) in ``stats`` (the year's figures) less the same
    rate a year before, by key. (时间进度 is the calendar's, the same on the same day; the gap
    to it changes as the completion rate does.)"""
    changes = engine.year_on_year(stats, _last_year(year, as_of, region, plans))["rates"]
    return {key: changes[key] for key in engine.RATES}


def _year_figures(year: int, as_of: date, region: Region | None, plans: QuerySet | None) -> dict[str, Any]:
    return engine.year_stats_from(_region_rows(year, as_of, region, plans, ()), year, as_of)


def _breakdown(year: int, as_of: date, by: str, region: Region | None, plans: QuerySet | None) -> list[dict[str, Any]]:
    return engine.breakdown_from(_region_rows(year, as_of, region, plans, (by,)), by, year, as_of, region)


def _overview(year: int, as_of: date, region: Region | None, plans: QuerySet | None,
              by: tuple[str, ...]) -> dict[str, Any]:
    return engine.overview_from(_region_rows(year, as_of, region, plans, by, series=True), year, as_of, region, by)


# --- dispatch (调度 · 问题) ------------------------------------------------------------------
def dispatch(actor: Actor, year: int, as_of: date, region: Region | None = None) -> dict[str, Any]:
    """The dispatch figures of ``region`` (None: all the actor may view) in ``year`` as of a date
    (``engine.dispatch_from``): meetings by kind; problems raised, signed off, open, overdue,
    按期办结率 and the median days to sign-off; the problem counts by category, lead unit and
    leader. Only the meetings and problems the actor may view count. Remembered until a write
    in the region (a problem's writes and its timeline's move its region's versions)."""
    problems, meetings = _dispatch_rows(actor, region)
    return cached_within(region, _dispatch, year, as_of, region, problems, meetings)


def _dispatch(year: int, as_of: date, region: Region | None, problems: QuerySet, meetings: QuerySet) -> dict[str, Any]:
    if region is None:
        rows = _dispatch_part_rows(year, as_of, None, problems, meetings)
    else:  # a county at a time, as the plan figures: after a write in one, only its rows are read again
        rows = cached_in_parts(_dispatch_part_rows, _region_parts(region, year), _part_of_row, year, as_of, region,
                               problems, meetings)
    of = {name: [row for row in rows if row["of"] == name] for name in ("problems", "meetings", "days")}
    return engine.dispatch_from(of["problems"], of["meetings"], of["days"], year, as_of)


def _dispatch_rows(actor: Actor, region: Region | None) -> tuple[QuerySet, QuerySet]:
    """The problems and meetings the actor's dispatch figures count."""
    return _in_scope(actor, region, Problem), _in_scope(actor, region, Meeting)


def _in_scope(actor: Actor, region: Region | None, model: Any, path: str = "region__path") -> QuerySet:
    """The rows of ``model`` a figure of ``region`` counts: those of ``region`` and the regions
    under it (``path``: a row's region path), within what the actor may view (no second filter
    when that is all of it). A region outside the actor's view is a 404."""
    if region is not None:
        require_view_region(actor, region)
    rows = model.objects.all()
    if not sees_all_of(actor, region):  # a model's own visible_to where it has one (it may know a faster way)
        rows = rows.visible_to(actor) if hasattr(rows, "visible_to") else restrict(rows, actor)
    return rows.filter(**{f"{path}__startswith": region.path}) if region is not None else rows


def _dispatch_part_rows(year: int, as_of: date, region: Region | None, problems: QuerySet, meetings: QuerySet,
                        restrict: frozenset[Region] | None = None) -> list[dict[str, Any]]:
    """The rows the dispatch figures add up (``of``: problems, meetings, days), grouped by the
    part of ``region`` (``_region_parts``) each lies in; of the parts ``restrict`` names only."""
    part = None
    if region is not None:
        part = engine.child_region_group(region, "region__path")[1]
    if restrict is not None:
        where = functools.reduce(operator.or_, [Q(region=r) if r == region else Q(region__path__startswith=r.path)
                                                for r in restrict])
        problems, meetings = problems.filter(where), meetings.filter(where)
    return ([{"of": "problems", **row} for row in engine.problem_rows(problems, year, as_of, part)]
            + [{"of": "meetings", **row} for row in engine.meeting_rows(meetings, year, as_of, part)]
            + [{"of": "days", **row} for row in engine.sign_off_days(problems, year, as_of, part)])


# --- 任务清单 (task lists) -------------------------------------------------------------------
def tasks(actor: Actor, year: int, as_of: date, region: Region | None = None) -> dict[str, Any]:
    """The task figures of the task lists of ``region`` (None: all the actor may view) in ``year``
    as of a date (``engine.tasks_from``): tasks, done, done on time, overdue and 任务按期完成率, by
    lead unit and by area. Only the tasks the actor may view count (a county's clerk: those its
    units lead or help with). Remembered until a write in the region."""
    rows = task_rows_of(actor, year, region)
    if region is not None and Area.objects.filter(region__code__in=path_codes(region.path)[:-1]).exists():
        # a county under a city's list: a write to that list is a write in the city, not the county
        return cached(_tasks, as_of, rows)
    return cached_within(region, _tasks, as_of, rows)


def task_rows_of(actor: Actor, year: int, region: Region | None = None) -> QuerySet:
    """The tasks the task figures of ``region`` count: those of its lists and those its units
    lead or help with (a county's part of the city's list), within what the actor may view; the
    task list's drill-down starts from the same rows."""
    from keyprojects.tasklists.models import Task

    if region is None:
        rows = Task.objects.all() if sees_all_of(actor, None) else Task.objects.visible_to(actor)
        return rows.filter(year=year)
    require_view_region(actor, region)
    rows = Task.objects.all() if sees_all_of(actor, region) else Task.objects.visible_to(actor)
    helped = Task.objects.filter(co_units__region__path__startswith=region.path).values("pk")
    return rows.filter(Q(region__path__startswith=region.path) | Q(lead_unit__region__path__startswith=region.path)
                       | Q(pk__in=helped), year=year)


def _tasks(as_of: date, rows: QuerySet) -> dict[str, Any]:
    counted = engine.task_rows(rows, as_of)
    return engine.tasks_from(counted, len({row["key_area"] for row in counted}))  # (the areas holding them)


def task_list_totals(tasks: QuerySet, as_of: date) -> dict[str, Any]:
    """The task list's totals line: its tasks, and of them done, done on time and overdue as of
    the date (the same counts as ``tasks``, over the list's rows: drill-downs add up)."""
    found = engine.tasks_from(engine.task_rows(tasks, as_of), 0)
    return {**found, "count": found["tasks"]}  # (the list's rows: what a figure's link adds up to)


def task_completion_by_unit(actor: Actor, year: int, as_of: date, region: Region | None = None) -> list[dict[str, Any]]:
    """Each lead unit's tasks as of a date with its 任务按期完成率 (``on_time_rate``, None when
    none of its tasks is done or due): what an assessment scores a unit's task list by."""
    return tasks(actor, year, as_of, region)["by"]["unit"]


# --- 前期手续 (approvals) ---------------------------------------------------------------------
def approvals(actor: Actor, year: int, as_of: date, region: Region | None = None) -> dict[str, Any]:
    """前期手续审批完成率 of ``region`` (None: all the actor may view) in ``year`` as of a date, with
    the counts behind it (``engine.approvals_from``), the same figures a year before on the same
    day (``previous``) and the change in points (``change``), and the figures of each region right
    under ``region`` (``by_region``). Only the items the actor may view count."""
    items = _in_scope(actor, region, ProjectApproval, "project__region__path")
    return cached_within(region, _approvals, year, as_of, region, items)


def _approvals(year: int, as_of: date, region: Region | None, items: QuerySet) -> dict[str, Any]:
    children, part = engine.child_region_group(region) if region is not None else ([], None)
    rows = _approval_counts(year, as_of, region, items, part)
    now = engine.approvals_from(rows)
    before = engine.approvals_from(_approval_counts(year - 1, engine.same_day_last_year(as_of), region, items, part))
    by_region = []
    for child in children:
        mine = [row for row in rows if engine.region_code(row["key_region"]) == child.code]
        if mine:
            by_region.append({"region": child, **engine.approvals_from(mine)})
    change = None
    if now["completion_rate"] is not None and before["completion_rate"] is not None:
        change = now["completion_rate"] - before["completion_rate"]
    return {**now, "year": year, "as_of": as_of, "previous": before, "change": change,
            "by_region": sorted(by_region, key=lambda r: (r["completion_rate"] is None, -(r["completion_rate"] or 0)))}


# --- warnings (预警) ------------------------------------------------------------------------------
def warnings(actor: Actor, as_of: date, region: Region | None = None, leader: Leader | None = None) -> dict[str, Any]:
    """The warnings open on ``as_of`` in ``region`` (None: all the actor may view) by colour, rule
    kind and the regions right under it (``engine.warnings_from``); with ``leader``, of the
    projects the leader packages only (我的预警). Only the warnings the actor may view count.
    Remembered until a write in the region, a part of it at a time."""
    rows = _in_scope(actor, region, Warning)
    if leader is not None:
        rows = rows.filter(project__in=Project.objects.filter(leaders=leader).values("pk"))
    return cached_within(region, _warnings, as_of, region, rows)


def _warnings(as_of: date, region: Region | None, rows: QuerySet) -> dict[str, Any]:
    if region is None:
        counted = engine.warning_rows(rows, as_of)
    else:
        counted = cached_in_parts(_warning_part_rows, _region_parts(region, as_of.year), _part_of_row, as_of, region,
                                  rows)
    return engine.warnings_from(counted, region)


def _warning_part_rows(as_of: date, region: Region, rows: QuerySet,
                       restrict: frozenset[Region] | None = None) -> list[dict[str, Any]]:
    """``engine.warning_rows`` by the part of ``region`` each warning lies in; of the parts
    ``restrict`` names only."""
    if restrict is not None:
        rows = rows.filter(functools.reduce(operator.or_, [
            Q(region=r) if r == region else Q(region__path__startswith=r.path) for r in restrict]))
    return engine.warning_rows(rows, as_of, engine.child_region_group(region, "region__path")[1])


def assessment_events(actor: Actor, year: int, as_of: date, months: tuple[int, ...],
                      region: Region) -> list[dict[str, Any]]:
    """The events an assessment of ``region`` scores (``engine.assessment_event_rows``: overdue
    problems, late or unfiled reports of the plan ``year``'s ``months``, red warnings on the
    date), counted by region path and unit over the rows the actor may view; a member's count is
    the sum of the rows under its path or of its unit (the rows are COUNTs: they add up)."""
    problems = _in_scope(actor, region, Problem)
    reports = ProgressReport.objects.filter(period__year=year, project__region__path__startswith=region.path)
    if not sees_all_of(actor, region):
        reports = restrict(reports, actor)
    warnings = _in_scope(actor, region, Warning)
    return cached_within(region, _assessment_events, year, as_of, tuple(months), region, problems, reports, warnings)


def _assessment_events(year: int, as_of: date, months: tuple[int, ...], region: Region, problems: QuerySet,
                       reports: QuerySet, warnings: QuerySet) -> list[dict[str, Any]]:
    """The event rows a part of ``region`` at a time (``_region_parts``): after a write in one
    county only its rows are counted again."""
    return cached_in_parts(_event_part_rows, _region_parts(region, year), functools.partial(_event_part, region),
                           as_of, months, region, problems, reports, warnings)


def _event_part_rows(as_of: date, months: tuple[int, ...], region: Region, problems: QuerySet, reports: QuerySet,
                     warnings: QuerySet, restrict: frozenset[Region] | None = None) -> list[dict[str, Any]]:
    if restrict is not None:
        def within(path: str) -> Q:
            return functools.reduce(operator.or_, [
                Q(**{path: r}) if r == region else Q(**{f"{path}__path__startswith": r.path}) for r in restrict])
        problems, reports = problems.filter(within("region")), reports.filter(within("project__region"))
        warnings = warnings.filter(within("region"))
    return engine.assessment_event_rows(problems, reports, warnings, months, as_of)


def _event_part(region: Region, row: dict[str, Any]) -> str:
    """The part of ``_region_parts`` an event row is in: the child of ``region`` its path runs
    through, or the region itself (本级)."""
    codes = path_codes(row["path"] or "")
    at = codes.index(region.code) if region.code in codes else len(codes)
    return codes[at + 1] if at + 1 < len(codes) else region.code


def _approval_counts(year: int, as_of: date, region: Region | None, items: QuerySet,
                     part: Any = None) -> list[dict[str, Any]]:
    """The approval counts of ``region``, a county at a time as the plan figures: after a write
    in one county only its items are counted again (the province's whole took 2 queries over
    every item of the year)."""
    if region is None:
        return engine.approval_rows(items, year, as_of)
    return cached_in_parts(_approval_part_rows, _region_parts(region, year), _part_of_row, year, as_of, region, items,
                           part)


def _approval_part_rows(year: int, as_of: date, region: Region, items: QuerySet, part: Any,
                        restrict: frozenset[Region] | None = None) -> list[dict[str, Any]]:
    """The approval counts grouped by ``part`` (``engine.child_region_group``), the part of
    ``region`` each item's project lies in; of the parts ``restrict`` names only."""
    if restrict is not None:
        items = items.filter(functools.reduce(operator.or_, [
            Q(project__region=r) if r == region else Q(project__region__path__startswith=r.path) for r in restrict]))
    return engine.approval_rows(items, year, as_of, part)


# --- grouped sums, remembered a part of the region at a time --------------------------------
def _region_rows(year: int, as_of: date | None, region: Region | None, plans: QuerySet | None,
                 by: tuple[str, ...], series: bool = False) -> list[dict[str, Any]]:
    """``engine.grouped_rows`` also grouped by the regions right under ``region`` (and its 本级),
    each region's rows remembered until a write in it."""
    if region is None:
        return engine.grouped_rows(year, as_of, region, plans, by, series)
    by = by if "region" in by else ("region", *by)
    return cached_in_parts(_part_rows, _region_parts(region, year), _part_of_row, year, as_of, region, plans, by,
                           series)


def _region_parts(region: Region, year: int) -> dict[str, tuple[tuple[VersionScope, ...], frozenset[Region]]]:
    """The parts of ``region`` for ``cached_in_parts``: each region right under it, and the
    region itself (its 本级), by code, with the data versions a write to that year's figures
    there moves, and the region it is (what ``_part_rows`` reads)."""
    parts: dict[str, tuple[tuple[VersionScope, ...], frozenset[Region]]] = {
        c.code: (VersionScope.region(c.path).year_figures(year), frozenset([c]))
        for c in Region.objects.filter(parent=region).order_by("code")}
    parts[region.code] = (VersionScope.region_alone(region.path).year_figures(year), frozenset([region]))
    return parts


def _part_rows(year: int, as_of: date | None, region: Region, plans: QuerySet | None, by: tuple[str, ...],
               series: bool, restrict: frozenset[Region] | None = None) -> list[dict[str, Any]]:
    """The rows of ``_region_rows`` for the parts ``restrict`` names (None: all of them, in one
    query). A part with regions of its own under it (a city of a province) is put together from
    their remembered rows, so that after a write in one county its city costs a query over that
    county and an addition, not a query over the city."""
    if restrict is None:
        return engine.grouped_rows(year, as_of, region, plans, by, series)
    nested = set(Region.objects.filter(parent__in=[r for r in restrict if r != region])
                 .values_list("parent_id", flat=True))
    rows = []
    for part in restrict:
        if part.pk in nested:
            rows += engine.as_one(_region_rows(year, as_of, part, plans, by, series), part.code)
    rest = [part for part in restrict if part.pk not in nested]
    if rest:
        where = functools.reduce(operator.or_, [
            Q(project__region=part) if part == region else Q(project__region__path__startswith=part.path)
            for part in rest])
        rows += engine.grouped_rows(year, as_of, region, plans, by, series, restrict=where)
    return rows


def _part_of_row(row: dict[str, Any]) -> str:
    """The part of ``_region_parts`` a row grouped by ``child_region_group`` is in."""
    return engine.region_code(row["key_region"])


def _region_cells(region: Region | None) -> dict[int, tuple[tuple[VersionScope, ...], Q]]:
    """The finest parts: every region within ``region`` (None: every region) on its own, by pk,
    with the data version a write to a project placed on it moves and the filter selecting
    those projects. For rows grouped by the project's region (``region_id``): a list's totals
    and key order, added up or strung together here."""
    regions = Region.objects.within(region) if region is not None else Region.objects.all()
    return {pk: ((VersionScope.region_alone(path),), Q(region=pk)) for pk, path in regions.values_list("pk", "path")}


def _cell_of_row(row: dict[str, Any]) -> int:
    return row["region_id"]


# --- the project list: its totals line, its years, its order ------------------------------
@dataclass
class Listing:
    """A project list as a user asked for it: the filter (with its form), the projects (scoped
    and filtered), their totals line, the plan years to choose from, and the list's keys in
    order for its deep pages (``core.paging``)."""

    actor: Actor
    filter: ProjectFilter
    projects: QuerySet
    totals: dict[str, Any]
    keys: Callable[[QuerySet], list[Any]]

    @functools.cached_property
    def years(self) -> list[int]:
        return plan_years(self.actor)

    @property
    def year(self) -> int | None:
        year = self.filter.form.cleaned_data.get("year") if self.filter.is_valid() else None
        return int(year) if year else None

    @property
    def as_of(self) -> date | None:
        return self.filter.form.cleaned_data.get("as_of") if self.filter.is_valid() else None


def project_list(actor: Actor, params: Mapping[str, Any], latest_year: bool = True) -> Listing:
    """The projects the actor may view, filtered by ``params`` (``ProjectFilter``), with the
    totals line; with ``latest_year``, the latest plan year when ``params`` name none.
    Parameters the filter refuses (a year 0, a date 9999-12-31, a region outside the actor's
    view) are a ``BadQuery`` (400) naming them, not a list filtered by the others."""
    visible = Project.objects.visible_to(actor)
    region = region_holding(actor)
    if latest_year and not params.get("year") and (years := plan_years(actor)):
        params = _with(params, "year", str(years[0]))
    project_filter = valid_filter(ProjectFilter(params, queryset=visible, user=actor))
    projects = project_filter.qs
    totals = cached_within(region, _list_totals, projects, region)  # the same while the user pages
    return Listing(actor, project_filter, projects, totals, functools.partial(_list_keys, region=region))


def plan_year(actor: Actor, wanted: int | None) -> int | None:
    """``wanted`` if the actor may view plans of that year, else the latest year they may view
    (None: they may view none)."""
    plans = AnnualPlan.objects.visible_to(actor)
    if wanted is not None and plans.filter(year=wanted).exists():
        return wanted
    latest: int | None = plans.aggregate(latest=Max("year"))["latest"]
    return latest


def plan_years(actor: Actor) -> list[int]:
    """The plan years of the projects the actor may view, latest first."""
    region = region_holding(actor)
    return cached_within(region, _plan_years, Project.objects.visible_to(actor))


@dataclass
class Ledger:
    """The plan rows of a ledger export (scoped and filtered), its year, date and the region
    whose counties its sections are."""

    plans: QuerySet[AnnualPlan]
    region: Region
    year: int
    as_of: date


def ledger(actor: Actor, params: Mapping[str, Any], region: Region | None = None) -> Ledger | None:
    """The plan rows of the project list ``params`` ask for (the latest plan year if they name
    none) as a ledger of ``region`` (default: the filter's region, the actor's, or the province
    holding them); None when there is no plan year or no region to head
    the ledger (a database without a province); ``BadQuery`` when the filter refuses ``params``."""
    listing = project_list(actor, params)
    year = listing.year
    if year is None:
        return None
    plans = AnnualPlan.objects.filter(year=year, project__in=listing.projects.values("pk"))
    if region is not None:
        require_view_region(actor, region)
        plans = plans.filter(project__region__path__startswith=region.path)
    region = region or listing.filter.form.cleaned_data.get("region") or getattr(actor, "region", None) \
        or _province_of(plans)
    if region is None:
        return None
    return Ledger(plans, region, year, listing.as_of or data_date(actor, year, region)[0])


def _with(params: Mapping[str, Any], key: str, value: str) -> Mapping[str, Any]:
    copied = params.copy() if hasattr(params, "copy") else dict(params)
    copied[key] = value
    return copied


def _list_totals(projects: QuerySet, region: Region | None) -> dict[str, Any]:
    """``engine.list_totals_from`` the sums of ``projects`` remembered a region at a time
    (``region``: one holding every project of the list; None: anywhere)."""
    rows = cached_in_parts(engine.list_rows, _region_cells(region), _cell_of_row, projects)
    return engine.list_totals_from(rows, projects)


def _plan_years(projects: QuerySet) -> list[int]:
    """The years of all plans span a handful of values (found at the ends of the year index);
    each is kept if one of the projects has a plan that year (EXISTS stops at the first),
    instead of a DISTINCT over every plan row."""
    span = AnnualPlan.objects.aggregate(first=Min("year"), last=Max("year"))
    if span["first"] is None:
        return []
    plans = AnnualPlan.objects.filter(project__in=projects)
    if span["last"] - span["first"] > 30:  # odd data: let the database sort it out
        return list(plans.order_by("-year").values_list("year", flat=True).distinct())
    return [year for year in range(span["last"], span["first"] - 1, -1) if plans.filter(year=year).exists()]


def _list_keys(projects: QuerySet, region: Region | None = None) -> list[Any]:
    """Every key of a project list in its order, remembered until a write in ``region`` (one
    holding every project of the list; None: anywhere). In the default order (region code, then
    name) the list is each region's run of keys in code order, and the runs are remembered a
    region at a time. (Region codes are digits, and a development zone's a "K" among them:
    Python orders them as any database collation does.)"""
    order = projects.query.order_by
    if not order or order[0] != "region__code":
        return cached_within(region, all_keys, projects)
    runs = cached_in_parts(_key_runs, _region_cells(region), _cell_of_row, projects)
    return [key for run in sorted(runs, key=itemgetter("code")) for key in run["keys"]]


def _key_runs(projects: QuerySet, restrict: Q | None = None) -> list[dict[str, Any]]:
    """The keys of ``projects`` (restricted by ``restrict``) in their order, a run per region."""
    if restrict is not None:
        projects = projects.filter(restrict)
    runs: list[dict[str, Any]] = []
    for region_id, code, key in projects.values_list("region_id", "region__code", "pk"):
        if not runs or runs[-1]["region_id"] != region_id:
            runs.append({"region_id": region_id, "code": code, "keys": []})
        runs[-1]["keys"].append(key)
    return runs


def _province_of(plans: QuerySet) -> Region | None:
    """The province the plans lie in (a superuser's export names it), else the first one."""
    first = plans.order_by().values_list("project__region__path", flat=True).first()
    provinces = Region.objects.filter(level=Region.Level.PROVINCE).order_by("code")
    if first:
        province = provinces.filter(code=path_codes(first)[0]).first()
        if province and not plans.exclude(project__region__path__startswith=province.path).exists():
            return province
    return provinces.first()



# --- the dispatch cadence: the calendar of meetings due and the year's tally ----------------
def cadence_calendar(actor: Actor, start: date, end: date, today: date,
                     region: Region | None = None) -> list[cadence.Occurrence]:
    """The occurrences of the active cadence rules the actor may view (within ``region``) due
    from ``start`` to ``end``, matched to the meetings the actor may view, on ``today``."""
    if region is not None:
        require_view_region(actor, region)
    rules = _cadence_rules(actor, region)
    return cached_within(region or region_holding(actor), cadence.calendar, rules,
                         Meeting.objects.visible_to(actor), start, end, today)


def cadence_year(actor: Actor, today: date, region: Region | None = None,
                 year: int | None = None) -> list[tuple[CadenceRule, cadence.Tally]]:
    """Each active rule the actor may view (within ``region``) with its 应调度/已调度/缺 in
    ``year`` (default: ``today``'s) by ``today``: the tally of its occurrences (``cadence.tally``);
    the calendar of that year filtered by the rule and a state lists each count's rows."""
    year = year or today.year
    items = cadence_calendar(actor, date(year, 1, 1), date(year, 12, 31), today, region)
    by_rule: dict[int, list[cadence.Occurrence]] = {}
    for item in items:
        by_rule.setdefault(item.rule.pk, []).append(item)
    return [(rule, cadence.tally(by_rule.get(rule.pk, []))) for rule in _cadence_rules(actor, region)]


def _cadence_rules(actor: Actor, region: Region | None) -> QuerySet[CadenceRule]:
    rules = CadenceRule.objects.visible_to(actor).filter(active=True)
    if region is not None:
        rules = rules.filter(region__path__startswith=region.path)
    return rules.select_related("region", "chair").prefetch_related("lists")


# --- each project's standing (the self-suggesting agenda of a dispatch meeting) ------------
def project_standings(actor: Actor, year: int, as_of: date, region: Region,
                      projects: QuerySet[Project] | None = None) -> list[dict[str, Any]]:
    """A line per plan of ``year`` the actor may view in ``region`` (of ``projects`` if given), as
    a leader's package has them (``engine.package_from``): the project, its annual plan and
    completed investment, completion rate and gap to time progress, its standing (正常推进,
    未到计划开工月份, 慢于时间进度, 未按期开工: ``engine.on_time_q``) and its problems open and
    overdue, as of the date."""
    require_view_region(actor, region)
    plans = engine.plans_in(year, region, AnnualPlan.objects.visible_to(actor))
    if projects is not None:
        plans = plans.filter(project__in=projects)
    return cached_within(region, _project_standings, plans, _problems(actor), year, as_of)


def _project_standings(plans: QuerySet, problems: QuerySet, year: int, as_of: date) -> list[dict[str, Any]]:
    rows = engine.package_rows(plans, year, as_of)
    counts = engine.problem_counts(problems.filter(project__in=plans.values("project_id")), as_of)
    return engine.package_from(rows, counts, year, as_of)["projects"]


# --- leaders (包抓) ----------------------------------------------------------------------------
def leader_package(actor: Actor, leader: Leader, year: int, as_of: date, today: date | None = None) -> dict[str, Any]:
    """A leader's package (我的包抓) in a plan year as of a date: a line per project the leader
    packages in the leader's region (and the actor's view) with its annual plan, completed
    investment, completion rate, gap to time progress, standing (``engine.on_time_q``) and its
    problems open and overdue ``today``; and the totals, the sums of the lines
    (``engine.package_from``)."""
    require_view_region(actor, leader.region)
    today = today or timezone.localdate()
    return cached_within(leader.region, _leader_package, leader.pk, year, as_of, today, leader.region,
                         _plans(actor, leader.region), _problems(actor))


def leader_ranking(actor: Actor, region: Region, year: int, as_of: date,
                   today: date | None = None) -> list[dict[str, Any]]:
    """Every leader of ``region`` (and the regions under it) with the totals of their package in
    it, as ``leader_package`` counts them, ranked by the share of projects on time."""
    require_view_region(actor, region)
    today = today or timezone.localdate()
    return cached_within(region, _leader_ranking, year, as_of, today, region, _plans(actor, region),
                         _problems(actor))


def _problems(actor: Actor) -> QuerySet:
    return Problem.objects.visible_to(actor)


def _leader_package(leader_id: int, year: int, as_of: date, today: date, region: Region, plans: QuerySet | None,
                    problems: QuerySet) -> dict[str, Any]:
    package = engine.plans_in(year, region, plans).filter(project__leaders=leader_id)
    rows = engine.package_rows(package, year, as_of)
    counts = engine.problem_counts(problems.filter(project__in=package.values("project_id")), today)
    return engine.package_from(rows, counts, year, as_of)


def _leader_ranking(year: int, as_of: date, today: date, region: Region, plans: QuerySet | None,
                    problems: QuerySet) -> list[dict[str, Any]]:
    leaders = list(Leader.objects.filter(region__path__startswith=region.path).select_related("region"))
    packaged = engine.plans_in(year, region, plans).filter(project__leaders__in=leaders)
    rows = engine.package_rows(packaged, year, as_of, by_leader=True)
    counts = engine.problem_counts(problems.filter(project__in=packaged.values("project_id")), today)
    ids = {leader.pk for leader in leaders}
    return engine.ranking_from([r for r in rows if r["key_leader"] in ids], counts, leaders, year, as_of)


# --- a project's quarterly roadmap ----------------------------------------------------------

def roadmap(actor: Actor, project: Project) -> dict[str, Any] | None:
    """The latest plan year's roadmap (投资路线图) of a project the actor may view: per quarter the
    work, the investment expected done by its end (cumulative over the year), and the approved
    year-to-date completion at the quarter's last approved month (None: no month of it approved
    yet). None when no plan of the project has a roadmap."""
    from keyprojects.projects.models import PlanQuarter
    from keyprojects.reporting.models import PlanProgress

    plan = (AnnualPlan.objects.visible_to(actor).filter(project=project, quarters__isnull=False)
            .order_by("-year").first())
    if plan is None:
        return None
    progress = PlanProgress.objects.filter(plan=plan).first()
    rows = []
    for quarter in PlanQuarter.objects.filter(plan=plan).order_by("quarter"):
        done, month = None, None
        for m in range(quarter.quarter * 3, quarter.quarter * 3 - 3, -1):  # the quarter's last month first
            ytd = getattr(progress, f"ytd_{m:02d}", None) if progress else None
            if ytd is not None:
                done, month = ytd, m
                break
        rows.append({"quarter": quarter.quarter, "label": f"{'一二三四'[quarter.quarter - 1]}季度", "work": quarter.work, "expected": quarter.expected_investment,
                     "done": done, "month": month, "full": month == quarter.quarter * 3})
    return {"year": plan.year, "rows": rows}


def plan_months(actor: Actor, project: Project) -> dict[str, Any] | None:
    """The dashboard's monthly chart for one project: its latest plan year month by month, each
    month's approved 本月完成, the year's cumulative and the plan's time-progress line. None
    without a plan the actor may view."""
    from keyprojects.reporting.models import PlanProgress

    plan = AnnualPlan.objects.visible_to(actor).filter(project=project).order_by("-year").first()
    if plan is None:
        return None
    progress = PlanProgress.objects.filter(plan=plan).first()
    sums = {f"m{m}": getattr(progress, f"done_{m:02d}") if progress else None for m in PlanProgress.MONTHS}
    return {"year": plan.year, "planned": plan.planned_investment,
            "series": engine.chart_series(sums, plan.planned_investment)}


# --- the provincial exchange: what a city reports upward in a province's layout -------------

@dataclass
class ProvinceSheet:
    """The rows of a province's exchange sheet: the project list of the profile's scope
    (``province`` filter) in ``region`` — whose totals line is the sheet's 合计 — and its plan
    rows of ``year`` with ``completed`` (本年累计完成) as of ``as_of``."""

    listing: Listing
    plans: QuerySet[AnnualPlan]
    region: Region
    year: int
    as_of: date


def province_sheet(actor: Actor, profile_id: int, region: Region, year: int, as_of: date) -> ProvinceSheet:
    require_view_region(actor, region)
    params = {"year": str(year), "as_of": as_of.isoformat(), "region": str(region.pk), "province": str(profile_id)}
    listing = project_list(actor, params, latest_year=False)
    plans = (AnnualPlan.objects.filter(year=year, project__in=listing.projects.values("pk"))
             .annotate(completed=engine.completed_ytd(as_of)))
    return ProvinceSheet(listing, plans, region, year, as_of)


def project_codes(actor: Actor, year: int, region: Region) -> dict[str, dict[str, Any]]:
    """The plan's projects without a code and with a code of another region (``projects_without_code``,
    ``codes_not_matching_region``): the totals lines of the project list filtered on them."""
    found = {}
    for key, check in (("missing", "missing"), ("mismatch", "mismatch")):
        listing = project_list(actor, {"year": str(year), "region": str(region.pk), "code_check": check},
                               latest_year=False)
        found[key] = listing.totals
    return found
# --- 招商引资 (investment attraction) and the "1+1托4" packages ---------------------------------
def attraction(actor: Actor, year: int, as_of: date, region: Region | None = None) -> dict[str, Any]:
    """The attraction figures of ``region`` (None: all the actor may view) for the period from 1
    January of ``year`` to ``as_of`` (``engine.attraction_from``): events, intentions, framework
    agreements, projects signed and the amount signed, and of the leads signed the landing, start,
    performance and funds-in-place rates; by following unit, leader and industry chain. Only the
    leads and events the actor may view count. Remembered until a write in the region."""
    leads, agreements, funds, events = attraction_rows_of(actor, region)
    return cached_within(region, _attraction, year, as_of, leads, agreements, funds, events)


def attraction_rows_of(actor: Actor, region: Region | None = None) -> tuple[QuerySet, QuerySet, QuerySet, QuerySet]:
    """The leads, agreements, funds reports and events the attraction figures of ``region``
    count (the ledger's drill-down starts from the same leads)."""
    from keyprojects.attraction.models import Agreement, Event, FundsReport, Lead

    return (_in_scope(actor, region, Lead), _in_scope(actor, region, Agreement, "lead__region__path"),
            _in_scope(actor, region, FundsReport, "lead__region__path"), _in_scope(actor, region, Event))


def _attraction(year: int, as_of: date, leads: QuerySet, agreements: QuerySet, funds: QuerySet,
                events: QuerySet) -> dict[str, Any]:
    return engine.attraction_from(engine.attraction_rows(leads, agreements, funds, events, year, as_of))


def attraction_list_totals(leads: QuerySet, year: int, as_of: date) -> dict[str, Any]:
    """The ledger's totals line: the same sums as ``attraction`` over the list's leads (no
    events): a figure's link lands on a list whose totals equal it."""
    from keyprojects.attraction.models import Agreement, Event, FundsReport

    ids = leads.values("pk")
    rows = engine.attraction_rows(leads, Agreement.objects.filter(lead__in=ids), FundsReport.objects.filter(
        lead__in=ids), Event.objects.none(), year, as_of)
    return {**engine.attraction_from(rows), "count": leads.count()}


def packages(actor: Actor, year: int, region: Region | None = None) -> dict[str, Any]:
    """The "1+1托4" figures of ``region``'s packages of ``year``: leaders, departments, and the
    items by kind (``engine.packages_from``), within what the actor may view."""
    found, items = package_rows_of(actor, year, region)
    return cached_within(region, engine.packages_from, found, items)


def package_rows_of(actor: Actor, year: int, region: Region | None = None) -> tuple[QuerySet, QuerySet]:
    from keyprojects.attraction.models import Package, PackageItem

    found = _in_scope(actor, region, Package).filter(year=year)
    return found, PackageItem.objects.filter(package__in=found.values("pk"))
# --- 资金申报 (funding rounds) -----------------------------------------------------------------
def funding(actor: Actor, year: int, as_of: date, region: Region | None = None) -> dict[str, Any]:
    """The funding figures of ``region``'s projects (None: all the actor may view) in the rounds
    of ``year`` as of a date (``engine.funding_from``): applications with their total investment
    and amounts requested, approved, issued (with the projects' total investment) and spent; by
    kind of money, by round and by the regions right under ``region``. Only the applications the
    actor may view count (a department clerk: their unit's projects'). Remembered until a write
    in the region."""
    return cached_within(region, _funding, as_of, region, funding_rows_of(actor, year, region))


def funding_rows_of(actor: Actor, year: int, region: Region | None = None) -> QuerySet:
    """The applications the funding figures of ``region`` count; the application list (their
    drill-down) starts from the same rows."""
    from keyprojects.funding.models import Application

    return _in_scope(actor, region, Application, "project__region__path").filter(round__year=year)


def _funding(as_of: date, region: Region | None, rows: QuerySet) -> dict[str, Any]:
    from keyprojects.funding.models import Round

    children, part = engine.child_region_group(region) if region is not None else ([], None)
    counted = engine.funding_rows(rows, as_of, part)
    names = {r.pk: str(r) for r in Round.objects.filter(pk__in={row["key_round"] for row in counted})}
    regions = {child.code: child.name for child in children}
    if region is not None:
        regions[region.code] = region.name  # (projects placed on the region itself)
    return engine.funding_from(counted, names, regions)


def funding_list_totals(applications: QuerySet, as_of: date) -> dict[str, Any]:
    """The application list's totals line: the same sums as ``funding``, over the list's rows (a
    figure's link adds up to it)."""
    found = engine.funding_from(engine.funding_rows(applications, as_of), {}, {})
    return {**found, "count": found["applied"]}

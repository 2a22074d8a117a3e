"""The leaders' dashboard (驾驶舱) and the page of indicator definitions.

Every number on the dashboard is a :class:`Figure`: its value comes from the indicator
module and its link opens the project list filtered to the projects behind it, whose
totals line shows the same number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keyprojects.core.http import AuthenticatedRequest, xlsx_download
from keyprojects.core.money import to_yi
from keyprojects.core.params import query_date, query_year
from keyprojects.core.permissions import reads_region, regions_for, scope_of
from keyprojects.dispatch.models import Meeting
from keyprojects.projects.models import Project, Stage
from keyprojects.regions.models import Region, path_codes

from . import figures
from .engine import INDICATORS


@dataclass
class Figure:
    """A number on the dashboard and the list that adds up to it."""

    value: Decimal | int
    url: str
    total: str  # which total of the list equals the value: count, total_investment, annual_plan, completed
    indicator: str

    @property
    def definition(self) -> str:
        return INDICATORS[self.indicator].definition


class Links:
    """Builds project-list links that share the dashboard's year, region and date."""

    def __init__(self, year: int, as_of: date, region: Region | None) -> None:
        self.base = {"year": year, "as_of": as_of.isoformat()}
        if region is not None:
            self.base["region"] = region.pk
        self.figures: list[Figure] = []
        self.list_url = reverse("projects:list")

    def figure(self, value: Decimal | int, total: str, indicator: str, **filters: Any) -> Figure:
        query = {**self.base, **filters}
        figure = Figure(value, f"{self.list_url}?{urlencode(query)}", total, indicator)
        self.figures.append(figure)
        return figure

    def at(self, list_url: str, value: Decimal | int, indicator: str, **query: Any) -> Figure:
        """A count that links to another list (the problem ledger, the meetings), whose totals
        line's ``count`` equals it."""
        figure = Figure(value, f"{list_url}?{urlencode(query)}", "count", indicator)
        self.figures.append(figure)
        return figure

    def group(self, stats: dict[str, Any], **filters: Any) -> dict[str, Figure]:
        """The linked figures of one row: plan count/amounts, starts, completed."""
        return {
            "count": self.figure(stats["plan"]["count"], "count", "plan", **filters),
            "total_investment": self.figure(stats["plan"]["total_investment"], "total_investment", "plan", **filters),
            "annual_plan": self.figure(stats["plan"]["annual_plan"], "annual_plan", "plan", **filters),
            "started": self.figure(stats["started_or_resumed"]["count"], "count", "started_or_resumed",
                                   started="yes", **filters),
            "completed": self.figure(stats["completed_investment"], "completed", "completed_investment", **filters),
        }


def _choose_region(request: AuthenticatedRequest) -> Region | None:
    allowed = regions_for(request.user, "view")
    wanted = request.GET.get("region")
    if wanted:
        found = allowed.filter(pk=wanted).first() if wanted.isdigit() else allowed.filter(code=wanted).first()
        if found:
            return found
    if request.user.region is not None:
        return request.user.region
    return allowed.filter(level=Region.Level.PREFECTURE, projects__isnull=False).first() or \
        allowed.filter(projects__isnull=False).order_by("depth").first()


def _choose_year(request: AuthenticatedRequest) -> int:
    year = figures.plan_year(request.user, query_year(request.GET))
    return year or timezone.localdate().year


def _choose_as_of(request: AuthenticatedRequest, year: int, region: Region | None = None) -> date:
    return as_of_and_why(request, year, region)[0]


def as_of_and_why(request: AuthenticatedRequest, year: int, region: Region | None) -> tuple[date, str]:
    """The date asked for (a bad one is a 400 naming it), else the one the data speaks for
    (``figures.data_date``), with why: the dashboard's rule, which the funding pages share."""
    asked = query_date(request.GET)
    if asked is not None:
        return asked, ""
    return figures.data_date(request.user, year, region)


def monthly_chart(series: list[dict[str, Any]], unit: Callable[[Decimal], Decimal]) -> dict[str, Any]:
    """The monthly chart's figures (``engine.chart_series``) in ``unit``, as js/charts.js draws them
    (floats only for drawing): the dashboard's in 亿元, a project's in 万元."""
    return {"months": [f"{s['month']}月" for s in series],
            "completed": [float(unit(s["completed"])) for s in series],
            "cumulative": [float(unit(s["cumulative"])) if s["cumulative"] is not None else None for s in series],
            "planned": [float(unit(s["planned_cumulative"])) for s in series]}


@login_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    region = _choose_region(request)
    year = _choose_year(request)
    as_of, as_of_why = as_of_and_why(request, year, region)
    links = Links(year, as_of, region)
    now = figures.dashboard(request.user, year, as_of, region)
    stats = now["stats"]
    headline = {
        "plan": links.group(stats),
        "new_started": links.figure(stats["new_started"]["count"], "count", "new_started",
                                    nature="new", started="yes"),
        "continuing_resumed": links.figure(stats["continuing_resumed"]["count"], "count", "continuing_resumed",
                                           nature="continuing_all", started="yes"),
    }

    region_rows = now["region"]
    if [row["region"] for row in region_rows] == [region]:
        region_rows = []  # a county with no zones: its one row (本级) would repeat the headline figures
    for row in region_rows:
        here = {"own": "yes"} if row["region"] == region else {}  # the 本级 row: projects on the region itself
        row["links"] = links.group(row, region=row["region"].pk, **here)
    sector_rows = sorted(now["sector"], key=lambda r: -r["plan"]["annual_plan"])
    for row in sector_rows:
        row["links"] = links.group(row, sector=row["key"] or "")
    batch_rows = now["batch"]
    for row in batch_rows:
        row["links"] = links.group(row, batch=row["key"])
    leader_rows = sorted(now["leader"], key=lambda r: -r["plan"]["count"])
    for row in leader_rows:
        row["links"] = links.group(row, leader=row["key"])

    my_leader = getattr(request.user, "leader", None) if request.user.role == "leader" else None
    my_package = None
    if my_leader is not None:
        try:
            my_package = figures.leader_package(request.user, my_leader, year, as_of)
        except Http404:  # a leader of a region outside the account's view: no card
            my_leader = None
        else:  # the card shows the largest; the leader's page all of them
            labelled(my_package["projects"])
            my_package["largest"] = sorted(my_package["projects"], key=lambda p: -p["annual_plan"])[:8]

    dispatch = _dispatch_card(request, year, as_of, region, links)
    approvals = _approvals_card(request, year, as_of, region, links)
    warnings = _warnings_card(request, as_of, region, links)
    tasks = _tasks_card(request, year, as_of, region, links)

    series = now["series"]
    chart = {
        **monthly_chart(series, to_yi),
        "batches": [{"name": r["label"], "value": r["plan"]["count"], "url": r["links"]["count"].url}
                    for r in batch_rows],
    }
    return render(request, "indicators/dashboard.html", {
        "region": region, "year": year, "as_of": as_of, "as_of_why": as_of_why,
        "unit_scope": scope_of(request.user, "view").via, "stats": stats, "yoy": now["year_on_year"],
        "has_last_year": now["last_year"]["plan"]["count"] > 0,
        "gap_behind": abs(stats["rates"]["progress_gap"]) if stats["rates"]["progress_gap"] is not None else None,
        "headline": headline, "region_rows": region_rows, "sector_rows": sector_rows, "batch_rows": batch_rows,
        "leader_rows": leader_rows, "my_leader": my_leader, "my_package": my_package, "can_rank": reads_region(request.user), "chart": chart,
        "figures": links.figures, "indicators": INDICATORS, "regions": _region_options(request, region),
        "dispatch": dispatch, "approvals": approvals, "warnings": warnings, "tasks": tasks,
    })


STANDING_LABELS = {"on_pace": gettext_lazy("正常推进"), "not_due": gettext_lazy("未到计划开工月份"),
                   "behind": gettext_lazy("慢于时间进度"), "late_start": gettext_lazy("未按期开工")}


def labelled(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A package's lines (``figures.leader_package``) with the labels of their stage and standing,
    and whether their gap to time progress is no failing (not due to start yet: shown muted)."""
    for line in lines:
        line["stage_label"] = Stage(line["stage"]).label
        line["standing_label"] = STANDING_LABELS[line["standing"]]
        line["gap_muted"] = line["standing"] == "not_due"
    return lines
CARD_CATEGORIES = 5  # the categories the card lists, most problems raised first


def _dispatch_card(request: AuthenticatedRequest, year: int, as_of: date, region: Region | None,
                   links: Links) -> dict[str, Any]:
    """The card 问题协调: the dispatch figures, each count linked to the meetings or problems
    behind it (the same region, window and date)."""
    found = figures.dispatch(request.user, year, as_of, region)
    start, end = found["start"].isoformat(), found["end"].isoformat()
    here = {"region": region.pk} if region is not None else {}
    meetings, problems = reverse("dispatch:meetings"), reverse("dispatch:problems")

    def meeting_count(value: int, **query: Any) -> Figure:
        return links.at(meetings, value, "dispatch_meetings", **here, date_from=start, date_to=end, **query)

    def problem_counts(row: dict[str, Any], **query: Any) -> dict[str, Figure]:
        return {
            "raised": links.at(problems, row["raised"], "problems_raised", **here, raised_from=start, raised_to=end,
                               **query),
            "solved": links.at(problems, row["solved"], "problems_solved", **here, signed_off_from=start,
                               signed_off_to=end, **query),
            "on_time": links.at(problems, row["on_time"], "on_time_rate", **here, signed_off_from=start,
                                signed_off_to=end, on_time="yes", **query),
            "open": links.at(problems, row["open"], "problems_open", **here, open_on=end, **query),
            "overdue": links.at(problems, row["overdue"], "problems_overdue", **here, overdue_on=end, **query),
        }

    kinds = dict(Meeting.Kind.choices)
    categories = [dict(row) for row in found["by"]["category"][:CARD_CATEGORIES]]
    for row in categories:
        row["links"] = problem_counts(row, category=row["key"])
    return {
        **found,
        "meeting_total": meeting_count(found["meetings_total"]),
        "meeting_kinds": [(kinds[kind], meeting_count(n, kind=kind)) for kind, n in found["meetings"].items()],
        "counts": problem_counts(found["problems"]),
        "categories": categories,
    }


def _approvals_card(request: AuthenticatedRequest, year: int, as_of: date, region: Region | None,
                    links: Links) -> dict[str, Any]:
    """The card 前期手续: 前期手续审批完成率 with its change, each count linked to the approvals
    list of the year's new projects on the day."""
    found = figures.approvals(request.user, year, as_of, region)
    url = reverse("approvals:list")
    here = {"year": year, "as_of": as_of.isoformat(), **({"region": region.pk} if region is not None else {})}

    def counts(row: dict[str, Any], **query: Any) -> dict[str, Figure]:
        where = {**here, **query}
        return {"required": links.at(url, row["required"], "approvals_required", **where),
                "obtained": links.at(url, row["obtained"], "approvals_obtained", **where, state="obtained"),
                "late": links.at(url, row["late"], "approvals_late", **where, state="late")}

    by_region = [{**row, "links": counts(row, region=row["region"].pk)} for row in found["by_region"]]
    return {**found, "counts": counts(found), "regions": by_region}
def _warnings_card(request: AuthenticatedRequest, as_of: date, region: Region | None,
                   links: Links) -> dict[str, Any]:
    """The card 预警: the warnings open on the date by colour, by rule and by county, each count
    linked to the warnings list filtered to the same region and date (its totals equal it)."""
    found = figures.warnings(request.user, as_of, region)
    here = {"region": region.pk} if region is not None else {}
    url = reverse("alerts:list")

    def counts(row: dict[str, Any], **query: Any) -> dict[str, Figure]:
        return {colour: links.at(url, row[colour], f"warnings_{colour}", **{**here, **query}, open_on=as_of.isoformat(),
                                 colour=colour) for colour in ("red", "yellow")}

    for row in found["by_kind"]:
        row["links"] = counts(row, kind=row["key"])
    for row in found["by_region"]:  # (the 本级 row: warnings placed on the region itself)
        row["links"] = counts(row, region=row["region"].pk, **({"own": "yes"} if row["region"] == region else {}))
    return {**found, "counts": counts(found)}


def _tasks_card(request: AuthenticatedRequest, year: int, as_of: date, region: Region | None,
                links: Links) -> dict[str, Any] | None:
    """The card 任务清单: the year's tasks, done, done on time and overdue on the date, each count
    linked to the task list of the same region and date (its totals equal it); None without tasks."""
    found = figures.tasks(request.user, year, as_of, region)
    if not found["tasks"]:
        return None
    url = reverse("tasklists:list")
    here = {"year": year, "as_of": as_of.isoformat(), **({"region": region.pk} if region is not None else {})}
    counts = {"tasks": links.at(url, found["tasks"], "tasks", **here),
              **{key: links.at(url, found[key], indicator, **here, state=key)
                 for key, indicator in (("done", "tasks_done"), ("on_time", "tasks_on_time"),
                                        ("overdue", "tasks_overdue"))}}
    return {**found, "counts": counts, "summary": f"{reverse('tasklists:summary')}?{urlencode(here)}"}


def _region_options(request: AuthenticatedRequest, current: Region | None) -> list[Region]:
    """The user's own region and the regions under it; for superusers every city with projects."""
    top = request.user.region
    if top is None:
        # regions with projects placed on them: one index probe each, not a scan of every project
        used = Region.objects.filter(Exists(Project.objects.filter(region=OuterRef("pk")))).values_list("path", flat=True)
        codes = {path_codes(path)[1] for path in used if len(path_codes(path)) > 1}
        tops = list(Region.objects.filter(code__in=codes).order_by("code"))
    else:
        tops = [top]
    options = [*tops, *Region.objects.filter(parent__in=tops).order_by("code")]
    if current is not None and current not in options:
        options.append(current)
    return options


@login_required
def dashboard_export(request: AuthenticatedRequest) -> HttpResponse:
    """The county table of the dashboard as .xlsx (分县区指标表), same region, year and date."""
    from keyprojects.ledgers.export import indicator_workbook

    region = _choose_region(request)
    if region is None:
        raise Http404(_("没有可导出的区划"))
    year = _choose_year(request)
    as_of = _choose_as_of(request, year, region)
    content = indicator_workbook(figures.region_table(request.user, year, as_of, region),
                                 figures.year_figures(request.user, year, as_of, region), region, year, as_of)
    return xlsx_download(content, f"{region.name}{year}年分{region.parts_noun}指标（截至{as_of:%Y%m%d}）.xlsx")


@login_required
def definitions(request: AuthenticatedRequest) -> HttpResponse:
    """指标口径: every indicator the product shows, with its written definition."""
    return render(request, "indicators/definitions.html", {"indicators": INDICATORS.values()})

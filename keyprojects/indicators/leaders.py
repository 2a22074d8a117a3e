"""The leaders' pages: a leader's package (我的包抓) and every leader's package of a region ranked
by the share of projects on time (领导包抓排名). The figures come from ``figures.leader_package`` and
``figures.leader_ranking``; every count links to the list whose total equals it (the project list,
or the problem ledger)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Leader
from keyprojects.attraction.queries import leader_packages
from keyprojects.core.http import AuthenticatedRequest
from keyprojects.core.permissions import Actor, reads_region, restrict
from keyprojects.dispatch import cadence
from keyprojects.dispatch.models import Meeting, Problem, ProblemEvent
from keyprojects.dispatch.services import record_url
from keyprojects.projects.models import StageTransition
from keyprojects.regions.models import Region
from keyprojects.reporting.models import ProgressReport

from . import figures
from .engine import INDICATORS
from .views import _choose_as_of, _choose_region, _choose_year, labelled

SHOWN_MEETINGS = 10

SHOWN_CHANGES = 30  # of each kind: a week's changes of one package are a handful


@dataclass
class PackageLinks:
    """The lists behind a package's counts: projects (the project list filtered to the leader's
    projects in the plan, within ``region``) and problems (the ledger filtered to the problems of
    those projects)."""

    leader: Leader
    region: Region
    year: int
    as_of: date

    def projects(self, **filters: Any) -> str:
        query = {"year": self.year, "as_of": self.as_of.isoformat(), "region": self.region.pk,
                 "leader": self.leader.pk, **filters}
        return f"{reverse('projects:list')}?{urlencode(query)}"

    def problems(self, **filters: Any) -> str:
        query = {"package": self.leader.pk, "plan_year": self.year, "region": self.region.pk, **filters}
        return f"{reverse('dispatch:problems')}?{urlencode(query)}"

    def totals(self, totals: dict[str, Any]) -> dict[str, str]:
        return {"count": self.projects(), "on_time": self.projects(on_time="yes"),
                "behind": self.projects(on_time="no"), "started": self.projects(started="yes"),
                "open": self.problems(open="yes"), "overdue": self.problems(overdue="yes")}


def _project_problems(project_id: int, **filters: str) -> str:
    return f"{reverse('dispatch:problems')}?{urlencode({'project': project_id, **filters})}"


@login_required
def my_package(request: AuthenticatedRequest) -> HttpResponse:
    """我的包抓: the package of the leader the signed-in user is."""
    leader = Leader.objects.select_related("region").filter(user=request.user).first()
    if leader is None:
        raise Http404(_("您的账号没有关联包抓领导"))
    return _package_page(request, leader)


@login_required
def package(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A leader's package, for anyone whose scope holds the leader's region (``restrict``)."""
    visible = restrict(Leader.objects.select_related("region"), request.user)
    leader = get_object_or_404(visible | Leader.objects.filter(user=request.user).select_related("region"), pk=pk)
    return _package_page(request, leader)


def _package_page(request: AuthenticatedRequest, leader: Leader) -> HttpResponse:
    year = _choose_year(request)
    as_of = _choose_as_of(request, year)
    today = timezone.localdate()
    found = figures.leader_package(request.user, leader, year, as_of, today)
    links = PackageLinks(leader, leader.region, year, as_of)
    for line in labelled(found["projects"]):
        line["problem_links"] = {"open": _project_problems(line["project_id"], open="yes"),
                                 "overdue": _project_problems(line["project_id"], overdue="yes")}
    week_start = as_of - timedelta(days=6)
    project_ids = [line["project_id"] for line in found["projects"]]
    return render(request, "indicators/leader_package.html", {
        "warnings": _my_warnings(request, leader, as_of),
        "leader": leader, "year": year, "as_of": as_of, "today": today, "totals": found["totals"],
        "projects": found["projects"], "links": links.totals(found["totals"]),
        "meetings": _next_meetings(request.user, leader, today),
        "due": _due_by_cadence(request.user, leader, today),
        "week": _week(request.user, project_ids, week_start, as_of), "week_start": week_start,
        "gap_behind": abs(gap) if (gap := found["totals"]["progress_gap"]) is not None else None,
        "indicators": INDICATORS, "years": figures.plan_years(request.user),
        "can_rank": reads_region(request.user),
        "one_plus_four": leader_packages(request.user, leader, year),
    })


def _my_warnings(request: AuthenticatedRequest, leader: Leader, as_of: date) -> dict[str, Any]:
    """我的预警: the warnings of the leader's packaged projects open on the date, by colour, each
    count linked to the warnings list (whose totals equal it)."""
    found = figures.warnings(request.user, as_of, leader.region, leader=leader)
    base = {"package": leader.pk, "region": leader.region.pk, "open_on": as_of.isoformat()}
    url = reverse("alerts:list")
    return {**found, "links": {c: f"{url}?{urlencode({**base, 'colour': c})}" for c in ("red", "yellow")}}


def _next_meetings(user: Actor, leader: Leader, today: date) -> list[Meeting]:
    return list(Meeting.objects.visible_to(user).filter(chair=leader, date__gte=today)
                .select_related("region").order_by("date", "pk")[:SHOWN_MEETINGS])


def _due_by_cadence(user: Actor, leader: Leader, today: date) -> list[tuple[cadence.Occurrence, str]]:
    """The meetings the leader's cadence rules make due in the next six weeks and not held yet,
    each with the form that records it."""
    items = figures.cadence_calendar(user, today, today + timedelta(weeks=6), today)
    return [(item, record_url(item)) for item in items
            if item.rule.chair_id == leader.pk and item.meeting is None][:SHOWN_MEETINGS]


def _week(user: Actor, project_ids: list[int], start: date, end: date) -> dict[str, list[Any]]:
    """What changed for the projects between ``start`` and ``end`` (both included): reports
    approved, stage changes, problems raised, replied to and signed off. One query each, each
    bounded; the projects are the package's, already within the user's view."""
    approved = (ProgressReport.objects.filter(
        project__in=project_ids, status=ProgressReport.Status.APPROVED,
        reviewed_at__date__gte=start, reviewed_at__date__lte=end)
        .select_related("project", "period").order_by("-reviewed_at", "-pk")[:SHOWN_CHANGES])
    stages = (StageTransition.objects.filter(project__in=project_ids, date__gte=start, date__lte=end)
              .select_related("project").order_by("-date", "-pk")[:SHOWN_CHANGES])
    kinds = [ProblemEvent.Kind.RAISED, ProblemEvent.Kind.REPLIED, ProblemEvent.Kind.SIGNED_OFF]
    events = (ProblemEvent.objects.filter(
        problem__in=Problem.objects.visible_to(user).filter(project__in=project_ids).values("pk"),
        kind__in=kinds, date__gte=start, date__lte=end)
        .select_related("problem__project", "unit").order_by("-date", "-pk")[:SHOWN_CHANGES])
    return {"reports": list(approved), "stages": list(stages), "problems": list(events)}


@login_required
def ranking(request: AuthenticatedRequest) -> HttpResponse:
    """领导包抓排名: every leader of the region with their package's totals, ranked by the share
    of projects on time. For those who read the region as a whole (``reads_region``)."""
    if not reads_region(request.user):
        raise PermissionDenied(_("只有读取整个区划的用户可以查看领导包抓排名"))
    region = _choose_region(request)
    if region is None:
        raise Http404(_("没有可查看的区划"))
    year = _choose_year(request)
    as_of = _choose_as_of(request, year, region)
    rows = figures.leader_ranking(request.user, region, year, as_of, timezone.localdate())
    for row in rows:
        row["links"] = PackageLinks(row["leader"], region, year, as_of).totals(row)
    return render(request, "indicators/leader_ranking.html", {
        "region": region, "year": year, "as_of": as_of, "rows": rows, "indicators": INDICATORS,
        "time_progress": rows[0]["time_progress"] if rows else None,
    })

"""Task list pages: the list (filtered by area, lead unit, state on a date; its totals line
equals the figures it is linked from), its .xlsx, the figures by area and by unit, a task with
its milestones, targets, updates and history, and the update form of its lead unit.
Views parse, call one service, render."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from keyprojects.core.forms import add_service_errors
from keyprojects.core.http import AuthenticatedRequest, xlsx_download
from keyprojects.core.paging import Paginator
from keyprojects.core.permissions import can_edit, region_holding, regions_for
from keyprojects.indicators import figures
from keyprojects.indicators.engine import INDICATORS
from keyprojects.projects.services import EditConflict
from keyprojects.regions.models import Region

from . import services
from .export import task_state, task_workbook
from .filters import TaskFilter
from .forms import UpdateForm
from .models import Task

PAGE_SIZE = 50


def _year(request: AuthenticatedRequest) -> int:
    """The year asked for, else the latest year of the tasks the user sees, else this year."""
    wanted = request.GET.get("year", "")
    if wanted.isdigit() and 2000 <= int(wanted) <= 2100:
        return int(wanted)
    latest = Task.objects.visible_to(request.user).order_by("-year").values_list("year", flat=True).first()
    return latest or timezone.localdate().year


def _region(request: AuthenticatedRequest) -> Region | None:
    wanted = request.GET.get("region", "")
    if not wanted:
        return None
    return get_object_or_404(regions_for(request.user, "view"), pk=wanted if wanted.isdigit() else 0)


def _filtered(request: AuthenticatedRequest) -> tuple[TaskFilter, int, Region | None]:
    year, region = _year(request), _region(request)
    rows = figures.task_rows_of(request.user, year, region)
    return TaskFilter(request.GET, queryset=rows, user=request.user), year, region


def _title(year: int, region: Region | None, user: Any) -> str:
    where = region or region_holding(user)
    return f"{where.name if where else ''}{year}年重点任务清单"


@login_required
def task_list(request: AuthenticatedRequest) -> HttpResponse:
    found, year, region = _filtered(request)
    as_of = found.judged_on
    totals = figures.task_list_totals(found.qs, as_of)
    page = Paginator(found.qs.select_related("area", "lead_unit", "leader"), PAGE_SIZE,
                     count=totals["tasks"]).get_page(request.GET.get("page"))
    for task in page:
        task.state_on = task_state(task, as_of)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "tasklists/task_list.html", {
        "filter": found, "page": page, "totals": totals, "query": query.urlencode(), "year": year,
        "region": region, "as_of": as_of, "title": _title(year, region, request.user),
        "explicit_as_of": bool(request.GET.get("as_of")), "indicators": INDICATORS,
    })


@login_required
def task_export(request: AuthenticatedRequest) -> HttpResponse:
    found, year, region = _filtered(request)
    title = _title(year, region, request.user)
    content = task_workbook(found.qs, title, found.judged_on, figures.task_list_totals(found.qs, found.judged_on))
    return xlsx_download(content, f"{title}（{found.judged_on:%Y%m%d}）.xlsx")


def _as_of(request: AuthenticatedRequest, year: int) -> date:
    try:
        return date.fromisoformat(request.GET["as_of"])
    except (KeyError, ValueError):
        return min(timezone.localdate(), date(year, 12, 31))


@login_required
def summary(request: AuthenticatedRequest) -> HttpResponse:
    """The figures by area and by lead unit, each count linked to the list that adds up to it."""
    year, region = _year(request), _region(request)
    as_of = _as_of(request, year)
    found = figures.tasks(request.user, year, as_of, region)
    here = {"year": year, "as_of": as_of.isoformat(), **({"region": region.pk} if region is not None else {})}
    for group, field in (("area", "area"), ("unit", "unit")):
        for row in found["by"][group]:
            row["links"] = task_links({**here, field: row["key"]})
    return render(request, "tasklists/summary.html", {
        "found": found, "links": task_links(here), "year": year, "as_of": as_of, "region": region,
        "title": _title(year, region, request.user), "indicators": INDICATORS})


def task_links(query: dict[str, Any]) -> dict[str, str]:
    """The task list's URLs whose totals equal each count of a figure row."""
    url = reverse("tasklists:list")
    return {"tasks": f"{url}?{urlencode(query)}", "done": f"{url}?{urlencode({**query, 'state': 'done'})}",
            "on_time": f"{url}?{urlencode({**query, 'state': 'on_time'})}",
            "overdue": f"{url}?{urlencode({**query, 'state': 'overdue'})}"}


@login_required
def task_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task.objects.visible_to(request.user).select_related(
        "area", "lead_unit", "leader", "region"), pk=pk)
    history = task.history.select_related("history_user").order_by("-history_date", "-history_id")[:50]
    # the state on the list's date when it came from one (a past quarter's), else today's
    try:
        day = date.fromisoformat(request.GET["as_of"])
    except (KeyError, ValueError):
        day = timezone.localdate()
    return render(request, "tasklists/task_detail.html", {
        "task": task, "history": history, "day": day, "state": task_state(task, day),
        "is_today": day == timezone.localdate(),
        "milestones": [(m, m.is_overdue(day), m.reached_on is not None and m.reached_on <= day)
                       for m in task.milestones.all()],
        "targets": task.targets.all(), "co_units": task.co_units.all(),
        "updates": task.updates.select_related("author", "unit").prefetch_related("values__target"),
        "can_update": can_edit(request.user, task)})


@login_required
def task_update(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task.objects.visible_to(request.user).select_related("area", "lead_unit"), pk=pk)
    if not can_edit(request.user, task):
        messages.error(request, _("只有牵头单位（%(unit)s）和市发展改革部门可以填报该任务的进展") % {"unit": task.lead_unit})
        return redirect("tasklists:task", pk=task.pk)
    form = UpdateForm(request.POST or None, task=task,
                      initial={"on": timezone.localdate(), "version": task.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.record_update(request.user, task.pk, form.service_data(), form.cleaned_data.get("version"))
        except ValidationError as exc:
            add_service_errors(form, exc)
        except EditConflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("任务进展已保存"))
            return redirect("tasklists:task", pk=task.pk)
    return render(request, "tasklists/update_form.html", {"form": form, "task": task})

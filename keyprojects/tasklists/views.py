"""Task list pages: the list (filtered by area, lead unit, state on a date; its totals line
equals the figures it is linked from), its .xlsx, the figures by area and by unit, a task with
its milestones, targets, updates and history, and the update form of its lead unit.
Views parse, call one service, render."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from keyprojects.core.forms import apply_posted, submitted
from keyprojects.core.http import AuthenticatedRequest, xlsx_download
from keyprojects.core.paging import Paginator
from keyprojects.core.params import query_id, region_asked, year_or_latest
from keyprojects.core.permissions import (
    administers,
    can_edit,
    region_holding,
    require_admin,
)
from keyprojects.indicators import figures
from keyprojects.indicators.engine import INDICATORS
from keyprojects.regions.models import Region

from . import services
from .export import task_state, task_workbook
from .filters import TaskFilter
from .forms import AreaForm, MilestoneForm, TargetForm, TaskForm, UpdateForm
from .models import Area, Task

PAGE_SIZE = 50


def _year(request: AuthenticatedRequest) -> int:
    """The year asked for, else the latest year of the tasks the user sees, else this year."""
    return year_or_latest(request.GET, Task.objects.visible_to(request.user))


def _region(request: AuthenticatedRequest) -> Region | None:
    region: Region | None = region_asked(request)
    return region


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
        "keeps_list": administers(request.user, region_holding(request.user)),
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
        "can_update": can_edit(request.user, task), "keeps_list": administers(request.user, task.region),
        "milestone_form": MilestoneForm(prefix="milestone"), "target_form": TargetForm(prefix="target")})


@login_required
def task_update(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task.objects.visible_to(request.user).select_related("area", "lead_unit"), pk=pk)
    if not can_edit(request.user, task):
        messages.error(request, _("只有牵头单位（%(unit)s）和市发展改革部门可以填报该任务的进展") % {"unit": task.lead_unit})
        return redirect("tasklists:task", pk=task.pk)
    form = UpdateForm(request.POST or None, task=task,
                      initial={"on": timezone.localdate(), "version": task.version})
    if request.method == "POST" and submitted(form, lambda: services.record_update(
            request.user, task.pk, form.service_data(), form.cleaned_data.get("version"))) is not None:
        messages.success(request, _("任务进展已保存"))
        return redirect("tasklists:task", pk=task.pk)
    return render(request, "tasklists/update_form.html", {"form": form, "task": task})


# --- the list kept by the commission: areas, tasks, their milestones and targets -----------------

def _kept_region(request: AuthenticatedRequest) -> Region:
    """The city whose list the user keeps (a city admin's own region); 403 for anyone else."""
    region = region_holding(request.user)
    require_admin(request.user, region)
    assert region is not None  # (a city admin holds a region)
    return region


@login_required
def areas(request: AuthenticatedRequest) -> HttpResponse:
    """The areas (方面) of the year's list, each with its task count; add one or rename one."""
    region, year = _kept_region(request), _year(request)
    if request.method == "POST":
        area_id = request.POST.get("area", "")
        form = AreaForm(request.POST, prefix=area_id or "new")
        if apply_posted(request, form, lambda data: services.save_area(
                request.user, region, year, data, int(area_id) if area_id.isdigit() else None), _("方面已保存")):
            return redirect(f"{reverse('tasklists:areas')}?year={year}")
    rows = Area.objects.filter(region=region, year=year).annotate(task_count=models.Count("tasks"))
    next_number = max((a.number for a in rows), default=0) + 1
    return render(request, "tasklists/areas.html", {
        "region": region, "year": year,
        "rows": [(a, AreaForm(prefix=str(a.pk), initial={"number": a.number, "name": a.name})) for a in rows],
        "form": AreaForm(prefix="new", initial={"number": next_number})})


def _task_form(request: AuthenticatedRequest, task: Task | None) -> HttpResponse:
    year = task.year if task else _year(request)
    region = task.region if task else _kept_region(request)
    require_admin(request.user, region)
    choices = Area.objects.filter(region=region, year=year)
    if task:
        initial: dict[str, Any] = {"version": task.version, "area": task.area_id, "number": task.number,
                                   "title": task.title, "description": task.description,
                                   "lead_unit": task.lead_unit_id, "leader": task.leader_id,
                                   "co_units": list(task.co_units.all()), "deadline": task.deadline}
    else:
        wanted = query_id(request.GET, "area", _("方面"))
        area = choices.filter(pk=wanted).first() if wanted else None
        number = (area.tasks.aggregate(n=models.Max("number"))["n"] or 0) + 1 if area else None
        initial = {"area": area, "number": number}
    form = TaskForm(request.POST or None, user=request.user, areas=choices, initial=initial)
    if request.method == "POST" and (saved := submitted(form, lambda: services.save_task(
        request.user, task.pk if task else None, form.service_data(), form.cleaned_data.get("version")))):
        messages.success(request, _("任务已保存"))
        return redirect("tasklists:task", pk=saved.pk)
    return render(request, "tasklists/task_form.html", {"form": form, "task": task, "year": year,
                                                        "has_areas": choices.exists()})


@login_required
def task_new(request: AuthenticatedRequest) -> HttpResponse:
    return _task_form(request, None)


@login_required
def task_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _task_form(request, get_object_or_404(Task.objects.visible_to(request.user), pk=pk))


@login_required
def task_part(request: AuthenticatedRequest, pk: int, kind: str) -> HttpResponse:
    """Add a milestone or a target to a task (posted from the task's page)."""
    task = get_object_or_404(Task.objects.visible_to(request.user), pk=pk)
    if request.method == "POST":
        require_admin(request.user, task.region)
        if kind == "milestone":
            apply_posted(request, MilestoneForm(request.POST, prefix="milestone"),
                         lambda data: services.save_milestone(request.user, task.pk, data), _("节点已添加"))
        else:
            apply_posted(request, TargetForm(request.POST, prefix="target"),
                         lambda data: services.save_target(request.user, task.pk, data), _("目标指标已添加"))
    return redirect("tasklists:task", pk=task.pk)

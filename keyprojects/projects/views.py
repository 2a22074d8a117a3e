"""Project pages: list, detail, create/edit, stage change, annual plan, history.

Views parse the request, call one service, render. Scope comes from the chokepoint
(``visible_to`` / ``require``); services re-check it inside their transaction.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keyprojects.alerts import queries as alert_queries
from keyprojects.alerts.models import Warning
from keyprojects.approvals.filters import totals as approval_totals
from keyprojects.approvals.models import ProjectApproval
from keyprojects.core.forms import add_service_errors, field_of
from keyprojects.core.http import AuthenticatedRequest, xlsx_download
from keyprojects.core.paging import Paginator
from keyprojects.core.permissions import can_create_project, can_edit, require, restrict
from keyprojects.dispatch import queries as dispatch_queries
from keyprojects.dispatch import rules as dispatch_rules
from keyprojects.dispatch.models import Meeting
from keyprojects.gallery.forms import FileForm
from keyprojects.indicators import figures
from keyprojects.indicators.engine import INDICATORS
from keyprojects.indicators.views import monthly_chart
from keyprojects.reporting.models import ProgressReport

from . import services
from .forms import AnnualPlanForm, ProjectForm, StageForm
from .history import project_history
from .models import STAGE_TRANSITIONS, AnnualPlan, Project, Stage

PAGE_SIZE = 50
PROBLEMS_SHOWN = 10  # on a project's page; the ledger filtered to the project lists them all
REPORTS_SHOWN = 24  # two years of months: older ones stay on the reports' own pages
MEETINGS_SHOWN = 10


@login_required
def project_list(request: AuthenticatedRequest) -> HttpResponse:
    listing = figures.project_list(request.user, request.GET)
    projects = listing.projects.select_related("region", "sector", "owner")
    page = Paginator(projects, PAGE_SIZE, count=listing.totals["count"], keys=listing.keys).get_page(
        request.GET.get("page"))
    alert_queries.attach(request.user, page)
    query = listing.filter.data.copy()
    query.pop("page", None)
    context = {
        "filter": listing.filter,
        "page": page,
        "totals": listing.totals,
        "totals_definition": INDICATORS["list_totals"],
        "years": listing.years,
        "year": listing.filter.data.get("year") or "",
        "as_of": listing.as_of,
        "query": query.urlencode(),
        "can_create": can_create_project(request.user),
    }
    template = "projects/_project_table.html" if request.htmx else "projects/project_list.html"
    return render(request, template, context)


@login_required
def project_export(request: AuthenticatedRequest) -> HttpResponse:
    """The list as the ledger a commission sends upward (.xlsx), with the list's filters."""
    from keyprojects.ledgers.export import ledger_workbook

    ledger = figures.ledger(request.user, request.GET)
    if ledger is None:
        messages.error(request, _("请先选择计划年度再导出"))
        return redirect("projects:list")
    content = ledger_workbook(ledger)
    return xlsx_download(content, f"{ledger.region.name}{ledger.year}年重点项目台账.xlsx")


@login_required
def project_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(
        Project.objects.visible_to(request.user)
        .select_related("region", "sector", "owner", "responsible_unit")
        .prefetch_related(
            "lists", "leaders", "funding",
            Prefetch("plans", queryset=AnnualPlan.objects.order_by("-year")),
            "stage_transitions__created_by",
        ),
        pk=pk,
    )
    editable = can_edit(request.user, project)
    stage_form = StageForm(initial={"version": project.version}) if editable else None
    if stage_form is not None:
        allowed = STAGE_TRANSITIONS.get(project.stage, set())
        field_of(stage_form, "to_stage", forms.ChoiceField).choices = [(s.value, s.label) for s in Stage if s in allowed]
    problems = dispatch_queries.of_project(request.user, project.pk, timezone.localdate())
    months = figures.plan_months(request.user, project)
    approvals = approval_totals(ProjectApproval.objects.visible_to(request.user).filter(project=project),
                                timezone.localdate())
    return render(request, "projects/project_detail.html", {
        "project": project, "editable": editable, "stage_form": stage_form, "approvals": approvals,
        "problems": problems[:PROBLEMS_SHOWN], "problem_count": problems.count(),
        "can_raise": editable and dispatch_rules.writes(request.user),
        "warning_badge": alert_queries.badges(request.user, [project.pk]).get(project.pk),
        "roadmap": figures.roadmap(request.user, project),
        "files": project.files.select_related("report__period", "uploaded_by"),  # newest first (the model's order)
        "file_form": FileForm() if editable else None,
        "months": months, "chart": monthly_chart(months["series"], Decimal) if months else None,
        "reports": restrict(ProgressReport.objects.filter(project=project), request.user)
        .select_related("period", "reviewed_by").order_by("-period__year", "-period__month")[:REPORTS_SHOWN],
        "warnings": Warning.objects.visible_to(request.user).filter(project=project, closed_on__isnull=True)
        .order_by("colour", "opened_on"),
        "meetings": Meeting.objects.visible_to(request.user).filter(projects=project).order_by("-date")[:MEETINGS_SHOWN],
    })


@login_required
def project_create(request: AuthenticatedRequest) -> HttpResponse:
    if not can_create_project(request.user):
        raise PermissionDenied(_("您没有登记项目的权限"))
    form = ProjectForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data
            project = services.create_project(request.user, data, form.funding(), stage=data["stage"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("项目“%(name)s”已登记") % {"name": project.name})
            return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/project_form.html", {"form": form, "creating": True})


@login_required
def project_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
    require(request.user, "edit", project)
    form = ProjectForm(request.POST or None, instance=project, user=request.user)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.update_project(
                request.user, project.pk, form.cleaned_data.get("version"), form.cleaned_data, form.funding()
            )
        except services.EditConflict as exc:
            conflict = exc
            form.add_error(None, str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("项目已保存"))
            return redirect("projects:detail", pk=project.pk)
    current = Project.objects.get(pk=project.pk) if conflict else None
    return render(request, "projects/project_form.html", {
        "form": form, "project": project, "conflict": conflict, "current": current,
    })


@login_required
@require_POST
def project_stage(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
    form = StageForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label if field in form.fields else ''}：{'；'.join(map(str, errors))}")
        return redirect("projects:detail", pk=pk)
    try:
        services.change_stage(
            request.user, project.pk, form.cleaned_data["version"], form.cleaned_data["to_stage"],
            form.cleaned_data["date"], form.cleaned_data["note"],
        )
    except services.EditConflict as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("建设阶段已变更"))
    return redirect("projects:detail", pk=pk)


@login_required
def plan_edit(request: AuthenticatedRequest, pk: int, year: int | None = None) -> HttpResponse:
    project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
    require(request.user, "edit", project)
    plan = get_object_or_404(AnnualPlan, project=project, year=year) if year else None
    form = AnnualPlanForm(request.POST or None, instance=plan, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_annual_plan(
                request.user, project.pk, form.cleaned_data["year"], form.cleaned_data,
                form.cleaned_data.get("version") if plan else None,
            )
        except services.EditConflict as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("年度计划已保存"))
            return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/plan_form.html", {"form": form, "project": project, "plan": plan})


@login_required
def project_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
    require(request.user, "edit", project)
    if request.method == "POST":
        try:
            services.delete_project(request.user, project.pk, int(request.POST.get("version") or 0))
        except services.EditConflict as exc:
            messages.error(request, str(exc))
            return redirect("projects:detail", pk=pk)
        messages.success(request, _("项目“%(name)s”已删除") % {"name": project.name})
        return redirect("projects:list")
    return render(request, "projects/project_confirm_delete.html", {"project": project})


@login_required
def project_history_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
    return render(request, "projects/project_history.html", {
        "project": project, "entries": project_history(project),
    })

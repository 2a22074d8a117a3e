"""Monthly reporting pages: periods, the filing screen, review, one report, corrections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keyprojects.accounts.models import User
from keyprojects.core.forms import apply_posted
from keyprojects.core.http import AuthenticatedRequest
from keyprojects.core.paging import Paginator
from keyprojects.core.params import required_version
from keyprojects.core.permissions import (
    Action,
    can_edit,
    files_report,
    is_reviewer,
    nearby,
    require_admin,
    restrict,
)
from keyprojects.dispatch import queries as dispatch_queries
from keyprojects.dispatch import rules as dispatch_rules
from keyprojects.gallery.forms import FileForm
from keyprojects.projects.models import AnnualPlan
from keyprojects.projects.services import EditConflict

from . import services
from .checks import check_report
from .forms import CorrectionForm, PeriodForm, ReportForm, ReturnForm
from .models import ProgressReport, ReportingPeriod

Status = ProgressReport.Status
EDITABLE = (Status.DRAFT, Status.RETURNED)
PERIOD_COUNTS = {  # a period's reports, as the period list counts them
    "n_reports": Count("pk"),
    # Filed means with the city: waiting for review or approved (a returned report is back with its filer).
    "n_filed": Count("pk", filter=Q(status__in=[Status.SUBMITTED, Status.APPROVED])),
    "n_submitted": Count("pk", filter=Q(status=Status.SUBMITTED)),
    "n_approved": Count("pk", filter=Q(status=Status.APPROVED)),
    "n_late": Count("pk", filter=Q(late=True)),
}


def _visible_periods(user: User) -> QuerySet[ReportingPeriod]:
    """Periods of the user's city (set by the city, filed into by its counties)."""
    return nearby(user, ReportingPeriod.objects.select_related("region"))


def _status_counts(reports: QuerySet[ProgressReport]) -> dict[str, int]:
    """How many of ``reports`` are in each state (every state named, 0 where none)."""
    return {s: 0 for s in Status.values} | dict(reports.order_by().values_list("status").annotate(n=Count("id")))


def _reports(user: User, period: ReportingPeriod, action: Action = "view") -> QuerySet[ProgressReport]:
    return restrict(ProgressReport.objects.filter(period=period), user, action).select_related(
        "project__region", "period", "submitted_by", "reviewed_by")


@login_required
def period_list(request: AuthenticatedRequest) -> HttpResponse:
    form = None
    if request.user.is_superuser or request.user.role == "city_admin":
        form = PeriodForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                # A commission sets the periods of its own region (a city, or a county-level city).
                if request.user.region is None:
                    raise PermissionDenied(_("只有市级管理员可以设置填报期"))
                services.create_period(request.user, request.user.region, data["year"], data["month"],
                                       data["opens_on"], data["closes_on"])
            except ValidationError as exc:
                for field, errors in getattr(exc, "error_dict", {None: exc.error_list}).items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("填报期已创建"))
                return redirect("reporting:periods")
    periods = list(_visible_periods(request.user))
    # The counts of the reports this user sees: a county clerk's are the county's, not the city's.
    seen = restrict(ProgressReport.objects.filter(period__in=periods), request.user)
    counts = {row["period"]: {name: n for name, n in row.items() if name != "period"}
              for row in seen.values("period").order_by().annotate(**PERIOD_COUNTS)}
    for period in periods:
        for name, n in counts.get(period.pk, dict.fromkeys(PERIOD_COUNTS, 0)).items():
            setattr(period, name, n)
    return render(request, "reporting/period_list.html", {"periods": periods, "form": form})


@login_required
@require_POST
def period_state(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    period = get_object_or_404(_visible_periods(request.user), pk=pk)
    state = request.POST.get("state", "")
    if state not in ReportingPeriod.State.values:
        messages.error(request, _("无效的状态"))
        return redirect("reporting:periods")
    try:
        services.set_period_state(request.user, period.pk, state)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("%(period)s 已设为“%(state)s”") % {
            "period": period.label, "state": ReportingPeriod.State(state).label})
    return redirect("reporting:periods")


FILL_PAGE = 50  # rows of the filing screen per page
REVIEW_PAGE = 100  # rows of the review page per page


def _chosen(request: AuthenticatedRequest, report: ProgressReport, form: ReportForm, submit: bool) -> bool:
    """Whether the filing screen's post acts on this row: its figures were changed, or the filer
    ticked it as checked (已核对), or (to submit) it is a draft someone saved before, not an
    untouched copy of last month's (``ProgressReport.is_saved_draft``). Changed means changed in the
    browser, as its script marks the rows (``fill.js``): a row saved meanwhile from elsewhere
    differs from the database without being touched here. Without the script, what differs."""
    if "tracked" in request.POST:
        changed = f"r{report.pk}-edited" in request.POST
    else:
        changed = form.has_changed()
    if changed or f"r{report.pk}-confirm" in request.POST:
        return True
    return submit and report.is_saved_draft


@login_required
def fill(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The filing screen: the reports of the user's projects in this period, a page at a time
    (a county may have hundreds); saving saves the rows of the page."""
    period = get_object_or_404(_visible_periods(request.user), pk=pk)
    if request.method == "POST" and "prefill" in request.POST:
        try:
            created = services.prefill_period(request.user, period.pk)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("已从上月带入 %(n)s 个项目的月报草稿") % {"n": created})
        return redirect("reporting:fill", pk=period.pk)

    all_reports = _reports(request.user, period, "edit").order_by("project__region__code", "project__name", "pk")
    counts = _status_counts(all_reports)
    page = Paginator(all_reports, FILL_PAGE, count=sum(counts.values())).get_page(request.GET.get("page"))
    reports = list(page.object_list)
    plans = {p.project_id: p for p in AnnualPlan.objects.filter(
        year=period.year, project_id__in=[r.project_id for r in reports])}
    previous = services.previous_reports([r.project_id for r in reports], period)
    data = request.POST if request.method == "POST" else None
    problems = dispatch_queries.standing(request.user, [r.project_id for r in reports], period)
    rows = []
    for report in reports:  # (in the edit scope already: whether the user files it is left to decide)
        editable = report.status in EDITABLE and period.state != ReportingPeriod.State.LOCKED \
            and files_report(request.user, report)
        form = ReportForm(data, instance=report, prefix=f"r{report.pk}") if editable else None
        plan, before = plans.get(report.project_id), previous.get(report.project_id)
        rows.append({"report": report, "form": form, "plan": plan, "previous": before, "errors": [],
                     "problems": problems.get(report.project_id, []),
                     "findings": check_report(report, before, plan),
                     "reviewer": is_reviewer(request.user, report.project.region)})
    if request.method == "POST":
        editable_rows = [r for r in rows if r["form"] is not None]
        for r in editable_rows:  # every row's version, or its check would be skipped
            required_version(request.POST, f"r{r['report'].pk}-version")
        submit = "submit" in request.POST
        chosen = [r for r in editable_rows if _chosen(request, r["report"], r["form"], submit)]
        for r in editable_rows:
            r["confirmed"] = f"r{r['report'].pk}-confirm" in request.POST
        untouched = len(editable_rows) - len(chosen)
        if not chosen:
            messages.warning(request, _("本页没有修改过或勾选“已核对”的项目，没有保存任何月报"))
        elif all(r["form"].is_valid() for r in chosen):
            try:
                services.save_reports(request.user, period.pk, [
                    (r["report"].pk, r["form"].cleaned_data, r["form"].cleaned_data.get("version"))
                    for r in chosen], submit=submit)
            except services.RowErrors as exc:
                for r in chosen:
                    if r["report"].pk in exc.rows:
                        r["errors"] = exc.rows[r["report"].pk].messages
                messages.error(request, _("有 %(n)s 个项目未通过校验，全部未保存，请修改标红的行") % {"n": len(exc.rows)})
            else:
                done = (_("已报送 %(n)s 个项目的月报") if submit else _("已保存 %(n)s 个项目的月报草稿")) % {"n": len(chosen)}
                if untouched:
                    done += _("；本页另有 %(n)s 个项目未修改也未勾选“已核对”，未动") % {"n": untouched}
                messages.success(request, done)
                return redirect(f"{reverse('reporting:fill', args=[period.pk])}?page={page.number}")
        else:
            messages.error(request, _("有填写不正确的项目，全部未保存，请修改标红的行"))
    missing = restrict(AnnualPlan.objects.filter(year=period.year, project__region__path__startswith=period.region.path),
                       request.user, "edit").exclude(project__reports__period=period).count()
    return render(request, "reporting/fill.html", {
        "period": period, "rows": rows, "page": page, "counts": counts, "missing": missing,
        "editable": any(r["form"] is not None for r in rows),
        "locked": period.state == ReportingPeriod.State.LOCKED,
        "late": timezone.localdate() > period.closes_on,
        "reviewer": is_reviewer(request.user, period.region),
    })


@login_required
def review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    period = get_object_or_404(_visible_periods(request.user), pk=pk)
    require_admin(request.user, period.region)
    status = request.GET.get("status", Status.SUBMITTED)
    all_reports = _reports(request.user, period).order_by("project__region__code", "project__name")
    counts = _status_counts(all_reports)
    if status in Status.values:
        all_reports = all_reports.filter(status=status)
    page = Paginator(all_reports, REVIEW_PAGE, count=counts.get(status, sum(counts.values()))).get_page(
        request.GET.get("page"))
    reports = list(page.object_list)
    previous = services.previous_reports([r.project_id for r in reports], period)
    plans = {p.project_id: p for p in AnnualPlan.objects.filter(
        year=period.year, project_id__in=[r.project_id for r in reports])}
    rows = [{"report": r, "findings": check_report(r, previous.get(r.project_id), plans.get(r.project_id))}
            for r in reports]
    return render(request, "reporting/review.html", {
        "period": period, "rows": rows, "status": status, "page": page, "query": urlencode({"status": status}),
        "statuses": [(value, label, counts[value]) for value, label in Status.choices],
        # submitted reports of the page that no check questions: approved together on request;
        # the others (a question or a warning) are left for a look one at a time
        "clean": [row["report"] for row in rows if row["report"].status == Status.SUBMITTED and not row["findings"]],
        "skipped": sum(1 for row in rows if row["report"].status == Status.SUBMITTED and row["findings"]),
    })


@login_required
@require_POST
def review_approve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Approve the reports the review page listed as clean (id and version each), all or none."""
    period = get_object_or_404(_visible_periods(request.user), pk=pk)
    try:
        chosen = [(int(report), int(version)) for report, version in
                  (value.split(":") for value in request.POST.getlist("report"))]
    except ValueError:
        chosen = []
    if not chosen:
        messages.error(request, _("没有选中要通过的月报"))
    else:
        try:
            n = services.approve_reports(request.user, period, chosen)
        except (EditConflict, ValidationError, PermissionDenied) as exc:
            messages.error(request, _("未通过任何月报：%(why)s") % {"why": "；".join(getattr(exc, "messages", [str(exc)]))})
        else:
            done = _("已通过 %(n)s 份月报") % {"n": n}
            skipped = request.POST.get("skipped", "")
            if skipped.isdigit() and int(skipped):  # the page's count, said back (the approval is of the listed ones only)
                done += _("；跳过 %(n)s 份有疑问的月报，请逐份查看后通过或退回") % {"n": int(skipped)}
            messages.success(request, done)
    return _back(request, "reporting:review", pk=period.pk)


@login_required
def report_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(
        restrict(ProgressReport.objects.select_related("project__region", "period__region"), request.user, "view"), pk=pk)
    editable = can_edit(request.user, report.project) and files_report(request.user, report) \
        and report.status in EDITABLE \
        and report.period.state != ReportingPeriod.State.LOCKED
    reviewer = is_reviewer(request.user, report.project.region)
    problems = dispatch_queries.standing(request.user, [report.project_id], report.period).get(report.project_id, [])
    context = {
        "problems": problems,
        # the report's 存在问题 as a problem, in one click: by who may raise one for the project, once
        "raise_problem": bool(report.problems.strip()) and can_edit(request.user, report.project)
        and dispatch_rules.writes(request.user) and not report.raised_problems.exists(),
        "report": report, "findings": services.findings_for(report), "editable": editable, "reviewer": reviewer,
        "plan": AnnualPlan.objects.filter(project=report.project, year=report.period.year).first(),
        "previous": services.previous_report(report.project_id, report.period),
        "history": report.history.select_related("history_user").order_by("-history_date")[:50],
        "form": ReportForm(instance=report) if editable else None,
        "photo_form": FileForm() if editable else None,
        "files": report.files.select_related("report__period", "uploaded_by"),
        "return_form": ReturnForm() if reviewer and report.status == Status.SUBMITTED else None,
        "correction_form": CorrectionForm(instance=report) if reviewer and report.status == Status.APPROVED else None,
    }
    return render(request, "reporting/report_detail.html", context)


def _act(request: AuthenticatedRequest, pk: int, action: Callable[[ProgressReport, int | None], str]) -> HttpResponse:
    """Run one workflow action on a report and go back where the user came from."""
    report = get_object_or_404(restrict(ProgressReport.objects.all(), request.user, "view"), pk=pk)
    version = required_version(request.POST)
    try:
        messages.success(request, action(report, version))
    except EditConflict as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return _back(request, "reporting:report", pk=pk)


def _back(request: AuthenticatedRequest, default: str, **kwargs: Any) -> HttpResponse:
    """Back to the page the form came from (its ``next``, if on this site), else ``default``."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect(default, **kwargs)


@login_required
@require_POST
def report_save(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    # (a reviewer may not save a clerk's report: the service refuses it, ``permissions.require_filer``)
    report = get_object_or_404(restrict(ProgressReport.objects.all(), request.user, "edit"), pk=pk)
    required_version(request.POST)
    form = ReportForm(request.POST, instance=report)
    if not form.is_valid():
        messages.error(request, "；".join(f"{form.fields[f].label}：{'，'.join(map(str, e))}"
                                         for f, e in form.errors.items() if f in form.fields) or _("填写有误"))
        return redirect("reporting:report", pk=pk)
    submit = "submit" in request.POST
    try:
        services.save_reports(request.user, report.period_id, [(report.pk, form.cleaned_data,
                                                                form.cleaned_data.get("version"))], submit=submit)
    except services.RowErrors as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("月报已报送") if submit else _("月报草稿已保存"))
    return redirect("reporting:report", pk=pk)


@login_required
@require_POST
def report_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def submit(report: ProgressReport, version: int | None) -> str:
        services.submit_report(request.user, report.pk, version)
        return _("月报已报送")

    return _act(request, pk, submit)


@login_required
@require_POST
def report_approve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def approve(report: ProgressReport, version: int | None) -> str:
        services.approve_report(request.user, report.pk, version)
        return _("月报已审核通过")

    return _act(request, pk, approve)


@login_required
@require_POST
def report_return(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def send_back(report: ProgressReport, version: int | None) -> str:
        services.return_report(request.user, report.pk, request.POST.get("return_reason", ""), version)
        return _("月报已退回")

    return _act(request, pk, send_back)


@login_required
@require_POST
def report_correct(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(restrict(ProgressReport.objects.all(), request.user, "view"), pk=pk)
    form = CorrectionForm(request.POST, instance=report)
    if not form.is_valid():
        messages.error(request, "；".join(f"{form.fields[f].label}：{'，'.join(map(str, e))}"
                                         for f, e in form.errors.items() if f in form.fields))
        return redirect("reporting:report", pk=pk)
    def correct(report: ProgressReport, version: int | None) -> str:
        services.correct_report(request.user, report.pk, form.cleaned_data, form.cleaned_data["reason"], version)
        return _("已更正，原因已记入修改记录")

    return _act(request, pk, correct)


@login_required
@require_POST
def report_photo(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(restrict(ProgressReport.objects.all(), request.user, "edit"), pk=pk)
    apply_posted(request, FileForm(request.POST, request.FILES),
                 lambda data: services.add_photo(request.user, report.pk, data["file"], data["caption"]), _("照片已上传"))
    return redirect("reporting:report", pk=pk)

"""Dispatch pages: the problem ledger, a problem with its timeline and actions, raising one (from
nothing, a project, a report's 存在问题 or a meeting's decision), a unit's to-do, and the
meetings. Views parse the request, call one service, render; scope comes from ``visible_to``
and the services check it again, with the sides (``rules``), inside their transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Min
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keyprojects.core.forms import apply_posted, submitted
from keyprojects.core.http import AuthenticatedRequest, file_download, xlsx_download
from keyprojects.core.paging import Paginator
from keyprojects.core.params import query_date
from keyprojects.core.permissions import (
    administers,
    holds_region,
    require_admin,
    restrict,
)
from keyprojects.indicators import figures
from keyprojects.projects.models import Project
from keyprojects.regions.models import Region
from keyprojects.reporting.models import ProgressReport

from . import agenda, cadence, queries, rules, services
from .export import GROUPINGS, problem_workbook
from .filters import MeetingFilter, ProblemFilter, totals
from .forms import (
    AssignForm,
    CadenceRuleForm,
    CalendarForm,
    DecisionFormSet,
    EscalateForm,
    MeetingAttachmentForm,
    MeetingForm,
    ProblemEditForm,
    ProblemForm,
    ReplyWithFilesForm,
    ReturnForm,
    SignOffForm,
    decisions_of,
)
from .models import (
    CadenceRule,
    Decision,
    Meeting,
    MeetingAttachment,
    Problem,
    ProblemAttachment,
    ProblemEvent,
)

PAGE_SIZE = 50
State = Problem.State


def _query(params: Any) -> str:
    query = params.copy()
    query.pop("page", None)
    return query.urlencode()


# --- the ledger -------------------------------------------------------------------------------

@login_required
def problem_list(request: AuthenticatedRequest) -> HttpResponse:
    today = timezone.localdate()
    ledger = ProblemFilter(request.GET, queryset=Problem.objects.visible_to(request.user), user=request.user,
                           today=today)
    found = ledger.qs
    counts = totals(found, today)
    page = Paginator(found.select_related(*queries.SHOWN), PAGE_SIZE, count=counts["count"]).get_page(
        request.GET.get("page"))
    project_id = ledger.form.cleaned_data.get("project") if ledger.is_valid() else None
    context = {
        "filter": ledger, "page": page, "totals": counts, "today": today,
        "state_counts": [(value, label, counts[value]) for value, label in State.choices],
        "query": _query(ledger.data),
        "project": Project.objects.visible_to(request.user).filter(pk=project_id).first() if project_id else None,
        "can_raise": rules.writes(request.user), "figure_filters": ledger.figure_filters(),
    }
    template = "dispatch/_problem_table.html" if request.htmx else "dispatch/problem_list.html"
    return render(request, template, context)


def _ledger_title(request: AuthenticatedRequest, ledger: ProblemFilter) -> tuple[str, str]:
    """The export's title (the region chosen in the filter, else the user's own) and unit."""
    user = request.user
    chosen = ledger.form.cleaned_data.get("region") if ledger.is_valid() else None
    region = chosen or user.region
    return f"{region.name if region else ''}重点项目问题台账", str(user.unit or user.get_role_display())


@login_required
def problem_export(request: AuthenticatedRequest) -> HttpResponse:
    """The ledger as the official .xlsx, with the list's filter (``?group=unit``: by lead unit)."""
    today = timezone.localdate()
    ledger = ProblemFilter(request.GET, queryset=Problem.objects.visible_to(request.user), user=request.user,
                           today=today)
    group_by = request.GET.get("group") or "state"
    group_by = group_by if group_by in GROUPINGS else "state"
    title, unit = _ledger_title(request, ledger)
    content = problem_workbook(ledger.qs, title=title, unit=unit, as_of=today, group_by=group_by)
    return xlsx_download(content, f"{title}（{today:%Y%m%d}）.xlsx")


SHEETS_AT_MOST = 200  # one printout; more is a filter to narrow


@login_required
def problem_sheet(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The 交办单 of one problem, an A4 page to print."""
    return _sheets(request, [_visible_problem(request, pk)])


@login_required
def problem_sheets(request: AuthenticatedRequest) -> HttpResponse:
    """The 交办单 of the list's problems (a unit's: ``?lead_unit=``), one A4 page each."""
    ledger = ProblemFilter(request.GET, queryset=Problem.objects.visible_to(request.user), user=request.user)
    found = list(ledger.qs.exclude(state=State.NEW).select_related(
        *queries.SHOWN, "meeting", "raised_by").prefetch_related("co_units")[:SHEETS_AT_MOST + 1])
    if len(found) > SHEETS_AT_MOST:
        messages.error(request, _("一次最多打印 %(n)s 张交办单，请先按牵头单位等条件筛选") % {"n": SHEETS_AT_MOST})
        return redirect(f"{reverse('dispatch:problems')}?{_query(ledger.data)}")
    return _sheets(request, found)


def _sheets(request: AuthenticatedRequest, problems: list[Problem]) -> HttpResponse:
    assigned_on = dict(ProblemEvent.objects.filter(problem__in=problems, kind=ProblemEvent.Kind.ASSIGNED).order_by()
                       .values("problem_id").annotate(first=Min("date")).values_list("problem_id", "first"))
    return render(request, "dispatch/problem_sheet.html", {
        "sheets": [(p, assigned_on.get(p.pk)) for p in problems], "today": timezone.localdate(),
    })


def _visible_problem(request: AuthenticatedRequest, pk: int) -> Problem:
    return get_object_or_404(Problem.objects.visible_to(request.user).select_related(
        *queries.SHOWN, "report__period", "meeting", "decision", "raised_by", "signed_off_by"), pk=pk)


@login_required
def problem_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _problem_page(request, _visible_problem(request, pk))


ACTION_FORMS: dict[str, Callable[..., Any]] = {
    "assign": AssignForm, "reply": ReplyWithFilesForm, "sign_off": SignOffForm, "return": ReturnForm,
    "escalate": EscalateForm,
}


def _problem_page(request: AuthenticatedRequest, problem: Problem, bound: dict[str, Any] | None = None,
                  status: int = 200) -> HttpResponse:
    """The problem's page with the forms of the actions the user may take (``bound``: one that
    came back with errors)."""
    user, bound = request.user, bound or {}
    allowed = rules.actions(user, problem)
    forms: dict[str, Any] = {}
    for action, form_class in ACTION_FORMS.items():
        offered = allowed & ({"reply", "progress"} if action == "reply" else {action})
        if offered:
            kwargs = {"user": user} if action == "assign" else {}
            initial: dict[str, Any] = {"version": problem.version}
            if action == "assign":
                initial |= {"lead_unit": problem.lead_unit_id, "leader": problem.leader_id,
                            "co_units": list(problem.co_units.values_list("pk", flat=True)),
                            "deadline": problem.escalation_deadline if problem.state == State.ESCALATED
                            else problem.deadline}
            if action == "reply" and "reply" not in allowed:
                initial["progress_only"] = True
            forms[action] = bound.get(action) or form_class(initial=initial, **kwargs)
    if "reply" in forms and "reply" not in allowed:
        forms["reply"].fields["progress_only"].disabled = True  # a co-unit reports progress only
    events = problem.events.select_related("actor", "unit").prefetch_related("attachments")
    return render(request, "dispatch/problem_detail.html", {
        "problem": problem, "events": events, "forms": forms, "allowed": allowed,
        "co_units": problem.co_units.all(), "today": timezone.localdate(),
        "overdue": problem.is_overdue(),
    }, status=status)


def _act(request: AuthenticatedRequest, pk: int, action: str, run: Callable[[Problem, dict[str, Any]], str]) -> HttpResponse:
    """One workflow action from the problem's page: its form, then its service; errors come back
    on the page with what the user typed, nothing saved."""
    problem = _visible_problem(request, pk)
    kwargs = {"user": request.user} if action == "assign" else {}
    form = ACTION_FORMS[action](request.POST, request.FILES, **kwargs)
    if message := submitted(form, lambda: run(problem, form.cleaned_data)):
        messages.success(request, message)
        return redirect("dispatch:problem", pk=problem.pk)
    return _problem_page(request, problem, {action: form})


@login_required
@require_POST
def problem_assign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def run(problem: Problem, data: dict[str, Any]) -> str:
        services.assign(request.user, problem.pk, data.get("version"), data)
        return _("已交办")

    return _act(request, pk, "assign", run)


@login_required
@require_POST
def problem_reply(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def run(problem: Problem, data: dict[str, Any]) -> str:
        done = not data.get("progress_only")
        services.reply(request.user, problem.pk, data.get("version"), data["text"], done=done,
                       files=data.get("attachments") or [])
        return _("已办结答复，等待提出方销号") if done else _("已反馈办理进展")

    return _act(request, pk, "reply", run)


@login_required
@require_POST
def problem_sign_off(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def run(problem: Problem, data: dict[str, Any]) -> str:
        services.sign_off(request.user, problem.pk, data.get("version"), data.get("text", ""))
        return _("已销号")

    return _act(request, pk, "sign_off", run)


@login_required
@require_POST
def problem_return(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def run(problem: Problem, data: dict[str, Any]) -> str:
        services.return_problem(request.user, problem.pk, data.get("version"), data["reason"])
        return _("已退回承办单位")

    return _act(request, pk, "return", run)


@login_required
@require_POST
def problem_escalate(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    def run(problem: Problem, data: dict[str, Any]) -> str:
        problem = services.escalate(request.user, problem.pk, data.get("version"), data["reason"], data["deadline"])
        return _("已提级至%(region)s") % {"region": problem.level.name}

    return _act(request, pk, "escalate", run)


@login_required
def problem_create(request: AuthenticatedRequest) -> HttpResponse:
    """Raise a problem; ``?project=`` (from a project's page) or ``?decision=`` (from a meeting's
    decision) fill the form in."""
    if not rules.writes(request.user):
        raise PermissionDenied(_("您的角色只能查看，不能提出问题"))
    initial: dict[str, Any] = {}
    if request.method == "GET":
        initial = _prefilled(request)
    form = ProblemForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and (problem := submitted(form, lambda: services.raise_problem(
            request.user, form.cleaned_data))):
        messages.success(request, _("问题已提出（%(state)s）") % {"state": problem.get_state_display()})
        return redirect("dispatch:problem", pk=problem.pk)
    decision = form["decision"].value()
    return render(request, "dispatch/problem_form.html", {
        "form": form, "creating": True,
        "decision": Decision.objects.filter(pk=decision).select_related("meeting").first()
        if str(decision or "").isdigit() else None,
    })


def _prefilled(request: AuthenticatedRequest) -> dict[str, Any]:
    project, decision = request.GET.get("project", ""), request.GET.get("decision", "")
    if decision.isdigit():
        found = get_object_or_404(Decision.objects.filter(meeting__in=Meeting.objects.visible_to(request.user))
                                  .select_related("meeting__region", "meeting__chair"), pk=decision)
        data = services.decision_data(found)
        project_id = data["project"].pk if data["project"] else None
        if project_id and not restrict(Project.objects.filter(pk=project_id), request.user, "edit").exists():
            data["project"] = None
        return {key: getattr(value, "pk", value) for key, value in data.items()}
    if project.isdigit():
        found_project = get_object_or_404(restrict(Project.objects.all(), request.user, "edit"), pk=project)
        leader = found_project.leaders.first()
        return {"project": found_project.pk, "leader": leader.pk if leader else None}
    return {}


@login_required
def problem_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    problem = _visible_problem(request, pk)
    try:
        rules.require_may(request.user, problem, "edit")
    except ValidationError as exc:  # (no longer awaiting assignment)
        messages.error(request, "；".join(exc.messages))
        return redirect("dispatch:problem", pk=problem.pk)
    form = ProblemEditForm(request.POST or None, instance=problem, user=request.user)
    if request.method == "POST" and submitted(form, lambda: services.update_problem(
            request.user, problem.pk, form.cleaned_data.get("version"), form.cleaned_data)) is not None:
        messages.success(request, _("问题已保存"))
        return redirect("dispatch:problem", pk=problem.pk)
    return render(request, "dispatch/problem_form.html", {"form": form, "problem": problem})


@login_required
@require_POST
def problem_from_report(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A report's 存在问题 as a problem, in one click."""
    report = get_object_or_404(restrict(ProgressReport.objects.all(), request.user), pk=pk)
    try:
        problem = services.raise_from_report(request.user, report.pk)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("reporting:report", pk=report.pk)
    messages.success(request, _("已将月报的存在问题转为问题（待交办），请核对类别后交办"))
    return redirect("dispatch:problem", pk=problem.pk)


@login_required
def problem_file(request: AuthenticatedRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(ProblemAttachment.objects.filter(
        event__problem__in=Problem.objects.visible_to(request.user)), pk=pk)
    return file_download(attachment.file, attachment.name)


@login_required
def todo(request: AuthenticatedRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(request, "dispatch/todo.html", {"todo": queries.todo(request.user, today), "today": today})


# --- meetings ---------------------------------------------------------------------------------

@login_required
def meeting_list(request: AuthenticatedRequest) -> HttpResponse:
    meetings = MeetingFilter(request.GET, queryset=Meeting.objects.visible_to(request.user), user=request.user)
    page = Paginator(meetings.qs.select_related("region", "chair"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "dispatch/meeting_list.html", {
        "filter": meetings, "page": page, "query": _query(meetings.data), "can_record": holds_region(request.user),
        "totals": {"count": page.paginator.count},  # what a dispatch figure linking here equals
    })


@login_required
def meeting_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting.objects.visible_to(request.user).select_related("region", "chair",
                                                                                         "cadence_rule"), pk=pk)
    editable = holds_region(request.user) and restrict(Meeting.objects.filter(pk=pk), request.user, "edit").exists()
    visible = Problem.objects.visible_to(request.user)
    decisions = list(meeting.decisions.all())
    problems = {p.decision_id: p for p in visible.filter(decision__in=decisions).select_related("lead_unit")}
    return render(request, "dispatch/meeting_detail.html", {
        "meeting": meeting, "editable": editable, "can_raise": rules.writes(request.user),
        "decisions": [(d, problems.get(d.pk)) for d in decisions],
        "other_problems": visible.filter(meeting=meeting, decision__isnull=True).select_related("lead_unit"),
        "attachment_form": MeetingAttachmentForm() if editable else None,
        "units": meeting.units.all(), "projects": meeting.projects.select_related("region"),
    })


@login_required
def meeting_create(request: AuthenticatedRequest) -> HttpResponse:
    if not holds_region(request.user):
        raise PermissionDenied(_("调度会由市、县区的调度部门记录"))
    return _meeting_form(request, None)


@login_required
def meeting_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting.objects.visible_to(request.user), pk=pk)
    if not restrict(Meeting.objects.filter(pk=pk), request.user, "edit").exists() or not holds_region(request.user):
        raise PermissionDenied(_("您没有修改该调度会的权限"))
    return _meeting_form(request, meeting)


def _meeting_form(request: AuthenticatedRequest, meeting: Meeting | None) -> HttpResponse:
    initial = _for_rule(request) if meeting is None and request.method == "GET" else {}
    form = MeetingForm(request.POST or None, instance=meeting, user=request.user, initial=initial)
    suggestions = _suggested(request, initial) if meeting is None and request.method == "GET" else []
    decisions = DecisionFormSet(request.POST or None, prefix="decisions",
                                initial=[{"id": d.pk, "text": d.text} for d in meeting.decisions.all()] if meeting else [])
    if request.method == "POST" and decisions.is_valid() and (saved := submitted(form, lambda: services.save_meeting(
            request.user, meeting.pk if meeting else None, form.cleaned_data.get("version"), form.cleaned_data,
            decisions_of(decisions)))):
        messages.success(request, _("调度会已保存"))
        return redirect("dispatch:meeting", pk=saved.pk)
    return render(request, "dispatch/meeting_form.html", {
        "form": form, "decisions": decisions, "meeting": meeting, "suggestions": suggestions[:agenda.LIMIT],
        "suggested": len(suggestions), "limit": agenda.LIMIT})


def _suggested(request: AuthenticatedRequest, initial: dict[str, Any]) -> list[agenda.Suggestion]:
    """The agenda suggested for a new meeting: over the rule's lists and region when it is
    recorded for a rule, else the user's region's key projects; on its day, else today."""
    rule = CadenceRule.objects.filter(pk=initial["cadence_rule"]).select_related("region").first() \
        if initial.get("cadence_rule") else None
    region = rule.region if rule is not None else request.user.region
    if region is None:
        return []  # (a superuser without a unit: no region to look at)
    day = initial.get("date") or timezone.localdate()
    return agenda.suggest(request.user, region, day, rule.lists.all() if rule is not None else ())


def _for_rule(request: AuthenticatedRequest) -> dict[str, Any]:
    """A new meeting's day (``?date=``) and, recorded for a cadence rule (``?rule=``, from the
    calendar or a reminder), the rule's region, chair, kind and name."""
    pk, day = request.GET.get("rule", ""), query_date(request.GET, "date", _("会议日期"))
    initial: dict[str, Any] = {}
    if day is not None:  # (no day: the secretariat fills it in)
        initial["date"] = day
    if pk.isdigit():
        rule = get_object_or_404(CadenceRule.objects.visible_to(request.user), pk=pk)
        initial |= {"cadence_rule": rule.pk, "region": rule.region_id, "chair": rule.chair_id, "kind": rule.kind,
                    "title": rule.name}
    return initial


@login_required
@require_POST
def meeting_attachment(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting.objects.visible_to(request.user), pk=pk)
    apply_posted(request, MeetingAttachmentForm(request.POST, request.FILES), lambda data: services.add_meeting_attachment(
        request.user, meeting.pk, data["file"], data["kind"], data["caption"]), _("附件已上传"))
    return redirect("dispatch:meeting", pk=meeting.pk)


@login_required
def meeting_file(request: AuthenticatedRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(MeetingAttachment.objects.filter(
        meeting__in=Meeting.objects.visible_to(request.user)), pk=pk)
    return file_download(attachment.file, attachment.name)


# --- the cadence ------------------------------------------------------------------------------

def _first_of(month: str | None) -> date | None:
    return date(int(month[:4]), int(month[5:7]), 1) if month else None


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


@login_required
def calendar(request: AuthenticatedRequest) -> HttpResponse:
    """调度日历: the meetings the active cadence rules make due in the chosen months (this month
    and the next by default), with their states; each rule with its tally of the year."""
    today, user = timezone.localdate(), request.user
    visible = CadenceRule.objects.visible_to(user).filter(active=True)
    regions = Region.objects.filter(pk__in=visible.values("region")).order_by("code")
    form = CalendarForm(request.GET, regions=regions)
    form.is_valid()
    data = form.cleaned_data
    start = _first_of(data.get("start")) or date(today.year, today.month, 1)
    end_month = _first_of(data.get("end")) or _next_month(start)
    if end_month < start or "end" in form.errors:
        end_month = _next_month(start)
    end = _next_month(end_month) - timedelta(days=1)
    if not form.errors:  # (shown with the months it shows; or as asked, with its errors)
        shown = request.GET.copy()
        shown["start"], shown["end"] = f"{start:%Y-%m}", f"{end:%Y-%m}"
        form = CalendarForm(shown, regions=regions)
        form.is_valid()
    region, state, rule = data.get("region"), data.get("state"), data.get("rule")
    items = figures.cadence_calendar(user, start, end, today, region)
    if rule:
        items = [item for item in items if item.rule.pk == rule]
    if state:
        wanted = cadence.DUE_STATES if state == "due" else (state,)
        items = [item for item in items if item.state in wanted]
    # the tally of the year the calendar shows (the current one by default), by today
    year = [(r, tally, _tally_links(r, start.year, region))
            for r, tally in figures.cadence_year(user, today, region, start.year)]
    return render(request, "dispatch/calendar.html", {
        "form": form, "items": [(item, services.record_url(item)) for item in items], "start": start, "end": end,
        "today": today, "rules": year, "several_regions": len(regions) > 1, "can_record": holds_region(user),
        "can_manage": administers(user),
        "rule": next((r for r, _t, _l in year if r.pk == rule), None) if rule else None,
    })


def _tally_links(rule: CadenceRule, year: int, region: Region | None) -> dict[str, str]:
    """The calendar of the rule's ``year`` filtered to each count's rows."""
    base = {"rule": str(rule.pk), "start": f"{year}-01", "end": f"{year}-12"}
    if region is not None:
        base["region"] = str(region.pk)
    return {state: "?" + urlencode(base | {"state": state}) for state in ("due", "held", "missed")}


@login_required
def cadence_rules(request: AuthenticatedRequest) -> HttpResponse:
    rules = CadenceRule.objects.visible_to(request.user).select_related("region", "chair").prefetch_related("lists")
    return render(request, "dispatch/cadence_rules.html", {
        "rules": rules, "can_manage": administers(request.user),
        "label": cadence.label})


@login_required
def cadence_rule_create(request: AuthenticatedRequest) -> HttpResponse:
    require_admin(request.user)
    return _cadence_rule_form(request, None)


@login_required
def cadence_rule_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(CadenceRule.objects.visible_to(request.user).select_related("region"), pk=pk)
    require_admin(request.user, rule.region)
    return _cadence_rule_form(request, rule)


def _cadence_rule_form(request: AuthenticatedRequest, rule: CadenceRule | None) -> HttpResponse:
    form = CadenceRuleForm(request.POST or None, instance=rule, user=request.user)
    if request.method == "POST" and submitted(form, lambda: services.save_cadence_rule(
            request.user, rule.pk if rule else None, form.cleaned_data)) is not None:
        messages.success(request, _("调度规则已保存"))
        return redirect("dispatch:cadence_rules")
    return render(request, "dispatch/cadence_rule_form.html", {"form": form, "rule": rule})

"""The monthly reporting workflow: draft → submit → approve / return → correct after lock.

One transaction per operation; scope through the chokepoint; versions guard against two
people acting on the same report; every change lands in the audit trail (corrections
carry their reason as the history's change reason).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from keyprojects.core.audit import acting_as, recorded
from keyprojects.core.bulk import Blank
from keyprojects.core.permissions import Actor, require, require_admin, require_filer, restrict
from keyprojects.core.validation import Checked, validate, would_change
from keyprojects.projects.models import ZERO, AnnualPlan, Project
from keyprojects.projects.services import EditConflict
from keyprojects.regions.models import Region

from .checks import Finding, check_report
from .models import ProgressReport, ReportingPeriod

if TYPE_CHECKING:
    from keyprojects.gallery.models import ProjectFile

NEW_REPORT = Blank(ProgressReport)  # a ledger import makes thousands
REPORT_FIELDS = [
    "completed_month", "completed_ytd", "completed_since_start", "progress", "started", "started_on",
    "problems", "next_steps",
]
Status = ProgressReport.Status


def _before(period: ReportingPeriod) -> Q:
    return Q(period__year__lt=period.year) | Q(period__year=period.year, period__month__lt=period.month)


def previous_report(project_id: int, period: ReportingPeriod) -> ProgressReport | None:
    """The project's latest report before ``period`` (in the same city's periods)."""
    return (
        ProgressReport.objects.filter(project_id=project_id, period__region_id=period.region_id)
        .filter(_before(period))
        .select_related("period")
        .order_by("-period__year", "-period__month")
        .first()
    )


def previous_reports(project_ids: list[int], period: ReportingPeriod) -> dict[int, ProgressReport]:
    """``previous_report`` for many projects in one query (the filing and review screens, the
    ledger import): each project's latest report numbered 1 by a window over its earlier ones,
    so a page of 50 projects reads 50 reports, not their whole history (1,150 after two years).
    Their few periods are read once, not a copy per report."""
    rows = list(ProgressReport.objects.filter(project_id__in=project_ids, period__region_id=period.region_id)
                .filter(_before(period))
                .annotate(newest=Window(RowNumber(), partition_by=F("project_id"),
                                        order_by=[F("period__year").desc(), F("period__month").desc()]))
                .filter(newest=1))
    periods = ReportingPeriod.objects.in_bulk({report.period_id for report in rows})
    for report in rows:
        report.period = periods[report.period_id]
    return {report.project_id: report for report in rows}


def findings_for(report: ProgressReport, plan: AnnualPlan | None = None) -> list[Finding]:
    """The checks of ``report`` against last month's and its ``plan`` (read if not given)."""
    previous = previous_report(report.project_id, report.period)
    return check_report(report, previous, plan or _plan_of(report))


def _plan_of(report: ProgressReport) -> AnnualPlan | None:
    return AnnualPlan.objects.filter(project_id=report.project_id, year=report.period.year).first()


class ReportExists(EditConflict):
    """A report was to be created for a project and period that has one (one per project and
    period: ``report_unique_project_period``); nothing was written."""

    def __str__(self) -> str:
        return _("该项目本期月报已存在（第 %(now)s 版），未重复创建；请读取后用 PATCH 并带上 version 修改") % {
            "now": self.current.version}


def _check_version(report: ProgressReport, expected: int | None) -> None:
    if expected is not None and report.version != expected:
        raise EditConflict(report, expected)


def _locked_report(report_id: int) -> ProgressReport:
    return ProgressReport.objects.select_for_update().select_related("period", "project").get(pk=report_id)


def _refuse_if_locked(period: ReportingPeriod) -> None:
    if period.state == ReportingPeriod.State.LOCKED:
        raise ValidationError(_("%(period)s 已锁定，数据只能通过“更正”修改") % {"period": period.label})


# --- periods -------------------------------------------------------------------------

@acting_as
@transaction.atomic
def create_period(user: Actor, region: Region, year: int, month: int, opens_on: date, closes_on: date) -> ReportingPeriod:
    require_admin(user, region)
    period = ReportingPeriod(region=region, year=year, month=month, opens_on=opens_on, closes_on=closes_on)
    if closes_on < opens_on:
        raise ValidationError({"closes_on": _("填报截止日期不能早于开始日期")})
    period.full_clean()
    period.save()
    return period


@acting_as
@transaction.atomic
def set_period_state(user: Actor, period_id: int, state: str) -> ReportingPeriod:
    period = ReportingPeriod.objects.select_for_update().get(pk=period_id)
    require_admin(user, period.region)
    if period.state == ReportingPeriod.State.LOCKED and not user.is_superuser:
        raise ValidationError(_("已锁定的填报期不能重新打开"))
    period.state = state
    if state == ReportingPeriod.State.LOCKED:
        period.locked_at, period.locked_by = timezone.now(), recorded(user)
    period.save()
    return period


# --- filing --------------------------------------------------------------------------

def _carry_over(project: Project, period: ReportingPeriod, plan: AnnualPlan) -> dict[str, Any]:
    """Last month's figures carried into a new draft (fill once: cumulative values carry)."""
    last = previous_report(project.pk, period)
    if last is None:
        since = plan.prior_completed
        return {"completed_month": ZERO, "completed_ytd": ZERO, "completed_since_start": since,
                "started": plan.started, "started_on": plan.started_on}
    same_year = last.period.year == period.year
    return {
        "completed_month": ZERO,
        "completed_ytd": last.completed_ytd if same_year else ZERO,
        "completed_since_start": last.completed_since_start,
        "progress": last.progress,
        "started": last.started if same_year else plan.started,
        "started_on": last.started_on if same_year else plan.started_on,
        "problems": last.problems,
        "next_steps": last.next_steps,
    }


@acting_as
@transaction.atomic
def prefill_period(user: Actor, period_id: int) -> int:
    """Create a draft, carried over from last month, for every project the user may edit
    that is in the period's year plan and has no report yet. Returns how many."""
    period = ReportingPeriod.objects.get(pk=period_id)
    _refuse_if_locked(period)
    projects = restrict(Project.objects.all(), user, "edit").filter(
        region__path__startswith=period.region.path, plans__year=period.year
    ).exclude(reports__period=period)
    plans = {p.project_id: p for p in AnnualPlan.objects.filter(year=period.year, project__in=projects)}
    created = 0
    for project in projects.order_by("pk"):
        ProgressReport.objects.create(project=project, period=period, **_carry_over(project, period, plans[project.pk]))
        created += 1
    return created


@acting_as
@transaction.atomic
def save_draft(
    user: Actor, project_id: int, period_id: int, data: dict[str, Any], expected_version: int | None = None,
    submit: bool = False, create: bool = False,
) -> ProgressReport:
    """Save a project's report for a period (created from last month's if it has none) as a draft,
    or with ``submit`` as submitted: one write, checked as ``submit_report`` checks one. With
    ``create`` (the API's POST), a report already there is a ``ReportExists`` conflict: two
    requests creating at once are serialised by the period's lock, and the second must not
    overwrite the first."""
    project = Project.objects.select_related("region").get(pk=project_id)
    require(user, "edit", project)
    period = ReportingPeriod.objects.select_for_update(of=("self",)).select_related("region").get(pk=period_id)
    _refuse_if_locked(period)
    if not project.region.is_within(period.region):
        raise ValidationError(_("项目不属于该填报期的区划"))
    plan = AnnualPlan.objects.filter(project=project, year=period.year).first()
    if plan is None:
        raise ValidationError(_("项目“%(name)s”不在 %(year)s 年度计划中，无需填报") % {"name": project.name, "year": period.year})
    report = ProgressReport.objects.select_for_update().filter(project=project, period=period).first()
    if report is None:  # the carried-over copy and the filer's save of it, in one write
        report = ProgressReport(project=project, period=period, version=ProgressReport.CARRIED_OVER + 1,
                                **_carry_over(project, period, plan))
    elif create:
        raise ReportExists(report, expected_version or 0)
    else:
        require_filer(user, report)
        _check_version(report, expected_version)
        if report.status not in (Status.DRAFT, Status.RETURNED):
            raise ValidationError(_("月报%(status)s，不能再修改") % {"status": report.get_status_display()})
        if not submit and not would_change(report, data, REPORT_FIELDS):
            return report  # nothing to save: the version stays
        report.version += 1
    for field in REPORT_FIELDS:
        if field in data:
            setattr(report, field, data[field])
    validate_report(report, previous_report(project.pk, period), plan)
    if submit:
        _mark_submitted(user, report)
    report.save()
    return report


def validate_report(
    report: ProgressReport, previous: ProgressReport | None, plan: AnnualPlan | None,
    checked: Checked | None = None,
) -> None:
    """A report's rules, wherever its figures come from (the filing and correction screens, the
    API, a ledger): the model's (``core.validation``), then the blockers of ``check_report``
    against the project's report before it and the year's plan — figures that cannot be true
    are not kept, not even as a draft."""
    validate(report, checked)
    _refuse_blockers(check_report(report, previous, plan))


def _refuse_blockers(findings: list[Finding]) -> None:
    blockers = [f for f in findings if f.is_blocker]
    if blockers:
        raise ValidationError({f.field: f.message for f in blockers})


def _mark_submitted(user: Actor, report: ProgressReport) -> None:
    now = timezone.now()
    report.status = Status.SUBMITTED
    report.submitted_at, report.submitted_by = now, recorded(user)
    report.late = timezone.localdate(now) > report.period.closes_on


@acting_as
@transaction.atomic
def submit_report(user: Actor, report_id: int, expected_version: int | None = None) -> ProgressReport:
    report = _locked_report(report_id)
    require(user, "edit", report.project)
    require_filer(user, report)
    _refuse_if_locked(report.period)
    _check_version(report, expected_version)
    if report.status not in (Status.DRAFT, Status.RETURNED):
        raise ValidationError(_("月报%(status)s，不能重复报送") % {"status": report.get_status_display()})
    _refuse_blockers(findings_for(report))
    _mark_submitted(user, report)
    report.version += 1
    report.save()
    return report


def _review(user: Actor, report_id: int, expected_version: int | None) -> ProgressReport:
    report = _locked_report(report_id)
    require(user, "view", report.project)
    require_admin(user, report.project.region)
    _refuse_if_locked(report.period)
    if report.status != Status.SUBMITTED:
        who = report.reviewed_by or _("其他审核人")
        raise ValidationError(_("该月报当前状态为“%(status)s”（%(who)s 已处理），无需再审核")
                              % {"status": report.get_status_display(), "who": who})
    _check_version(report, expected_version)
    if report.submitted_by_id is not None and report.submitted_by_id == user.pk:
        raise PermissionDenied(_("不能审核自己报送的月报"))
    return report


@acting_as
@transaction.atomic
def approve_report(user: Actor, report_id: int, expected_version: int | None = None) -> ProgressReport:
    report = _review(user, report_id, expected_version)
    report.status = Status.APPROVED
    report.reviewed_at, report.reviewed_by, report.return_reason = timezone.now(), recorded(user), ""
    report.version += 1
    report.save()
    _record_start(report)
    return report


@acting_as
@transaction.atomic
def approve_reports(user: Actor, period: ReportingPeriod, reports: Sequence[tuple[int, int | None]]) -> int:
    """Approve several submitted reports of ``period`` at once, ``(report id, version)`` each
    (the review page's rows without findings), each checked as :func:`approve_report` checks
    one: if any is refused, has changed since or is not of the period, none is approved."""
    ids = {report_id for report_id, _version in reports}
    if ids - set(period.reports.filter(pk__in=ids).values_list("pk", flat=True)):
        raise ValidationError(_("所选月报不都属于%(period)s") % {"period": period.label})
    for report_id, version in reports:
        approve_report(user, report_id, version)
    return len(reports)


@acting_as
@transaction.atomic
def return_report(user: Actor, report_id: int, reason: str, expected_version: int | None = None) -> ProgressReport:
    if not reason.strip():
        raise ValidationError({"return_reason": _("退回时必须填写原因")})
    report = _review(user, report_id, expected_version)
    report.status = Status.RETURNED
    report.reviewed_at, report.reviewed_by, report.return_reason = timezone.now(), recorded(user), reason.strip()
    report.version += 1
    report.save()
    return report


@acting_as
@transaction.atomic
def correct_report(
    user: Actor, report_id: int, data: dict[str, Any], reason: str, expected_version: int | None = None
) -> ProgressReport:
    """Change an approved figure (in a locked period too): city admins only, with a reason
    that the audit trail keeps beside the before/after values."""
    if not reason.strip():
        raise ValidationError({"reason": _("更正必须填写原因")})
    report = _locked_report(report_id)
    require_admin(user, report.project.region)
    _check_version(report, expected_version)
    if report.status != Status.APPROVED:
        raise ValidationError(_("只有已审核的月报需要更正；其他状态请直接修改或退回"))
    for field in REPORT_FIELDS:
        if field in data:
            setattr(report, field, data[field])
    validate_report(report, previous_report(report.project_id, report.period), _plan_of(report))
    report.version += 1
    report._change_reason = _("更正：%(reason)s") % {"reason": reason.strip()}
    report.save()
    _record_start(report)
    return report


def _record_start(report: ProgressReport) -> None:
    if not report.started or not report.started_on:
        return
    plan = AnnualPlan.objects.select_for_update().filter(project_id=report.project_id, year=report.period.year).first()
    if plan is not None and start_from_report(plan, report):
        validate(plan)
        plan.save()


def start_from_report(plan: AnnualPlan | None, report: ProgressReport) -> bool:
    """An approved start/resume becomes the plan's start record (the figure 开复工率 counts):
    set on ``plan`` (not saved); says whether the plan changed."""
    if plan is None or not report.started or not report.started_on:
        return False
    if plan.started and plan.started_on == report.started_on:
        return False
    plan.started, plan.started_on = True, report.started_on
    plan.start_date_unknown = False
    plan.version += 1
    plan._change_reason = _("%(period)s 月报审核通过") % {"period": report.period.label}
    return True


class RowErrors(ValidationError):
    """Errors of several rows of the filing screen, by report id; nothing was saved."""

    def __init__(self, rows: dict[int, ValidationError]) -> None:
        self.rows = rows
        super().__init__([m for e in rows.values() for m in e.messages])


@acting_as
@transaction.atomic
def save_reports(
    user: Actor, period_id: int, rows: list[tuple[int, dict[str, Any], int | None]], submit: bool = False
) -> list[ProgressReport]:
    """Save (and optionally submit) many reports of one period at once: all or nothing."""
    saved, errors = [], {}
    for report_id, data, version in rows:
        project_id = ProgressReport.objects.values_list("project_id", flat=True).get(pk=report_id, period_id=period_id)
        try:
            report = save_draft(user, project_id, period_id, data, version, submit=submit)
        except (ValidationError, EditConflict) as exc:
            errors[report_id] = exc if isinstance(exc, ValidationError) else ValidationError(str(exc))
        else:
            saved.append(report)
    if errors:
        raise RowErrors(errors)
    return saved


@acting_as
@transaction.atomic
def add_photo(user: Actor, report_id: int, upload: Any, caption: str = "") -> ProjectFile:
    """A photo (or a document) filed with a report, by its filer while the period is open; it
    joins the project's gallery (``gallery``)."""
    from keyprojects.gallery.services import store

    report = _locked_report(report_id)
    require(user, "edit", report.project)
    require_filer(user, report)
    _refuse_if_locked(report.period)
    return store(user, report.project, upload, caption, report=report)


def period_of_import(region: Region, year: int, month: int) -> ReportingPeriod:
    """The period a ledger's figures belong to (created, closed, when the city has none)."""
    period = ReportingPeriod.objects.filter(region=region, year=year, month=month).first()
    if period is None:
        period = ReportingPeriod(region=region, year=year, month=month, opens_on=date(year, month, 20),
                                 closes_on=date(year, month, 25), state=ReportingPeriod.State.CLOSED)
        period.save()
    return period


def ledger_moment(as_of: date) -> datetime:
    """When a ledger's figures as of ``as_of`` stand approved: noon that day."""
    return timezone.make_aware(datetime.combine(as_of, time(12, 0)))


def ledger_report(
    user: Actor, project: Project, period: ReportingPeriod, reviewed_at: datetime, data: dict[str, Any],
    report: ProgressReport | None, previous: ProgressReport | None,
) -> ProgressReport | None:
    """A ledger's year-to-date figures stand as a report approved at ``reviewed_at`` (the
    ``ledger_moment`` of the file's date: the file is the commission's own record). ``report``
    is the stored one for the period (left as it is), ``previous`` the project's report before
    it. Returns None when the stored report already says the same; otherwise the report to
    save (of ``project`` as given: the stored one may be a changed copy), once the caller has
    checked it like any report (``validate_report``)."""
    _refuse_if_locked(period)
    before = previous.completed_ytd if previous and previous.period.year == period.year else ZERO
    values = {**data, "completed_month": max(data["completed_ytd"] - before, ZERO)}
    if report is not None and all(getattr(report, k) == v for k, v in values.items()) \
            and report.status == Status.APPROVED:
        return None
    actor = recorded(user)
    values |= {"status": Status.APPROVED, "late": False, "submitted_at": reviewed_at, "submitted_by": actor,
               "reviewed_at": reviewed_at, "reviewed_by": actor}
    if report is None:
        return NEW_REPORT(project=project, period=period, **values)
    report = copy.copy(report)
    for key, value in {"project": project, **values}.items():
        setattr(report, key, value)
    report.version += 1 if report.pk else 0
    return report

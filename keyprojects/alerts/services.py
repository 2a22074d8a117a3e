"""The warnings' operations: the daily evaluation of every rule (``evaluate``), a user's
acknowledgement, and the city admins' rules and start targets. Every write is audited; the
evaluation writes through ``core.bulk.save_in_bulk`` as the system.

The evaluation is set-based: each active rule reads the rows behind its warnings in one or two
aggregate queries over its city, whatever the number of projects, and the open warnings of the
rules are read once; the differences are written in bulk. A warning's colour and reason are
rewritten when its colour or its facts change (a month's rate, a later period), not each day its
count of days grows: its reason says the day it was written.
"""

from __future__ import annotations

import calendar
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Unit, User
from keyprojects.approvals.models import ProjectApproval, late_q, obtained_q
from keyprojects.core.audit import Source, acting_as, audit_context, recorded
from keyprojects.core.bulk import chunks, save_in_bulk
from keyprojects.core.money import format_wan
from keyprojects.core.permissions import Actor, can_edit, require, require_admin
from keyprojects.core.validation import validate
from keyprojects.dispatch.models import Problem, overdue_q
from keyprojects.indicators import engine
from keyprojects.notices import services as notices
from keyprojects.projects.models import AnnualPlan, PlanQuarter, Project
from keyprojects.projects.services import _check_version
from keyprojects.regions.models import Region
from keyprojects.reporting.models import ProgressReport, ReportingPeriod

from .models import COUNTDOWN, THRESHOLDS, Colour, Kind, StartTarget, Warning, WarningRule

FILED = (ProgressReport.Status.SUBMITTED, ProgressReport.Status.APPROVED)
# Figures that grow by the day: written with a warning, but no reason to rewrite it.
VOLATILE = ("days",)


@dataclass
class Finding:
    """What a rule finds on ``day``: a cause (project and key), its colour, its reason in words
    and figures, and the figures (``facts`` decide whether an open warning is rewritten)."""

    region_id: int
    project_id: int | None
    key: str
    colour: str
    reason: str
    facts: dict[str, Any]
    days: int | None = None

    @property
    def figures(self) -> dict[str, Any]:
        return {**self.facts, "days": self.days} if self.days is not None else dict(self.facts)


@dataclass
class Outcome:
    opened: list[Warning] = field(default_factory=list)
    changed: list[Warning] = field(default_factory=list)
    closed: list[Warning] = field(default_factory=list)
    turned_red: list[Warning] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"opened": len(self.opened), "changed": len(self.changed), "closed": len(self.closed),
                "turned_red": len(self.turned_red)}


def _md(day: date) -> str:
    return _("%(month)s月%(day)s日") % {"month": day.month, "day": day.day}


def _colour(rule: WarningRule, value: Decimal | int) -> str | None:
    """The colour ``value`` (days, points, months) earns under ``rule``: red past the red
    threshold, yellow past the yellow one (for the kinds that count down, at or under them)."""
    if rule.kind in COUNTDOWN:
        return Colour.RED if value <= rule.red else Colour.YELLOW if value <= rule.yellow else None
    return Colour.RED if value >= rule.red else Colour.YELLOW if value >= rule.yellow else None


def _plans(rule: WarningRule, year: int) -> QuerySet[AnnualPlan]:
    return engine.plans_in(year, rule.region)


def _end_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


# --- the rules: each finds its causes on a day, in one or two queries over its city ------------

def late_starts(rule: WarningRule, day: date) -> list[Finding]:
    """计划开工月已过未开工: plans whose start is due (``engine.start_due_q``: the planned month has
    ended; January for a plan without one) and not started by the day (``engine.started_q``)."""
    year = day.year
    rows: Any = (_plans(rule, year).filter(engine.start_due_q(year, day)).exclude(engine.started_q(day))
            .values("project_id", "project__region_id", "planned_start_month", "nature"))
    found = []
    for row in rows:
        month = row["planned_start_month"] or 1
        days = (day - _end_of_month(year, month)).days
        colour = _colour(rule, days)
        if colour is None:
            continue
        verb = _("开工") if row["nature"] == "new" else _("复工")
        planned = (_("计划%(month)s月%(verb)s") % {"month": month, "verb": verb} if row["planned_start_month"]
                   else _("应于1月起%(verb)s") % {"verb": verb})
        reason = _("%(planned)s，截至%(day)s未%(verb)s") % {"planned": planned, "day": _md(day), "verb": verb}
        found.append(Finding(row["project__region_id"], row["project_id"], f"plan:{year}", colour, reason,
                             {"year": year, "planned_month": row["planned_start_month"]}, days))
    return found


def late_approvals(rule: WarningRule, day: date) -> list[Finding]:
    """前期手续滞后: required items of the city's projects not obtained by the day whose planned
    date (倒排) has passed (``approvals.models.late_q``)."""
    rows: Any = (ProjectApproval.objects.filter(late_q(day), project__region__path__startswith=rule.region.path)
            .values("pk", "project_id", "project__region_id", "item__name", "planned_on"))
    found = []
    for row in rows:
        days = (day - row["planned_on"]).days
        colour = _colour(rule, days)
        if colour is not None:
            reason = _("%(item)s计划%(planned)s前办结，截至%(day)s未办结") % {
                "item": row["item__name"], "planned": _md(row["planned_on"]), "day": _md(day)}
            found.append(Finding(row["project__region_id"], row["project_id"], f"approval:{row['pk']}", colour, reason,
                                 {"item": row["item__name"], "planned_on": row["planned_on"].isoformat()}, days))
    return found


def lapsing_approvals(rule: WarningRule, day: date) -> list[Finding]:
    """前期手续有效期将届满: items obtained whose validity ends within the yellow threshold's days
    (or has ended) while the project has not started this year."""
    horizon = day.toordinal() + math.floor(rule.yellow)
    started = _plans(rule, day.year).filter(engine.started_q(day)).values("project_id")
    rows: Any = (ProjectApproval.objects.filter(obtained_q(day), required=True, valid_until__isnull=False,
                                           valid_until__lte=date.fromordinal(horizon),
                                           project__region__path__startswith=rule.region.path)
            .exclude(project_id__in=started)
            .values("pk", "project_id", "project__region_id", "item__name", "valid_until"))
    found = []
    for row in rows:
        left = (row["valid_until"] - day).days
        colour = _colour(rule, left)
        if colour is None:
            continue
        facts = {"item": row["item__name"], "valid_until": row["valid_until"].isoformat()}
        if left < 0:
            reason = _("%(item)s已于%(until)s届满，项目仍未开工") % {"item": row["item__name"],
                                                                "until": _md(row["valid_until"])}
            facts["lapsed"] = True
        else:
            reason = _("%(item)s有效期至%(until)s，截至%(day)s项目未开工") % {
                "item": row["item__name"], "until": _md(row["valid_until"]), "day": _md(day)}
        found.append(Finding(row["project__region_id"], row["project_id"], f"approval:{row['pk']}", colour, reason,
                             facts, left))
    return found


def behind_progress(rule: WarningRule, day: date) -> list[Finding]:
    """慢于时间进度: plans started by the day whose completion rate (``engine.completed_ytd`` ÷
    the annual plan) is behind 时间进度 by the yellow threshold's points or more (compared
    unrounded: completed × 1200 ≤ plan × (months × 100 − 12 × points))."""
    year = day.year
    months = engine.months_elapsed(year, day)
    if months < 1:
        return []
    money = DecimalField(max_digits=24, decimal_places=4)
    bound = Value(Decimal(months * 100) - 12 * rule.yellow, output_field=money)
    rows: Any = (_plans(rule, year).filter(engine.started_q(day), planned_investment__gt=0)
            .annotate(completed=engine.completed_ytd(day))
            .filter(LessThanOrEqual(ExpressionWrapper(F("completed") * 1200, output_field=money),
                                    ExpressionWrapper(F("planned_investment") * bound, output_field=money)))
            .values("project_id", "project__region_id", "completed", "planned_investment"))
    progress = engine.percent(months, 12)
    found = []
    for row in rows:
        completed, planned = Decimal(row["completed"]), Decimal(row["planned_investment"])
        behind = Decimal(months * 100) / 12 - completed * 100 / planned
        colour = _colour(rule, behind)
        rate = engine.percent(completed, planned)
        if colour is None or rate is None or progress is None:
            continue
        reason = _("截至%(day)s投资完成率%(rate)s%%，时间进度%(progress)s%%，落后%(gap)s个百分点") % {
            "day": _md(day), "rate": rate, "progress": progress, "gap": progress - rate}
        found.append(Finding(row["project__region_id"], row["project_id"], f"progress:{year}", colour, reason,
                             {"completion_rate": str(rate), "time_progress": str(progress)}))
    return found


def _latest_closed_period(rule: WarningRule, day: date) -> ReportingPeriod | None:
    """The city's latest period whose window closed before ``day`` (its commission's periods)."""
    return (ReportingPeriod.objects.filter(region=rule.region, closes_on__lt=day)
            .order_by("-year", "-month").first())


def no_progress(rule: WarningRule, day: date) -> list[Finding]:
    """连续无进展: plans started this year whose reports filed (报送 or 审核) for the months up to
    the city's latest closed period show no investment (本月完成 > 0) for the yellow threshold's
    months or more, counted from the month before they started."""
    period = _latest_closed_period(rule, day)
    if period is None:
        return []
    year, through = period.year, period.month
    least = math.ceil(rule.yellow)
    last_month = through - least  # the latest month with progress that still warns
    if last_month + 1 < 1:
        return []
    progressed = (ProgressReport.objects.filter(project=OuterRef("project_id"), period__year=year,
                                                period__month__lte=through, status__in=FILED,
                                                completed_month__gt=0)
                  .order_by("-period__month").values("period__month")[:1])
    rows: Any = (engine.plans_in(year, rule.region).filter(engine.started_q(day), started_on__month__lte=last_month + 1)
            .annotate(last=Coalesce(Subquery(progressed), Value(0)))
            .filter(last__lte=last_month)
            .values("project_id", "project__region_id", "last", "started_on"))
    found = []
    for row in rows:
        months = through - max(row["last"], row["started_on"].month - 1)
        colour = _colour(rule, months)
        if colour is None:
            continue
        since = (_("最近一次有投资进展为%(month)s月") % {"month": row["last"]} if row["last"]
                 else _("本年开复工后无投资进展"))
        reason = _("截至%(year)s年%(month)s月填报期，连续%(n)s个月无投资进展（%(since)s）") % {
            "year": year, "month": through, "n": months, "since": since}
        found.append(Finding(row["project__region_id"], row["project_id"], f"progress-none:{year}", colour, reason,
                             {"through": f"{year}-{through:02d}", "last_month": row["last"] or None,
                              "months": months}))
    return found


def overdue_problems(rule: WarningRule, day: date) -> list[Finding]:
    """问题逾期: problems of the city past the deadline running on the day, not replied to
    (``dispatch.models.overdue_q``); a general problem's warning is its region's."""
    rows: Any = (Problem.objects.filter(overdue_q(day), region__path__startswith=rule.region.path)
            .values("pk", "project_id", "region_id", "title", "deadline", "escalation_deadline"))
    found = []
    for row in rows:
        due = row["escalation_deadline"] or row["deadline"]
        days = (day - due).days
        colour = _colour(rule, days)
        if colour is not None:
            reason = _("问题“%(title)s”办理时限%(due)s，截至%(day)s未办结") % {
                "title": row["title"][:60], "due": _md(due), "day": _md(day)}
            found.append(Finding(row["region_id"], row["project_id"], f"problem:{row['pk']}", colour, reason,
                                 {"problem": row["pk"], "due": due.isoformat()}, days))
    return found


def missing_reports(rule: WarningRule, day: date) -> list[Finding]:
    """月报逾期未报送: plans of the city's latest closed period's year without a report filed
    (报送 or 审核) for that period. A later period's close replaces it."""
    period = _latest_closed_period(rule, day)
    if period is None:
        return []
    days = (day - period.closes_on).days
    colour = _colour(rule, days)
    if colour is None:
        return []
    filed = ProgressReport.objects.filter(period=period, status__in=FILED).values("project_id")
    rows: Any = (engine.plans_in(period.year, period.region).exclude(project_id__in=filed)
            .values("project_id", "project__region_id"))
    reason = _("%(period)s月报应于%(closes)s前报送，截至%(day)s未报送") % {
        "period": period.label, "closes": _md(period.closes_on), "day": _md(day)}
    return [Finding(row["project__region_id"], row["project_id"], f"period:{period.pk}", colour, reason,
                    {"period": period.label, "closes_on": period.closes_on.isoformat()}, days) for row in rows]


def start_targets(rule: WarningRule, day: date) -> list[Finding]:
    """开复工目标有风险: a dated target of the city (and the regions under it) not yet reached,
    its date within the yellow threshold's days: the 开复工率 as of the day (``engine.started_q``
    over the year's plan) below the target's."""
    found = []
    targets = StartTarget.objects.filter(region__path__startswith=rule.region.path, year=day.year,
                                         by_date__gte=day).select_related("region")
    for target in targets:
        left = (target.by_date - day).days
        colour = _colour(rule, left)
        if colour is None:
            continue
        plans = engine.plans_in(target.year, target.region)
        counts = plans.aggregate(plan=Count("id"), started=Count("id", filter=engine.started_q(day)))
        plan, started = counts["plan"], counts["started"]
        if not plan or started * 100 >= target.rate * plan:
            continue
        needed = math.ceil(target.rate * plan / 100) - started
        rate = engine.percent(started, plan)
        reason = _("目标%(by)s前开复工%(target)s%%，截至%(day)s开复工率%(rate)s%%（%(started)s/%(plan)s），尚差%(n)s个项目") % {
            "by": _md(target.by_date), "target": target.rate, "day": _md(day), "rate": rate, "started": started,
            "plan": plan, "n": needed}
        found.append(Finding(target.region_id, None, f"target:{target.pk}", colour, reason,
                             {"target": str(target.rate), "by_date": target.by_date.isoformat(), "rate": str(rate),
                              "started": started, "plan": plan}, left))
    return found


def behind_quarter(rule: WarningRule, day: date) -> list[Finding]:
    """落后季度目标: plans of the city with a quarterly roadmap (``projects.PlanQuarter``) whose
    completion (``engine.completed_ytd``, approved reports by the day) is below the roadmap's
    target for the last quarter the city's latest closed period completes (its cumulative
    expected investment, as ``projects.models.quarter_target`` reads it) by the yellow threshold's
    points of that target or more (compared unrounded: completed × 100 ≤ target × (100 − points)).
    A plan without a roadmap amount up to that quarter is never warned."""
    period = _latest_closed_period(rule, day)
    if period is None or period.month < 3:
        return []
    year, quarter = period.year, period.month // 3
    money = DecimalField(max_digits=24, decimal_places=4)
    target = Subquery(PlanQuarter.objects.filter(plan=OuterRef("pk"), quarter__lte=quarter,
                                                 expected_investment__isnull=False)
                      .order_by("-quarter").values("expected_investment")[:1], output_field=money)
    bound = Value(Decimal(100) - rule.yellow, output_field=money)
    rows: Any = (_plans(rule, year).annotate(target=target, completed=engine.completed_ytd(day))
                 .filter(target__gt=Decimal(0))
                 .filter(LessThanOrEqual(ExpressionWrapper(F("completed") * 100, output_field=money),
                                         ExpressionWrapper(F("target") * bound, output_field=money)))
                 .values("project_id", "project__region_id", "completed", "target"))
    label = "一二三四"[quarter - 1]
    found = []
    for row in rows:
        completed, goal = Decimal(row["completed"]), Decimal(row["target"])
        rate = engine.percent(completed, goal)
        colour = _colour(rule, Decimal(100) - completed * 100 / goal)
        if colour is None or rate is None:
            continue
        reason = _("%(year)s年%(q)s季度末目标累计完成投资%(target)s万元，截至%(day)s完成%(done)s万元（%(rate)s%%），"
                   "落后%(gap)s个百分点") % {
            "year": year, "q": label, "target": format_wan(goal), "day": _md(day), "done": format_wan(completed),
            "rate": rate, "gap": Decimal(100) - rate}
        found.append(Finding(row["project__region_id"], row["project_id"], f"quarter:{year}", colour, reason,
                             {"quarter": f"{year}-Q{quarter}", "target": f"{goal:.2f}", "completed": f"{completed:.2f}"}))
    return found


def idle_funds(rule: WarningRule, day: date) -> list[Finding]:
    """下达资金未按期开工或支出: money issued to the city's projects in a round that limits the time
    after issuance (``funding.Round``): works not started within ``start_within_months`` of the
    issue date, or money not all spent (as reported by the day) within ``spend_within_months``.
    The warning closes once the works start or the money is spent."""
    from keyprojects.funding.models import Application, add_months

    rows: Any = (Application.objects.filter(project__region__path__startswith=rule.region.path, issued__gt=0,
                                            issued_on__lte=day)
                 .filter(Q(round__start_within_months__isnull=False) | Q(round__spend_within_months__isnull=False))
                 .values("pk", "project_id", "project__region_id", "project__actual_start", "issued", "issued_on",
                         "spent", "spent_on", "round__start_within_months", "round__spend_within_months"))
    found = []
    for row in rows:
        issued_on, start_months, spend_months = (row["issued_on"], row["round__start_within_months"],
                                                 row["round__spend_within_months"])
        started = row["project__actual_start"]
        if start_months is not None and (started is None or started > day):
            due = add_months(issued_on, start_months)
            colour = _colour(rule, (day - due).days)
            if colour is not None:
                reason = _("资金于%(issued)s下达，应于%(months)s个月内（%(due)s前）开工，截至%(day)s未开工") % {
                    "issued": issued_on, "months": start_months, "due": due, "day": _md(day)}
                found.append(Finding(row["project__region_id"], row["project_id"], f"funds-start:{row['pk']}", colour,
                                     reason, {"application": row["pk"], "due": due.isoformat()}, (day - due).days))
        spent = row["spent"] if row["spent"] is not None and row["spent_on"] and row["spent_on"] <= day else Decimal(0)
        left = row["issued"] - spent
        if spend_months is not None and left > 0:
            due = add_months(issued_on, spend_months)
            colour = _colour(rule, (day - due).days)
            if colour is not None:
                reason = _("资金%(issued)s万元于%(on)s下达，应于%(due)s前支出完毕，截至%(day)s尚有%(left)s万元未支出") % {
                    "issued": format_wan(row["issued"]), "on": issued_on, "due": due, "day": _md(day),
                    "left": format_wan(left)}
                found.append(Finding(row["project__region_id"], row["project_id"], f"funds-spend:{row['pk']}", colour,
                                     reason, {"application": row["pk"], "due": due.isoformat(), "left": f"{left:.2f}"},
                                     (day - due).days))
    return found


FINDERS: dict[str, Callable[[WarningRule, date], list[Finding]]] = {
    Kind.LATE_START: late_starts, Kind.APPROVAL_LATE: late_approvals, Kind.APPROVAL_LAPSING: lapsing_approvals,
    Kind.BEHIND_PROGRESS: behind_progress, Kind.NO_PROGRESS: no_progress, Kind.PROBLEM_OVERDUE: overdue_problems,
    Kind.REPORT_MISSING: missing_reports, Kind.START_TARGET: start_targets, Kind.BEHIND_QUARTER: behind_quarter,
    Kind.FUNDS_IDLE: idle_funds,
}


# --- the daily evaluation ------------------------------------------------------------------------

def evaluate(day: date, region: Region | None = None) -> dict[str, int]:
    """Evaluate every rule (of the cities in ``region``; None: all) on ``day``: open a warning for
    each new cause, rewrite the colour and reason of those whose colour or facts changed, close
    (``closed_on`` = day) those whose cause is gone or whose rule was switched off, and tell the
    units each rule names of every warning opened or turned red. One transaction, written as the
    system; running it again the same day changes nothing more."""
    with audit_context(Source.SYSTEM, detail=f"evaluate_warnings {day.isoformat()}"):
        return _evaluate(day, region).counts()


@transaction.atomic
def _evaluate(day: date, region: Region | None) -> Outcome:
    rules = WarningRule.objects.select_related("region")
    if region is not None:
        rules = rules.filter(region__path__startswith=region.path)
    by_pk = {rule.pk: rule for rule in rules}
    found: dict[tuple[int, int | None, str], Finding] = {}
    for rule in by_pk.values():
        if rule.active:
            for each in FINDERS[rule.kind](rule, day):
                found[(rule.pk, each.project_id, each.key)] = each
    outcome = Outcome()
    for warning in Warning.objects.filter(rule__in=list(by_pk), closed_on__isnull=True).order_by("pk"):
        cause = (warning.rule_id, warning.project_id, warning.key)
        finding = found.pop(cause) if cause in found else None
        if finding is None:
            warning.closed_on = day
            warning._change_reason = _("原因消除，预警解除")
            outcome.closed.append(warning)
        elif warning.colour != finding.colour or _facts(warning.figures) != _facts(finding.figures):
            if finding.colour == Colour.RED and warning.colour != Colour.RED:
                outcome.turned_red.append(warning)
            if finding.colour != warning.colour:
                warning.red_since = day if finding.colour == Colour.RED else None
            warning.colour, warning.reason, warning.figures = finding.colour, finding.reason, finding.figures
            warning.region_id = finding.region_id
            warning._change_reason = _("预警更新")
            outcome.changed.append(warning)
        else:
            continue
        warning.version += 1
    for (rule_id, project_id, key), finding in found.items():
        warning = Warning(rule_id=rule_id, kind=by_pk[rule_id].kind, colour=finding.colour, project_id=project_id,
                          region_id=finding.region_id, key=key, reason=finding.reason, figures=finding.figures,
                          opened_on=day, red_since=day if finding.colour == Colour.RED else None)
        warning._change_reason = _("预警发出")
        outcome.opened.append(warning)
    save_in_bulk(Warning, created=outcome.opened, updated=outcome.changed + outcome.closed,
                 fields=["colour", "red_since", "reason", "figures", "region", "closed_on", "version"])
    _tell([(w, "opened") for w in outcome.opened] + [(w, "red") for w in outcome.turned_red], by_pk)
    return outcome


def _facts(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in figures.items() if k not in VOLATILE}


# --- who is told ------------------------------------------------------------------------------------

def warning_url(warning: Warning) -> str:
    return reverse("alerts:warning", args=[warning.pk])


def _tell(items: list[tuple[Warning, str]], rules: dict[int, WarningRule]) -> None:
    """Notify the units and people each warning's rule names, once per warning and event
    (``warning:<pk>:opened`` / ``:red``: the notices are keyed, so the daily digest carries each
    once). The recipients of all the warnings are read in a few queries, not per warning."""
    if not items:
        return
    projects: dict[int, dict[str, Any]] = {}
    leader_users: defaultdict[int, set[int]] = defaultdict(set)
    ids = sorted({w.project_id for w, _event in items if w.project_id})
    for part in chunks(ids):
        found: Any = Project.objects.filter(pk__in=part).values("pk", "name", "responsible_unit_id", "region_id")
        for row in found:
            projects[row["pk"]] = row
        for project_id, user_id in (Project.leaders.through.objects.filter(
                project_id__in=part, leader__user__isnull=False).values_list("project_id", "leader__user_id")):
            leader_users[project_id].add(user_id)
    regions = {w.region_id for w, _event in items} | {rules[w.rule_id].region_id for w, _event in items}
    units = {row["responsible_unit_id"] for row in projects.values() if row["responsible_unit_id"]}
    people = list(User.objects.filter(is_active=True).filter(
        Q(unit_id__in=units) | Q(role__in=[User.Role.COUNTY_CLERK, User.Role.CITY_ADMIN], unit__region_id__in=regions)
        | Q(pk__in={u for users in leader_users.values() for u in users})).select_related("unit"))
    unit_rows = Unit.objects.in_bulk(list(units))
    by_unit: defaultdict[int, list[User]] = defaultdict(list)
    clerks: defaultdict[int, list[User]] = defaultdict(list)
    admins: defaultdict[int, list[User]] = defaultdict(list)
    by_pk = {user.pk: user for user in people}
    for user in people:
        unit = user.unit
        if unit is not None:
            by_unit[unit.pk].append(user)
            if user.role == User.Role.COUNTY_CLERK:
                clerks[unit.region_id].append(user)
            elif user.role == User.Role.CITY_ADMIN:
                admins[unit.region_id].append(user)
    told_of: list[notices.Notice] = []
    for warning, event in items:
        rule = rules[warning.rule_id]
        project = projects.get(warning.project_id) if warning.project_id else None
        told: set[User] = set()
        channels: list[Unit] = []
        if rule.tell_responsible_unit and project and project["responsible_unit_id"]:
            told |= set(by_unit[project["responsible_unit_id"]])
            channels.append(unit_rows[project["responsible_unit_id"]])
        if rule.tell_county:
            told |= set(clerks[warning.region_id])
        if rule.tell_leaders and project:
            told |= {by_pk[u] for u in leader_users[project["pk"]] if u in by_pk}
        if rule.tell_city or (rule.tell_county and project is None):
            told |= set(admins[rule.region_id])
        if not told and not channels:
            continue
        label = _("红色预警") if warning.colour == Colour.RED else _("黄色预警")
        subject = _("【%(label)s】%(what)s：%(kind)s") % {
            "label": label, "what": project["name"] if project else rules[warning.rule_id].region.name,
            "kind": warning.get_kind_display()}
        told_of.append(notices.Notice(f"warning:{warning.pk}:{event}", told, subject, warning.reason,
                                      warning_url(warning), channels))
    notices.notify_many(told_of)  # (thousands on a first run: written together)


# --- a user's acknowledgement --------------------------------------------------------------------

@acting_as
@transaction.atomic
def acknowledge(user: Actor, warning_id: int, note: str, expected_version: int | None = None) -> Warning:
    """Acknowledge a warning with a note (who may change its project, or its region's for a
    target): it stays open, and visible to the city, until its cause is gone."""
    warning = Warning.objects.select_for_update().get(pk=warning_id)
    require(user, "edit", warning)
    _check_version(warning, expected_version)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请填写确认说明（已采取或将采取的措施）")})
    warning.acknowledged_by, warning.acknowledged_at = recorded(user), timezone.now()
    warning.acknowledged_note = note[:300]
    warning.version += 1
    validate(warning)
    warning.save()
    require(user, "edit", warning)
    return warning


# --- the city admins' rules and targets ----------------------------------------------------------

RULE_FIELDS = ["yellow", "red", "tell_responsible_unit", "tell_county", "tell_leaders", "tell_city", "active"]
TARGET_FIELDS = ["year", "by_date", "rate", "note"]
# The defaults of a city's rule set: whom each kind tells besides the responsible unit and the county.
LEADERS_TOLD = (Kind.LATE_START, Kind.BEHIND_PROGRESS, Kind.PROBLEM_OVERDUE, Kind.BEHIND_QUARTER)
CITY_TOLD = (Kind.START_TARGET, Kind.PROBLEM_OVERDUE)


@acting_as
@transaction.atomic
def create_default_rules(user: Actor, region: Region, kinds: Iterable[str] = Kind.values) -> list[WarningRule]:
    """The default rules of a city for ``kinds`` (each with the thresholds of ``models.THRESHOLDS``);
    kinds it has already are left as they are (as its admins set them, switched off included).
    Returns the rules created."""
    require_admin(user, region)
    have = set(WarningRule.objects.filter(region=region).values_list("kind", flat=True))
    created = []
    for kind in kinds:
        if kind in have:
            continue
        _meaning, yellow, red = THRESHOLDS[kind]
        rule = WarningRule(region=region, kind=kind, yellow=Decimal(yellow), red=Decimal(red),
                           tell_leaders=kind in LEADERS_TOLD, tell_city=kind in CITY_TOLD)
        validate(rule)
        rule.save()
        created.append(rule)
    return created


@acting_as
@transaction.atomic
def save_rule(user: Actor, rule_id: int, data: dict[str, Any]) -> WarningRule:
    """Change a rule's thresholds, whom it tells, or switch it off (the city's admins)."""
    rule = WarningRule.objects.select_for_update().select_related("region").get(pk=rule_id)
    require(user, "view", rule)
    require_admin(user, rule.region)
    for name in RULE_FIELDS:
        if name in data:
            setattr(rule, name, data[name])
    validate(rule)
    rule.save()
    return rule


@acting_as
@transaction.atomic
def save_target(user: Actor, region: Region, target_id: int | None, data: dict[str, Any]) -> StartTarget:
    """Add a dated start target of ``region`` (``target_id`` None) or change one."""
    if target_id is None:
        target = StartTarget(region=region)
    else:
        target = StartTarget.objects.select_for_update().select_related("region").get(pk=target_id)
        require(user, "view", target)
        region = target.region
    require_admin(user, region)
    for name in TARGET_FIELDS:
        if name in data:
            setattr(target, name, data[name])
    validate(target)
    target.save()
    return target


@acting_as
@transaction.atomic
def delete_target(user: Actor, target_id: int) -> None:
    target = StartTarget.objects.select_for_update().select_related("region").get(pk=target_id)
    require(user, "view", target)
    require_admin(user, target.region)
    target.delete()


def may_acknowledge(user: Actor, warning: Warning) -> bool:
    return can_edit(user, warning)

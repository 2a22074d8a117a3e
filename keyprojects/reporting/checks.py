"""Anomaly checks on a monthly report, shown to the filer and to the reviewer.

Warnings point at figures worth a second look; questions at figures that may well be true but
that a reviewer should ask about before approving (a started project that did nothing this
month); blockers are figures that cannot be true (or that break a rule of the plan) and stop a
submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from keyprojects.core.money import format_wan
from keyprojects.projects.models import START_WITHOUT_DATE, AnnualPlan

from .models import ProgressReport

WARNING = "warning"
QUESTION = "question"
BLOCKER = "blocker"


@dataclass(frozen=True)
class Finding:
    level: str
    field: str
    message: str

    @property
    def is_blocker(self) -> bool:
        return self.level == BLOCKER

    @property
    def is_question(self) -> bool:
        return self.level == QUESTION


def jump_factor() -> Decimal:
    return Decimal(str(getattr(settings, "KEYPROJECTS_REPORT_JUMP_FACTOR", 3)))


def _wan(value: Decimal) -> str:
    return format_wan(value)


def check_report(
    report: ProgressReport, previous: ProgressReport | None, plan: AnnualPlan | None
) -> list[Finding]:
    """Everything odd about ``report`` given last month's report and the year's plan."""
    findings: list[Finding] = []
    project = report.project
    month, ytd, since = report.completed_month, report.completed_ytd, report.completed_since_start
    total = project.total_investment

    def add(level: str, field: str, message: str) -> None:
        findings.append(Finding(level, field, message))

    if month is None or ytd is None or since is None:
        return findings
    if month > total:
        add(BLOCKER, "completed_month", _("本月完成投资 %(m)s 万元大于项目总投资 %(t)s 万元，请检查金额单位（应为万元）")
            % {"m": _wan(month), "t": _wan(total)})
    if month > ytd:
        add(BLOCKER, "completed_ytd", _("本年累计完成（%(y)s 万元）不能小于本月完成（%(m)s 万元）")
            % {"y": _wan(ytd), "m": _wan(month)})
    if ytd > since:
        add(BLOCKER, "completed_since_start", _("开工累计完成（%(s)s 万元）不能小于本年累计完成（%(y)s 万元）")
            % {"s": _wan(since), "y": _wan(ytd)})
    if since > total:
        add(BLOCKER, "completed_since_start", _("开工累计完成 %(s)s 万元超过项目总投资 %(t)s 万元")
            % {"s": _wan(since), "t": _wan(total)})
    if plan is not None and ytd > plan.planned_investment:
        add(BLOCKER, "completed_ytd", _("本年累计完成 %(y)s 万元超过年度计划投资 %(p)s 万元；如计划已调整，请先修改年度计划")
            % {"y": _wan(ytd), "p": _wan(plan.planned_investment)})
    if report.started and not report.started_on:
        add(BLOCKER, "started_on", str(START_WITHOUT_DATE))
    # The plan's start counts from its date on: a start recorded for October is not June's.
    started = report.started or (plan is not None and plan.started and (
        plan.started_on is None or plan.started_on <= report.period.last_day))
    if started and month == 0:
        add(QUESTION, "completed_month", _("已开复工，本月完成投资却为 0：请核实是否停工、未计量或漏报"))
    if ytd > 0 and not started:
        add(WARNING, "started", _("项目尚未开复工，却填报了本年完成投资 %(y)s 万元") % {"y": _wan(ytd)})
    if previous is not None:
        same_year = previous.period.year == report.period.year
        if same_year and ytd < previous.completed_ytd:
            add(WARNING, "completed_ytd", _("本年累计完成（%(y)s 万元）低于上月（%(p)s 万元）")
                % {"y": _wan(ytd), "p": _wan(previous.completed_ytd)})
        if since < previous.completed_since_start:
            add(WARNING, "completed_since_start", _("开工累计完成（%(s)s 万元）低于上月（%(p)s 万元）")
                % {"s": _wan(since), "p": _wan(previous.completed_since_start)})
        if same_year and ytd != previous.completed_ytd + month:
            add(WARNING, "completed_ytd", _("本年累计完成应为上月累计 %(p)s + 本月 %(m)s = %(e)s 万元")
                % {"p": _wan(previous.completed_ytd), "m": _wan(month), "e": _wan(previous.completed_ytd + month)})
        factor = jump_factor()
        if previous.completed_month > 0 and month > previous.completed_month * factor:
            add(WARNING, "completed_month", _("本月完成投资是上月的 %(r)s 倍（超过 %(f)s 倍）")
                % {"r": (month / previous.completed_month).quantize(Decimal("0.1")), "f": factor})
    return findings

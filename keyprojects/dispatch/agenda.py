"""The agenda that suggests itself (议题建议): the projects a dispatch meeting should look at, each
with its reasons, among the key projects of the meeting's region in the year's plan (those on
the cadence rule's lists, when it names some):

- behind time progress (慢于时间进度): this year's investment completion rate below the time
  progress on the meeting's day, as the indicators define both (``figures.plan_progress``);
- not started past its planned month (逾期未开工): not started (or resumed) by the day, the month
  its plan names for the start already over;
- with problems not signed off (有未销号问题), among them overdue ones (有逾期问题).

A red warning (预警) would be a fourth reason: warnings do not exist yet. When they do, their
projects join here, in ``suggest``, as one more ``Reason`` — nothing stands in for them now.

The secretariat edits the suggestion: the form preselects the first ``LIMIT`` and they untick
or add projects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, TextChoices
from django.utils.translation import gettext_lazy as _

from keyprojects.core.permissions import Actor
from keyprojects.indicators import figures
from keyprojects.projects.models import Project, ProjectList
from keyprojects.regions.models import Region

from .models import OPEN, Problem, overdue_q

LIMIT = 30  # preselected at most: a meeting looks at a few dozen projects, not a county's hundreds


class Reason(TextChoices):
    OVERDUE_PROBLEMS = "overdue_problems", _("有逾期问题")
    NOT_STARTED = "not_started", _("逾期未开工")
    BEHIND = "behind", _("慢于时间进度")
    OPEN_PROBLEMS = "open_problems", _("有未销号问题")


@dataclass
class Suggestion:
    project: Project
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (Reason, what it says of the project)
    gap: Decimal | None = None  # completion rate − time progress, in points
    annual_plan: Decimal = Decimal(0)  # 年度计划, 万元: of two as far behind, the larger first

    @property
    def codes(self) -> set[str]:
        return {code for code, _text in self.reasons}


def suggest(actor: Actor, region: Region, day: date, lists: Iterable[ProjectList] = ()) -> list[Suggestion]:
    """The projects to put on the agenda of a meeting of ``region`` on ``day``, most pressing
    first (overdue problems, late starts, the furthest behind), each with its reasons; within
    what ``actor`` may view. A bounded number of queries, whatever the number of projects."""
    projects = Project.objects.visible_to(actor)
    wanted = [x.pk for x in lists]
    if wanted:
        projects = projects.filter(pk__in=Project.objects.filter(lists__in=wanted).values("pk"))
    found: dict[int, list[tuple[str, str]]] = {}
    gaps: dict[int, Decimal | None] = {}
    plans: dict[int, Decimal] = {}
    for row in figures.plan_progress(actor, day.year, day, region, projects):
        pk, reasons = row["project_id"], list[tuple[str, str]]()
        month = row["planned_start_month"]
        if not row["started_by"] and month and month < day.month:
            reasons.append((Reason.NOT_STARTED, _("计划%(month)s月开工，尚未开工") % {"month": month}))
        rate, progress = row["completion_rate"], row["time_progress"]
        if rate is not None and progress and rate < progress:
            reasons.append((Reason.BEHIND, _("完成%(rate)s%%，时间进度%(progress)s%%") % {
                "rate": rate, "progress": progress}))
        gaps[pk], plans[pk] = row["progress_gap"], row["planned_investment"]
        if reasons:
            found[pk] = reasons
    problems = (Problem.objects.visible_to(actor).filter(project_id__in=list(gaps), state__in=OPEN)
                .order_by().values("project_id")
                .annotate(open=Count("pk"), overdue=Count("pk", filter=overdue_q(day))))
    for row in problems:
        reasons = found.setdefault(row["project_id"], [])
        if row["overdue"]:
            reasons.append((Reason.OVERDUE_PROBLEMS, _("%(n)s个问题逾期") % {"n": row["overdue"]}))
        reasons.append((Reason.OPEN_PROBLEMS, _("%(n)s个问题未销号") % {"n": row["open"]}))
    shown = Project.objects.filter(pk__in=list(found)).select_related("region")
    suggestions = [Suggestion(project, found[project.pk], gaps.get(project.pk), plans.get(project.pk, Decimal(0)))
                   for project in shown]
    return sorted(suggestions, key=_urgency)


def _urgency(suggestion: Suggestion) -> tuple:
    codes = suggestion.codes
    return (Reason.OVERDUE_PROBLEMS not in codes, Reason.NOT_STARTED not in codes, Reason.BEHIND not in codes,
            suggestion.gap if suggestion.gap is not None else Decimal("1000"), -suggestion.annual_plan,
            suggestion.project.name)

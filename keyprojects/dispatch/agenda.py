"""The agenda that suggests itself (议题建议): the projects a dispatch meeting should look at, each
with its reasons, among the key projects of the meeting's region in the year's plan (those on
the cadence rule's lists, when it names some), as of the meeting's day:

- behind time progress (慢于时间进度) and not started past its planned month (未按期开工): the
  project's standing as the indicator 按期推进 defines it (``engine.on_time_q``; the leaders'
  packages show the same standing), through ``figures.project_standings``;
- with problems not signed off (有未销号问题), among them overdue ones (有逾期问题).

- with a red warning open on the day (有红色预警), each warning's reason its text.

The secretariat edits the suggestion: the form preselects the first ``LIMIT`` and they untick
or add projects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import TextChoices
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from keyprojects.alerts.models import Warning, open_on_q, red_on_q
from keyprojects.core.permissions import Actor
from keyprojects.indicators import figures
from keyprojects.projects.models import Project, ProjectList
from keyprojects.regions.models import Region

LIMIT = 30  # preselected at most: a meeting looks at a few dozen projects, not a county's hundreds


class Reason(TextChoices):
    RED_WARNING = "red_warning", _("有红色预警")
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
    red = _red_warnings(actor, region, day)
    for line in figures.project_standings(actor, day.year, day, region, projects):
        pk, reasons = line["project_id"], list[tuple[str, str]]()
        reasons += [(Reason.RED_WARNING, text) for text in red.get(pk, [])]
        if line["overdue"]:
            reasons.append((Reason.OVERDUE_PROBLEMS, gettext("%(n)s个问题逾期") % {"n": line["overdue"]}))
        if line["standing"] == "late_start":
            month = line["planned_start_month"]
            reasons.append((Reason.NOT_STARTED, gettext("计划%(month)s月开工，尚未开工") % {"month": month} if month
                            else gettext("尚未开复工")))
        elif line["standing"] == "behind":
            rate, gap = line["completion_rate"], line["progress_gap"]
            reasons.append((Reason.BEHIND, gettext("完成%(rate)s%%，时间进度%(progress)s%%") % {
                "rate": rate, "progress": rate - gap} if rate is not None and gap is not None
                else gettext("慢于时间进度")))
        if line["open"]:
            reasons.append((Reason.OPEN_PROBLEMS, gettext("%(n)s个问题未销号") % {"n": line["open"]}))
        gaps[pk], plans[pk] = line["progress_gap"], line["annual_plan"]
        if reasons:
            found[pk] = reasons
    shown = Project.objects.filter(pk__in=list(found)).select_related("region")
    suggestions = [Suggestion(project, found[project.pk], gaps.get(project.pk), plans.get(project.pk, Decimal(0)))
                   for project in shown]
    return sorted(suggestions, key=_urgency)


def _red_warnings(actor: Actor, region: Region, day: date) -> dict[int, list[str]]:
    """The reasons of the red warnings open on ``day`` by project, of those the actor may view in
    ``region`` (one query)."""
    found: dict[int, list[str]] = {}
    rows = (Warning.objects.visible_to(actor).filter(open_on_q(day), red_on_q(day), project__isnull=False,
                                                     region__path__startswith=region.path)
            .order_by("opened_on", "pk").values_list("project_id", "reason"))
    for project_id, reason in rows:
        found.setdefault(project_id, []).append(reason)
    return found


def _urgency(suggestion: Suggestion) -> tuple:
    codes = suggestion.codes
    return (Reason.RED_WARNING not in codes, Reason.OVERDUE_PROBLEMS not in codes, Reason.NOT_STARTED not in codes, Reason.BEHIND not in codes,
            suggestion.gap if suggestion.gap is not None else Decimal("1000"), -suggestion.annual_plan,
            suggestion.project.name)

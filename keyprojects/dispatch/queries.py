"""What other pages read of the ledger: a unit's to-do (我的待办), and the problems of a project
or standing in a project's reporting month (the next report shows what became of them). Always within
what the user may see (``Problem.objects.visible_to``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Q, QuerySet

from keyprojects.accounts.models import User
from keyprojects.reporting.models import ReportingPeriod

from . import rules
from .filters import by_urgency
from .models import Problem

State = Problem.State
SHOWN = ("project", "region", "lead_unit", "leader", "escalated_to", "raiser_unit")


@dataclass
class ToDo:
    """A unit's to-do: the problems it has in hand (lead or co-unit), those of them due this week
    and overdue; the replies awaiting its sign-off; what it may assign (raised by it and
    awaiting assignment, or escalated to a level it dispatches)."""

    in_hand: list[Problem] = field(default_factory=list)
    due_this_week: list[Problem] = field(default_factory=list)
    overdue: list[Problem] = field(default_factory=list)
    to_sign_off: list[Problem] = field(default_factory=list)
    to_assign: list[Problem] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.in_hand) + len(self.to_sign_off) + len(self.to_assign)


def todo(user: User, today: date) -> ToDo:
    if user.unit_id is None or not rules.writes(user):
        return ToDo()  # a leader or a viewer acts on nothing; an account without a unit has no to-do
    visible = Problem.objects.visible_to(user).select_related(*SHOWN)
    unit = user.unit_id
    linked = Q(lead_unit=unit) | Q(pk__in=Problem.co_units.through.objects.filter(unit_id=unit).values("problem_id"))
    in_hand = list(by_urgency(visible.filter(linked, state=State.IN_PROGRESS), today))
    week_end = today + timedelta(days=7 - today.isoweekday())
    overdue = [p for p in in_hand if p.is_overdue(today)]
    due_this_week = [p for p in in_hand if p.due is not None and today <= p.due <= week_end]
    # The sides as the workflow's rules say them, over the few rows that can qualify.
    replied = visible.filter(Q(raiser_unit=unit) | Q(raiser_unit__isnull=True), state=State.REPLIED)
    to_sign_off = [p for p in by_urgency(replied, today) if rules.may(user, p, "sign_off")]
    waiting = by_urgency(visible.filter(state__in=[State.NEW, State.ESCALATED]), today)
    to_assign = [p for p in waiting if rules.may(user, p, "assign")]
    return ToDo(in_hand, due_this_week, overdue, to_sign_off, to_assign)


def of_project(user: User, project_id: int, today: date) -> QuerySet:
    return by_urgency(Problem.objects.visible_to(user).filter(project_id=project_id), today).select_related(*SHOWN)


def standing(user: User, project_ids: Iterable[int], period: ReportingPeriod) -> dict[int, list[Problem]]:
    """By project, its problems not signed off before ``period``'s month began — those raised
    from last month's report among them — with the state each is in now."""
    first = date(period.year, period.month, 1)
    problems = (Problem.objects.visible_to(user).filter(project_id__in=list(project_ids))
                .exclude(state=State.CLOSED, signed_off_at__date__lt=first)
                .select_related("lead_unit", "report__period").order_by("raised_on", "pk"))
    found: dict[int, list[Problem]] = defaultdict(list)
    for problem in problems:
        if problem.project_id is not None:
            found[problem.project_id].append(problem)
    return found

"""A cadence rule's calendar (``CadenceRule``): the meetings it makes due, each matched to the
meeting held for it, and the state of each on a given day.

The occurrences. The first is due on ``starts_on`` (for a weekly rule with a ``weekday``, the
first such weekday on or after it), the next every ``every`` weeks or days after. An inactive
rule has none.

The window. Each occurrence owns the days nearest to its due date: from half a period before
it (inclusive) to half a period after it (exclusive), ``[due − ⌊N/2⌋, due + N − ⌊N/2⌋)`` for a
period of N days. The windows of a rule tile the calendar without overlapping, so a meeting
held a few days early or late (a holiday, the chair away) counts for the due date it is
nearest to, and counts once. The first window starts half a period before ``starts_on``.

The meeting of an occurrence: the earliest meeting linked to the rule (``Meeting.cadence_rule``)
whose date falls in its window; a second one in the same window is an extra meeting, not the
next occurrence's.

The day it is held on. A due date that is not a working day (a weekend, a public holiday:
``core.workdays``) is put off to the next working day inside its window (``scheduled``), as
offices do; reminders and the state count from that day.

The state on a day: held (it has its meeting); upcoming (before its day); due today; late (its
day has passed but its window has not ended: it can still be held); missed (its window ended
without a meeting — flagged from the window's end, the day after its last day).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.db.models import Q, QuerySet, TextChoices
from django.utils.translation import gettext_lazy as _

from keyprojects.core.workdays import is_working_day

from .models import CadenceRule, Meeting


class State(TextChoices):
    HELD = "held", _("已调度")
    UPCOMING = "upcoming", _("待召开")
    DUE_TODAY = "due_today", _("今日应调度")
    LATE = "late", _("已过期未开")
    MISSED = "missed", _("未调度")


# The states of occurrences that were due by the day: all but those still ahead and not held.
DUE_STATES = (State.HELD, State.DUE_TODAY, State.LATE, State.MISSED)


@dataclass(frozen=True)
class Occurrence:
    rule: CadenceRule
    index: int  # 0 for the one due on starts_on
    due: date  # the rule's date
    scheduled: date  # the working day it is held on (``due``, or put off to the next working day)
    opens: date  # the window's first day
    closes: date  # the day after the window's last day: a missed occurrence is flagged from then
    meeting: Meeting | None = None
    state: str = State.UPCOMING

    @property
    def remind_on(self) -> date:
        """The day the secretariat is reminded: ``reminder_days`` before the day it is held on,
        brought forward to a working day."""
        return last_working_day(self.scheduled - timedelta(days=self.rule.reminder_days))

    @property
    def missed(self) -> bool:
        return self.state == State.MISSED


def period_days(rule: CadenceRule) -> int:
    return rule.every * (7 if rule.interval == CadenceRule.Interval.WEEKS else 1)


def first_due(rule: CadenceRule) -> date:
    """``starts_on``, or for a weekly rule the first of its ``weekday`` on or after it (the
    model's check keeps them equal; a row written around it still gets its weekday)."""
    start = rule.starts_on
    if rule.interval == CadenceRule.Interval.WEEKS and rule.weekday:
        start += timedelta(days=(rule.weekday - start.isoweekday()) % 7)
    return start


def last_working_day(day: date) -> date:
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def _scheduled(due: date, closes: date) -> date:
    day = due
    while not is_working_day(day) and day + timedelta(days=1) < closes:
        day += timedelta(days=1)
    return day if is_working_day(day) else due  # (a window without a working day keeps the date)


def occurrence(rule: CadenceRule, index: int) -> Occurrence:
    n = period_days(rule)
    due = first_due(rule) + timedelta(days=index * n)
    opens, closes = due - timedelta(days=n // 2), due + timedelta(days=n - n // 2)
    return Occurrence(rule, index, due, _scheduled(due, closes), opens, closes)


def index_of(rule: CadenceRule, day: date) -> int:
    """The index of the occurrence whose window holds ``day`` (negative before the first)."""
    n = period_days(rule)
    return ((day - first_due(rule)).days + n // 2) // n


def occurrences(rule: CadenceRule, start: date, end: date) -> list[Occurrence]:
    """The occurrences due from ``start`` to ``end`` (both inclusive), without their meetings."""
    if not rule.active or end < start:
        return []
    n, first = period_days(rule), first_due(rule)
    k = max(0, -(-(start - first).days // n))  # the first index due on or after start
    found = []
    while (item := occurrence(rule, k)).due <= end:
        found.append(item)
        k += 1
    return found


def matched(items: list[Occurrence], meetings: Iterable[Meeting], today: date) -> list[Occurrence]:
    """``items`` (of one rule) with their meetings (those held for the rule) and their states on
    ``today``."""
    if not items:
        return []
    by_index: dict[int, Meeting] = {}
    for held in sorted(meetings, key=lambda m: (m.date, m.pk or 0)):
        by_index.setdefault(index_of(items[0].rule, held.date), held)
    return [replace(item, meeting=by_index.get(item.index), state=state_of(item, by_index.get(item.index), today))
            for item in items]


def state_of(item: Occurrence, meeting: Meeting | None, today: date) -> str:
    if meeting is not None and meeting.date <= today:
        return State.HELD
    if today < item.scheduled:
        return State.UPCOMING
    if today == item.scheduled:
        return State.DUE_TODAY
    return State.LATE if today < item.closes else State.MISSED


def window_span(items: list[Occurrence]) -> tuple[date, date] | None:
    """The days the meetings of ``items`` may fall on: from the first window's opening to the
    last one's closing (exclusive)."""
    return (min(i.opens for i in items), max(i.closes for i in items)) if items else None


@dataclass(frozen=True)
class Tally:
    """本年应调度 due, 已调度 held, 缺 missed: counts over a rule's occurrences due in a year by
    a day (``DUE_STATES``): those still open (due today, late) are in ``due`` only."""

    due: int
    held: int
    missed: int


def tally(items: Iterable[Occurrence]) -> Tally:
    states = [item.state for item in items if item.state in DUE_STATES]
    return Tally(len(states), states.count(State.HELD), states.count(State.MISSED))


def label(rule: CadenceRule) -> str:
    """"常务副市长调度会（每2周）": the rule's name and how often."""
    return f"{rule.name}（{_('每')}{rule.every}{rule.get_interval_display()}）"


def calendar(rules: Iterable[CadenceRule], meetings: QuerySet[Meeting], start: date, end: date,
             today: date) -> list[Occurrence]:
    """The occurrences of ``rules`` due from ``start`` to ``end``, matched to ``meetings`` (a
    queryset the caller has narrowed to what its user sees), by date then rule; one query for
    the meetings of every rule."""
    due = {rule.pk: occurrences(rule, start, end) for rule in rules}
    spans = {pk: span for pk, items in due.items() if (span := window_span(items))}
    if not spans:
        return []
    held: dict[int, list[Meeting]] = {pk: [] for pk in spans}
    wanted = Q()
    for pk, (opens, closes) in spans.items():
        wanted |= Q(cadence_rule_id=pk, date__gte=opens, date__lt=closes)
    for meeting in meetings.filter(wanted).order_by():
        held[meeting.cadence_rule_id].append(meeting)  # type: ignore[index]  # filtered by rule: never None
    found = [item for pk in spans for item in matched(due[pk], held[pk], today)]
    return sorted(found, key=lambda item: (item.scheduled, item.rule.region.code, item.rule.name))

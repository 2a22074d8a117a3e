"""Working days (工作日), for deadlines counted the way offices count them: the State Council's
public holidays are off and the weekend days worked in their place (调休) are on, as the
``chinese-calendar`` package publishes them. For a year it does not know yet (a new year's
holidays are announced in November), Monday to Friday."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import chinese_calendar


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.isoweekday() <= 5


def working_days_between(start: date, end: date) -> int:
    """The working days after ``start`` up to and including ``end`` (0 when ``end`` is not later)."""
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        days += is_working_day(day)
    return days


def add_working_days(start: date, n: int) -> date:
    """The ``n``-th working day after ``start``."""
    day = start
    while n > 0:
        day += timedelta(days=1)
        n -= is_working_day(day)
    return day


def subtract_working_days(end: date, n: int) -> date:
    """The ``n``-th working day before ``end``: the day after which ``n`` working days run up
    to ``end`` (``working_days_between(result, end) == n`` when ``end`` is a working day)."""
    day = end
    while n > 0:
        day -= timedelta(days=1)
        n -= is_working_day(day)
    return day


def working_day_before(day: date) -> date:
    """The last working day strictly before ``day``."""
    day -= timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has no such day: 31 May + 3
    months is 31 August, 30 November + 3 is 28 or 29 February)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))

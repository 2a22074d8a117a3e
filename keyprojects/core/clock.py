"""The moment writes are stamped with, which the demo sets back to the year it tells of.

Every stamp the product writes comes from ``django.utils.timezone.now()``: the services' own
times (submitted, reviewed, published, confirmed …), ``auto_now`` columns and simple-history's
``history_date`` (and with it the audit chain's ``at``). Inside ``clock.at(moment)`` that call
returns ``moment`` plus the real time passed since the block began (so stamps keep their order),
in the block's own context only: another thread or request reads the real time. Only
``load_demo`` uses it, so that a demo loaded today reads as if it had been kept in 2022.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from datetime import UTC, date, datetime, time

from django.utils import timezone

# (the moment set, and the real time the block began)
_set: contextvars.ContextVar[tuple[datetime, datetime] | None] = contextvars.ContextVar(
    "keyprojects_clock", default=None)


def _real_now() -> datetime:
    return datetime.now(tz=UTC)  # (what timezone.now() returns with USE_TZ)


def _now() -> datetime:
    found = _set.get()
    if found is None:
        return _real_now()
    moment, began = found
    return moment + (_real_now() - began)


def moment(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A time of ``day`` in the local time zone (the city's office hours)."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@contextlib.contextmanager
def at(when: datetime | date) -> Iterator[datetime]:
    """Within the block, ``timezone.now()`` starts from ``when`` (a date: 10:00 that day)."""
    start = when if isinstance(when, datetime) else moment(when)
    outermost = _set.get() is None
    original = timezone.now
    if outermost:
        timezone.now = _now  # the module attribute every caller reads (``timezone.now()``)
    token = _set.set((start, _real_now()))
    try:
        yield start
    finally:
        _set.reset(token)
        if outermost:
            timezone.now = original

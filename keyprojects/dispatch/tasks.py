"""The daily jobs of dispatch (``core.schedule``): the 督办 of overdue problems (marked, their
units and leaders notified, the long-overdue escalated: ``services.chase_overdue``), and the
cadence's reminders and flags of missed meetings (``services.chase_cadence``)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django_tasks import task

from keyprojects.core.audit import Source, audit_context

from . import services


@task
def chase_overdue(day: str = "") -> dict[str, int]:
    """Chase the problems overdue on ``day`` (ISO date; default today). Running it again the same
    day changes nothing more."""
    today = date.fromisoformat(day) if day else timezone.localdate()
    with audit_context(Source.SYSTEM, detail="chase_overdue"):
        return services.chase_overdue(today)


@task
def chase_cadence(day: str = "") -> dict[str, int]:
    """Remind the secretariats of the meetings due soon and flag those missed, on ``day`` (ISO
    date; default today). Running it again the same day sends nothing more."""
    today = date.fromisoformat(day) if day else timezone.localdate()
    with audit_context(Source.SYSTEM, detail="chase_cadence"):
        return services.chase_cadence(today)

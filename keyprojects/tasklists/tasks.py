"""The daily 督办 of the task lists (``core.schedule``): the lead units of overdue tasks and
milestones told, once per event (``services.chase_overdue``)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django_tasks import task

from keyprojects.core.audit import Source, audit_context

from . import services


@task
def chase_overdue(day: str = "") -> dict[str, int]:
    """Chase the tasks and milestones overdue on ``day`` (ISO date; default today). Running it
    again the same day sends nothing more."""
    today = date.fromisoformat(day) if day else timezone.localdate()
    with audit_context(Source.SYSTEM, detail="chase_overdue_tasks"):
        return services.chase_overdue(today)

"""The daily chase of issued money left idle (``core.schedule``): works not started, or money
not spent, within the time the round allows after issuance, raised as warnings (预警, the list a
county clerk already works from) and closed once resolved (``services.chase_idle_funds``)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django_tasks import task

from . import services


@task
def chase_idle_funds(day: str = "") -> dict[str, int]:
    """Chase idle funds on ``day`` (ISO date; default today): warnings opened, changed and closed.
    Running it again the same day changes nothing more."""
    return services.chase_idle_funds(date.fromisoformat(day) if day else timezone.localdate())

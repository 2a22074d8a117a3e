"""The daily job of the warnings (``core.schedule``): every rule evaluated (``services.evaluate``)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django_tasks import task

from . import services


@task
def evaluate_warnings(day: str = "") -> dict[str, int]:
    """Evaluate the warning rules on ``day`` (ISO date; default today): warnings opened, changed,
    closed and turned red. Running it again the same day changes nothing more."""
    return services.evaluate(date.fromisoformat(day) if day else timezone.localdate())

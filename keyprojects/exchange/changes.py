"""Projects changed since a time, for a provincial platform's pull (``GET /api/projects/changes/``).

A project changes when its row is saved or one of its annual plans is (its plans' history). The
pull walks the changes in (change time, id) order with a cursor, the last row served: rows
changed again after they were served come round again later, and none is skipped however the
library changes between two calls. A change is served only once it is ``SETTLE`` old, so that a
transaction still open when a page is served (its change time stamped before its commit) has
committed before the cursor passes its time.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import DateTimeField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from keyprojects.core.permissions import Viewer
from keyprojects.projects.models import AnnualPlan, Project

MAX_LIMIT = 500


def settle() -> timedelta:
    return timedelta(seconds=getattr(settings, "KEYPROJECTS_CHANGES_SETTLE_SECONDS", 30))


@dataclass
class Page:
    projects: list[Project]  # each with ``changed_at``
    cursor: str | None  # where the next call goes on from (the one given when nothing was new)
    more: bool
    horizon: datetime  # changes after it are served by a later call


def with_change_time(projects: QuerySet[Project]) -> QuerySet[Any]:
    plan_changed = Subquery(AnnualPlan.history.filter(project_id=OuterRef("pk"))
                            .order_by("-history_date").values("history_date")[:1])
    return projects.annotate(changed_at=Greatest("updated_at", Coalesce(plan_changed, "updated_at"),
                                                 output_field=DateTimeField()))


def encode(changed_at: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{changed_at.isoformat()}|{pk}".encode()).decode()


def decode(cursor: str) -> tuple[datetime, int]:
    try:
        moment, _sep, pk = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        if not pk.isdigit():
            raise ValueError
        return in_utc(moment), int(pk)
    except (ValueError, UnicodeError, OverflowError) as exc:
        raise ValidationError({"cursor": "cursor 无效：请使用上一次返回的 next_cursor"}) from exc


def in_utc(text: str) -> datetime:
    """An ISO 8601 time in UTC, or ValueError/OverflowError. In UTC because PostgreSQL refuses
    offsets past 15:59 that Python accepts (+21:26)."""
    parsed = parse_datetime(text)
    if parsed is None:
        raise ValueError(text)
    return (parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)).astimezone(UTC)


def since_time(value: str) -> datetime:
    try:
        return in_utc(value.strip().replace(" ", "+"))  # "+" arrives as a space
    except (ValueError, OverflowError) as exc:  # 2022-13-01, or year 1 moved before year 1
        raise ValidationError({"changed_since": "changed_since 应为 ISO 8601 时间，如 2022-06-01T00:00:00+08:00"}) from exc


def changed(user: Viewer, since: datetime | None, cursor: str | None, limit: int = 100,
            now: datetime | None = None) -> Page:
    """The projects ``user`` may view changed at ``since`` or after (or after ``cursor``), oldest
    change first, at most ``limit``."""
    horizon = (now or timezone.now()) - settle()
    rows = with_change_time(Project.objects.visible_to(user)).filter(changed_at__lte=horizon)
    if cursor:
        moment, pk = decode(cursor)
        rows = rows.filter(Q(changed_at__gt=moment) | Q(changed_at=moment, pk__gt=pk))
    elif since is not None:
        rows = rows.filter(changed_at__gte=since)
    limit = max(1, min(limit, MAX_LIMIT))
    page = list(rows.order_by("changed_at", "pk")[:limit + 1])
    more = len(page) > limit
    page = page[:limit]
    last = page[-1] if page else None
    next_cursor = encode(last.changed_at, last.pk) if last is not None else cursor
    return Page(page, next_cursor, more, horizon)

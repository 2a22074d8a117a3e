"""Projects changed since a time, for a provincial platform's pull (``GET /api/projects/changes/``).

A project changes when a history row is written for it: its own (a save, and a change of its
leaders or lists, a many-to-many loss included, each writes one on the project), one of its annual
plans' or funding sources', or one of its monthly reports' while approved (approval, correction:
the month's progress the province takes); and when a unit or sector whose name it is served with
(owner, responsible unit, sector) changes. Leaders and lists are served by id, so their renames
are not the project's changes. A deleted project is a tombstone, its deletion's history
row, shown to those whose scope held it then. The pull walks both in (change time, id) order with
a cursor, the last row served: rows changed again after they were served come round again later,
and none is skipped however the library changes between two calls. A change is served only once
it is ``SETTLE`` old, so that a transaction still open when a page is served (its change time
stamped before its commit) has committed before the cursor passes its time.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import DateTimeField, Model, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from keyprojects.accounts.models import Unit
from keyprojects.core.permissions import Viewer, restrict
from keyprojects.projects.models import AnnualPlan, FundingSource, Project, Sector
from keyprojects.reporting.models import ProgressReport

MAX_LIMIT = 500


def settle() -> timedelta:
    return timedelta(seconds=getattr(settings, "KEYPROJECTS_CHANGES_SETTLE_SECONDS", 30))


@dataclass
class Page:
    projects: list[Project]  # each with ``changed_at``
    deleted: list[Any]  # the deletions' history rows (``history_date``: when)
    cursor: str | None  # where the next call goes on from (the one given when nothing was new)
    more: bool
    horizon: datetime  # changes after it are served by a later call


def _sources() -> list[tuple[QuerySet[Any], str, str]]:
    """Where a project's changes are written: history rows whose ``link`` is the project's ``field``."""
    return [
        (Project.history.all(), "id", "pk"),
        (AnnualPlan.history.all(), "project_id", "pk"),
        (FundingSource.history.all(), "project_id", "pk"),
        (ProgressReport.history.filter(status=ProgressReport.Status.APPROVED), "project_id", "pk"),
        (Unit.history.all(), "id", "owner_id"),
        (Unit.history.all(), "id", "responsible_unit_id"),
        (Sector.history.all(), "id", "sector_id"),
    ]


def with_change_time(projects: QuerySet[Project]) -> QuerySet[Any]:
    # The latest history row of each source, read through its index on ``link``.
    last = [Subquery(history.filter(**{link: OuterRef(field)}).order_by("-history_date").values("history_date")[:1])
            for history, link, field in _sources()]
    # Coalesce: SQLite's GREATEST is NULL when one of its arguments is (a project without plans)
    return projects.annotate(changed_at=Greatest("updated_at", *(Coalesce(s, "updated_at") for s in last),
                                                 output_field=DateTimeField()))


def touched_since(moment: datetime) -> Q:
    """A superset of the projects changed at ``moment`` or after, found through the history tables'
    index on their time, so that a pull's change times are figured for those only, not the library."""
    found = Q(updated_at__gte=moment)
    for history, link, field in _sources():
        found |= Q(**{f"{field}__in": history.filter(history_date__gte=moment).values(link)})
    return found


def with_latest_month(projects: list[Project]) -> None:
    """Set each project's ``latest_month``: its report of the latest month approved (None if none),
    the month's progress the province takes with the project's values."""
    latest = (ProgressReport.objects.filter(project_id=OuterRef("pk"), status=ProgressReport.Status.APPROVED)
              .order_by("-period__year", "-period__month").values("pk")[:1])
    ids = Project.objects.filter(pk__in=[p.pk for p in projects]).annotate(report=Subquery(latest)).values("report")
    reports = {r.project_id: r for r in ProgressReport.objects.filter(pk__in=ids).select_related("period")}
    for project in projects:
        project.latest_month = reports.get(project.pk)  # type: ignore[attr-defined]


def tombstones(user: Viewer) -> QuerySet[Any]:
    """The deletions of projects ``user`` could see when they were deleted (the row as it was then)."""
    return restrict(Project.history.filter(history_type="-"), user, "view").select_related("region")


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
    """The projects ``user`` may view changed at ``since`` or after (or after ``cursor``), and those
    deleted then, oldest change first, at most ``limit`` of both together."""
    horizon = (now or timezone.now()) - settle()
    limit = max(1, min(limit, MAX_LIMIT))
    start = decode(cursor)[0] if cursor else since
    projects = Project.objects.visible_to(user)
    if start is not None:
        projects = projects.filter(touched_since(start))
    live = _window(with_change_time(projects), "changed_at", "pk", horizon, since, cursor)
    gone = _window(tombstones(user), "history_date", "id", horizon, since, cursor)
    # One stream in (time, id) order: a project id is never both live and deleted.
    merged: list[tuple[datetime, int, Model]] = sorted(
        [(p.changed_at, p.pk, p) for p in live[:limit + 1]] + [(t.history_date, t.id, t) for t in gone[:limit + 1]],
        key=lambda entry: (entry[0], entry[1]))
    more = len(merged) > limit
    merged = merged[:limit]
    next_cursor = encode(merged[-1][0], merged[-1][1]) if merged else cursor
    return Page([row for _t, _pk, row in merged if isinstance(row, Project)],
                [row for _t, _pk, row in merged if not isinstance(row, Project)], next_cursor, more, horizon)


def _window(rows: QuerySet[Any], time: str, pk: str, horizon: datetime, since: datetime | None,
            cursor: str | None) -> QuerySet[Any]:
    """``rows`` changed (at ``time``) after the cursor or at ``since`` or after, and settled."""
    rows = rows.filter(**{f"{time}__lte": horizon})
    if cursor:
        moment, last = decode(cursor)
        rows = rows.filter(Q(**{f"{time}__gt": moment}) | Q(**{time: moment, f"{pk}__gt": last}))
    elif since is not None:
        rows = rows.filter(**{f"{time}__gte": since})
    return rows.order_by(time, pk)

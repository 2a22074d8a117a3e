"""The badges on projects: each project's warnings open now, by colour, one query for a page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count

from keyprojects.core.permissions import Actor

from .models import Warning


def badges(actor: Actor, project_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """By project, its open warnings the actor may view: ``{"red": n, "yellow": n}`` (projects
    without any left out)."""
    found: dict[int, dict[str, int]] = {}
    rows = (Warning.objects.visible_to(actor).filter(project_id__in=list(project_ids), closed_on__isnull=True)
            .order_by().values("project_id", "colour").annotate(n=Count("pk")))
    for row in rows:
        found.setdefault(row["project_id"], {"red": 0, "yellow": 0})[row["colour"]] = row["n"]
    return found


def attach(actor: Actor, projects: Iterable[Any]) -> None:
    """Set ``warning_badge`` on each project of a page (None without open warnings)."""
    shown = list(projects)
    found = badges(actor, [p.pk for p in shown])
    for project in shown:
        project.warning_badge = found.get(project.pk)

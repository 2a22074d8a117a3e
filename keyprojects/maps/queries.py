"""The points of the map: the project list's projects (scoped and filtered by
``figures.project_list``) that have coordinates, one point each, or, past ``MAX_POINTS``,
added up in a grid so a province of 100,000 projects sends a few thousand cells."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, FloatField, Max, Min, OuterRef, QuerySet, Sum, Value
from django.db.models.functions import Cast, Floor

from keyprojects.alerts.models import Warning
from keyprojects.core.cache import cached_within
from keyprojects.core.permissions import Actor, region_holding
from keyprojects.projects.models import Project

MAX_POINTS = 3000  # one point per project up to this many; a grid of cells beyond
GRID = 32  # cells along the longer side of the points' extent when they are added up


@dataclass(frozen=True)
class Box:
    """A longitude/latitude rectangle (the part of the map a cell covers)."""

    west: float
    south: float
    east: float
    north: float

    @classmethod
    def parse(cls, text: str) -> Box | None:
        try:
            west, south, east, north = (float(v) for v in text.split(","))
        except ValueError:
            return None
        return cls(west, south, east, north) if west < east and south < north else None


def located(projects: QuerySet) -> QuerySet:
    return projects.filter(longitude__isnull=False, latitude__isnull=False)


def unlocated(projects: QuerySet) -> QuerySet:
    return projects.exclude(longitude__isnull=False, latitude__isnull=False)


def points(actor: Actor, projects: QuerySet, box: Box | None = None, max_points: int | None = None) -> dict[str, Any]:
    """``located_points`` of ``projects`` with the warnings the actor may view, remembered until a
    write in the region holding what the actor sees (the arguments' SQL is the key)."""
    warnings = Warning.objects.visible_to(actor).filter(closed_on__isnull=True)
    limit = MAX_POINTS if max_points is None else max_points
    return cached_within(region_holding(actor), located_points, projects, warnings, box, limit)


def located_points(projects: QuerySet, warnings: QuerySet, box: Box | None, max_points: int) -> dict[str, Any]:
    """The located ``projects`` (inside ``box``) as points ``{"id", "name", "lng", "lat",
    "stage", "investment", "owner", "warning"}`` or, when more than ``max_points``, as cells
    ``{"lng", "lat", "count", "investment", "box"}`` (at the mean position of their projects).
    ``count`` is how many projects either way."""
    rows = located(projects)
    if box is not None:
        rows = rows.filter(longitude__gte=box.west, longitude__lte=box.east,
                           latitude__gte=box.south, latitude__lte=box.north)
    # Plain rows of the project table: the list's own annotations (the year's plan) are not needed
    rows = Project.objects.filter(pk__in=rows.order_by().values("pk"))
    # how many, and their extent (the grid's), in one pass
    ext = rows.aggregate(n=Count("pk"), west=Cast(Min("longitude"), FloatField()), south=Cast(Min("latitude"), FloatField()),
                         east=Cast(Max("longitude"), FloatField()), north=Cast(Max("latitude"), FloatField()))
    count = ext.pop("n")
    if count <= max_points:
        return {"count": count, "aggregated": False, "points": _each(rows, warnings)}
    return {"count": count, "aggregated": True, "points": _cells(rows, ext)}


def _each(rows: QuerySet, warnings: QuerySet) -> list[dict[str, Any]]:
    open_warnings = warnings.filter(project=OuterRef("pk"))
    rows = rows.annotate(red=Exists(open_warnings.filter(colour="red")),
                         yellow=Exists(open_warnings.filter(colour="yellow")))
    return [{
        "id": pk, "name": name, "lng": float(lng), "lat": float(lat), "stage": stage,
        "investment": str(investment), "owner": owner or "",
        "warning": "red" if red else "yellow" if yellow else "",
    } for pk, name, lng, lat, stage, investment, owner, red, yellow in rows.order_by("pk").values_list(
        "pk", "name", "longitude", "latitude", "stage", "total_investment", "owner__name", "red", "yellow")]


def _cells(rows: QuerySet, ext: dict[str, float]) -> list[dict[str, Any]]:
    """The projects added up in a grid of ``GRID`` cells along the longer side (COUNT and SUMs
    only: the cell's position is the sum of its coordinates over its count)."""
    lng, lat = Cast("longitude", FloatField()), Cast("latitude", FloatField())
    size = max(ext["east"] - ext["west"], ext["north"] - ext["south"]) / GRID or 1e-6
    grouped = (rows.order_by()
               .annotate(gx=Floor((lng - Value(ext["west"])) / Value(size)),
                         gy=Floor((lat - Value(ext["south"])) / Value(size)))
               .values("gx", "gy")
               .annotate(n=Count("pk"), investment=Sum("total_investment"),
                         sum_lng=Sum(F("longitude")), sum_lat=Sum(F("latitude"))))
    cells = []
    for row in grouped:
        west, south = ext["west"] + int(row["gx"]) * size, ext["south"] + int(row["gy"]) * size
        cells.append({
            "lng": round(float(row["sum_lng"]) / row["n"], 6), "lat": round(float(row["sum_lat"]) / row["n"], 6),
            "count": row["n"], "investment": str(Decimal(row["investment"] or 0)),
            "box": [round(west, 6), round(south, 6), round(west + size, 6), round(south + size, 6)],
        })
    return cells


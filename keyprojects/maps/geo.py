"""The vendored boundaries (``static/vendor/geo``, one GeoJSON file per region code: the
country's provinces, a province's cities, a city's counties; see the vendor README) as the
map needs them: which file draws a region, and points inside a region (the demo's places).

Read from disk only here; pages fetch the files as static assets, never from the internet."""

from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings

from keyprojects.regions.models import Region

GEO_DIR = Path(settings.PACKAGE_DIR) / "static" / "vendor" / "geo"
Ring = list[list[float]]


@dataclass(frozen=True)
class Outline:
    """What the map of a region draws: the boundary file (a region code) and the codes of its
    features to keep (None: all of them, the region's children)."""

    file: str
    keep: tuple[str, ...] | None

    @property
    def static_path(self) -> str:
        return f"vendor/geo/{self.file}.geojson"


def has_file(code: str) -> bool:
    return (GEO_DIR / f"{code}.geojson").is_file()


def outline(region: Region) -> Outline | None:
    """How to draw ``region``: a province or a city by its own file (its children's outlines);
    a county by its city's file, itself alone; a development zone (no outline of its own) as
    the region holding it. None when no vendored file covers it."""
    if region.level == Region.Level.ZONE and region.parent is not None:
        return outline(region.parent)
    if region.level != Region.Level.COUNTY and has_file(region.code):
        return Outline(region.code, None)
    parent = region.parent
    if parent is not None and has_file(parent.code) and region.code in feature_codes(parent.code):
        return Outline(parent.code, (region.code,))
    return None


@functools.cache
def _features(file: str) -> tuple[dict[str, Any], ...]:
    with open(GEO_DIR / f"{file}.geojson", encoding="utf-8") as f:
        return tuple(json.load(f)["features"])


def feature_codes(file: str) -> frozenset[str]:
    return frozenset(str(f["properties"].get("adcode")) for f in _features(file))


def _polygons(code: str) -> list[list[Ring]]:
    """The polygons (outer ring first, then holes) of the region ``code``: its feature in its
    parent's file, or every feature of its own file (a city drawn as its counties)."""
    found: list[dict[str, Any]] = []
    # a county in its city's file, or (the districts of 北京, 天津 …) in its province's
    for parent_file in (code[:4] + "00", code[:2] + "0000"):
        if not found and parent_file != code and has_file(parent_file):
            found = [f for f in _features(parent_file) if str(f["properties"].get("adcode")) == code]
    if not found and has_file(code):
        found = list(_features(code))
    polygons: list[list[Ring]] = []
    for feature in found:
        geometry = feature["geometry"]
        polygons += [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return polygons


def _inside_ring(x: float, y: float, ring: Ring) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def contains(code: str, longitude: float, latitude: float) -> bool:
    """Is the point inside the region ``code`` (False when no boundary of it is vendored)?"""
    return any(_inside_ring(longitude, latitude, polygon[0])
               and not any(_inside_ring(longitude, latitude, hole) for hole in polygon[1:])
               for polygon in _polygons(code))


def point_in(code: str, rng: random.Random, tries: int = 200) -> tuple[Decimal, Decimal] | None:
    """A point drawn by ``rng`` inside the region ``code`` (longitude, latitude to 6 places),
    or None when no boundary of it is vendored."""
    polygons = _polygons(code)
    if not polygons:
        return None
    xs = [p[0] for polygon in polygons for p in polygon[0]]
    ys = [p[1] for polygon in polygons for p in polygon[0]]
    for _try in range(tries):
        x, y = rng.uniform(min(xs), max(xs)), rng.uniform(min(ys), max(ys))
        if contains(code, x, y):
            return Decimal(f"{x:.6f}"), Decimal(f"{y:.6f}")
    return None

"""一张图: the map of the user's region — county outlines (vendored boundaries), the project
list's projects as points, a choropleth of the counties by an indicator — and the points as
JSON. The filter is the project list's (``figures.project_list``), so the map's count and the
list's totals line are the same number."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keyprojects.core.http import AuthenticatedRequest
from keyprojects.core.params import BadQuery, required_version
from keyprojects.core.permissions import regions_for, restrict
from keyprojects.indicators import figures
from keyprojects.indicators.engine import INDICATORS, RATES
from keyprojects.projects import services
from keyprojects.projects.models import Project, Stage
from keyprojects.regions.models import Region

from . import geo, queries

UNLOCATED_SHOWN = 50  # listed beside the map; the list filtered the same way shows them all
SHADES = list(RATES)  # the choropleth's indicators: the plan's rates


def _region_shown(request: AuthenticatedRequest, listing: figures.Listing) -> Region | None:
    """The filter's region, else the user's own, else the first city they may view with projects."""
    chosen = listing.filter.form.cleaned_data.get("region") if listing.filter.is_valid() else None
    if chosen is not None:
        return chosen
    if request.user.region is not None:
        return request.user.region
    allowed = regions_for(request.user, "view")
    return allowed.filter(level=Region.Level.PREFECTURE, projects__isnull=False).first() or \
        allowed.filter(projects__isnull=False).order_by("depth").first()


def _shades(request: AuthenticatedRequest, listing: figures.Listing, region: Region | None,
            shade: str) -> list[dict[str, Any]]:
    """The choropleth: the year's ``shade`` rate of each region right under ``region``, by code,
    each linking to the project list of that region (whose totals line gives its count)."""
    if region is None or listing.year is None or region.level == Region.Level.COUNTY:
        return []
    as_of = listing.as_of or figures.data_date(request.user, listing.year, region)[0]  # as the dashboard's
    rows = figures.breakdown(request.user, listing.year, as_of, "region", region)
    list_url = reverse("projects:list")
    shaded = []
    for row in rows:
        child = row.get("region")
        if child is None or child == region:
            continue
        rate = row["rates"].get(shade)
        shaded.append({
            "code": child.code, "pk": child.pk, "name": child.name,
            "value": float(rate) if rate is not None else None, "count": row["plan"]["count"],
            "url": f"{list_url}?{urlencode({'year': listing.year, 'as_of': as_of.isoformat(), 'region': child.pk})}",
        })
    return shaded


@login_required
def map_page(request: AuthenticatedRequest) -> HttpResponse:
    listing = figures.project_list(request.user, request.GET)
    region = _region_shown(request, listing)
    wanted = request.GET.get("shade", "")
    shade = wanted if wanted in SHADES else "completion_rate"
    outline = geo.outline(region) if region is not None else None
    query = listing.filter.data.copy()
    query.pop("page", None)
    missing = queries.unlocated(listing.projects).select_related("region").order_by("region__code", "name")
    missing_count = missing.count()
    children = Region.objects.filter(parent=region) if region is not None else Region.objects.none()
    config = {
        "points_url": f"{reverse('maps:points')}?{query.urlencode()}",
        "geo_url": static(outline.static_path) if outline else "",
        "keep": list(outline.keep) if outline and outline.keep else None,
        "shades": _shades(request, listing, region, shade),
        "shade_label": INDICATORS[shade].name,
        "children": {c.code: c.pk for c in children},
        "tiles": settings.KEYPROJECTS_MAP_TILES,
        "detail_url": reverse("projects:detail", args=[0]),
        "location_url": reverse("maps:location", args=[0]),
        "stages": {s.value: str(s.label) for s in Stage},
        "query": query.urlencode(),
        "text": {  # the script's words, translated here
            "place": _("请在地图上点击“%(name)s”的位置（按 Esc 取消）"), "confirm": _("将“%(name)s”标注在 经度 %(lng)s、纬度 %(lat)s？"),
            "projects": _("个项目"), "investment": _("总投资"), "yi": _("亿元"), "wan": _("万元"), "none": _("无"),
            "red": _("红色预警"), "yellow": _("黄色预警"), "no_warning": _("无预警"), "cell": _("点击放大查看"),
            "failed": _("保存失败"),
            "cells": _("项目较多，按网格合并显示：圆的大小表示格内项目数，点击放大查看其中的项目。"),
        },
    }
    return render(request, "maps/map.html", {
        "filter": listing.filter, "totals": listing.totals, "years": listing.years,
        "year": listing.filter.data.get("year") or "", "query": query.urlencode(),
        "region": region, "outline": outline, "config": config,
        # the further filters stay open when one of them is in use
        "more_filters": any(request.GET.get(f) for f in listing.filter.form.fields if f not in ("q", "year")),
        "shade": shade, "shade_choices": [(key, INDICATORS[key].name) for key in SHADES],
        "missing": _with_editable(request, list(missing[:UNLOCATED_SHOWN])),
        "missing_count": missing_count, "located_count": listing.totals["count"] - missing_count,
    })


def _with_editable(request: AuthenticatedRequest, projects: list[Project]) -> list[tuple[Project, bool]]:
    """Each project and whether the user may place it (one query for the list)."""
    editable = set(restrict(Project.objects.filter(pk__in=[p.pk for p in projects]), request.user, "edit")
                   .values_list("pk", flat=True))
    return [(p, p.pk in editable) for p in projects]


@login_required
def map_points(request: AuthenticatedRequest) -> JsonResponse:
    """The points of the map as JSON, with the list's count (``total``) beside them."""
    listing = figures.project_list(request.user, request.GET)
    box = queries.Box.parse(request.GET.get("box", "")) if request.GET.get("box") else None
    found = queries.points(request.user, listing.projects, box)
    return JsonResponse({"total": listing.totals["count"], **found})


@login_required
@require_POST
def set_location(request: AuthenticatedRequest, pk: int) -> JsonResponse:
    """Place a project where the user clicked (“标注位置” mode); JSON for the page's script."""
    project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
    try:
        longitude, latitude = Decimal(request.POST["longitude"]), Decimal(request.POST["latitude"])
        version = required_version(request.POST)
    except BadQuery as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except (KeyError, InvalidOperation):
        longitude = latitude = Decimal("NaN")
    if not (longitude.is_finite() and latitude.is_finite()):
        return JsonResponse({"error": _("请在地图上点击项目所在位置")}, status=400)
    try:
        project = services.set_location(request.user, project.pk, version, longitude, latitude)
    except services.EditConflict as exc:
        return JsonResponse({"error": str(exc)}, status=409)
    except ValidationError as exc:
        return JsonResponse({"error": "；".join(exc.messages)}, status=400)
    return JsonResponse({"id": project.pk, "longitude": str(project.longitude), "latitude": str(project.latitude),
                         "version": project.version})

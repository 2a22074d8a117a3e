"""Open data: the OC4IDS package of a region's published projects (public, or for an API token,
as the city sets ``KEYPROJECTS_OC4IDS_ACCESS``), and the page where the city's admins choose
what is published."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from rest_framework import exceptions

from keyprojects.api.authentication import TokenAuthentication
from keyprojects.core.http import AuthenticatedRequest
from keyprojects.core.paging import Paginator
from keyprojects.core.params import query_id, query_year
from keyprojects.core.permissions import administers, require_view_region
from keyprojects.projects.models import Project
from keyprojects.regions.models import Region

from . import oc4ids, services
from .models import Publication


def _reader(request: HttpRequest) -> Any:
    """Who reads the package: anyone when it is public; else the user of an API token (or a
    signed-in user), whose view must hold the region."""
    if settings.KEYPROJECTS_OC4IDS_ACCESS == "public":
        return None
    try:
        found = TokenAuthentication().authenticate(request)
    except exceptions.AuthenticationFailed as exc:
        raise PermissionDenied(str(exc.detail)) from exc
    if found is not None:
        return found[0]
    if request.user.is_authenticated:
        return request.user
    raise PermissionDenied(_("公开数据需使用接口令牌访问（Authorization: Token <密钥>）"))


@require_GET
def package(request: HttpRequest, code: str) -> HttpResponse:
    region = Region.objects.filter(code=code).first()
    try:
        reader = _reader(request)
    except PermissionDenied as exc:
        return JsonResponse({"detail": str(exc)}, status=401, json_dumps_params={"ensure_ascii": False})
    if region is None:
        return JsonResponse({"detail": _("区划代码“%(code)s”不存在") % {"code": code}}, status=404,
                            json_dumps_params={"ensure_ascii": False})
    if reader is not None:
        require_view_region(reader, region)
    year = query_year(request.GET)
    uri = request.build_absolute_uri(request.get_full_path())
    found = oc4ids.package(region, year, uri, reader=reader)
    if found is None:
        return JsonResponse({"detail": _("%(region)s没有公开的项目") % {"region": region.name}}, status=404,
                            json_dumps_params={"ensure_ascii": False})
    body = json.dumps(found, ensure_ascii=False, cls=DjangoJSONEncoder, indent=1)
    return HttpResponse(body, content_type="application/json; charset=utf-8")


@login_required
def publications(request: AuthenticatedRequest) -> HttpResponse:
    """The projects published as open data that the user may see, and for the city's admins the
    form to publish one (by its id or 项目代码) or withdraw one."""
    rows = Publication.objects.visible_to(request.user).select_related("project__region", "published_by")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    can_publish = administers(request.user)
    region = request.user.region
    return render(request, "opendata/publications.html", {
        "page": page, "can_publish": can_publish, "region": region,
        "access": settings.KEYPROJECTS_OC4IDS_ACCESS,
        "package_url": reverse("opendata:package", args=[region.code]) if region else None,
    })


@login_required
@require_POST
def publish(request: AuthenticatedRequest) -> HttpResponse:
    raw = (request.POST.get("project") or "").strip()
    project = (Project.objects.visible_to(request.user).filter(code=raw).first() if "-" in raw else None)
    try:
        project_id = project.pk if project else query_id({"project": raw}, "project", _("项目"))
        if project_id is None:
            raise ValidationError({"project": _("请填写项目编号或项目代码")})
        if request.POST.get("action") == "withdraw":
            services.unpublish(request.user, project_id)
            messages.success(request, _("已撤回公开"))
        else:
            services.publish(request.user, project_id, request.POST.get("note", ""))
            messages.success(request, _("项目已公开"))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("您不能公开该项目"))
    return redirect("opendata:publications")

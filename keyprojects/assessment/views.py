"""Assessment pages: the schemes, a scheme's rules (edited by the city's admins), taking and
publishing a period's snapshot, and a period's ranking with its .xlsx. Views parse, call one
service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keyprojects.core.forms import performed, submitted
from keyprojects.core.http import AuthenticatedRequest, xlsx_download
from keyprojects.core.permissions import administers, require_admin, sees_all_of

from . import periods, services
from .export import ranking_workbook
from .forms import GroupForm, LineForm, SchemeForm, TakeForm
from .links import value_links
from .models import Group, Line, Scheme, Snapshot
from .ranking import Ranking, history, read
from .text import paragraph


def _scheme(request: AuthenticatedRequest, pk: int) -> Scheme:
    return get_object_or_404(Scheme.objects.visible_to(request.user).select_related("region"), pk=pk)


@login_required
def schemes(request: AuthenticatedRequest) -> HttpResponse:
    found = (Scheme.objects.visible_to(request.user).select_related("region")
             .prefetch_related(Prefetch("snapshots", Snapshot.objects.visible_to(request.user)))
             .order_by("region__code", "-year", "name"))
    own = request.user.region
    return render(request, "assessment/schemes.html", {
        "schemes": found, "can_create": own is not None and administers(request.user, own)})


@login_required
def scheme_create(request: AuthenticatedRequest) -> HttpResponse:
    region = request.user.region
    if region is None:
        raise Http404
    require_admin(request.user, region)
    form = SchemeForm(request.POST or None)
    if request.method == "POST" and (scheme := submitted(form, lambda: services.save_scheme(
            request.user, region, None, form.cleaned_data))):
        messages.success(request, _("考核方案已建立，请设置考核组和考核指标"))
        return redirect("assessment:scheme", pk=scheme.pk)
    return render(request, "assessment/form.html", {"form": form, "title": _("新建考核方案"),
                                                     "back": "assessment:schemes"})


@login_required
def scheme(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = _scheme(request, pk)
    return render(request, "assessment/scheme.html", {
        "scheme": found, "groups": found.groups.prefetch_related("lines"),
        "snapshots": Snapshot.objects.visible_to(request.user).filter(scheme=found)
                     .select_related("taken_by", "published_by").order_by("-period"),
        "can_manage": administers(request.user, found.region), "take_form": TakeForm()})


@login_required
def scheme_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = _scheme(request, pk)
    require_admin(request.user, found.region)
    form = SchemeForm(request.POST or None, instance=found)
    return _save(request, form, lambda data: services.save_scheme(request.user, None, found.pk, data),
                 _("修改考核方案"), found)


@login_required
def group_form(request: AuthenticatedRequest, pk: int, group_pk: int | None = None) -> HttpResponse:
    found = _scheme(request, pk)
    require_admin(request.user, found.region)
    group = get_object_or_404(Group, pk=group_pk, scheme=found) if group_pk else None
    form = GroupForm(request.POST or None, instance=group)
    return _save(request, form, lambda data: services.save_group(request.user, found.pk, group_pk, data),
                 _("考核组"), found)


@login_required
def line_form(request: AuthenticatedRequest, group_pk: int, line_pk: int | None = None) -> HttpResponse:
    group = get_object_or_404(Group.objects.visible_to(request.user).select_related("scheme__region"), pk=group_pk)
    require_admin(request.user, group.scheme.region)
    line = get_object_or_404(Line, pk=line_pk, group=group) if line_pk else None
    form = LineForm(request.POST or None, instance=line)
    return _save(request, form, lambda data: services.save_line(request.user, group.pk, line_pk, data),
                 _("%(group)s考核指标") % {"group": group.name}, group.scheme)


def _save(request: AuthenticatedRequest, form: Any, save: Any, title: str, found: Scheme) -> HttpResponse:
    if request.method == "POST" and submitted(form, lambda: save(form.cleaned_data)):
        messages.success(request, _("已保存；已取数的考核期仍按取数时的规则计分"))
        return redirect("assessment:scheme", pk=found.pk)
    return render(request, "assessment/form.html", {"form": form, "title": title, "scheme": found})


@login_required
@require_POST
def line_delete(request: AuthenticatedRequest, line_pk: int) -> HttpResponse:
    line = get_object_or_404(Line.objects.visible_to(request.user).select_related("group"), pk=line_pk)
    services.delete_line(request.user, line.pk)
    messages.success(request, _("考核指标已删除"))
    return redirect("assessment:scheme", pk=line.group.scheme_id)


@login_required
@require_POST
def take(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = _scheme(request, pk)
    form = TakeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写考核期，如 2022-05 或 2022-Q1"))
        return redirect("assessment:scheme", pk=found.pk)
    try:
        snapshot = services.take_snapshot(request.user, found.pk, form.cleaned_data["period"])
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("assessment:scheme", pk=found.pk)
    messages.success(request, _("已取数：%(period)s，请核对后发布") % {"period": snapshot.period})
    return redirect("assessment:period", pk=found.pk, period=snapshot.period)


@login_required
@require_POST
def publish(request: AuthenticatedRequest, pk: int, period: str) -> HttpResponse:
    snapshot = _snapshot(request, pk, period)
    performed(request, lambda: services.publish(request.user, snapshot.pk),
              _("%(period)s排名已发布") % {"period": snapshot.period})
    return redirect("assessment:period", pk=pk, period=snapshot.period)


def _snapshot(request: AuthenticatedRequest, pk: int, period: str) -> Snapshot:
    found = _scheme(request, pk)
    try:
        key = periods.parse(period).key
    except ValidationError as exc:
        raise Http404("；".join(exc.messages)) from exc
    return get_object_or_404(Snapshot.objects.visible_to(request.user)
                             .select_related("scheme__region", "taken_by", "published_by"), scheme=found, period=key)


def _ranking(request: AuthenticatedRequest, pk: int, period: str) -> Ranking:
    snapshot = _snapshot(request, pk, period)
    return read(request.user, snapshot)


@login_required
def period_page(request: AuthenticatedRequest, pk: int, period: str) -> HttpResponse:
    ranking = _ranking(request, pk, period)
    found = ranking.scheme
    # the values link to the city's lists, which only who reads the whole city may open
    city_reader = sees_all_of(request.user, found.region)
    groups = value_links(ranking) if city_reader else [
        (group, [(row, [(points, value, None) for points, value in row.cells]) for row in group.rows])
        for group in ranking.groups]
    return render(request, "assessment/period.html", {
        "ranking": ranking, "scheme": found, "snapshot": ranking.snapshot, "paragraph": paragraph(ranking),
        "groups": groups, "history": history(found, ranking.period), "city_reader": city_reader,
        "periods": Snapshot.objects.visible_to(request.user).filter(scheme=found).order_by("period")
                   .values_list("period", flat=True),
        "can_manage": administers(request.user, found.region)})


@login_required
def period_export(request: AuthenticatedRequest, pk: int, period: str) -> HttpResponse:
    ranking = _ranking(request, pk, period)
    title = f"{ranking.scheme.region.name}{ranking.scheme.year}年{ranking.period.label}重点项目考核排名"
    return xlsx_download(ranking_workbook(ranking, title), f"{title}.xlsx")

"""Funding pages: the rounds with the year's figures (by kind and by county, each linked to the
application list that adds up to it), a round with its applications and their screening, a
county's application, the commission's screening and result entry, the import of the province's
list (preview, then confirm) and the province-style .xlsx. Views parse, call one service, render."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from keyprojects.core.forms import apply_posted, submitted
from keyprojects.core.http import AuthenticatedRequest, xlsx_download
from keyprojects.core.paging import Paginator
from keyprojects.core.params import query_id, region_asked, year_or_latest
from keyprojects.core.permissions import (
    administers,
    can_edit,
    holds_region,
    region_holding,
)
from keyprojects.indicators import figures
from keyprojects.indicators.engine import INDICATORS, region_code
from keyprojects.indicators.views import as_of_and_why
from keyprojects.ledgers.tasks import upload_path
from keyprojects.projects.models import Project
from keyprojects.projects.services import EditConflict
from keyprojects.regions.models import Region

from . import conditions, province, services
from .export import application_workbook
from .filters import ApplicationFilter
from .forms import ImportForm, ProposeForm, ResultForm, RoundForm, ScreenForm
from .models import Application, Round

PAGE_SIZE = 30


def _year(request: AuthenticatedRequest) -> int:
    return year_or_latest(request.GET, Round.objects.visible_to(request.user))


def _region(request: AuthenticatedRequest) -> Region | None:
    asked: Region | None = region_asked(request)
    return asked or region_holding(request.user)


def links(query: dict[str, Any]) -> dict[str, str]:
    """The application list's URLs whose totals equal each figure of a row."""
    url = reverse("funding:applications")
    return {"applied": f"{url}?{urlencode(query)}",
            **{stage: f"{url}?{urlencode({**query, 'stage': stage})}" for stage in ("approved", "issued", "spent")}}


@login_required
def rounds(request: AuthenticatedRequest) -> HttpResponse:
    year, region = _year(request), _region(request)
    as_of, as_of_why = as_of_and_why(request, year, region)
    found = figures.funding(request.user, year, as_of, region)
    here = {"year": year, "as_of": as_of.isoformat(), **({"region": region.pk} if region is not None else {})}
    kinds = [{"kind": kind, "label": Round.Kind(kind).label, **f, "links": links({**here, "kind": kind})}
             for kind, f in found["kinds"].items() if f["applied"]]
    codes = {row["key"]: region_code(row["key"]) for row in found["by_region"]}
    counties = dict(Region.objects.filter(code__in=codes.values()).values_list("code", "pk"))
    for row in found["by_region"]:
        pk = counties.get(codes[row["key"]])
        row["links"] = links({**here, "county": pk}) if pk is not None else None
    for row in found["by_round"]:
        row["links"] = links({**here, "round": row["key"]})
    rows = Round.objects.visible_to(request.user).filter(year=year).select_related("region")
    return render(request, "funding/rounds.html", {
        "found": found, "kinds": kinds, "rounds": rows, "year": year, "as_of": as_of, "as_of_why": as_of_why,
        "region": region,
        "links": links(here), "can_open": administers(request.user), "indicators": INDICATORS,
        "years": sorted({year, *Round.objects.visible_to(request.user).values_list("year", flat=True)}, reverse=True)})


def _filtered(request: AuthenticatedRequest, rows: Any, year: int) -> tuple[ApplicationFilter, str]:
    """The list filtered as asked, counted to the date asked for or, as on the dashboard, the
    one the data of ``year`` speaks for (and why)."""
    as_of, as_of_why = as_of_and_why(request, year, _region(request))
    return ApplicationFilter(request.GET, queryset=rows, default_as_of=as_of), as_of_why


def _page(request: AuthenticatedRequest, found: ApplicationFilter) -> tuple[Any, dict[str, Any]]:
    as_of = found.judged_on
    totals = figures.funding_list_totals(found.qs, as_of)
    page = Paginator(found.qs.select_related("round", "project", "project__region"), PAGE_SIZE,
                     count=totals["count"]).get_page(request.GET.get("page"))
    return page, totals


@login_required
def applications(request: AuthenticatedRequest) -> HttpResponse:
    """The drill-down: the applications a figure counts, its totals line equal to it."""
    year, region = _year(request), _region(request)
    found, as_of_why = _filtered(request, figures.funding_rows_of(request.user, year, region), year)
    page, totals = _page(request, found)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "funding/applications.html", {
        "filter": found, "page": page, "totals": totals, "as_of": found.judged_on, "as_of_why": as_of_why,
        "year": year, "region": region,
        "query": query.urlencode(), "indicators": INDICATORS, "title": _("%(year)s年资金申报项目") % {"year": year}})


def _round(request: AuthenticatedRequest, pk: int) -> Round:
    return get_object_or_404(Round.objects.visible_to(request.user).select_related("region"), pk=pk)


@login_required
def round_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    round_ = _round(request, pk)
    is_admin = administers(request.user, round_.region)
    if request.method == "POST":
        return _screen(request, round_)
    visible = round_.applications.visible_to(request.user)
    found, as_of_why = _filtered(request, visible, round_.year)
    page, totals = _page(request, found)
    today = timezone.localdate()
    checks = conditions.screen_round(round_, list(page), today) if page else {}
    # the start rates are over each county's applications in the round, all of those the user may
    # see (a county's clerk: all of their county's; a department's: their unit's projects only)
    if page and (round_.min_start_rate_applied is not None or round_.min_start_rate_issued is not None):
        every = list(visible.select_related("round", "project", "project__region"))
        checks = {pk: found for pk, found in conditions.screen_round(round_, every, today).items()
                  if pk in {a.pk for a in page}}
    for application in page:
        application.checks = checks.get(application.pk, [])
        application.passes = conditions.passes(application.checks)
        application.flagged = application.unspent_overdue(today)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "funding/round.html", {
        "round": round_, "filter": found, "page": page, "totals": totals, "as_of": found.judged_on, "as_of_why": as_of_why,
        "query": query.urlencode(), "is_admin": is_admin, "indicators": INDICATORS,
        "can_propose": holds_region(request.user) and today <= round_.deadline, "today": today})


def _screen(request: AuthenticatedRequest, round_: Round) -> HttpResponse:
    form = ScreenForm(request.POST)
    application = get_object_or_404(round_.applications.visible_to(request.user),
                                    pk=query_id(request.POST, "application", _("申报项目")) or 0)
    apply_posted(request, form, lambda data: services.screen(
        request.user, application.pk, data["recommend"], data["note"], data.get("version")),
        _("已保存“%(project)s”的筛选结果") % {"project": application.project})
    return redirect(request.POST.get("next") or reverse("funding:round", args=[round_.pk]))


@login_required
def round_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    round_ = _round(request, pk) if pk else None
    region = round_.region if round_ else region_holding(request.user)
    if region is None or not administers(request.user, region):
        raise PermissionDenied(_("只有市级管理员可以设置资金申报批次"))
    form = RoundForm(request.POST or None, instance=round_,
                     initial={"version": round_.version} if round_ else {"year": timezone.localdate().year})
    if request.method == "POST" and (saved := submitted(form, lambda: services.save_round(
        request.user, region, {name: form.cleaned_data[name] for name in services.ROUND_FIELDS},
        round_.pk if round_ else None, form.cleaned_data.get("version")))):
        messages.success(request, _("批次已保存"))
        return redirect("funding:round", pk=saved.pk)
    return render(request, "funding/round_form.html", {"form": form, "round": round_, "region": region})


@login_required
def propose(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    round_ = _round(request, pk)
    if not holds_region(request.user):
        raise PermissionDenied(_("只有县区和市发展改革部门可以申报项目"))
    from keyprojects.core.permissions import restrict

    projects = (restrict(Project.objects.filter(region__path__startswith=round_.region.path), request.user, "edit")
                .exclude(funding_applications__round=round_).order_by("region__code", "name"))
    form = ProposeForm(request.POST or None, projects=projects)
    if request.method == "POST" and submitted(form, lambda: services.propose(
            request.user, round_.pk, form.cleaned_data["project"], form.cleaned_data["requested"])) is not None:
        messages.success(request, _("已申报“%(project)s”") % {"project": form.cleaned_data["project"]})
        return redirect("funding:round", pk=round_.pk)
    return render(request, "funding/propose.html", {"form": form, "round": round_})


@login_required
def application_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(Application.objects.visible_to(request.user)
                                     .select_related("round__region", "project__region", "proposed_by"), pk=pk)
    round_ = application.round
    is_admin = administers(request.user, round_.region)
    form = ResultForm(request.POST or None, initial={
        **{name: getattr(application, name) for name in services.RESULT_FIELDS}, "version": application.version})
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied(_("只有%(region)s发展改革部门可以录入批复和下达情况") % {"region": round_.region.name})
        if submitted(form, lambda: services.record_result(
                request.user, application.pk, {name: form.cleaned_data[name] for name in [*services.RESULT_FIELDS, "rejected"]},
                form.cleaned_data.get("version"))):
            messages.success(request, _("已保存"))
            return redirect("funding:application", pk=application.pk)
    every = list(round_.applications.visible_to(request.user).select_related("round", "project", "project__region"))
    today = timezone.localdate()
    checks = conditions.screen_round(round_, every, today).get(application.pk, [])
    history = application.history.select_related("history_user").order_by("-history_date", "-history_id")[:30]
    return render(request, "funding/application.html", {
        "application": application, "round": round_, "checks": checks, "passes": conditions.passes(checks),
        "form": form, "screen_form": ScreenForm(initial={"version": application.version}), "is_admin": is_admin,
        "can_edit": can_edit(request.user, application), "history": history, "today": today,
        "flagged": application.unspent_overdue(today)})


@login_required
def round_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    round_ = _round(request, pk)
    found, _why = _filtered(request, round_.applications.visible_to(request.user), round_.year)
    content = application_workbook(round_, found.qs.select_related("project", "project__region"))
    return xlsx_download(content, f"{round_.region.name}{round_}申报项目表.xlsx")


@login_required
def province_import(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Upload the province's list: a preview of what matched and what did not, then confirm."""
    round_ = _round(request, pk)
    if not administers(request.user, round_.region):
        raise PermissionDenied(_("只有%(region)s发展改革部门可以导入省级批复结果") % {"region": round_.region.name})
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"round": round_, "form": form}
    if request.method == "POST" and request.POST.get("stored"):
        stored = request.POST["stored"]
        path = upload_path(stored)
        if not stored.startswith("funding-") or not path.exists():
            raise Http404(_("上传的文件已过期，请重新上传"))
        try:
            on = date.fromisoformat(request.POST.get("approved_on") or "") if request.POST.get("approved_on") else None
            result = province.apply(request.user, round_.pk, path, "list.xlsx", on,
                                    int(request.POST.get("version") or 0) or None)
        except (ValidationError, ValueError) as exc:
            messages.error(request, "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
        except EditConflict as exc:
            messages.error(request, str(exc))
        else:
            path.unlink(missing_ok=True)
            messages.success(request, _("已导入省级批复结果：匹配 %(matched)s 项，未匹配 %(unmatched)s 项，未获批 %(absent)s 项")
                             % {"matched": len(result.matched), "unmatched": len(result.unmatched),
                                "absent": len(result.absent)})
            return redirect("funding:round", pk=round_.pk)
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        stored = f"funding-{uuid.uuid4().hex}.xlsx"
        path = upload_path(stored)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            context["result"] = province.read(round_, path, "list.xlsx")
            context["stored"] = stored
            context["approved_on"] = form.cleaned_data.get("approved_on")
        except ValidationError as exc:
            path.unlink(missing_ok=True)
            form.add_error("file", exc.messages)
    return render(request, "funding/import.html", context)

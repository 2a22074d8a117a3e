"""Attraction pages: the ledger (招商项目台账, filtered, with its totals line equal to the figures
that link to it) and its .xlsx, the figures by unit, leader and industry chain, a lead with its
stage timeline and the actions of its stage (stage change, landing, start, ending, funds in place),
the events, and the "1+1托4" package items. Views parse, call one service, render."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from keyprojects.core.forms import apply_posted, submitted
from keyprojects.core.http import AuthenticatedRequest, xlsx_download
from keyprojects.core.paging import Paginator
from keyprojects.core.params import BadQuery, query_date, query_id, query_year, region_asked
from keyprojects.core.permissions import (
    administers,
    can_edit,
    holds_region,
    region_holding,
    require_admin,
)
from keyprojects.indicators import figures
from keyprojects.indicators.engine import INDICATORS
from keyprojects.regions.models import Region

from . import services
from .export import lead_workbook
from .filters import EventFilter, LeadFilter, period_of
from .forms import (
    OFFERED,
    DieForm,
    EventForm,
    FundsForm,
    LandForm,
    LeadForm,
    PackageForm,
    PackageItemForm,
    StageForm,
    StartForm,
    VersionForm,
)
from .models import Event, Lead, Package, PackageItem, Stage

PAGE_SIZE = 50


def _region(request: AuthenticatedRequest) -> Region | None:
    region: Region | None = region_asked(request)
    return region


def _period(request: AuthenticatedRequest) -> tuple[int, date, str]:
    """The period asked for, else the year of the latest lead the user sees, to today within
    the current year or to the year's end, and (then) why: the dashboard's rule for leads."""
    year, as_of = query_year(request.GET), query_date(request.GET)
    if year is not None or as_of is not None:
        return (*period_of(year, as_of), "")
    latest = Lead.objects.visible_to(request.user).order_by("-found_on").values_list("found_on", flat=True).first()
    year, as_of = period_of(latest.year if latest else None, None)
    return year, as_of, _("今天") if as_of == timezone.localdate() else _("最近登记线索之年的年末")


def _title(region: Region | None, user: Any, what: str) -> str:
    where = region or region_holding(user)
    return f"{where.name if where else ''}{what}"


def _ledger(request: AuthenticatedRequest) -> tuple[LeadFilter, Region | None, str]:
    """The ledger filtered as asked, its region, and why its date is the one it is."""
    region = _region(request)
    leads = figures.attraction_rows_of(request.user, region)[0]
    year, as_of, why = _period(request)
    return LeadFilter(request.GET, queryset=leads, default_period=(year, as_of)), region, why


@login_required
def lead_list(request: AuthenticatedRequest) -> HttpResponse:
    found, region, as_of_why = _ledger(request)
    year, as_of = found.period
    totals = figures.attraction_list_totals(found.qs, year, as_of)
    page = Paginator(found.qs.select_related("region", "unit", "leader"), PAGE_SIZE,
                     count=totals["count"]).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "attraction/lead_list.html", {
        "filter": found, "page": page, "totals": totals, "query": query.urlencode(), "year": year, "as_of": as_of,
        "as_of_why": as_of_why, "region": region, "title": _title(region, request.user, _("招商项目台账")), "indicators": INDICATORS,
        "can_add": holds_region(request.user) or request.user.role == "department_clerk"})


@login_required
def lead_export(request: AuthenticatedRequest) -> HttpResponse:
    found, region, _why = _ledger(request)
    year, as_of = found.period
    title = _title(region, request.user, _("招商项目台账"))
    content = lead_workbook(found.qs, title, as_of, figures.attraction_list_totals(found.qs, year, as_of))
    return xlsx_download(content, f"{title}（{as_of:%Y%m%d}）.xlsx")


def ledger_links(query: dict[str, Any]) -> dict[str, str]:
    """The ledger's (and the events list's) URLs whose totals equal each figure of a row."""
    url, events = reverse("attraction:list"), reverse("attraction:events")
    return {"leads": f"{url}?{urlencode(query)}", "events": f"{events}?{urlencode(query)}",
            **{key: f"{url}?{urlencode({**query, 'reached': reached})}" for key, reached in (
                ("intentions", "intention"), ("framework_agreements", "framework"), ("signed_projects", "signed"),
                ("signed_amount", "signed_amount"), ("landed", "landed"), ("started", "started"))}}


@login_required
def summary(request: AuthenticatedRequest) -> HttpResponse:
    """The figures of the period, and by following unit, leader and industry chain, each linked."""
    region = _region(request)
    year, as_of, as_of_why = _period(request)
    found = figures.attraction(request.user, year, as_of, region)
    here = {"year": year, "as_of": as_of.isoformat(), **({"region": region.pk} if region is not None else {})}
    for group in ("unit", "leader", "chain"):
        for row in found["by"][group]:
            row["links"] = ledger_links({**here, group: row["key"]} if row["key"] not in (None, "") else here)
    return render(request, "attraction/summary.html", {
        "found": found, "links": ledger_links(here), "year": year, "as_of": as_of, "as_of_why": as_of_why,
        "region": region,
        "title": _title(region, request.user, _("招商引资统计")), "indicators": INDICATORS})


def _lead(request: AuthenticatedRequest, pk: int) -> Lead:
    return get_object_or_404(Lead.objects.visible_to(request.user).select_related(
        "region", "unit", "leader", "event", "project"), pk=pk)


@login_required
def lead_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = _lead(request, pk)
    editable = can_edit(request.user, lead)
    today = timezone.localdate()
    initial = {"version": lead.version, "on": today}
    stage_form = StageForm(initial=initial, prefix="stage")
    field = stage_form.fields["to_stage"]
    field.choices = [(s, Stage(s).label) for s in lead.next_stages()]  # type: ignore[attr-defined]
    return render(request, "attraction/lead_detail.html", {
        "lead": lead, "stages": lead.stages.select_related("created_by"), "agreements": lead.agreements.all(),
        "funds": lead.funds.select_related("unit"), "editable": editable,
        "items": PackageItem.objects.filter(lead=lead).select_related("package__leader"),
        "history": lead.history.select_related("history_user").order_by("-history_date", "-history_id")[:30],
        "stage_form": stage_form if lead.next_stages() else None,
        "land_form": LandForm(initial={**initial, "registered_on": today}, prefix="land")
        if lead.stage == Stage.SIGNED and not lead.project_id else None,
        "start_form": StartForm(initial=initial, prefix="start")
        if lead.stage in (Stage.LANDED, Stage.OPERATING) and lead.started_on is None else None,
        "die_form": DieForm(initial=initial, prefix="die")
        if lead.stage not in (Stage.DEAD, Stage.LANDED, Stage.OPERATING) else None,
        "funds_form": FundsForm(initial={"year": today.year, "month": today.month}, prefix="funds")
        if lead.signed_on else None,
    })


def _posted(request: AuthenticatedRequest, lead: Lead, form: Any, action: Callable[[dict[str, Any]], object],
            done: str) -> HttpResponse:
    """A lead's action form, posted: applied through its service, or its errors shown."""
    if request.method == "POST":
        apply_posted(request, form, action, done)
    return redirect("attraction:lead", pk=lead.pk)


@login_required
def lead_stage(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = _lead(request, pk)
    form = StageForm(request.POST or None, prefix="stage")
    form.fields["to_stage"].choices = [(s, Stage(s).label) for s in lead.next_stages()]  # type: ignore[attr-defined]
    return _posted(request, lead, form, lambda d: services.change_stage(
        request.user, lead.pk, d.get("version"), d["to_stage"], d["on"], d.get("note") or "", d.get("amount")),
        _("阶段已变更"))


@login_required
def lead_land(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = _lead(request, pk)
    return _posted(request, lead, LandForm(request.POST or None, prefix="land"),
                   lambda d: services.land(request.user, lead.pk, d.get("version"), d),
                   _("已办理落地，项目已登记入库"))


@login_required
def lead_start(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = _lead(request, pk)
    return _posted(request, lead, StartForm(request.POST or None, prefix="start"),
                   lambda d: services.record_start(request.user, lead.pk, d.get("version"), d["on"]), _("已登记开工"))


@login_required
def lead_die(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = _lead(request, pk)
    return _posted(request, lead, DieForm(request.POST or None, prefix="die"),
                   lambda d: services.die(request.user, lead.pk, d.get("version"), d["on"], d["reason"]),
                   _("招商项目已终止"))


@login_required
def lead_funds(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = _lead(request, pk)
    return _posted(request, lead, FundsForm(request.POST or None, prefix="funds"),
                   lambda d: services.report_funds(request.user, lead.pk, d["year"], d["month"], d["amount"],
                                                   d.get("out_of_province") or 0), _("到位资金已填报"))



def _form_page(request: AuthenticatedRequest, form: Any, obj: Any, save: Any, done: str,
               titles: tuple[str, str], view: str, listing: str) -> HttpResponse:
    """A create-or-edit page (lead, event, package): the form saved through ``save(user, pk,
    data, version)``, then the object's page; else the form, cancelled to the object or the list."""
    if request.method == "POST" and (saved := submitted(form, lambda: save(
            request.user, obj.pk if obj else None, form.service_data(), form.cleaned_data.get("version")))):
        messages.success(request, done)
        return redirect(view, pk=saved.pk)
    return render(request, "attraction/form.html", {
        "form": form, "title": titles[obj is not None],
        "cancel": reverse(view, args=[obj.pk]) if obj else reverse(listing)})

def _lead_form(request: AuthenticatedRequest, lead: Lead | None) -> HttpResponse:
    initial: dict[str, Any] = {"found_on": timezone.localdate(), "region": region_holding(request.user)}
    if lead is not None:
        initial = {name: getattr(lead, name) for name in services.LEAD_FIELDS} | {"version": lead.version}
    form = LeadForm(request.POST or None, user=request.user, initial=initial)
    return _form_page(request, form, lead, services.save_lead, _("招商项目已保存"), (_("登记招商线索"), _("修改招商项目")),
                      "attraction:lead", "attraction:list")


@login_required
def lead_new(request: AuthenticatedRequest) -> HttpResponse:
    return _lead_form(request, None)


@login_required
def lead_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _lead_form(request, _lead(request, pk))


# --- events ------------------------------------------------------------------------------------

@login_required
def event_list(request: AuthenticatedRequest) -> HttpResponse:
    region = _region(request)
    rows = figures.attraction_rows_of(request.user, region)[3]
    found = EventFilter(request.GET, queryset=rows)
    year, as_of = found.period
    count = found.qs.count()
    page = Paginator(found.qs.select_related("region", "unit", "leader"), PAGE_SIZE,
                     count=count).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "attraction/event_list.html", {
        "filter": found, "page": page, "count": count, "query": query.urlencode(), "year": year, "as_of": as_of,
        "region": region, "title": _title(region, request.user, _("招商活动")), "indicators": INDICATORS,
        "dated": found.dated,
        "can_add": holds_region(request.user) or request.user.role == "department_clerk"})


@login_required
def event_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(Event.objects.visible_to(request.user).select_related("region", "unit", "leader"), pk=pk)
    return render(request, "attraction/event_detail.html", {
        "event": event, "units": event.units.all(), "editable": can_edit(request.user, event),
        "leads": Lead.objects.visible_to(request.user).filter(event=event).select_related("region", "unit")})


def _event_form(request: AuthenticatedRequest, event: Event | None) -> HttpResponse:
    initial: dict[str, Any] = {"date": timezone.localdate(), "region": region_holding(request.user),
                               "unit": request.user.unit}
    if event is not None:
        initial = {name: getattr(event, name) for name in services.EVENT_FIELDS} | {
            "version": event.version, "units": list(event.units.all())}
    form = EventForm(request.POST or None, user=request.user, initial=initial)
    return _form_page(request, form, event, services.save_event, _("招商活动已保存"), (_("登记招商活动"), _("修改招商活动")),
                      "attraction:event", "attraction:events")


@login_required
def event_new(request: AuthenticatedRequest) -> HttpResponse:
    return _event_form(request, None)


@login_required
def event_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _event_form(request, get_object_or_404(Event.objects.visible_to(request.user), pk=pk))


# --- packages ("1+1托4") -------------------------------------------------------------------------

ITEM_PAGE_SIZE = 50


def _item_kind(request: AuthenticatedRequest) -> str:
    """The kind of item asked for (``?kind=``): one of ``PackageItem.Kind`` or none; anything else a 400."""
    kind = request.GET.get("kind", "")
    if kind and kind not in PackageItem.Kind.values:
        raise BadQuery({"kind": [_("应为%(kinds)s之一") % {"kinds": "、".join(PackageItem.Kind.values)}]},
                       {"kind": _("类别")})
    return kind


def _item_page(request: AuthenticatedRequest, items: QuerySet[PackageItem]) -> tuple[Any, int, str]:
    """A page of ``items`` (in the packages' order, then by kind), their count and the query
    without the page, for the pager's links."""
    rows = items.select_related("package__leader", "package__lead_unit", "project__region", "enterprise__region",
                                "lead__region").order_by("package__leader__order", "package__pk", "kind", "pk")
    count = rows.count()
    page = Paginator(rows, ITEM_PAGE_SIZE, count=count).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, count, query.urlencode()


@login_required
def package_items(request: AuthenticatedRequest) -> HttpResponse:
    """The items of the year's packages (by kind and leader), a page at a time: the list behind
    each package figure; above it the year's packages, each linked to its page."""
    region = _region(request)
    year = _period(request)[0]
    packages, items = figures.package_rows_of(request.user, year, region)
    kind, leader = _item_kind(request), query_id(request.GET, "leader", _("包抓领导"))
    if kind:
        items = items.filter(kind=kind)
    if leader:
        items = items.filter(package__leader=leader)
    found = figures.packages(request.user, year, region)
    page, count, query = _item_page(request, items)
    shown = packages.select_related("leader", "lead_unit").annotate(item_count=Count("items"))
    return render(request, "attraction/packages.html", {
        "found": found, "page": page, "count": count, "query": query, "year": year, "region": region, "kind": kind,
        "leader": leader, "kinds": PackageItem.Kind.choices, "packages": shown,
        "keeps": administers(request.user, region or region_holding(request.user)),
        "title": _title(region, request.user, _("“1+1托4”包抓")), "indicators": INDICATORS})


def _package(request: AuthenticatedRequest, pk: int) -> Package:
    return get_object_or_404(Package.objects.visible_to(request.user).select_related(
        "region", "leader", "lead_unit"), pk=pk)


@login_required
def package_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A package: its leader and departments, its items a page at a time (by kind), and for its
    region's admin the forms that add an item and take one out."""
    package = _package(request, pk)
    kind = _item_kind(request)
    items = PackageItem.objects.filter(package=package)
    page, count, query = _item_page(request, items.filter(kind=kind) if kind else items)
    keeps = administers(request.user, package.region)
    by_kind = dict(items.order_by().values_list("kind").annotate(n=Count("pk")))
    return render(request, "attraction/package.html", {
        "package": package, "units": package.units.all(), "page": page, "count": count, "query": query,
        "kind": kind, "keeps": keeps,
        "kinds": [(value, label, by_kind.get(value, 0)) for value, label in PackageItem.Kind.choices],
        "item_form": PackageItemForm(user=request.user, region=package.region, prefix="item",
                                     find=request.GET.get("find", ""), initial={"version": package.version})
        if keeps else None, "find": request.GET.get("find", "").strip(), "offered": OFFERED})


def _package_form(request: AuthenticatedRequest, package: Package | None) -> HttpResponse:
    require_admin(request.user, package.region if package else region_holding(request.user))
    if package is not None:
        initial: dict[str, Any] = {"year": package.year, "leader": package.leader, "lead_unit": package.lead_unit,
                                   "units": list(package.units.all()), "version": package.version}
    else:
        initial = {"year": query_year(request.GET) or timezone.localdate().year}
    form = PackageForm(request.POST or None, user=request.user, initial=initial)
    return _form_page(request, form, package, services.save_package, _("包抓责任组已保存"), (_("新建包抓责任组"), _("修改包抓责任组")),
                      "attraction:package", "attraction:packages")


@login_required
def package_new(request: AuthenticatedRequest) -> HttpResponse:
    return _package_form(request, None)


@login_required
def package_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _package_form(request, _package(request, pk))


@login_required
def package_add_item(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    package = _package(request, pk)
    require_admin(request.user, package.region)
    if request.method == "POST":
        form = PackageItemForm(request.POST, user=request.user, region=package.region, prefix="item")
        apply_posted(request, form, lambda d: services.add_item(request.user, package.pk, d["kind"], d["target"],
                                                                d.get("version")), _("包抓事项已添加"))
    return redirect("attraction:package", pk=package.pk)


@login_required
def package_remove_item(request: AuthenticatedRequest, pk: int, item: int) -> HttpResponse:
    package = _package(request, pk)
    require_admin(request.user, package.region)
    if request.method == "POST":
        found = get_object_or_404(PackageItem.objects.filter(package=package), pk=item)
        form = VersionForm(request.POST)
        apply_posted(request, form, lambda d: services.remove_item(request.user, found.pk, d.get("version")),
                     _("包抓事项已移出"))
    return redirect("attraction:package", pk=package.pk)

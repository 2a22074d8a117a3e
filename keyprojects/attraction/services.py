"""Investment attraction's operations: one transaction each, scope checked through
``core.permissions`` before and after, versions checked on edits, every change audited.

Who writes: the city's and a county's users for their region (city admins, county clerks), and a
department clerk for the events their unit organizes and the leads it follows. Landing registers
the library project through ``projects.services.create_project``, so it needs a user who may
register projects there (not a department clerk). Packages are the city admins'. Operations take
``today`` (default: today) so that tests and the demo can date them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Unit
from keyprojects.core.audit import acting_as, recorded
from keyprojects.core.permissions import Actor, holds_region, require, require_admin, require_region
from keyprojects.core.validation import validate
from keyprojects.projects import services as project_services
from keyprojects.projects.models import Project
from keyprojects.projects.models import Stage as ProjectStage
from keyprojects.projects.services import _check_version
from keyprojects.regions.models import Region

from .models import Agreement, Event, FundsReport, Lead, LeadStage, Package, PackageItem, Stage

EVENT_FIELDS = ["region", "kind", "title", "date", "place", "leader", "unit", "note"]
LEAD_FIELDS = ["region", "name", "investor", "origin", "investor_place", "industry", "chain", "amount", "event",
               "unit", "leader", "found_on"]
# the date field each stage sets, and the agreement it is signed with
STAGE_DATES = {Stage.TALKS: "talks_on", Stage.INTENTION: "intention_on", Stage.FRAMEWORK: "framework_on",
               Stage.SIGNED: "signed_on", Stage.LANDED: "landed_on", Stage.OPERATING: "operating_on",
               Stage.DEAD: "died_on"}
STAGE_AGREEMENTS = {Stage.INTENTION: Agreement.Kind.INTENTION, Stage.FRAMEWORK: Agreement.Kind.FRAMEWORK,
                    Stage.SIGNED: Agreement.Kind.CONTRACT}


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _may_place(user: Actor, region: Region | None, unit: Unit | None) -> None:
    """Whether ``user`` may put an event or a lead of ``unit`` in ``region``: who holds a region
    within it, or a department clerk for their own unit (in its region or below)."""
    if region is None:
        raise ValidationError({"region": _("请选择区划")})
    if holds_region(user) or user.is_superuser:
        require_region(user, region, _("您不能在“%(region)s”登记招商活动或招商项目"))
        return
    own = user.unit if user.role == "department_clerk" else None
    if own is None or unit is None or unit.pk != own.pk:
        raise PermissionDenied(_("部门填报员只能登记本单位组织的活动和跟进的招商项目"))
    if not region.is_within(own.region):
        raise PermissionDenied(_("您不能在“%(region)s”登记招商活动或招商项目") % {"region": region.name})


def _check_day(on: Any, today: date, field: str = "date", after: date | None = None) -> date:
    if not isinstance(on, date):
        raise ValidationError({field: _("请填写日期")})
    if on > today:
        raise ValidationError({field: _("日期（%(date)s）不能晚于今天") % {"date": on}})
    if after is not None and on < after:
        raise ValidationError({field: _("日期不能早于上一阶段日期（%(date)s）") % {"date": after}})
    return on


# --- events ------------------------------------------------------------------------------------

@acting_as
@transaction.atomic
def save_event(user: Actor, event_id: int | None, data: Mapping[str, Any], expected_version: int | None = None) -> Event:
    """Record an event (招商活动) or change one: kind, title, date, place, leader, organizing unit,
    the units taking part (``units``) and what came of it."""
    if event_id:
        event = Event.objects.select_for_update().get(pk=event_id)
        require(user, "edit", event)
        _check_version(event, expected_version)
        event.version += 1
    else:
        event = Event()
    for name in EVENT_FIELDS:
        if name in data:
            setattr(event, name, data[name])
    event.title = (event.title or "").strip()
    _may_place(user, event.region if event.region_id else None, event.unit if event.unit_id else None)
    validate(event)
    event.save()
    if "units" in data:
        event.units.set(data["units"])
    require(user, "edit", event)
    return event


# --- leads -------------------------------------------------------------------------------------

@acting_as
@transaction.atomic
def save_lead(user: Actor, lead_id: int | None, data: Mapping[str, Any], expected_version: int | None = None) -> Lead:
    """Register a lead (线索) or change what it is: investor, origin, industry and chain, amount,
    source event, following unit and leader. Stages change only through ``change_stage``,
    ``land`` and ``die``."""
    if lead_id:
        lead = Lead.objects.select_for_update().get(pk=lead_id)
        require(user, "edit", lead)
        _check_version(lead, expected_version)
        lead.version += 1
    else:
        lead = Lead(stage=Stage.CLUE)
    for name in LEAD_FIELDS:
        if name in data:
            setattr(lead, name, data[name])
    lead.name, lead.investor = (lead.name or "").strip(), (lead.investor or "").strip()
    _may_place(user, lead.region if lead.region_id else None, lead.unit if lead.unit_id else None)
    event = lead.event if lead.event_id else None
    if event is not None and not lead.region.is_within(event.region) and not event.region.is_within(lead.region):
        raise ValidationError({"event": _("来源活动“%(event)s”不属于%(region)s") % {
            "event": event.title, "region": lead.region.name}})
    validate(lead)
    created = lead.pk is None
    lead.save()
    if created:
        LeadStage(lead=lead, from_stage="", to_stage=Stage.CLUE, date=lead.found_on, note=_("登记线索"),
                  created_by=recorded(user)).save()
    require(user, "edit", lead)
    return lead


def _last_day(lead: Lead) -> date | None:
    last = lead.stages.order_by("-date", "-pk").first()
    return last.date if last else None


def _move(user: Actor, lead: Lead, to_stage: str, on: date, note: str) -> None:
    LeadStage(lead=lead, from_stage=lead.stage, to_stage=to_stage, date=on, note=note.strip()[:200],
              created_by=recorded(user)).save()
    lead.stage = to_stage
    setattr(lead, STAGE_DATES[Stage(to_stage)], on)
    lead.version += 1


def _amount(value: Any, field: str = "amount") -> Decimal:
    try:
        amount = Decimal(str(value)) if value not in (None, "") else None
    except ArithmeticError:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0:
        raise ValidationError({field: _("协议金额应为大于 0 的数（万元）")})
    return amount


@acting_as
@transaction.atomic
def change_stage(user: Actor, lead_id: int, expected_version: int | None, to_stage: str, on: date | None,
                 note: str = "", amount: Any = None, today: date | None = None) -> Lead:
    """Move a lead forward (洽谈, 意向, 框架协议, 正式签约; 投产 after 落地) on a date. Reaching
    意向, 框架协议 or 正式签约 records that agreement with its amount (``amount``, 万元)."""
    lead = Lead.objects.select_for_update().get(pk=lead_id)
    require(user, "edit", lead)
    _check_version(lead, expected_version)
    if to_stage not in lead.next_stages():
        shown = Stage(to_stage).label if to_stage in Stage.values else to_stage
        raise ValidationError({"to_stage": _("不能从“%(from)s”变更为“%(to)s”") % {
            "from": lead.get_stage_display(), "to": shown}})
    day = _check_day(on, _today(today), after=_last_day(lead))
    kind = STAGE_AGREEMENTS.get(Stage(to_stage))
    if kind is not None:
        agreement = Agreement(lead=lead, kind=kind, signed_on=day, amount=_amount(amount))
        validate(agreement)
        agreement.save()
    _move(user, lead, to_stage, day, note)
    validate(lead)
    lead.save()
    require(user, "edit", lead)
    return lead


@acting_as
@transaction.atomic
def die(user: Actor, lead_id: int, expected_version: int | None, on: date | None, reason: str,
        today: date | None = None) -> Lead:
    """A lead that will not come: dated, with its reason (required). Its agreements stay counted
    in the periods they were signed in."""
    lead = Lead.objects.select_for_update().get(pk=lead_id)
    require(user, "edit", lead)
    _check_version(lead, expected_version)
    if lead.stage in (Stage.DEAD, Stage.LANDED, Stage.OPERATING):
        raise ValidationError({"to_stage": _("“%(stage)s”的招商项目不能终止") % {"stage": lead.get_stage_display()}})
    if not (reason or "").strip():
        raise ValidationError({"death_reason": _("请写明终止原因")})
    day = _check_day(on, _today(today), after=_last_day(lead))
    lead.death_reason = reason.strip()[:200]
    _move(user, lead, Stage.DEAD, day, reason)
    validate(lead)
    lead.save()
    require(user, "edit", lead)
    return lead


@acting_as
@transaction.atomic
def land(user: Actor, lead_id: int, expected_version: int | None, data: Mapping[str, Any],
         today: date | None = None) -> Lead:
    """落地: a formally signed lead is registered (``registered_on``), given land (``land_on``,
    optional) and maybe started (``started_on``, optional), as of ``on``; its project is
    registered in the library from the lead (name, region, amount, unit, leader; ``sector`` and
    ``address`` as given), linked both ways, in 在建 if works started, else 前期."""
    lead = Lead.objects.select_for_update().get(pk=lead_id)
    require(user, "edit", lead)
    _check_version(lead, expected_version)
    if lead.stage != Stage.SIGNED or lead.project_id:
        raise ValidationError({"to_stage": _("只有已正式签约、尚未落地的招商项目可以办理落地")})
    now = _today(today)
    on = _check_day(data.get("on"), now, "on", after=_last_day(lead))
    registered = _check_day(data.get("registered_on"), now, "registered_on")
    land_on = _check_day(data["land_on"], now, "land_on") if data.get("land_on") else None
    started = _check_day(data["started_on"], now, "started_on") if data.get("started_on") else None
    if started is not None and started < registered:
        raise ValidationError({"started_on": _("开工日期不能早于注册日期")})
    building = started is not None
    project = project_services.create_project(user, {
        "name": lead.name, "region": lead.region, "total_investment": lead.amount, "sector": data.get("sector"),
        "address": data.get("address") or "", "responsible_unit": lead.unit,
        "project_type": Project.Type.INDUSTRY, "investment_nature": Project.InvestmentNature.ENTERPRISE,
        "scope": _("招商引资项目，投资方：%(investor)s（%(industry)s）") % {"investor": lead.investor,
                                                                      "industry": lead.industry},
        "actual_start": started, "leaders": [lead.leader] if lead.leader_id else [],
    }, stage=ProjectStage.CONSTRUCTION if building else ProjectStage.PREPARATION, stage_date=on)
    lead.project, lead.registered_on, lead.land_on, lead.started_on = project, registered, land_on, started
    _move(user, lead, Stage.LANDED, on, data.get("note") or _("落地，登记入库"))
    validate(lead)
    lead.save()
    require(user, "edit", lead)
    return lead


@acting_as
@transaction.atomic
def record_start(user: Actor, lead_id: int, expected_version: int | None, on: date | None,
                 today: date | None = None) -> Lead:
    """Works started on a landed lead: its date, and its library project moved to 在建."""
    lead = Lead.objects.select_for_update().get(pk=lead_id)
    require(user, "edit", lead)
    _check_version(lead, expected_version)
    if lead.stage not in (Stage.LANDED, Stage.OPERATING) or lead.started_on is not None:
        raise ValidationError({"started_on": _("只有已落地、尚未开工的招商项目可以登记开工")})
    day = _check_day(on, _today(today), "started_on", after=lead.registered_on)
    lead.started_on = day
    lead.version += 1
    validate(lead)
    lead.save()
    project = lead.project
    if project is not None and project.stage in (ProjectStage.PLANNING, ProjectStage.PREPARATION):
        project_services.change_stage(user, project.pk, None, ProjectStage.CONSTRUCTION, day, _("招商项目开工"))
    require(user, "edit", lead)
    return lead


@acting_as
@transaction.atomic
def report_funds(user: Actor, lead_id: int, year: int, month: int, amount: Any, out_of_province: Any = 0,
                 today: date | None = None) -> FundsReport:
    """Funds in place (到位资金, and the part from outside the province) of a signed lead in a
    month, reported by its following unit (or who holds its region); a second report of the same
    month replaces the first."""
    lead = Lead.objects.select_for_update().get(pk=lead_id)
    require(user, "edit", lead)
    if lead.signed_on is None:
        raise ValidationError({"lead": _("尚未正式签约的招商项目不填报到位资金")})
    now = _today(today)
    if not (isinstance(year, int) and isinstance(month, int) and 1 <= month <= 12) or (year, month) > (now.year, now.month):
        raise ValidationError({"month": _("填报月份应为今天或以前的月份")})
    if (year, month) < (lead.signed_on.year, lead.signed_on.month):
        raise ValidationError({"month": _("填报月份不能早于正式签约月份（%(date)s）") % {"date": lead.signed_on}})
    funds = FundsReport.objects.filter(lead=lead, year=year, month=month).first() or FundsReport(
        lead=lead, year=year, month=month)
    funds.amount = _money(amount, "amount")
    funds.out_of_province = _money(out_of_province or 0, "out_of_province")
    actor = recorded(user)
    funds.unit = actor.unit if actor is not None else lead.unit
    validate(funds)
    funds.save()
    require(user, "edit", lead)
    return funds


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        amount = Decimal(-1)
    if not amount.is_finite() or amount < 0:
        raise ValidationError({field: _("金额应为不小于 0 的数（万元）")})
    return amount


# --- packages (包抓 "1+1托4"), kept by the city's admins ------------------------------------------

ITEM_FIELDS = {"project": "project", "prework": "project", "enterprise": "enterprise", "lead": "lead"}


def _package_to_change(user: Actor, package_id: int, expected_version: int | None) -> Package:
    """The package locked for a change by its region's admin, its version checked and moved (an
    item added or removed is a change of the package: it shows in the package's history)."""
    package = Package.objects.select_for_update(of=("self",)).select_related("region").get(pk=package_id)
    require_admin(user, package.region)
    _check_version(package, expected_version)
    package.version += 1
    package.save()
    return package


@acting_as
@transaction.atomic
def save_package(user: Actor, package_id: int | None, data: Mapping[str, Any],
                 expected_version: int | None = None) -> Package:
    """A leader's package of a year: the lead department and the departments helping. The
    package lies in its leader's region, whose admin keeps it."""
    if package_id:
        package = Package.objects.select_for_update(of=("self",)).get(pk=package_id)
        require_admin(user, package.region)
        _check_version(package, expected_version)
        package.version += 1
    else:
        package = Package()
    for name in ("year", "leader", "lead_unit"):
        if name in data:
            setattr(package, name, data[name])
    if not package.leader_id:
        raise ValidationError({"leader": _("请选择包抓领导")})
    if not package.lead_unit_id:
        raise ValidationError({"lead_unit": _("请选择牵头部门")})
    package.region = package.leader.region
    require_admin(user, package.region)
    if Package.objects.filter(year=package.year, leader=package.leader).exclude(pk=package.pk).exists():
        raise ValidationError({"leader": _("%(leader)s在%(year)s年已有包抓责任组") % {
            "leader": package.leader.name, "year": package.year}})
    validate(package)
    package.save()
    if "units" in data:
        package.units.set([u for u in data["units"] if u.pk != package.lead_unit_id])
    require(user, "edit", package)
    return package


@acting_as
@transaction.atomic
def add_item(user: Actor, package_id: int, kind: str, target: Any, expected_version: int | None = None) -> PackageItem:
    """Put a project, an enterprise or a lead (by ``kind``) into a package; it must lie in the
    package's region, and be there once."""
    package = _package_to_change(user, package_id, expected_version)
    item = PackageItem(package=package, kind=kind)
    field = ITEM_FIELDS.get(kind)
    if field is None or target is None:
        raise ValidationError({"kind": _("请选择包抓事项的类别和对象")})
    setattr(item, field, target)
    where = target.region
    if not where.is_within(package.region):
        raise ValidationError({field: _("“%(name)s”不在%(region)s范围内") % {"name": target, "region": package.region.name}})
    same = PackageItem.objects.filter(package=package, **{field: target})
    if (same.filter(kind=kind) if field == "project" else same).exists():
        raise ValidationError({field: _("“%(name)s”已在该包抓责任组中") % {"name": target}})
    validate(item)
    item.save()
    require(user, "edit", package)
    return item


@acting_as
@transaction.atomic
def remove_item(user: Actor, item_id: int, expected_version: int | None = None) -> None:
    """Take an item out of its package."""
    item = PackageItem.objects.get(pk=item_id)
    _package_to_change(user, item.package_id, expected_version)
    item.delete()

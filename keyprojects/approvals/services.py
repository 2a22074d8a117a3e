"""Approvals: one transaction per operation, scope checked through ``core.permissions`` before
and after, versions checked, every change audited.

Who does what: the county, the owner and the responsible department fill a project's items
(dates, 批复文号, document); the issuing department's users confirm the items their unit
issued, and their entry is confirmed as they make it. The city admin keeps the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Unit, User
from keyprojects.core.audit import acting_as, recorded
from keyprojects.core.permissions import Actor, require, require_admin
from keyprojects.core.uploads import require_kind, store_as
from keyprojects.core.validation import validate, would_change
from keyprojects.projects.models import Project
from keyprojects.projects.services import _check_version
from keyprojects.regions.models import Region

from . import backward, catalogue
from .models import ApprovalItem, ApprovalSchedule, ProjectApproval, default_path

DOCUMENT_KINDS = ("pdf", "jpg", "png")
DOCUMENT_MB = 20


# --- the catalogue ---------------------------------------------------------------------------

def catalogue_region(region: Region) -> Region | None:
    """The region whose catalogue applies in ``region``: the nearest one up the tree that has one."""
    ancestors = [*region.ancestors(), region]
    have = set(ApprovalItem.objects.filter(region__in=ancestors).values_list("region_id", flat=True))
    return next((r for r in reversed(ancestors) if r.pk in have), None)


def catalogue_of(region: Region) -> list[ApprovalItem]:
    """The active catalogue items that apply in ``region``, with what each waits for."""
    home = catalogue_region(region)
    if home is None:
        return []
    return list(ApprovalItem.objects.filter(region=home, active=True).prefetch_related("depends_on"))


def _issuer_unit(city: Region, keywords: tuple[str, ...]) -> Unit | None:
    units = Unit.objects.filter(region=city, kind=Unit.Kind.DEPARTMENT).order_by("name")
    return next((u for u in units if any(word in u.name for word in keywords)), None)


@acting_as
@transaction.atomic
def install_catalogue(user: Actor, region: Region) -> list[ApprovalItem]:
    """Give ``region`` the default catalogue (``catalogue.DEFAULT``), its issuing departments found
    among the region's units by name. Refused when the region has a catalogue already."""
    require_admin(user, region)
    if ApprovalItem.objects.filter(region=region).exists():
        raise ValidationError(_("“%(region)s”已有前期手续目录") % {"region": region.name})
    items: dict[str, ApprovalItem] = {}
    for order, entry in enumerate(catalogue.DEFAULT, start=1):
        item = ApprovalItem(region=region, code=entry.code, name=entry.name, issuer_name=entry.issuer,
                            issuer=_issuer_unit(region, entry.keywords), duration=entry.duration,
                            validity_months=entry.validity_months, paths=list(entry.paths),
                            project_types=list(entry.types), min_investment=entry.min_investment, order=order * 10)
        validate(item)
        item.save()
        items[entry.code] = item
    for entry in catalogue.DEFAULT:
        items[entry.code].depends_on.set([items[code] for code in entry.depends])
    return list(items.values())


@acting_as
@transaction.atomic
def save_catalogue_item(user: Actor, item: ApprovalItem, depends_on: Any) -> ApprovalItem:
    """Add or change an item of a region's catalogue and what it waits for; a wait that would
    close a circle is refused. Projects already scheduled keep their dates until rescheduled."""
    require_admin(user, item.region)
    validate(item)
    item.save()
    item.depends_on.set(depends_on)
    nodes = {i.pk: backward.Node(i.duration, frozenset(d.pk for d in i.depends_on.all()))
             for i in ApprovalItem.objects.filter(region=item.region).prefetch_related("depends_on")}
    try:
        backward.schedule(nodes, set(nodes), date(2100, 1, 4))
    except ValidationError:
        raise ValidationError({"depends_on": _("前置事项形成了循环，请调整")}) from None
    return item


def catalogue_changed(schedule: ApprovalSchedule) -> bool:
    """Whether the catalogue changed after the project was last scheduled from it."""
    home = catalogue_region(schedule.project.region)
    if home is None or schedule.scheduled_at is None:
        return False
    changed = ApprovalItem.objects.filter(region=home).aggregate(last=Max("updated_at"))["last"]
    return changed is not None and changed > schedule.scheduled_at


# --- a project's backward schedule ----------------------------------------------------------

@dataclass
class Planned:
    """What (re)scheduling a project would do to one item (the preview the user confirms)."""

    item: ApprovalItem
    existing: ProjectApproval | None
    required: bool
    starts: date | None
    due: date | None
    critical: bool

    @property
    def moves(self) -> bool:
        return self.existing is None or self.existing.planned_on != self.due

    @property
    def old_due(self) -> date | None:
        return self.existing.planned_on if self.existing is not None else None


def plan(project: Project, target_start: date, path: str) -> list[Planned]:
    """The items ``project`` needs on ``path`` and their dates counted back from ``target_start``:
    the catalogue's items that apply, plus those the user added; less those the user waived
    (they keep their row, unscheduled). Nothing is written."""
    existing = {a.item_id: a for a in project.approvals.select_related("item")}
    return plan_from(project, target_start, path, catalogue_of(project.region), existing)


def plan_from(project: Project, target_start: date, path: str, catalogue: list[ApprovalItem],
              existing: dict[int, ProjectApproval]) -> list[Planned]:
    """``plan`` from a catalogue (its items with ``depends_on`` prefetched) and the project's
    items by catalogue id, already read."""
    items = {item.pk: item for item in catalogue}
    for approval in existing.values():  # an item added by hand, or one the catalogue since dropped
        items.setdefault(approval.item_id, approval.item)

    def wants(pk: int) -> bool:
        mine = existing.get(pk)
        if mine is None:
            return items[pk].applies_to(project, path)
        return mine.required and (items[pk].applies_to(project, path) or bool(mine.reason) or bool(mine.obtained_on))

    wanted = {pk for pk in items if wants(pk)}
    keep = wanted | {pk for pk, a in existing.items() if not a.required or a.obtained_on or a.reason}
    nodes = {pk: backward.Node(item.duration, frozenset(d.pk for d in item.depends_on.all()))
             for pk, item in items.items()}
    slots = backward.schedule(nodes, wanted, target_start)
    rows = []
    for pk in keep:
        slot = slots.get(pk)
        rows.append(Planned(items[pk], existing.get(pk), pk in wanted, slot.starts if slot else None,
                            slot.due if slot else None, bool(slot and slot.critical)))
    return sorted(rows, key=lambda p: (p.due is None, p.due or date.max, p.item.order, p.item.pk))


def dropped(project: Project, planned: list[Planned]) -> list[ProjectApproval]:
    """The project's items a new plan no longer holds (not applicable any more, never filled)."""
    kept = {p.item.pk for p in planned}
    return [a for a in project.approvals.select_related("item") if a.item_id not in kept]


@acting_as
@transaction.atomic
def schedule_project(user: User, project_id: int, target_start: date, path: str | None = None,
                     helper: Unit | None = None, expected_version: int | None = None) -> ApprovalSchedule:
    """(Re)schedule a project's approvals back from ``target_start`` on ``path`` (default: by its
    investment nature): the schedule row, the items added or dropped, every required item's
    planned dates. What was obtained, waived or added by hand stays."""
    project = Project.objects.select_for_update().get(pk=project_id)
    require(user, "edit", project)
    schedule = ApprovalSchedule.objects.filter(project=project).first()
    if schedule is None:
        schedule = ApprovalSchedule(project=project)
    else:
        _check_version(schedule, expected_version)
        schedule.version += 1
    schedule.path = path or schedule.path or default_path(project)
    schedule.target_start = target_start
    if helper is not None:
        schedule.helper = helper
    schedule.scheduled_at = timezone.now()
    validate(schedule)
    planned = plan(project, target_start, schedule.path)
    if not planned:
        raise ValidationError({"target_start": _("“%(region)s”尚无前期手续目录，请市级管理员先建立目录")
                               % {"region": project.region.name}})
    schedule.save()
    for approval in dropped(project, planned):
        approval.delete()
    for row in planned:
        approval = row.existing or ProjectApproval(project=project, item=row.item, issuer=row.item.issuer)
        if approval.pk is not None and (approval.planned_from, approval.planned_on, approval.critical) == (
                row.starts, row.due, row.critical):
            continue
        approval.planned_from, approval.planned_on, approval.critical = row.starts, row.due, row.critical
        if approval.pk is not None:
            approval.version += 1
        approval.save()
    require(user, "edit", project)
    return schedule


# --- an item ------------------------------------------------------------------------------

def _locked(approval_id: int) -> ProjectApproval:
    return ProjectApproval.objects.select_for_update().select_related("item", "project").get(pk=approval_id)


def issues(user: Actor, approval: ProjectApproval) -> bool:
    """Whether ``user`` speaks for the unit that issues ``approval``."""
    unit_id = getattr(user, "unit_id", None)
    return approval.issuer_id is not None and unit_id == approval.issuer_id


@acting_as
@transaction.atomic
def record(user: User, approval_id: int, expected_version: int | None, data: dict[str, Any]) -> ProjectApproval:
    """Fill an item: the day it was obtained, its 批复文号, the document, a note. An entry by the
    issuing unit is its confirmation; an entry by anyone else awaits it again."""
    approval = _locked(approval_id)
    require(user, "edit", approval)
    _check_version(approval, expected_version)
    document = data.get("document")
    if not document and not would_change(approval, data, ["obtained_on", "number", "note"]) \
            and (approval.confirmed_at is not None or not issues(user, approval)):
        return approval  # nothing entered changed (nor the issuer's confirmation): the version stays
    if document:
        store_as(document, require_kind(document, DOCUMENT_KINDS, DOCUMENT_MB, "document"))
        approval.document = document
    if "obtained_on" in data:
        approval.obtained_on = data["obtained_on"]
    for field in ("number", "note"):
        if field in data:
            setattr(approval, field, data[field] or "")
    validate(approval)  # (before the validity is counted: a date past today is refused, not overflowed)
    approval.valid_until = approval.lapses_on()
    if issues(user, approval):
        approval.confirmed_at, approval.confirmed_by = timezone.now(), recorded(user)
    else:
        approval.confirmed_at, approval.confirmed_by = None, None
    approval.version += 1
    approval.save()
    require(user, "edit", approval)
    return approval


@acting_as
@transaction.atomic
def confirm(user: User, approval_id: int, expected_version: int | None) -> ProjectApproval:
    """The issuing unit confirms an item obtained (部门确认)."""
    approval = _locked(approval_id)
    require(user, "edit", approval)
    _check_version(approval, expected_version)
    if not issues(user, approval):
        raise PermissionDenied(_("只有审批单位可以确认本事项"))
    if approval.obtained_on is None:
        raise ValidationError({"obtained_on": _("事项尚未办结，不能确认")})
    approval.confirmed_at, approval.confirmed_by = timezone.now(), recorded(user)
    approval.version += 1
    approval.save()
    return approval


@acting_as
@transaction.atomic
def adjust(user: User, approval_id: int, expected_version: int | None, required: bool, reason: str) -> ProjectApproval:
    """Waive an item for a project, or require it again, with the reason (调整并说明理由). Dates
    move at the next (re)scheduling, which the user confirms."""
    approval = _locked(approval_id)
    require(user, "edit", approval.project)
    _check_version(approval, expected_version)
    approval.required, approval.reason = required, reason.strip()
    if not required:
        approval.planned_from = approval.planned_on = None
        approval.critical = False
    validate(approval)
    approval.version += 1
    approval.save()
    return approval


@acting_as
@transaction.atomic
def add_item(user: User, project_id: int, item_id: int, reason: str) -> ProjectApproval:
    """Require an item the catalogue's rules do not give this project, with the reason."""
    project = Project.objects.select_for_update().get(pk=project_id)
    require(user, "edit", project)
    home = catalogue_region(project.region)
    item = ApprovalItem.objects.filter(pk=item_id, region=home).first()
    if item is None:
        raise ValidationError({"item": _("请选择本地前期手续目录中的事项")})
    if not reason.strip():
        raise ValidationError({"reason": _("增加目录以外的事项请说明理由")})
    if project.approvals.filter(item=item).exists():
        raise ValidationError({"item": _("该项目已有“%(item)s”") % {"item": item.name}})
    approval = ProjectApproval(project=project, item=item, issuer=item.issuer, reason=reason.strip())
    validate(approval)
    approval.save()
    return approval

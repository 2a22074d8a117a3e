"""Operations on projects and annual plans: one transaction each, scope-checked, audited.

Web views, the admin, the API and commands call these, so there is one way to change a
project (the ledger importer writes in bulk, by the same rules: ``ledgers/importer.py``).
Validation of field values lives in the models' validators and ``clean``, applied by
``core.validation.validate`` here and in the importer alike; these functions enforce scope,
versions and life-cycle rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keyprojects.core.audit import acting_as, recorded
from keyprojects.core.bulk import Blank
from keyprojects.core.permissions import Actor, require, require_region
from keyprojects.core.validation import validate, would_change

from .models import (
    STAGE_TRANSITIONS,
    AnnualPlan,
    FundingSource,
    Project,
    Stage,
    StageTransition,
    validate_funding,
)

# Plain fields the edit form may set; stage changes only through ``change_stage``.
PROJECT_FIELDS = [
    "code", "name", "region", "address", "longitude", "latitude", "scope", "sector", "project_type",
    "investment_nature", "level", "owner", "responsible_unit", "contact_person", "contact_phone",
    "planned_start", "actual_start", "planned_completion", "actual_completion", "total_investment",
]
PROJECT_M2M = ["lists", "leaders"]
PLAN_FIELDS = ["nature", "planned_investment", "prior_completed", "planned_start_month", "batch", "started", "started_on"]
CHINA_LONGITUDE = (Decimal("73"), Decimal("136"))  # the extent the model's validators allow
CHINA_LATITUDE = (Decimal("3"), Decimal("54"))
NEW_TRANSITION = Blank(StageTransition)  # a ledger import registers thousands of projects


@dataclass
class EditConflict(Exception):
    """Someone saved the object after the user opened it; nothing was written."""

    current: Any
    expected_version: int

    def __str__(self) -> str:
        last = self.current.history.first()
        who = last.history_user if last and last.history_user else _("其他用户")
        when = timezone.localtime(last.history_date).strftime("%Y-%m-%d %H:%M") if last else ""
        return _(
            "保存失败：该记录已被 %(who)s 于 %(when)s 修改（您打开的是第 %(mine)s 版，当前是第 %(now)s 版）。"
            "您填写的内容仍在下方，请核对最新数据后再保存。"
        ) % {"who": who, "when": when, "mine": self.expected_version, "now": self.current.version}


def _check_version(obj: Any, expected_version: int | None) -> None:
    if expected_version is not None and obj.version != expected_version:
        raise EditConflict(obj, expected_version)


def _set_funding(project: Project, funding: dict[str, Decimal | None] | None) -> None:
    if funding is None:
        return
    existing = {f.kind: f for f in project.funding.all()}
    for kind, amount in funding.items():
        row = existing.get(kind)
        if not amount:
            if row is not None:
                row.delete()
        elif row is None:
            FundingSource.objects.create(project=project, kind=kind, amount=amount)
        elif row.amount != amount:
            row.amount = amount
            row.save()


def _funding_changes(project: Project, funding: dict[str, Decimal | None] | None) -> bool:
    """Whether ``_set_funding`` would change the project's funding sources."""
    if funding is None:
        return False
    existing = {f.kind: f.amount for f in project.funding.all()}
    return any((existing.get(kind) or None) != (amount or None) for kind, amount in funding.items())


@acting_as
@transaction.atomic
def create_project(
    user: Actor, data: dict[str, Any], funding: dict[str, Decimal | None] | None = None,
    stage: str = Stage.PREPARATION, stage_date: date | None = None,
) -> Project:
    require_region(user, data["region"])
    project = Project(**{f: data[f] for f in PROJECT_FIELDS if f in data}, stage=stage)
    validate(project)
    validate_funding(project.total_investment, funding)
    project.save()
    for field in PROJECT_M2M:
        if field in data:
            getattr(project, field).set(data[field])
    _set_funding(project, funding)
    registration(user, project, stage_date).save()
    require(user, "edit", project)
    return project


def registration(user: Actor, project: Project, stage_date: date | None = None) -> StageTransition:
    """The first stage transition of a newly registered project (unsaved)."""
    return registrations(user, [project], stage_date)[0]


def registrations(user: Actor, projects: Iterable[Project], stage_date: date | None = None) -> list[StageTransition]:
    """The first stage transitions of newly registered projects (unsaved): the note translated
    and the user and date settled once for all of them (an import registers thousands)."""
    day, note, actor = stage_date or timezone.localdate(), _("登记入库"), recorded(user)
    return [NEW_TRANSITION(project=project, from_stage="", to_stage=project.stage, date=day, note=note,
                            created_by=actor) for project in projects]


@acting_as
@transaction.atomic
def update_project(
    user: Actor, project_id: int, expected_version: int | None, data: dict[str, Any],
    funding: dict[str, Decimal | None] | None = None,
) -> Project:
    project = Project.objects.select_for_update().get(pk=project_id)
    require(user, "edit", project)
    _check_version(project, expected_version)
    if "region" in data and data["region"].pk != project.region_id:
        require_region(user, data["region"])
    if not would_change(project, data, PROJECT_FIELDS + PROJECT_M2M) and not _funding_changes(project, funding):
        return project  # nothing to save: the version stays
    for field in PROJECT_FIELDS:
        if field in data:
            setattr(project, field, data[field])
    validate(project)
    validate_funding(project.total_investment, funding)
    project.version += 1
    project.save()
    for field in PROJECT_M2M:
        if field in data:
            getattr(project, field).set(data[field])
    _set_funding(project, funding)
    require(user, "edit", project)  # still in the user's scope after the change
    return project


@acting_as
@transaction.atomic
def set_location(user: Actor, project_id: int, expected_version: int | None, longitude: Decimal,
                 latitude: Decimal) -> Project:
    """Place a project on the map (一张图's "标注位置"): its coordinates only, checked by the
    model's validators (inside China's extent)."""
    project = Project.objects.select_for_update().get(pk=project_id)
    require(user, "edit", project)
    _check_version(project, expected_version)
    if not (CHINA_LONGITUDE[0] <= longitude <= CHINA_LONGITUDE[1] and CHINA_LATITUDE[0] <= latitude <= CHINA_LATITUDE[1]):
        raise ValidationError({"longitude": _("位置不在我国境内（经度应在 73–136、纬度应在 3–54 之间），请重新点选")})
    project.longitude = Decimal(longitude).quantize(Decimal("0.000001"))
    project.latitude = Decimal(latitude).quantize(Decimal("0.000001"))
    validate(project)
    project.version += 1
    project.save()
    return project


@acting_as
@transaction.atomic
def change_stage(
    user: Actor, project_id: int, expected_version: int | None, to_stage: str, on: date, note: str = ""
) -> Project:
    project = Project.objects.select_for_update().get(pk=project_id)
    require(user, "edit", project)
    _check_version(project, expected_version)
    if to_stage not in STAGE_TRANSITIONS.get(project.stage, set()):
        raise ValidationError({"to_stage": _("不能从“%(from)s”变更为“%(to)s”") % {
            "from": project.get_stage_display(), "to": Stage(to_stage).label}})
    last = project.stage_transitions.order_by("-date", "-id").first()
    if last is not None and on < last.date:
        raise ValidationError({"date": _("变更日期不能早于上一次阶段变更日期（%(date)s）") % {"date": last.date}})
    if on > timezone.localdate():
        raise ValidationError({"date": _("变更日期不能晚于今天")})
    StageTransition.objects.create(
        project=project, from_stage=project.stage, to_stage=to_stage, date=on, note=note, created_by=recorded(user)
    )
    project.stage = to_stage
    if to_stage == Stage.CONSTRUCTION and project.actual_start is None:
        project.actual_start = on
    if to_stage == Stage.COMPLETED:
        project.actual_completion = on
    validate(project)
    project.version += 1
    project.save()
    return project


@acting_as
@transaction.atomic
def delete_project(user: Actor, project_id: int, expected_version: int | None) -> None:
    project = Project.objects.select_for_update().get(pk=project_id)
    require(user, "edit", project)
    _check_version(project, expected_version)
    project.delete()


@acting_as
@transaction.atomic
def save_annual_plan(
    user: Actor, project_id: int, year: int, data: dict[str, Any], expected_version: int | None = None
) -> AnnualPlan:
    """Create or update a project's plan for ``year``."""
    project = Project.objects.select_for_update().get(pk=project_id)
    require(user, "edit", project)
    plan = AnnualPlan.objects.select_for_update().filter(project=project, year=year).first()
    if plan is None:
        plan = AnnualPlan(project=project, year=year)
    else:
        _check_version(plan, expected_version)
        if not would_change(plan, data, PLAN_FIELDS):
            return plan  # nothing to save: the version stays
        plan.version += 1
    if "started_on" in data and data["started_on"] != plan.started_on:
        plan.start_date_unknown = False  # a person gave the day a ledger left out
    for field in PLAN_FIELDS:
        if field in data:
            setattr(plan, field, data[field])
    validate(plan)
    plan.save()
    return plan

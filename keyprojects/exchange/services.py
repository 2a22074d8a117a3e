"""Operations of the provincial exchange: one transaction each, scope-checked, audited.

The exchange is the city's business with its province: only the city's administrators (and
superusers) export its sheet, import the province's returned list and accept its changes. An
accepted change goes through the projects' own services (``update_project``,
``save_annual_plan``) with the audit source 省平台, so it is checked and recorded as any edit.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from keyprojects.core.audit import Source, acting_as, audit_context, current, recorded, user_of
from keyprojects.core.permissions import Actor, require, require_admin
from keyprojects.core.validation import validate
from keyprojects.projects import services as project_services
from keyprojects.projects.models import AnnualPlan, Project
from keyprojects.projects.services import EditConflict
from keyprojects.regions.models import Region

from . import returns
from .models import COLUMN_KEYS, UNITS, Profile, Return
from .sheet import sheet

PROFILES = Path(__file__).parent / "profiles"


def check_profile(data: dict[str, Any]) -> None:
    """A profile file's shape: known column keys, known units, a name column."""
    errors = []
    for i, column in enumerate(data.get("columns", []), start=1):
        if column.get("key") not in COLUMN_KEYS:
            errors.append(f"第{i}列：未知字段“{column.get('key')}”")
        if column.get("unit", "万元") not in UNITS:
            errors.append(f"第{i}列：单位只能是万元或亿元")
        if not column.get("header"):
            errors.append(f"第{i}列：缺少表头")
    if not any(c.get("key") == "name" for c in data.get("columns", [])):
        errors.append("格式中没有“项目名称”列")
    for key in ("province", "name", "version"):
        if key not in data:
            errors.append(f"缺少“{key}”")
    if errors:
        raise ValidationError(errors)


@acting_as
@transaction.atomic
def load_profiles(user: Actor, paths: list[Path] | None = None) -> list[Profile]:
    """Load profile files (default: those shipped), a row per province and version; a version
    already loaded is replaced by the file's (superusers only: a profile is every city's)."""
    if not user.is_superuser:
        raise PermissionDenied(_("只有系统管理员可以载入省平台报送格式"))
    loaded = []
    for path in paths or sorted(PROFILES.glob("*.json")):
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        check_profile(data)
        profile = Profile.objects.filter(province_code=data["province"], version=data["version"]).first() \
            or Profile(province_code=data["province"], version=data["version"])
        profile.name, profile.data = data["name"], data
        validate(profile)
        profile.save()
        loaded.append(profile)
    return loaded


def _candidates(user: Actor, region: Region, year: int) -> dict[int, dict[str, Any]]:
    """The city's projects the user may change, with their plan of ``year`` (its version)."""
    plans = dict(AnnualPlan.objects.filter(project__region__path__startswith=region.path, year=year)
                 .values_list("project_id", "version"))
    projects = (Project.objects.visible_to(user).filter(region__path__startswith=region.path)
                .values_list("pk", "code", "name", "version"))
    return {pk: {"code": code or "", "name": name, "version": version, "plan_version": plans.get(pk)}
            for pk, code, name, version in projects}


@acting_as
@transaction.atomic
def upload_return(user: Actor, profile: Profile, region: Region, year: int, month: int, file_name: str,
                  content: bytes, today: date | None = None) -> Return:
    """Read the province's returned list and keep it with its matches and differences; nothing
    is changed in the library until ``accept`` (city admins of ``region``)."""
    require_admin(user, region)
    rows = returns.read_rows(content, file_name, profile, year)
    ours = sheet(user, profile, region, year, month, today or timezone.localdate())
    compared = returns.compare(rows, ours, _candidates(user, region, year))
    found = Return(profile=profile, region=region, year=year, file_name=file_name[:200], rows=compared,
                   uploaded_by=recorded(user))
    validate(found)
    found.save()
    return found


@acting_as
@transaction.atomic
def accept(user: Actor, return_id: int, chosen: list[tuple[int, str]], confirmed: set[int]) -> int:
    """Take the chosen differences (``(row, field)``) of a returned list into the library, each
    through the projects' services and recorded with the source 省平台. A row matched by name
    only must be in ``confirmed``. All or nothing; errors name the row. The number of fields
    changed."""
    found = Return.objects.select_for_update().filter(pk=return_id).first()
    if found is None:
        raise Http404(_("对象不存在或您无权访问"))
    require(user, "view", found)
    require_admin(user, found.region)
    by_row = {row["row"]: row for row in found.rows}
    words = returns.province_words(found.profile, "nature")
    changes: dict[int, dict[str, Any]] = {}
    for r, key in chosen:
        row = by_row.get(r)
        diff = next((d for d in row["diffs"] if d["key"] == key), None) if row else None
        if row is None or diff is None or not diff["acceptable"]:
            raise ValidationError(_("第%(row)s行没有可采纳的“%(field)s”差异") % {"row": r, "field": key})
        if row["match"] != "code" and r not in confirmed:
            raise ValidationError(_("第%(row)s行“%(name)s”是按名称匹配的，请先确认匹配再采纳")
                                  % {"row": r, "name": row["name"]})
        changes.setdefault(r, {})[key] = words.get(diff["value"], diff["value"]) if key == "nature" else diff["value"]
    ctx = current()
    with audit_context(Source.PROVINCE, user=user_of(ctx) or recorded(user),
                       detail=f"省平台返回清单：{found.file_name}"[:200], ip=ctx.ip):
        for r, data in changes.items():
            _apply(user, found, by_row[r], data)
    found.accepted = [*found.accepted, *[{"row": r, "field": key, "at": timezone.now().isoformat()}
                                         for r, key in chosen]]
    found.save()
    return len(chosen)


def _apply(user: Actor, found: Return, row: dict[str, Any], data: dict[str, Any]) -> None:
    project_data = {k: v for k, v in data.items() if k in returns.PROJECT_FIELDS}
    plan_data = {k: v for k, v in data.items() if k not in returns.PROJECT_FIELDS}
    try:
        if project_data:
            project_services.update_project(user, row["project_id"], row["version"], project_data)
        if plan_data:
            project_services.save_annual_plan(user, row["project_id"], found.year, plan_data,
                                              expected_version=row["plan_version"])
    except EditConflict as exc:
        raise ValidationError(_("第%(row)s行“%(name)s”：导入返回清单后该项目已被修改，请重新导入后再采纳")
                              % {"row": row["row"], "name": row["name"]}) from exc
    except ValidationError as exc:
        raise ValidationError(_("第%(row)s行“%(name)s”：%(message)s")
                              % {"row": row["row"], "name": row["name"], "message": "；".join(exc.messages)}) from exc

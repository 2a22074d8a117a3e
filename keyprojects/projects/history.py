"""A project's history page: every audited write to the project, its plans, its funding
and its stage transitions, newest first, with before/after values in words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models.fields.related import RelatedField
from django.utils.translation import gettext as _

from keyprojects.core.audit import Source
from keyprojects.core.money import format_wan

from .models import AnnualPlan, FundingSource, Project, StageTransition

ACTIONS = {"+": _("新建"), "~": _("修改"), "-": _("删除")}
HIDDEN_FIELDS = {"id", "version", "created_at", "updated_at", "project", "stem", "path", "depth"}


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class Entry:
    object_id: Any
    when: datetime
    user: Any
    source: str
    detail: str
    ip: str | None
    subject: str
    action: str
    changes: list[Change] = field(default_factory=list)


def _display(model: type[models.Model], name: str, value: Any, cache: dict) -> str:
    if value in (None, ""):
        return "—"
    try:
        f = model._meta.get_field(name)
    except Exception:
        return str(value)
    if isinstance(f, models.ManyToManyField):
        target = f.related_model
        ids = [row[f.m2m_reverse_field_name()] for row in value] if value and isinstance(value[0], dict) else value
        objects = [_lookup(target, pk, cache) for pk in ids]
        return "、".join(str(o) for o in objects) or "—"
    if isinstance(f, RelatedField | models.ForeignObjectRel):
        return str(_lookup(f.related_model, value, cache))
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(f, models.BooleanField):
        return _("是") if value else _("否")
    if isinstance(value, Decimal):
        return format_wan(value)
    return str(value)


def _lookup(model: type[models.Model], pk: Any, cache: dict) -> Any:
    key = (model, pk)
    if key not in cache:
        cache[key] = model._default_manager.filter(pk=pk).first() or f"#{pk}"
    return cache[key]


def _label(model: type[models.Model], name: str) -> str:
    try:
        field = model._meta.get_field(name)
    except Exception:
        return name
    return str(field.verbose_name) if isinstance(field, models.Field) else name  # (a relation's other side has none)


def _entries_for(records: list, model: type[models.Model], subject, cache: dict) -> list[Entry]:
    """One entry per historical record, diffed against the record before it."""
    entries: list[Entry] = []
    previous: dict[Any, Any] = {}
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        obj_id = record.id
        before = previous.get(obj_id)
        changes = []
        if record.history_type == "~" and before is not None:
            delta = record.diff_against(before)
            for change in delta.changes:
                if change.field in HIDDEN_FIELDS:
                    continue
                changes.append(Change(
                    _label(model, change.field),
                    _display(model, change.field, change.old, cache),
                    _display(model, change.field, change.new, cache),
                ))
            if not changes:
                previous[obj_id] = record
                continue  # a save that changed nothing visible (e.g. only the version)
        elif record.history_type in "+-":
            for f in model._meta.concrete_fields:
                if f.name in HIDDEN_FIELDS:
                    continue
                value = getattr(record, f.attname)
                if value in (None, "") or (f.name == "lists"):
                    continue
                shown = _display(model, f.name, value, cache)
                changes.append(Change(str(f.verbose_name), "" if record.history_type == "+" else shown,
                                      shown if record.history_type == "+" else ""))
        previous[obj_id] = record
        last = entries[-1] if entries else None
        if (last is not None and last.object_id == obj_id and last.user == record.history_user
                and abs((record.history_date - last.when).total_seconds()) < 2):
            last.changes += changes  # one save that wrote the row and then its many-to-many fields
            continue
        entries.append(Entry(
            object_id=obj_id,
            when=record.history_date, user=record.history_user,
            source=str(Source(record.history_source).label) if record.history_source in Source.values else record.history_source,
            detail=record.history_detail, ip=record.history_ip,
            subject=subject(record), action=ACTIONS.get(record.history_type, record.history_type),
            changes=changes,
        ))
    return entries


def project_history(project: Project) -> list[Entry]:
    cache: dict = {}
    entries = _entries_for(
        list(project.history.select_related("history_user")),
        Project, lambda r: _("项目"), cache,
    )
    entries += _entries_for(
        list(AnnualPlan.history.filter(project_id=project.pk).select_related("history_user")),
        AnnualPlan, lambda r: _("%(year)s年度计划") % {"year": r.year}, cache,
    )
    entries += _entries_for(
        list(FundingSource.history.filter(project_id=project.pk).select_related("history_user")),
        FundingSource, lambda r: _("资金来源：%(kind)s") % {"kind": FundingSource.Kind(r.kind).label}, cache,
    )
    entries += _entries_for(
        list(StageTransition.history.filter(project_id=project.pk).select_related("history_user")),
        StageTransition, lambda r: _("阶段变更"), cache,
    )
    return sorted(entries, key=lambda e: e.when, reverse=True)

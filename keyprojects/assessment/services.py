"""The assessment's operations: a city admin's schemes, groups and lines, taking a period's
snapshot and publishing it. Each one transaction, permission-checked, audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keyprojects.core.audit import acting_as, recorded
from keyprojects.core.permissions import Actor, require, require_admin, require_view_region
from keyprojects.core.validation import validate
from keyprojects.regions.models import Region

from . import periods
from .models import Group, Line, PeriodKind, Scheme, Snapshot
from .ranking import collect, rules_of

SCHEME_FIELDS = ["name", "year", "period_kind", "data_lag_days", "list_size", "tie_break"]
GROUP_FIELDS = ["name", "member_kind", "order"]
LINE_FIELDS = ["order", "name", "value", "formula", "weight", "target", "benchmark", "benchmark_value",
               "points_per_unit", "cap", "floor"]


def _set(obj: Any, names: list[str], data: dict[str, Any]) -> None:
    for name in names:
        if name in data:
            setattr(obj, name, data[name])


def _editable(user: Actor, scheme: Scheme) -> None:
    require(user, "view", scheme)
    require_admin(user, scheme.region)


@acting_as
@transaction.atomic
def save_scheme(user: Actor, region: Region | None, scheme_id: int | None, data: dict[str, Any]) -> Scheme:
    """Create a scheme of ``region`` (``scheme_id`` None) or change one (the city's admins)."""
    if scheme_id is None:
        assert region is not None
        require_view_region(user, region)
        require_admin(user, region)
        scheme = Scheme(region=region)
    else:
        scheme = Scheme.objects.select_for_update().select_related("region").get(pk=scheme_id)
        _editable(user, scheme)
    _set(scheme, SCHEME_FIELDS, data)
    validate(scheme)
    scheme.save()
    return scheme


@acting_as
@transaction.atomic
def save_group(user: Actor, scheme_id: int, group_id: int | None, data: dict[str, Any]) -> Group:
    scheme = Scheme.objects.select_related("region").get(pk=scheme_id)
    _editable(user, scheme)
    group = Group(scheme=scheme) if group_id is None else Group.objects.select_for_update().get(pk=group_id,
                                                                                               scheme=scheme)
    _set(group, GROUP_FIELDS, data)
    validate(group)
    group.save()
    return group


@acting_as
@transaction.atomic
def save_line(user: Actor, group_id: int, line_id: int | None, data: dict[str, Any]) -> Line:
    """Add an indicator line to a group (``line_id`` None) or change one."""
    group = Group.objects.select_related("scheme__region").get(pk=group_id)
    _editable(user, group.scheme)
    line = Line(group=group) if line_id is None else Line.objects.select_for_update().get(pk=line_id, group=group)
    _set(line, LINE_FIELDS, data)
    validate(line)
    line.save()
    return line


@acting_as
@transaction.atomic
def delete_line(user: Actor, line_id: int) -> None:
    line = Line.objects.select_related("group__scheme__region").get(pk=line_id)
    _editable(user, line.group.scheme)
    line.delete()


@acting_as
@transaction.atomic
def take_snapshot(user: Actor, scheme_id: int, period_text: str) -> Snapshot:
    """Freeze the period's inputs and the scheme's rules as they stand (taken again until it is
    published; a published period is never retaken)."""
    scheme = Scheme.objects.select_for_update().select_related("region").get(pk=scheme_id)
    _editable(user, scheme)
    period = periods.parse(period_text)
    if period.year != scheme.year:
        raise ValidationError({"period": _("考核期应在方案年度（%(year)s年）内") % {"year": scheme.year}})
    if period.is_quarter != (scheme.period_kind == PeriodKind.QUARTERLY):
        raise ValidationError({"period": _("该方案%(kind)s，考核期应写作%(example)s") % {
            "kind": scheme.get_period_kind_display(),
            "example": f"{scheme.year}-Q1" if scheme.period_kind == PeriodKind.QUARTERLY else f"{scheme.year}-05"}})
    if not scheme.groups.exists():
        raise ValidationError({"period": _("方案还没有考核组，请先设置考核组和考核指标")})
    snapshot = Snapshot.objects.select_for_update().filter(scheme=scheme, period=period.key).first()
    if snapshot is not None and snapshot.published:
        raise ValidationError({"period": _("%(period)s的排名已发布，不能重新取数；更正后的数据在排名页以说明列出")
                               % {"period": period.key}})
    snapshot = snapshot or Snapshot(scheme=scheme, period=period.key)
    snapshot.as_of = scheme.as_of(period)
    snapshot.inputs = collect(user, scheme, period, snapshot.as_of)
    snapshot.rules = rules_of(scheme)
    snapshot.taken_at = timezone.now()
    snapshot.taken_by = recorded(user)
    validate(snapshot)
    snapshot.save()
    return snapshot


@acting_as
@transaction.atomic
def publish(user: Actor, snapshot_id: int) -> Snapshot:
    snapshot = Snapshot.objects.select_for_update().select_related("scheme__region").get(pk=snapshot_id)
    _editable(user, snapshot.scheme)
    if snapshot.published:
        raise ValidationError({"period": _("%(period)s的排名已发布") % {"period": snapshot.period}})
    snapshot.published_at = timezone.now()
    snapshot.published_by = recorded(user)
    snapshot.save()
    return snapshot

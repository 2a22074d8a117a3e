"""The task list's operations: one transaction each, the scope checked through
``core.permissions`` before and after, versions checked on edits, every change audited.

The city's commission (a city admin) keeps the list: areas, tasks, their milestones and targets.
A task's lead unit (its clerks, or the commission) reports its progress (``record_update``). The
daily job (``chase_overdue``) tells the lead unit of each task and milestone past its deadline,
once per event. Operations take ``today`` (default: today) so that tests and the demo can date them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from keyprojects.core.audit import acting_as, recorded
from keyprojects.core.permissions import SYSTEM, Actor, require, require_admin
from keyprojects.core.validation import validate
from keyprojects.notices import services as notices
from keyprojects.projects.services import _check_version
from keyprojects.regions.models import Region

from .models import Area, Milestone, Target, Task, Update, UpdateValue

P = TypeVar("P", Milestone, Target)

AREA_FIELDS = ["number", "name"]
TASK_FIELDS = ["area", "number", "title", "description", "lead_unit", "leader", "deadline"]
MILESTONE_FIELDS = ["title", "due"]
TARGET_FIELDS = ["name", "unit", "target"]


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _url(task: Task) -> str:
    return reverse("tasklists:task", args=[task.pk])


# --- the list, kept by the commission ---------------------------------------------------------

@acting_as
@transaction.atomic
def save_area(user: Actor, region: Region, year: int, data: Mapping[str, Any], area_id: int | None = None) -> Area:
    """Create or change an area (方面) of ``region``'s list of ``year`` (a city admin's)."""
    require_admin(user, region)
    area = Area.objects.select_for_update().get(pk=area_id, region=region) if area_id else Area(region=region, year=year)
    for name in AREA_FIELDS:
        if name in data:
            setattr(area, name, data[name])
    area.name = (area.name or "").strip()
    validate(area)
    area.save()
    require(user, "edit", area)
    return area


@acting_as
@transaction.atomic
def save_task(user: Actor, task_id: int | None, data: Mapping[str, Any], expected_version: int | None = None) -> Task:
    """Create or change a task: its area, number, title, requirements, lead unit, co-units
    (``co_units``), leader and deadline (a city admin's, for the area's city)."""
    if task_id:
        task = Task.objects.select_for_update().get(pk=task_id)
        require(user, "edit", task)
        require_admin(user, task.region)
        _check_version(task, expected_version)
    else:
        task = Task()
    for name in TASK_FIELDS:
        if name in data:
            setattr(task, name, data[name])
    area = task.area if task.area_id else None
    if area is None:
        raise ValidationError({"area": _("请选择任务所属方面")})
    require_admin(user, area.region)
    task.region, task.year = area.region, area.year
    task.title = (task.title or "").strip()
    if task.pk:
        task.version += 1
    validate(task)
    task.save()
    if "co_units" in data:
        co_units = [u for u in data["co_units"] if u.pk != task.lead_unit_id]
        outside = [u.name for u in co_units if not u.region.is_within(area.region)]
        if outside:
            raise ValidationError({"co_units": _("配合单位不在%(region)s范围内：%(units)s")
                                   % {"region": area.region.name, "units": "、".join(outside)}})
        task.co_units.set(co_units)
    require(user, "edit", task)
    return task


def save_milestone(user: Actor, task_id: int, data: Mapping[str, Any], milestone_id: int | None = None) -> Milestone:
    return _save_part(user, task_id, Milestone, MILESTONE_FIELDS, data, milestone_id)


def save_target(user: Actor, task_id: int, data: Mapping[str, Any], target_id: int | None = None) -> Target:
    return _save_part(user, task_id, Target, TARGET_FIELDS, data, target_id)


@acting_as
@transaction.atomic
def _save_part(user: Actor, task_id: int, model: type[P], fields: list[str], data: Mapping[str, Any],
               part_id: int | None) -> P:
    """Add a milestone or target to a task (``part_id`` None) or change one (the city's admins)."""
    task = Task.objects.select_for_update().get(pk=task_id)
    require_admin(user, task.region)
    part = model.objects.get(task=task, pk=part_id) if part_id else model(task=task)
    for name in fields:
        if name in data:
            setattr(part, name, data[name])
    validate(part)
    part.save()
    return part


# --- progress, reported by the lead unit --------------------------------------------------------

@acting_as
@transaction.atomic
def record_update(user: Actor, task_id: int, data: Mapping[str, Any], expected_version: int | None = None,
                  today: date | None = None) -> Update:
    """A progress update of a task (its lead unit's clerks, or the commission): ``on`` (the
    date, not in the future), ``text``, ``values`` (target id → its current value), ``milestones``
    (ids of the milestones reached that day) and ``done`` (the task completed that day). The
    targets' current values, the milestones and the task's state follow. Nothing is saved if
    anything is wrong."""
    task = Task.objects.select_for_update().get(pk=task_id)
    require(user, "edit", task)
    _check_version(task, expected_version)
    on, text = data.get("on"), (data.get("text") or "").strip()
    errors: dict[str, str] = {}
    if not isinstance(on, date):
        errors["on"] = _("请填写进展日期")
    elif on > _today(today):
        errors["on"] = _("进展日期（%(date)s）不能晚于今天") % {"date": on}
    elif on.year < task.year:
        errors["on"] = _("进展日期应在任务年度（%(year)s年）或以后") % {"year": task.year}
    if not text:
        errors["text"] = _("请填写工作进展")
    targets = {t.pk: t for t in task.targets.all()}
    values: dict[int, Decimal] = {}
    for key, value in (data.get("values") or {}).items():
        if value is None or value == "":
            continue
        target = targets.get(int(key)) if str(key).isdigit() else None
        if target is None:
            errors["values"] = _("指标不属于该任务")
            continue
        try:
            amount = Decimal(str(value))
        except ArithmeticError:
            amount = Decimal(-1)
        if not amount.is_finite() or amount < 0:
            errors[f"value_{target.pk}"] = _("“%(name)s”的当前值应为不小于 0 的数") % {"name": target.name}
            continue
        values[target.pk] = amount
    reached = list(task.milestones.filter(pk__in=list(data.get("milestones") or []), reached_on__isnull=True))
    if len(reached) != len(set(data.get("milestones") or [])):
        errors["milestones"] = _("所选节点不属于该任务或已完成")
    if data.get("done") and task.state == Task.State.DONE:
        errors["done"] = _("该任务已于 %(date)s 完成") % {"date": task.completed_on}
    if errors:
        raise ValidationError(errors)
    assert isinstance(on, date)
    actor = recorded(user)
    update = Update(task=task, on=on, text=text, reports_done=bool(data.get("done")), author=actor,
                    unit=actor.unit if actor is not None else None)
    validate(update)
    update.save()
    for pk, amount in values.items():
        UpdateValue(update=update, target=targets[pk], value=amount).save()
        target = targets[pk]
        if target.actual_on is None or on >= target.actual_on:  # (an older update leaves a newer value)
            target.actual, target.actual_on = amount, on
            validate(target)
            target.save()
    for milestone in reached:
        milestone.reached_on = on
        milestone.save()
    if data.get("done"):
        task.state, task.completed_on = Task.State.DONE, on
    task.version += 1
    validate(task)
    task.save()
    require(user, "edit", task)
    return update


# --- the daily 督办 ----------------------------------------------------------------------------

def chase_overdue(today: date) -> dict[str, int]:
    """The daily job (``tasks.chase_overdue``): tell the lead unit (and the leader's account) of
    each task past its deadline and not done, and of each milestone past its date and not
    reached; a task is marked overdue (``overdue_since``) the first time. One message per event
    (the task or milestone, and the deadline it missed): running again changes nothing more."""
    tasks = list(Task.objects.filter(deadline__lt=today, completed_on__isnull=True).order_by("pk")
                 .values_list("pk", flat=True))
    milestones = list(Milestone.objects.filter(due__lt=today, reached_on__isnull=True, task__completed_on__isnull=True)
                      .order_by("pk").values_list("pk", flat=True))
    told = sum(supervise(SYSTEM, pk, today) for pk in tasks)
    told += sum(remind_milestone(SYSTEM, pk, today) for pk in milestones)
    return {"tasks": len(tasks), "milestones": len(milestones), "messages": told}


def _tell(event: str, task: Task, subject: str, body: str) -> int:
    sent = notices.notify_unit(event, task.lead_unit, subject, body, _url(task))
    leader_user = task.leader.user if task.leader_id and task.leader and task.leader.user_id else None
    if leader_user is not None:
        sent += notices.notify(event, [leader_user], subject, body, _url(task))
    return len(sent)


@acting_as
@transaction.atomic
def supervise(user: Actor, task_id: int, today: date) -> int:
    """督办 an overdue task: marked the first time, its lead unit told once per deadline missed;
    the number of messages written."""
    task = Task.objects.select_for_update(of=("self",)).select_related("lead_unit", "leader__user").get(pk=task_id)
    require(user, "edit", task)
    if not task.is_overdue(today):
        return 0
    if task.overdue_since is None:
        task.overdue_since = task.deadline + timedelta(days=1)
        task.save()
    subject = _("【督办】任务 %(code)s %(title)s 已逾期（完成时限 %(date)s）") % {
        "code": task.code, "title": task.title, "date": task.deadline}
    body = _("已超过完成时限（%(date)s），请%(unit)s抓紧推进并报送进展") % {"date": task.deadline, "unit": task.lead_unit}
    return _tell(f"task:{task.pk}:overdue:{task.deadline.isoformat()}", task, subject, body)


@acting_as
@transaction.atomic
def remind_milestone(user: Actor, milestone_id: int, today: date) -> int:
    milestone = Milestone.objects.select_related("task__lead_unit", "task__leader__user").get(pk=milestone_id)
    task = milestone.task
    require(user, "edit", task)
    if not milestone.is_overdue(today):
        return 0
    subject = _("【督办】任务 %(code)s 的节点“%(title)s”已逾期（计划时间 %(date)s）") % {
        "code": task.code, "title": milestone.title, "date": milestone.due}
    body = _("任务“%(task)s”的节点“%(title)s”已超过计划时间，请%(unit)s抓紧推进") % {
        "task": task.title, "title": milestone.title, "unit": task.lead_unit}
    return _tell(f"milestone:{milestone.pk}:overdue:{milestone.due.isoformat()}", task, subject, body)

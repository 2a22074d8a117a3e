"""Task lists (任务清单): a city's areas (方面) and tasks (任务) of a year, each task with its lead
unit (牵头单位), co-units (配合单位), leader, deadline, dated milestones and measurable targets,
and the progress updates its lead unit reports (a dated text and the targets' current values).

A task is done on the day its lead unit reports it done (``completed_on``); the figures count as
of a date from that day and the deadline (``done_q``, ``on_time_q``, ``overdue_q``), so that a
past date gives the same counts whatever was reported since.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Leader, Unit, User
from keyprojects.core.audit import audited
from keyprojects.core.versions import InRegion, Touched
from keyprojects.regions.models import Region

if TYPE_CHECKING:
    from keyprojects.core.permissions import Viewer

# --- what the figures count, shared with the list's filter (a figure and its list agree) ---------
def done_q(day: date, prefix: str = "") -> Q:
    """Done by the end of ``day``: reported done on it or before."""
    return Q(**{f"{prefix}completed_on__lte": day})


def on_time_q(day: date, prefix: str = "") -> Q:
    """Done by the end of ``day`` and no later than its deadline."""
    return done_q(day, prefix) & Q(**{f"{prefix}completed_on__lte": F(f"{prefix}deadline")})


def overdue_q(day: date, prefix: str = "") -> Q:
    """Past its deadline on ``day`` (the deadline before it) and not done by then."""
    return Q(**{f"{prefix}deadline__lt": day}) & (
        Q(**{f"{prefix}completed_on__isnull": True}) | Q(**{f"{prefix}completed_on__gt": day}))


class Scoped(models.QuerySet):
    def visible_to(self, user: Viewer) -> Scoped:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")


# How a user's scope reaches a task: the city (its region holds the lead unit's), the lead unit's
# users (they edit it), a county whose unit leads or helps (to see it), a co-unit's users (to see it).
TASK_SCOPE = {"region": "lead_unit__region", "unit": "lead_unit", "units": {"view": ("co_units",)},
              "regions": {"view": ("co_units__region",)}}


def _through(prefix: str) -> dict:
    return {"region": f"{prefix}lead_unit__region", "unit": f"{prefix}lead_unit",
            "units": {"view": (f"{prefix}co_units",)}, "regions": {"view": (f"{prefix}co_units__region",)}}


class Area(InRegion, models.Model):
    """A 方面 of a city's task list of a year (抓项目谋划储备, 抓招商引资 …)."""

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="task_areas")
    year = models.PositiveSmallIntegerField(_("年度"))
    number = models.PositiveSmallIntegerField(_("序号"))
    name = models.CharField(_("方面"), max_length=100)

    objects = Scoped.as_manager()
    history = audited()

    # (the list's filter offers the areas of the tasks a user sees, whatever their scope)
    scope_paths = {"region": "region"}

    class Meta:
        verbose_name = _("任务方面")
        verbose_name_plural = _("任务方面")
        ordering = ["region__code", "year", "number"]
        constraints = [models.UniqueConstraint(fields=["region", "year", "number"], name="area_unique_number"),
                       models.UniqueConstraint(fields=["region", "year", "name"], name="area_unique_name")]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class Task(InRegion, models.Model):
    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("推进中")
        DONE = "done", _("已完成")

    area = models.ForeignKey(Area, verbose_name=_("方面"), on_delete=models.PROTECT, related_name="tasks")
    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="tasks",
                               editable=False)  # the area's: what the figures of a city count
    year = models.PositiveSmallIntegerField(_("年度"), editable=False)  # the area's
    number = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("任务"), max_length=200)
    description = models.TextField(_("工作要求"), blank=True)
    lead_unit = models.ForeignKey(Unit, verbose_name=_("牵头单位"), on_delete=models.PROTECT, related_name="led_tasks")
    co_units = models.ManyToManyField(Unit, verbose_name=_("配合单位"), blank=True, related_name="helped_tasks")
    leader = models.ForeignKey(Leader, verbose_name=_("包抓领导"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="tasks")
    deadline = models.DateField(_("完成时限"))
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    overdue_since = models.DateField(_("逾期督办日期"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    objects = Scoped.as_manager()
    history = audited(m2m_fields=[co_units])

    scope_paths = TASK_SCOPE

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        ordering = ["region__code", "year", "area__number", "number"]
        constraints = [models.UniqueConstraint(fields=["area", "number"], name="task_unique_number_in_area")]
        indexes = [models.Index(fields=["region", "year"]), models.Index(fields=["lead_unit", "year"])]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def code(self) -> str:
        """The task's number in the list: area and task (3-2)."""
        return f"{self.area.number}-{self.number}" if self.area_id else str(self.number)

    def clean(self) -> None:
        if self.state == self.State.DONE and self.completed_on is None:
            raise ValidationError({"completed_on": _("已完成的任务应填写完成日期")})
        if self.state != self.State.DONE and self.completed_on is not None:
            raise ValidationError({"completed_on": _("未完成的任务不应有完成日期")})
        if self.area_id and self.lead_unit_id and not self.lead_unit.region.is_within(self.area.region):
            raise ValidationError({"lead_unit": _("牵头单位“%(unit)s”不在%(region)s范围内")
                                   % {"unit": self.lead_unit, "region": self.area.region.name}})

    def is_overdue(self, day: date) -> bool:
        return self.deadline < day and (self.completed_on is None or self.completed_on > day)

    @property
    def on_time(self) -> bool | None:
        return None if self.completed_on is None else self.completed_on <= self.deadline


class Milestone(models.Model):
    """A dated step of a task (签约、开工、完成初验 …), reached on the day its unit reports it."""

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("节点"), max_length=100)
    due = models.DateField(_("计划时间"))
    reached_on = models.DateField(_("完成日期"), null=True, blank=True)

    objects = Scoped.as_manager()
    history = audited()

    scope_paths = _through("task__")

    class Meta:
        verbose_name = _("任务节点")
        verbose_name_plural = _("任务节点")
        ordering = ["task", "due", "pk"]

    def __str__(self) -> str:
        return f"{self.title}（{self.due:%Y-%m-%d}）"

    def touched(self) -> Touched:
        return {(self.task.region_id, None)}

    def is_overdue(self, day: date) -> bool:
        return self.due < day and (self.reached_on is None or self.reached_on > day)


class Target(models.Model):
    """A measurable target of a task: a quantity with its unit, the value aimed at, and the
    latest value its lead unit reported (``actual``, as of ``actual_on``)."""

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="targets")
    name = models.CharField(_("指标"), max_length=60)
    unit = models.CharField(_("计量单位"), max_length=16)
    target = models.DecimalField(_("目标值"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    actual = models.DecimalField(_("当前值"), max_digits=14, decimal_places=2, null=True, blank=True,
                                 validators=[MinValueValidator(0)])
    actual_on = models.DateField(_("当前值日期"), null=True, blank=True)

    objects = Scoped.as_manager()
    history = audited()

    scope_paths = _through("task__")

    class Meta:
        verbose_name = _("任务指标")
        verbose_name_plural = _("任务指标")
        ordering = ["task", "pk"]
        constraints = [models.UniqueConstraint(fields=["task", "name"], name="target_unique_name_in_task")]

    def __str__(self) -> str:
        return f"{self.name} {self.target}{self.unit}"

    def touched(self) -> Touched:
        return {(self.task.region_id, None)}

    @property
    def share(self) -> int | None:
        """The actual as a whole percentage of the target (for the bar; not a figure)."""
        if self.actual is None or not self.target:
            return None
        return min(100, int(self.actual * 100 / self.target))


class Update(models.Model):
    """A progress update of a task by its lead unit: a dated text, the targets' values then
    (``UpdateValue``), and whether it reports milestones reached or the task done."""

    task = models.ForeignKey(Task, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="updates")
    on = models.DateField(_("进展日期"))
    text = models.TextField(_("工作进展"))
    reports_done = models.BooleanField(_("报告任务完成"), default=False)
    author = models.ForeignKey(User, verbose_name=_("填报人"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    unit = models.ForeignKey(Unit, verbose_name=_("填报单位"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    created_at = models.DateTimeField(_("填报时间"), auto_now_add=True)

    objects = Scoped.as_manager()
    history = audited()

    scope_paths = _through("task__")

    class Meta:
        verbose_name = _("任务进展")
        verbose_name_plural = _("任务进展")
        ordering = ["task", "-on", "-pk"]

    def __str__(self) -> str:
        return f"{self.on:%Y-%m-%d} {self.text[:30]}"

    def touched(self) -> Touched:
        return {(self.task.region_id, None)}


class UpdateValue(models.Model):
    update = models.ForeignKey(Update, verbose_name=_("任务进展"), on_delete=models.CASCADE, related_name="values")
    target = models.ForeignKey(Target, verbose_name=_("指标"), on_delete=models.CASCADE, related_name="values")
    value = models.DecimalField(_("当前值"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])

    objects = Scoped.as_manager()
    history = audited()

    scope_paths = _through("update__task__")

    class Meta:
        verbose_name = _("指标填报值")
        verbose_name_plural = _("指标填报值")
        constraints = [models.UniqueConstraint(fields=["update", "target"], name="update_value_unique_target")]

    def __str__(self) -> str:
        return f"{self.target.name} {self.value}"

    def touched(self) -> Touched:
        return {(self.update.task.region_id, None)}

"""Assessment and ranking (考核 · 排名): a city's scoring rules as data and the frozen snapshots
the ranks are computed from.

A ``Scheme`` is a city's rules for a year (monthly ranks or quarterly scores, the size of the
红黑榜, the tie-break); its ``Group``s are the categories assessed apart (分类差异化考评: the
counties, the development zones, the city departments by responsible unit), each with its
indicator ``Line``s (a value, a formula kind, a weight, a cap and a floor). A ``Snapshot`` is a
period's inputs per member, frozen with the rules as they stood (``scoring`` computes from it
alone): a published period ranks the same however the figures are corrected later.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import User
from keyprojects.core.audit import audited
from keyprojects.core.versions import Touched
from keyprojects.regions.models import Region

if TYPE_CHECKING:
    from keyprojects.core.permissions import Viewer

    from .periods import Period


class PeriodKind(models.TextChoices):
    MONTHLY = "monthly", _("按月排名")
    QUARTERLY = "quarterly", _("按季考核")


class MemberKind(models.TextChoices):
    COUNTY = "county", _("县区")
    ZONE = "zone", _("开发区")
    UNIT = "unit", _("市直部门")


class Value(models.TextChoices):
    """What a line scores: a figure of the indicator module (rates in %, the gap in points), a
    count of events (``figures.assessment_events``), or the task list's figures of the tasks a
    member's units lead (``figures.tasks``)."""

    COMPLETION_RATE = "completion_rate", _("投资完成率")
    START_OR_RESUME_RATE = "start_or_resume_rate", _("开复工率")
    NEW_START_RATE = "new_start_rate", _("新项目开工率")
    PROGRESS_GAP = "progress_gap", _("超/慢时间进度")
    COMPLETED_INVESTMENT = "completed_investment", _("本年完成投资")
    OVERDUE_PROBLEMS = "overdue_problems", _("逾期未办结问题")
    LATE_REPORTS = "late_reports", _("逾期或未报送月报")
    RED_WARNINGS = "red_warnings", _("红色预警")
    TASK_ON_TIME_RATE = "task_on_time_rate", _("任务按期完成率")
    OVERDUE_TASKS = "overdue_tasks", _("逾期未完成任务")


EVENTS = (Value.OVERDUE_PROBLEMS, Value.LATE_REPORTS, Value.RED_WARNINGS, Value.OVERDUE_TASKS)
RATES = (Value.COMPLETION_RATE, Value.START_OR_RESUME_RATE, Value.NEW_START_RATE)


class Formula(models.TextChoices):
    RATIO_BEST = "ratio_best", _("按比例得分：实际值 ÷ 组内最优值 × 权重")
    RATIO_TARGET = "ratio_target", _("按比例得分：实际值 ÷ 目标值 × 权重")
    PER_POINT = "per_point", _("按百分点加减分：权重 ±（实际值 − 基准）× 每点分值")
    PER_EVENT = "per_event", _("按事件加减分：件数 × 每件分值（扣分为负）")


class Benchmark(models.TextChoices):
    TIME_PROGRESS = "time_progress", _("时间进度")
    GROUP_AVERAGE = "group_average", _("组内平均值")
    CITY = "city", _("全市整体值")
    FIXED = "fixed", _("固定值")


class SchemeQuerySet(models.QuerySet["Scheme"]):
    def visible_to(self, user: Viewer) -> SchemeQuerySet:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")


class Scheme(models.Model):
    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="schemes")
    year = models.PositiveSmallIntegerField(_("考核年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    name = models.CharField(_("方案名称"), max_length=100)
    period_kind = models.CharField(_("考核周期"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.MONTHLY)
    list_size = models.PositiveSmallIntegerField(_("红黑榜人数"), default=3,
                                                 validators=[MinValueValidator(1), MaxValueValidator(20)],
                                                 help_text=_("每组列入红榜（前N名）和黑榜（后N名）的个数"))
    data_lag_days = models.PositiveSmallIntegerField(
        _("取数日（考核期结束后天数）"), default=0, validators=[MaxValueValidator(31)],
        help_text=_("月报在次月审核的，填月报审核截止的天数：填 8 时，1月份按2月8日已审核的数据计分"))
    tie_break = models.CharField(_("同分排序依据"), max_length=24, choices=Value.choices, default=Value.COMPLETION_RATE,
                                 help_text=_("得分相同者并列名次，名单中按此指标排列（事件数少者在前，其余高者在前），再按名称"))

    objects = SchemeQuerySet.as_manager()
    history = audited()

    # a scheme with a published period reaches the counties and departments it ranks (core.permissions)
    scope_paths = {"region": "region",
                   "circulated": {"region": "region", "when": {"snapshots__published_at__isnull": False}}}

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["region__code", "-year", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "year", "name"], name="scheme_unique_name")]

    def __str__(self) -> str:
        return f"{self.region.name}{self.year}年{self.name}"

    def as_of(self, period: Period) -> date:
        """The day whose figures a period is scored on: its last day, plus the scheme's lag."""
        return period.last_day + timedelta(days=self.data_lag_days)

    def clean(self) -> None:
        if self.region_id and self.region.level not in (Region.Level.PREFECTURE, Region.Level.COUNTY):
            raise ValidationError({"region": _("考核方案应设在地市或县级市")})

    def touched(self) -> Touched:
        return set()  # rules: the ranks are computed from snapshots, not cached figures


class GroupQuerySet(models.QuerySet["Group"]):
    def visible_to(self, user: Viewer) -> GroupQuerySet:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")


class Group(models.Model):
    """A category assessed apart: its members are the region's counties, its development zones
    or its departments responsible for projects of the year's plan."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("考核方案"), on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("考核组"), max_length=50)
    member_kind = models.CharField(_("考核对象"), max_length=10, choices=MemberKind.choices)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    objects = GroupQuerySet.as_manager()
    history = audited()

    scope_paths = {"region": "scheme__region"}

    class Meta:
        verbose_name = _("考核组")
        verbose_name_plural = _("考核组")
        ordering = ["scheme", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["scheme", "name"], name="assessment_group_unique_name")]

    def __str__(self) -> str:
        return self.name

    def touched(self) -> Touched:
        return set()


class LineQuerySet(models.QuerySet["Line"]):
    def visible_to(self, user: Viewer) -> LineQuerySet:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")


class Line(models.Model):
    """An indicator line of a group: what it scores, how, and within which bounds."""

    group = models.ForeignKey(Group, verbose_name=_("考核组"), on_delete=models.CASCADE, related_name="lines")
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    name = models.CharField(_("考核指标"), max_length=50)
    value = models.CharField(_("取值"), max_length=24, choices=Value.choices)
    formula = models.CharField(_("计分方法"), max_length=16, choices=Formula.choices)
    weight = models.DecimalField(_("权重（分）"), default=0, validators=[MinValueValidator(0)], max_digits=7, decimal_places=2)
    target = models.DecimalField(_("目标值"), null=True, blank=True, max_digits=7, decimal_places=2,
                                 help_text=_("按目标值计分时必填，与取值同一单位"))
    benchmark = models.CharField(_("基准"), max_length=16, choices=Benchmark.choices, blank=True)
    benchmark_value = models.DecimalField(_("固定基准值"), null=True, blank=True, max_digits=7, decimal_places=2)
    points_per_unit = models.DecimalField(_("每百分点或每件分值"), null=True, blank=True, max_digits=7, decimal_places=2,
                                          help_text=_("按百分点计分：高于基准每个百分点加的分（低于则减）；"
                                                      "按事件计分：每件的分（扣分填负数）"))
    cap = models.DecimalField(_("得分上限"), null=True, blank=True, max_digits=7, decimal_places=2)
    floor = models.DecimalField(_("得分下限"), null=True, blank=True, max_digits=7, decimal_places=2)

    objects = LineQuerySet.as_manager()
    history = audited()

    scope_paths = {"region": "group__scheme__region"}

    class Meta:
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        ordering = ["group", "order", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.formula == Formula.RATIO_TARGET and not self.target:
            errors["target"] = str(_("按目标值计分须填写大于0的目标值"))
        if self.formula == Formula.PER_POINT:
            if not self.benchmark:
                errors["benchmark"] = str(_("按百分点计分须选择基准"))
            elif self.benchmark == Benchmark.FIXED and self.benchmark_value is None:
                errors["benchmark_value"] = str(_("基准为固定值时须填写固定基准值"))
            elif self.benchmark == Benchmark.TIME_PROGRESS and self.value not in RATES:
                errors["benchmark"] = str(_("只有完成率、开复工率类指标可以与时间进度比较"))
        if self.formula in (Formula.PER_POINT, Formula.PER_EVENT) and self.points_per_unit is None:
            errors["points_per_unit"] = str(_("请填写每百分点或每件的分值"))
        if self.formula == Formula.PER_EVENT and self.value not in EVENTS:
            errors["value"] = str(_("按事件计分只能用于逾期问题、月报和红色预警"))
        if self.formula in (Formula.RATIO_BEST, Formula.RATIO_TARGET) and self.value in EVENTS:
            errors["formula"] = str(_("事件数请按事件加减分"))
        if self.cap is not None and self.floor is not None and self.cap < self.floor:
            errors["cap"] = str(_("得分上限不能小于下限"))
        if errors:
            raise ValidationError(errors)

    def touched(self) -> Touched:
        return set()


class SnapshotQuerySet(models.QuerySet["Snapshot"]):
    def visible_to(self, user: Viewer) -> SnapshotQuerySet:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")


class Snapshot(models.Model):
    """A period's frozen inputs (each member's values, the benchmarks) and the rules as they
    stood when taken; ranks are computed from these alone. Once published it is never retaken."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("考核方案"), on_delete=models.CASCADE, related_name="snapshots")
    period = models.CharField(_("考核期"), max_length=7, help_text=_("月份如 2022-05，季度如 2022-Q1"))
    as_of = models.DateField(_("数据截止日期"))
    inputs = models.JSONField(_("取数结果"), default=dict)
    rules = models.JSONField(_("计分规则"), default=dict)
    taken_at = models.DateTimeField(_("取数时间"))
    taken_by = models.ForeignKey(User, verbose_name=_("取数人"), null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(User, verbose_name=_("发布人"), null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    objects = SnapshotQuerySet.as_manager()
    history = audited()

    # published (通报): read by the counties and departments of the city it ranks; drafts stay the city's
    scope_paths = {"region": "scheme__region",
                   "circulated": {"region": "scheme__region", "when": {"published_at__isnull": False}}}

    class Meta:
        verbose_name = _("考核快照")
        verbose_name_plural = _("考核快照")
        ordering = ["scheme", "period"]
        constraints = [models.UniqueConstraint(fields=["scheme", "period"], name="snapshot_unique_period")]

    def __str__(self) -> str:
        return f"{self.scheme} {self.period}"

    @property
    def published(self) -> bool:
        return self.published_at is not None

    def touched(self) -> Touched:
        return set()

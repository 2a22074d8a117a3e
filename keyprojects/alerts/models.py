"""Early warnings (预警): a city's rules as data (``WarningRule``: what is watched, the yellow and
red thresholds, who is told), its dated start targets (``StartTarget``: Dingxi's "2月底前开复工
60%以上"), and the warnings the daily job writes from them (``Warning``), one per cause: opened
when the cause appears, its colour and reason updated while it lasts, closed the day it is gone;
every change kept in its history. ``services.evaluate`` reads the rules; nothing else writes a
warning but an acknowledgement.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import User
from keyprojects.core.audit import audited
from keyprojects.core.versions import InRegion, Touched
from keyprojects.projects.models import Project
from keyprojects.regions.models import Region

if TYPE_CHECKING:
    from keyprojects.core.permissions import Viewer


class Kind(models.TextChoices):
    LATE_START = "late_start", _("计划开工月已过未开工")
    APPROVAL_LATE = "approval_late", _("前期手续滞后于倒排计划")
    APPROVAL_LAPSING = "approval_lapsing", _("前期手续有效期将届满")
    BEHIND_PROGRESS = "behind_progress", _("投资完成慢于时间进度")
    NO_PROGRESS = "no_progress", _("连续两月无进展")
    PROBLEM_OVERDUE = "problem_overdue", _("问题逾期未办结")
    REPORT_MISSING = "report_missing", _("月报逾期未报送")
    START_TARGET = "start_target", _("开复工目标有风险")
    BEHIND_QUARTER = "behind_quarter", _("落后季度目标")
    FUNDS_IDLE = "funds_idle", _("下达资金未按期开工或支出")


class Colour(models.TextChoices):
    RED = "red", _("红色")
    YELLOW = "yellow", _("黄色")


# What the thresholds of each kind mean, and the defaults of a city's rule set (yellow, red).
THRESHOLDS: dict[str, tuple[Any, int, int]] = {
    Kind.LATE_START: (_("计划开工月份结束后的天数：达到黄色值为黄色预警，达到红色值为红色预警"), 0, 30),
    Kind.APPROVAL_LATE: (_("超过倒排计划办结日期的天数"), 1, 30),
    Kind.APPROVAL_LAPSING: (_("距有效期届满的天数：不超过黄色值为黄色，不超过红色值（或已届满）为红色"), 30, 7),
    Kind.BEHIND_PROGRESS: (_("投资完成率低于时间进度的百分点数"), 10, 20),
    Kind.NO_PROGRESS: (_("已截止的填报期中，连续没有已报送且本月完成投资大于0的月报的月数"), 2, 3),
    Kind.PROBLEM_OVERDUE: (_("超过办理时限的天数"), 1, 15),
    Kind.REPORT_MISSING: (_("超过填报截止日期的天数"), 1, 5),
    Kind.START_TARGET: (_("开复工率低于目标时，距目标日期的天数：不超过黄色值为黄色，不超过红色值为红色"), 30, 10),
    Kind.BEHIND_QUARTER: (_("已报季度末累计完成投资低于投资路线图季度目标的百分点数（目标为100）：截至最近已截止填报期的最后一个完整季度"), 10, 20),
    Kind.FUNDS_IDLE: (_("超过资金申报批次规定时限（下达后开工时限、资金支出时限）的天数"), 1, 30),
}
# Kinds whose thresholds count down (the fewer days left, the worse): red ≤ yellow.
COUNTDOWN = (Kind.APPROVAL_LAPSING, Kind.START_TARGET)


class WarningRuleQuerySet(models.QuerySet["WarningRule"]):
    def visible_to(self, user: Viewer) -> WarningRuleQuerySet:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")


class WarningRule(models.Model):
    """One kind of warning in a city (or county-level city): its thresholds and whom it tells.
    The city's admins set them (``services.save_rule``)."""

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="warning_rules")
    kind = models.CharField(_("预警规则"), max_length=20, choices=Kind.choices)
    yellow = models.DecimalField(
        _("黄色阈值"), max_digits=7, decimal_places=1, validators=[MinValueValidator(0), MaxValueValidator(9999)],
        help_text=_("按规则：开工、手续、问题、月报为逾期天数；进度为落后时间进度的百分点；无进展为月数；"
                    "有效期、开复工目标为剩余天数（不超过即预警）"))
    red = models.DecimalField(
        _("红色阈值"), max_digits=7, decimal_places=1, validators=[MinValueValidator(0), MaxValueValidator(9999)],
        help_text=_("与黄色阈值同一单位：逾期天数、百分点、月数不低于黄色阈值；剩余天数不高于黄色阈值"))
    tell_responsible_unit = models.BooleanField(_("通知责任单位"), default=True)
    tell_county = models.BooleanField(_("通知县区管理员"), default=True)
    tell_leaders = models.BooleanField(_("通知包抓领导"), default=False)
    tell_city = models.BooleanField(_("通知市级管理员"), default=False)
    active = models.BooleanField(_("启用"), default=True)

    objects = WarningRuleQuerySet.as_manager()
    history = audited()

    scope_paths = {"region": "region"}

    class Meta:
        verbose_name = _("预警规则")
        verbose_name_plural = _("预警规则")
        ordering = ["region__code", "kind"]
        constraints = [models.UniqueConstraint(fields=["region", "kind"], name="warning_rule_unique_kind")]

    def __str__(self) -> str:
        return f"{self.region.name} {self.get_kind_display()}"

    @property
    def meaning(self) -> str:
        return str(THRESHOLDS[self.kind][0])

    def clean(self) -> None:
        if self.yellow is None or self.red is None or not self.kind:
            return
        if self.kind in COUNTDOWN and self.red > self.yellow:
            raise ValidationError({"red": _("剩余天数的红色阈值不能大于黄色阈值")})
        if self.kind not in COUNTDOWN and self.red < self.yellow:
            raise ValidationError({"red": _("红色阈值不能小于黄色阈值")})

    def touched(self) -> Touched:
        return set()  # a threshold: the warnings it gives move the figures when they are written


class StartTargetQuerySet(models.QuerySet["StartTarget"]):
    def visible_to(self, user: Viewer) -> StartTargetQuerySet:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")


class StartTarget(models.Model):
    """A dated start target of a region's plan year: by ``by_date`` at least ``rate`` percent of
    the year's plan started or resumed (开复工率, ``engine.started_q``)."""

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="start_targets")
    year = models.PositiveSmallIntegerField(_("计划年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    by_date = models.DateField(_("目标日期"))
    rate = models.DecimalField(_("开复工率目标（%）"), max_digits=4, decimal_places=1,
                               validators=[MinValueValidator(1), MaxValueValidator(100)])
    note = models.CharField(_("说明"), max_length=100, blank=True)

    objects = StartTargetQuerySet.as_manager()
    history = audited()

    scope_paths = {"region": "region"}

    class Meta:
        verbose_name = _("开复工目标")
        verbose_name_plural = _("开复工目标")
        ordering = ["region__code", "year", "by_date"]
        constraints = [models.UniqueConstraint(fields=["region", "by_date"], name="start_target_unique_date")]

    def __str__(self) -> str:
        return f"{self.by_date:%m月%d日}前开复工{self.rate}%"

    def clean(self) -> None:
        if self.year and self.by_date and self.by_date.year != self.year:
            raise ValidationError({"by_date": _("目标日期应在计划年度（%(year)s年）内") % {"year": self.year}})

    def touched(self) -> Touched:
        return set()


class WarningQuerySet(models.QuerySet["Warning"]):
    def visible_to(self, user: Viewer) -> WarningQuerySet:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")

    def open_on(self, day: date) -> WarningQuerySet:
        return self.filter(open_on_q(day))


def open_on_q(day: date, prefix: str = "") -> Q:
    """Warnings open at the end of ``day``: opened by then and not closed by then."""
    return Q(**{f"{prefix}opened_on__lte": day}) & (
        Q(**{f"{prefix}closed_on__isnull": True}) | Q(**{f"{prefix}closed_on__gt": day}))


def red_on_q(day: date, prefix: str = "") -> Q:
    """Warnings red at the end of ``day``: turned red by then (``red_since``), not back to yellow
    since. (A warning back to yellow counts yellow on the days it was red: its history says.)"""
    return Q(**{f"{prefix}red_since__lte": day})


def colour_on(day: date) -> Case:
    return Case(When(red_on_q(day), then=Value(Colour.RED)), default=Value(Colour.YELLOW),
                output_field=models.CharField())


class Warning(InRegion, models.Model):
    """A warning: one cause (``key``: the plan year, the approval item, the problem, the period,
    the target) of one rule on one project (none for a region's target), with its colour and
    its reason as last written. It stays visible to the city once acknowledged."""

    rule = models.ForeignKey(WarningRule, verbose_name=_("预警规则"), on_delete=models.PROTECT, related_name="warnings")
    kind = models.CharField(_("预警类型"), max_length=20, choices=Kind.choices)
    colour = models.CharField(_("预警等级"), max_length=8, choices=Colour.choices)
    project = models.ForeignKey(Project, verbose_name=_("项目"), null=True, blank=True, on_delete=models.CASCADE,
                                related_name="warnings")
    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="warnings")
    key = models.CharField(_("预警对象"), max_length=64)
    reason = models.CharField(_("预警原因"), max_length=300)
    figures = models.JSONField(_("预警数据"), default=dict, blank=True)
    opened_on = models.DateField(_("发出日期"))
    red_since = models.DateField(_("转为红色日期"), null=True, blank=True,
                                 help_text=_("最近一次转为红色的日期；转回黄色时清空"))
    closed_on = models.DateField(_("解除日期"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, verbose_name=_("确认人"), null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acknowledged_note = models.CharField(_("确认说明"), max_length=300, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    objects = WarningQuerySet.as_manager()
    history = audited()
    _change_reason: str  # set before a bulk write, recorded with it in the history

    scope_paths = {"region": "region", "responsible_unit": "project__responsible_unit", "owner": "project__owner"}

    class Meta:
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        ordering = ["closed_on", "colour", "-opened_on", "-pk"]
        constraints = [models.UniqueConstraint(fields=["rule", "project", "key"], condition=Q(closed_on__isnull=True),
                                               name="warning_one_open_per_cause")]
        indexes = [models.Index(fields=["region", "opened_on"]), models.Index(fields=["project", "closed_on"]),
                   models.Index(fields=["rule", "closed_on"])]

    def __str__(self) -> str:
        return f"[{self.get_colour_display()}] {self.reason}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

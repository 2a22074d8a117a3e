"""Monthly reporting (月报): periods with a filing window, and one progress report per
project per period, drafted by a county clerk (or the owner), reviewed by the city."""

from __future__ import annotations

import calendar
from collections.abc import Collection
from datetime import date
from typing import Any, Self

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import User
from keyprojects.core.audit import audited
from keyprojects.core.versions import InRegion
from keyprojects.projects.models import AnnualPlan, OfProject, Project, money_field
from keyprojects.regions.models import Region


class ReportingPeriod(InRegion, models.Model):
    """A city's month of reports (its projects' figures move with it: ``InRegion``; opening,
    closing or locking it changes none, but a write counts for its city alone)."""

    class State(models.TextChoices):
        OPEN = "open", _("填报中")
        CLOSED = "closed", _("已截止")
        LOCKED = "locked", _("已锁定")

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="periods")
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    month = models.PositiveSmallIntegerField(_("月份"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    opens_on = models.DateField(_("填报开始日期"))
    closes_on = models.DateField(_("填报截止日期"))
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.OPEN)
    locked_at = models.DateTimeField(_("锁定时间"), null=True, blank=True)
    locked_by = models.ForeignKey(User, verbose_name=_("锁定人"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")

    history = audited()

    scope_paths = {"region": "region"}

    class Meta:
        verbose_name = _("填报期")
        verbose_name_plural = _("填报期")
        ordering = ["-year", "-month"]
        constraints = [models.UniqueConstraint(fields=["region", "year", "month"], name="period_unique_month")]

    def __str__(self) -> str:
        return f"{self.region.name} {self.year}年{self.month}月"

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])


class ProgressReport(OfProject, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已报送")
        RETURNED = "returned", _("已退回")
        APPROVED = "approved", _("已审核")

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="reports")
    period = models.ForeignKey(ReportingPeriod, verbose_name=_("填报期"), on_delete=models.PROTECT,
                               related_name="reports")
    completed_month = money_field(_("本月完成投资（万元）"))
    completed_ytd = money_field(_("本年累计完成投资（万元）"))
    completed_since_start = money_field(_("开工累计完成投资（万元）"))
    progress = models.TextField(_("形象进度"), blank=True)
    started = models.BooleanField(_("本年已开复工"), default=False)
    started_on = models.DateField(_("开复工日期"), null=True, blank=True)
    problems = models.TextField(_("存在问题及需协调事项"), blank=True)
    next_steps = models.TextField(_("下步工作计划"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    late = models.BooleanField(_("逾期报送"), default=False)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(User, verbose_name=_("报送人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(User, verbose_name=_("审核人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    return_reason = models.CharField(_("退回原因"), max_length=500, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = audited()
    _change_reason: str  # set before a save, recorded with it by simple-history

    scope_paths = {
        "region": "project__region",
        "responsible_unit": "project__responsible_unit",
        "owner": "project__owner",
    }

    class Meta:
        verbose_name = _("月度进展")
        verbose_name_plural = _("月度进展")
        constraints = [models.UniqueConstraint(fields=["project", "period"], name="report_unique_project_period")]
        # The indicator subquery: a project's approved reports up to a date.
        indexes = [models.Index(fields=["project", "status", "reviewed_at"])]

    def __str__(self) -> str:
        return f"{self.project} {self.period.label}"

    # Version 1 is last month's figures carried over (the filing screen's prefill) and saved by
    # nobody yet; a report created with a filer's figures (the API's POST) starts one later.
    CARRIED_OVER = 1

    @property
    def is_saved_draft(self) -> bool:
        """A draft a filer saved (on the screen or through the API), not an untouched copy."""
        return self.status == self.Status.DRAFT and self.version > self.CARRIED_OVER

    def figures_year(self) -> int | None:
        stored = getattr(self, "_stored_period_id", None)
        return self.period.year if stored in (None, self.period_id) else None  # moved: say every year

    # What was read from the database (see from_db).
    _stored_status: str | None
    _stored_period_id: int | None

    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[Any],
                **kwargs: Any) -> Self:
        report = super().from_db(db, field_names, values, **kwargs)
        # What was stored: a save that takes a report out of "approved" must refresh the roll-up.
        report._stored_status = report.__dict__.get("status")
        report._stored_period_id = report.__dict__.get("period_id")
        return report


class PlanProgress(models.Model):
    """Roll-up of an annual plan's approved reports (its project's reports of the plan year):
    for each month, the approved report's 本月完成, 本年累计 and when it was approved. Any
    figure "as of a date" reads one row per plan instead of searching millions of reports:
    a plan's completed investment as of a date is the 本年累计 of the latest month approved by
    then, and the monthly chart sums the months approved by then.

    Derived data, not a record: rebuilt from the reports by ``progress.refresh`` whenever a
    report is approved, corrected or leaves "approved" (and after bulk writes), so it keeps no
    history of its own. Fields per month MM: ``done_MM``, ``ytd_MM``, ``at_MM`` (NULL: no
    approved report that month)."""

    plan = models.OneToOneField(AnnualPlan, primary_key=True, on_delete=models.CASCADE, related_name="progress")

    MONTHS = range(1, 13)

    def __str__(self) -> str:
        return str(self.plan)


for _month in PlanProgress.MONTHS:
    PlanProgress.add_to_class(f"done_{_month:02d}", money_field(f"{_month}月本月完成投资（万元）", null=True))
    PlanProgress.add_to_class(f"ytd_{_month:02d}", money_field(f"{_month}月本年累计完成投资（万元）", null=True))
    PlanProgress.add_to_class(f"at_{_month:02d}", models.DateTimeField(f"{_month}月月报审核时间", null=True))

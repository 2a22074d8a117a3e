"""Funding rounds (专项债券 · 中央预算内投资 · 省级补助 · 其他): a round a city's commission opens
for a kind of money in a year and batch, its conditions as data, and the applications of the
projects counties propose to it — the commission's screening, the province's approval (imported
from its list), the money issued (下达/发行) and spent, each amount with its date and document.

A project's planned sources (``projects.FundingSource``) say how it means to be paid for; an
application is one request in one round, and what it got. ``SOURCE_OF_KIND`` names the
funding source an application's money belongs to.

Figures count as of a date from the amounts' own dates (``approved_on``, ``issued_on``,
``spent_on``), so a past date gives the same figures whatever was recorded since.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import User
from keyprojects.core.audit import audited
from keyprojects.core.versions import InRegion, Touched
from keyprojects.projects.models import FundingSource, OfProject, Project, money_field
from keyprojects.regions.models import Region, path_codes

if TYPE_CHECKING:
    from keyprojects.core.permissions import Viewer


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day where it has fewer)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- what the figures count as of a date, shared with the application list's filter ---------
def approved_q(day: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}approved_on__lte": day})


def issued_q(day: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}issued_on__lte": day})


def spent_q(day: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}spent_on__lte": day})


def applied_q(day: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}proposed_on__lte": day})


# The project funding source (``projects.FundingSource.Kind``) each round's money is.
SOURCE_OF_KIND = {"special_bonds": FundingSource.Kind.SPECIAL_BOND, "central_budget": FundingSource.Kind.CENTRAL_BUDGET,
                  "provincial_subsidy": FundingSource.Kind.PROVINCIAL_SUBSIDY, "other": FundingSource.Kind.OTHER}


class RoundQuerySet(models.QuerySet["Round"]):
    def visible_to(self, user: Viewer) -> RoundQuerySet:
        """A round is the city's: everyone working in the city (its counties, its departments)
        sees it; what of it they see is their own applications."""
        from keyprojects.core.permissions import scope_of

        scope = scope_of(user, "view")
        if scope.everything:
            return self
        if scope.region is None:
            return self.none()
        return self.filter(Q(region__path__startswith=scope.region.path)
                           | Q(region__code__in=path_codes(scope.region.path)))


class Round(InRegion, models.Model):
    """A funding round (申报批次): a kind of money, a year and batch, a deadline, and the
    conditions the commission screens applications against."""

    class Kind(models.TextChoices):
        SPECIAL_BONDS = "special_bonds", _("专项债券")
        CENTRAL_BUDGET = "central_budget", _("中央预算内投资")
        PROVINCIAL_SUBSIDY = "provincial_subsidy", _("省级补助")
        OTHER = "other", _("其他")

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="funding_rounds")
    kind = models.CharField(_("资金类别"), max_length=20, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    batch = models.CharField(_("批次"), max_length=40)
    deadline = models.DateField(_("申报截止日期"))
    note = models.TextField(_("说明"), blank=True)
    # conditions, as data: each None/False is a condition the round does not set
    approvals_complete = models.BooleanField(_("要求前期手续完备"), default=True)
    min_start_rate_applied = models.DecimalField(
        _("申报时最低开工率（%）"), max_digits=5, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("本县区申报项目中截至申报截止日期已开工项目所占比例"))
    min_start_rate_issued = models.DecimalField(
        _("发行时最低开工率（%）"), max_digits=5, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("本县区已下达资金项目中截至下达日期已开工项目所占比例"))
    start_within_months = models.PositiveSmallIntegerField(
        _("下达后开工时限（月）"), null=True, blank=True, validators=[MaxValueValidator(60)])
    spend_within_months = models.PositiveSmallIntegerField(
        _("资金支出时限（月）"), null=True, blank=True, validators=[MaxValueValidator(60)],
        help_text=_("下达后超过该时限仍未支出完毕的资金予以提示"))
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    objects = RoundQuerySet.as_manager()
    history = audited()

    scope_paths = {"region": "region"}

    class Meta:
        verbose_name = _("资金申报批次")
        verbose_name_plural = _("资金申报批次")
        ordering = ["-year", "kind", "deadline", "pk"]
        constraints = [models.UniqueConstraint(fields=["region", "kind", "year", "batch"], name="round_unique_batch")]

    def __str__(self) -> str:
        return f"{self.year}年{self.get_kind_display()}{self.batch}"

    def clean(self) -> None:
        if self.region_id and self.region.level == Region.Level.PROVINCE:
            raise ValidationError({"region": _("资金申报批次应属于市或县区")})

    def touched(self) -> Touched:
        """The round's region, and the regions of the projects that applied: a county's funding
        figures carry the round's kind, year and name, and are remembered by the county's data
        version, which a write on the city alone would not move."""
        applied = {(region, None) for region in Application.objects.filter(round_id=self.pk).order_by()
                   .values_list("project__region_id", flat=True).distinct()} if self.pk else set()
        return super().touched() | applied


class ApplicationQuerySet(models.QuerySet["Application"]):
    def visible_to(self, user: Viewer) -> ApplicationQuerySet:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")


class Application(OfProject, models.Model):
    """A project's application to a round: proposed by its county with the amount requested,
    screened by the commission, approved by the province, issued and spent."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("已申报")
        RECOMMENDED = "recommended", _("已推荐")
        NOT_RECOMMENDED = "not_recommended", _("未推荐")
        APPROVED = "approved", _("已批复")
        REJECTED = "rejected", _("未获批")

    round = models.ForeignKey(Round, verbose_name=_("批次"), on_delete=models.PROTECT, related_name="applications")
    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.PROTECT,
                                related_name="funding_applications")
    requested = money_field(_("申请金额（万元）"))
    proposed_on = models.DateField(_("申报日期"))
    proposed_by = models.ForeignKey(User, verbose_name=_("申报人"), null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.PROPOSED)
    screening_note = models.CharField(_("筛选意见"), max_length=200, blank=True)
    screened_on = models.DateField(_("筛选日期"), null=True, blank=True)
    approved = money_field(_("批复金额（万元）"), null=True, blank=True)
    approved_on = models.DateField(_("批复日期"), null=True, blank=True)
    approval_number = models.CharField(_("批复文号"), max_length=100, blank=True)
    issued = money_field(_("下达金额（万元）"), null=True, blank=True)
    issued_on = models.DateField(_("下达日期"), null=True, blank=True)
    issue_number = models.CharField(_("下达文号"), max_length=100, blank=True)
    spent = money_field(_("已支出金额（万元）"), null=True, blank=True)
    spent_on = models.DateField(_("支出截至日期"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    objects = ApplicationQuerySet.as_manager()
    history = audited()

    scope_paths = {"region": "project__region", "responsible_unit": "project__responsible_unit",
                   "owner": "project__owner"}

    class Meta:
        verbose_name = _("资金申报项目")
        verbose_name_plural = _("资金申报项目")
        ordering = ["round", "project__region__code", "project__name", "pk"]
        constraints = [models.UniqueConstraint(fields=["round", "project"], name="application_unique_project")]
        indexes = [models.Index(fields=["round", "state"])]

    def __str__(self) -> str:
        return f"{self.round} · {self.project}"

    def clean(self) -> None:
        errors: dict[str, object] = {}
        for amount, on, number, name in (("approved", "approved_on", "approval_number", _("批复")),
                                         ("issued", "issued_on", "issue_number", _("下达")),
                                         ("spent", "spent_on", None, _("支出"))):
            if (getattr(self, amount) is None) != (getattr(self, on) is None):
                errors[on] = _("%(what)s金额和日期应同时填写") % {"what": name}
            if number and getattr(self, number) and getattr(self, amount) is None:
                errors[amount] = _("填写了%(what)s文号，请同时填写%(what)s金额") % {"what": name}
        if self.issued is not None and self.approved is None:
            errors["approved"] = _("下达资金前应先录入批复金额")
        elif self.issued is not None and self.approved is not None and self.issued > self.approved:
            errors["issued"] = _("下达金额（%(issued)s 万元）不能超过批复金额（%(approved)s 万元）") % {
                "issued": self.issued, "approved": self.approved}
        if self.spent is not None and (self.issued is None or self.spent > self.issued):
            errors["spent"] = _("已支出金额不能超过下达金额")
        if self.approved_on and self.proposed_on and self.approved_on < self.proposed_on:
            errors["approved_on"] = _("批复日期不能早于申报日期（%(date)s）") % {"date": self.proposed_on}
        if self.approved_on and self.issued_on and self.issued_on < self.approved_on:
            errors["issued_on"] = _("下达日期不能早于批复日期")
        if self.issued_on and self.spent_on and self.spent_on < self.issued_on:
            errors["spent_on"] = _("支出截至日期不能早于下达日期")
        if self.approved is not None and self.state != self.State.APPROVED:
            errors["state"] = _("录入批复金额的项目应为“已批复”状态")
        if errors:
            raise ValidationError(errors)

    @property
    def unspent(self) -> Decimal | None:
        if self.issued is None:
            return None
        return self.issued - (self.spent or Decimal(0))

    def spend_due(self) -> date | None:
        """The day the issued money should be spent by (the round's period after issuance)."""
        months = self.round.spend_within_months
        return add_months(self.issued_on, months) if self.issued_on and months is not None else None

    def unspent_overdue(self, today: date) -> bool:
        """Issued money not all spent after the period the round allows (a flag, computed)."""
        due = self.spend_due()
        return bool(due is not None and today > due and self.unspent)

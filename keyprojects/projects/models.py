"""The project library (项目库) and each project's annual plan (年度计划).

Money is Decimal in 万元 everywhere; conversion to 亿元 happens only on screen and at import.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Self, TypedDict

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Leader, Unit, User
from keyprojects.core.audit import audited
from keyprojects.core.money import format_wan
from keyprojects.core.versions import InRegion, Label, Touched
from keyprojects.projects.codes import check_division, split, validate_project_code
from keyprojects.regions.models import Region

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from keyprojects.core.permissions import Viewer


class Digits(TypedDict):
    max_digits: int
    decimal_places: int


ZERO = Decimal("0")
MONEY: Digits = {"max_digits": 18, "decimal_places": 4}  # 万元, to the yuan



validate_amount = MinValueValidator(ZERO, _("金额不能为负数"))  # every amount: fields, and the forms' own


def money_field(verbose_name: StrOrPromise, **kwargs: Any) -> models.DecimalField:
    kwargs.setdefault("validators", [validate_amount])
    return models.DecimalField(verbose_name, **MONEY, **kwargs)


class Sector(Label, models.Model):
    """行业领域 (精细化工, 装备制造, 基础设施 …): each commission keeps its own list."""

    name = models.CharField(_("行业领域"), max_length=32, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=100)

    history = audited()

    class Meta:
        verbose_name = _("行业领域")
        verbose_name_plural = _("行业领域")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class ProjectList(Label, models.Model):
    """清单: a named list a project is on (2022年省列重大项目, 专项债券项目 …)."""

    name = models.CharField(_("清单名称"), max_length=64)
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)

    history = audited()  # its memberships: Project.lists (a deleted list's, by core.audit)

    class Meta:
        verbose_name = _("清单")
        verbose_name_plural = _("清单")
        ordering = ["-year", "name"]
        constraints = [models.UniqueConstraint(fields=["name", "year"], name="projectlist_unique_name_year")]

    def __str__(self) -> str:
        return f"{self.year}年{self.name}" if self.year else self.name


class Stage(models.TextChoices):
    PLANNING = "planning", _("谋划储备")
    PREPARATION = "preparation", _("前期")
    CONSTRUCTION = "construction", _("在建")
    COMPLETED = "completed", _("竣工")
    OPERATING = "operating", _("投产")
    SUSPENDED = "suspended", _("停缓建")
    TERMINATED = "terminated", _("终止")


# Which stage may follow which: forward along the life cycle, into and out of a suspension,
# and termination from anywhere before operation.
STAGE_TRANSITIONS: dict[str, set[str]] = {
    Stage.PLANNING: {Stage.PREPARATION, Stage.CONSTRUCTION, Stage.TERMINATED},
    Stage.PREPARATION: {Stage.PLANNING, Stage.CONSTRUCTION, Stage.SUSPENDED, Stage.TERMINATED},
    Stage.CONSTRUCTION: {Stage.COMPLETED, Stage.SUSPENDED, Stage.TERMINATED},
    Stage.COMPLETED: {Stage.OPERATING, Stage.CONSTRUCTION},
    Stage.OPERATING: set(),
    Stage.SUSPENDED: {Stage.PREPARATION, Stage.CONSTRUCTION, Stage.TERMINATED},
    Stage.TERMINATED: set(),
}


class ProjectQuerySet(models.QuerySet["Project"]):
    def visible_to(self, user: Viewer) -> Self:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")



class Project(InRegion, models.Model):
    class Type(models.TextChoices):
        INDUSTRY = "industry", _("产业项目")
        INFRASTRUCTURE = "infrastructure", _("基础设施")
        SOCIAL = "social", _("社会民生")
        ECOLOGY = "ecology", _("生态环保")
        URBAN = "urban", _("城市建设")
        OTHER = "other", _("其他")

    class InvestmentNature(models.TextChoices):
        GOVERNMENT = "government", _("政府投资")
        ENTERPRISE = "enterprise", _("企业投资")

    class Level(models.TextChoices):
        PROVINCIAL_MAJOR = "provincial_major", _("省列重大")
        PROVINCIAL = "provincial", _("省重点")
        CITY = "city", _("市重点")
        COUNTY = "county", _("县重点")

    code = models.CharField(
        _("项目代码"), max_length=24, unique=True, null=True, blank=True, validators=[validate_project_code],
        error_messages={"unique": _("该项目代码已被项目库中的另一个项目使用：一个项目代码只对应一个项目")},
    )
    name = models.CharField(_("项目名称"), max_length=200)
    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="projects")
    address = models.CharField(_("建设地点"), max_length=200, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(Decimal("73")), MaxValueValidator(Decimal("136"))],
    )
    latitude = models.DecimalField(
        _("纬度"), max_digits=8, decimal_places=6, null=True, blank=True,
        validators=[MinValueValidator(Decimal("3")), MaxValueValidator(Decimal("54"))],
    )
    scope = models.TextField(_("建设内容及规模"), blank=True)
    sector = models.ForeignKey(
        Sector, verbose_name=_("行业领域"), null=True, blank=True, on_delete=models.PROTECT, related_name="projects"
    )
    project_type = models.CharField(_("项目类型"), max_length=16, choices=Type.choices, default=Type.INDUSTRY)
    investment_nature = models.CharField(
        _("投资性质"), max_length=16, choices=InvestmentNature.choices, default=InvestmentNature.ENTERPRISE
    )
    level = models.CharField(_("项目级别"), max_length=20, choices=Level.choices, default=Level.CITY)
    lists = models.ManyToManyField(ProjectList, verbose_name=_("所属清单"), blank=True, related_name="projects")
    stage = models.CharField(_("建设阶段"), max_length=16, choices=Stage.choices, default=Stage.PREPARATION)
    owner = models.ForeignKey(
        Unit, verbose_name=_("业主单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="owned_projects"
    )
    responsible_unit = models.ForeignKey(
        Unit, verbose_name=_("责任单位"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="responsible_projects",
    )
    leaders = models.ManyToManyField(Leader, verbose_name=_("包抓领导"), blank=True, related_name="projects")
    facilitator = models.ForeignKey(
        Unit, verbose_name=_("手续代办单位"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="facilitated_projects",
    )
    contact_person = models.CharField(_("联系人"), max_length=32, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    planned_start = models.DateField(_("计划开工日期"), null=True, blank=True)
    actual_start = models.DateField(_("实际开工日期"), null=True, blank=True)
    planned_completion = models.DateField(_("计划竣工日期"), null=True, blank=True)
    actual_completion = models.DateField(_("实际竣工日期"), null=True, blank=True)
    total_investment = money_field(_("总投资（万元）"))
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ProjectQuerySet.as_manager()
    history = audited(m2m_fields=[lists, leaders])

    scope_paths = {"region": "region", "responsible_unit": "responsible_unit", "owner": "owner"}

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        ordering = ["region__code", "name"]
        indexes = [models.Index(fields=["region", "stage"]), models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        if self.region_id and self.region.level == Region.Level.PROVINCE:
            errors["region"] = _("项目应登记在市或县区，不能直接登记在省级区划")
        if self.planned_start and self.planned_completion and self.planned_completion < self.planned_start:
            errors["planned_completion"] = _("计划竣工日期不能早于计划开工日期")
        if self.actual_start and self.actual_completion and self.actual_completion < self.actual_start:
            errors["actual_completion"] = _("实际竣工日期不能早于实际开工日期")
        if self.code and _well_formed(self.code):
            try:
                check_division(self.code)
            except ValidationError as exc:
                errors["code"] = exc.messages[0]
        if errors:
            raise ValidationError(errors)


# A project's history rows are scoped as the project was then (a deleted project's tombstone in
# the changes pull reaches those who could see it).
Project.history.model.scope_paths = Project.scope_paths


def _well_formed(code: str) -> bool:
    try:
        split(code)
    except ValidationError:
        return False
    return True


def validate_funding(total: Decimal, funding: Mapping[str, Decimal | None] | None) -> None:
    """The funding sources of a project together cannot exceed its total investment."""
    if not funding:
        return
    funded = sum((a for a in funding.values() if a), ZERO)
    if funded > total:
        raise ValidationError(
            {"total_investment": _("各项资金来源合计（%(funded)s 万元）超过了总投资（%(total)s 万元）")
             % {"funded": format_wan(funded), "total": format_wan(total)}}
        )


class OfProject:
    """A model whose rows belong to one project: writing one changes the figures of that
    project's region (``core.versions.changed``), of its ``figures_year`` (None: every year's)."""

    project: Project  # the model's field

    def touched(self) -> Touched | None:
        try:
            regions = self.project.touched()
        except ObjectDoesNotExist:  # the project is gone (a delete of it counts its region)
            return None
        return {(region, self.figures_year()) for region, _every_year in regions}

    def figures_year(self) -> int | None:
        return None


class FundingSource(OfProject, models.Model):
    class Kind(models.TextChoices):
        CENTRAL_BUDGET = "central_budget", _("中央预算内投资")
        SPECIAL_BOND = "special_bond", _("地方政府专项债券")
        PROVINCIAL_SUBSIDY = "provincial_subsidy", _("省级补助")
        LOCAL_FISCAL = "local_fiscal", _("市县财政")
        BANK_LOAN = "bank_loan", _("银行贷款")
        SELF_RAISED = "self_raised", _("企业自筹")
        OTHER = "other", _("其他")

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="funding")
    kind = models.CharField(_("资金来源"), max_length=20, choices=Kind.choices)
    amount = money_field(_("金额（万元）"))

    history = audited()

    class Meta:
        verbose_name = _("资金来源")
        verbose_name_plural = _("资金来源")
        ordering = ["project", "kind"]
        constraints = [models.UniqueConstraint(fields=["project", "kind"], name="funding_unique_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class StageTransition(OfProject, models.Model):
    """A dated change of a project's stage (前期 → 在建 on 2022-03-15 …)."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="stage_transitions"
    )
    from_stage = models.CharField(_("原阶段"), max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("新阶段"), max_length=16, choices=Stage.choices)
    date = models.DateField(_("变更日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    history = audited()

    class Meta:
        verbose_name = _("阶段变更")
        verbose_name_plural = _("阶段变更")
        ordering = ["project", "date", "id"]

    def __str__(self) -> str:
        return f"{self.get_from_stage_display()} → {self.get_to_stage_display()} ({self.date})"


class Nature(models.TextChoices):
    """建设性质 in a plan year. 竣工 is a continuing project due to complete this year."""

    NEW = "new", _("新开工")
    CONTINUING = "continuing", _("续建")
    COMPLETING = "completing", _("竣工")


CONTINUING_NATURES = (Nature.CONTINUING, Nature.COMPLETING)
START_WITHOUT_DATE = _("已开复工的项目必须填写开复工日期")  # a plan's start, and a report's


def under_construction(nature: str, started: bool) -> bool:
    """Whether a plan year finds the project being built: started (or resumed) this year, or
    continuing from an earlier one. Where nobody is asked (the ledger import, the demo), it
    gives a newly registered project its stage (在建, else 前期) and a new plan its batch
    (开工建设一批, else 前期推进一批); the project and plan forms let a person choose both."""
    return started or nature != Nature.NEW


class Batch(models.TextChoices):
    """三个一批."""

    CONSTRUCTION = "construction", _("开工建设一批")
    PREPARATION = "preparation", _("前期推进一批")
    RESERVE = "reserve", _("谋划储备一批")


class AnnualPlanQuerySet(models.QuerySet["AnnualPlan"]):
    def visible_to(self, user: Viewer) -> Self:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")


class AnnualPlan(OfProject, models.Model):
    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="plans")
    year = models.PositiveSmallIntegerField(
        _("计划年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    nature = models.CharField(_("建设性质"), max_length=16, choices=Nature.choices)
    planned_investment = money_field(_("年度计划投资（万元）"))
    prior_completed = money_field(_("截至上年底累计完成投资（万元）"), default=ZERO)
    planned_start_month = models.PositiveSmallIntegerField(
        _("计划开工月份"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    batch = models.CharField(_("三个一批"), max_length=16, choices=Batch.choices, blank=True)
    started = models.BooleanField(_("本年已开复工"), default=False)
    started_on = models.DateField(_("开复工日期"), null=True, blank=True)
    # A ledger that says "已开工" without a date: the start is recorded as its as-of date (started
    # then or before), so figures as of that date count it, and this says the day is not known.
    annual_task = models.TextField(_("年度建设任务"), blank=True)
    start_date_unknown = models.BooleanField(
        _("开复工日期未填"), default=False, editable=False,
        help_text=_("台账只写明已开复工：开复工日期记为台账统计日期，实际在此之前"))
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    objects = AnnualPlanQuerySet.as_manager()
    history = audited()
    _change_reason: str  # set before a save, recorded with it by simple-history

    scope_paths = {
        "region": "project__region",
        "responsible_unit": "project__responsible_unit",
        "owner": "project__owner",
    }

    class Meta:
        verbose_name = _("年度计划")
        verbose_name_plural = _("年度计划")
        ordering = ["-year", "project"]
        constraints = [models.UniqueConstraint(fields=["project", "year"], name="plan_unique_project_year")]
        indexes = [models.Index(fields=["year", "nature", "started"])]

    def __str__(self) -> str:
        return f"{self.year} {self.project}"

    @property
    def is_new(self) -> bool:
        return self.nature == Nature.NEW

    _stored_year: int | None  # the year as read: see figures_year

    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[Any],
                **kwargs: Any) -> Self:
        plan = super().from_db(db, field_names, values, **kwargs)
        plan._stored_year = plan.__dict__.get("year")
        return plan

    def figures_year(self) -> int | None:
        stored = getattr(self, "_stored_year", None)
        return self.year if stored in (None, self.year) else None  # moved to another year: say every year

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        if self.started and not self.started_on:
            errors["started_on"] = START_WITHOUT_DATE
        if self.started_on and not self.started:
            errors["started"] = _("填写了开复工日期，请同时勾选“本年已开复工”")
        if self.started_on and self.year and self.started_on.year != self.year:
            errors["started_on"] = _("开复工日期应在计划年度（%(year)s年）内") % {"year": self.year}
        project = getattr(self, "project", None)  # also a project not saved yet (an import)
        if project is not None and self.planned_investment is not None and self.prior_completed is not None:
            remaining = (project.total_investment or ZERO) - self.prior_completed
            if self.prior_completed > (project.total_investment or ZERO):
                errors["prior_completed"] = _("截至上年底累计完成投资不能超过总投资（%(total)s 万元）") % {
                    "total": format_wan(project.total_investment)
                }
            elif self.planned_investment > remaining:
                errors["planned_investment"] = _(
                    "年度计划投资（%(plan)s 万元）超过了剩余投资（总投资 %(total)s 万元 − 截至上年底已完成 %(done)s 万元 = %(remaining)s 万元）"
                ) % {
                    "plan": format_wan(self.planned_investment),
                    "total": format_wan(project.total_investment),
                    "done": format_wan(self.prior_completed),
                    "remaining": format_wan(remaining),
                }
        if errors:
            raise ValidationError(errors)


class PlanQuarter(models.Model):
    """A quarter of a plan's investment roadmap (投资路线图): the work to be done by the end of
    the quarter and the investment expected by then, cumulative over the plan year (a ledger
    that gives each quarter's own amount is summed at import)."""

    plan = models.ForeignKey(AnnualPlan, verbose_name=_("年度计划"), on_delete=models.CASCADE, related_name="quarters")
    quarter = models.PositiveSmallIntegerField(_("季度"), validators=[MinValueValidator(1), MaxValueValidator(4)])
    work = models.TextField(_("工作内容及形象进度"), blank=True)
    expected_investment = money_field(_("季末累计计划投资（万元）"), null=True, blank=True)

    history = audited()

    class Meta:
        verbose_name = _("季度路线图")
        verbose_name_plural = _("季度路线图")
        ordering = ["plan", "quarter"]
        constraints = [models.UniqueConstraint(fields=["plan", "quarter"], name="quarter_unique_plan_quarter")]

    def __str__(self) -> str:
        return f"{self.plan} {self.quarter}季度"

    def touched(self) -> Touched | None:
        return self.plan.touched()


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def quarter_target(plan: AnnualPlan, as_of: date) -> Decimal | None:
    """The investment the plan's roadmap expects done (this year, cumulative) by the end of the
    quarter ``as_of`` falls in — the latest quarter up to it that states an amount; None when
    the roadmap states none (or ``as_of`` is before the plan year). A date after the plan year
    is held to the year's last quarter."""
    if as_of.year < plan.year:
        return None
    last = quarter_of(as_of) if as_of.year == plan.year else 4
    amounts = [q.expected_investment for q in sorted(plan.quarters.all(), key=lambda q: q.quarter)
               if q.quarter <= last and q.expected_investment is not None]
    return amounts[-1] if amounts else None

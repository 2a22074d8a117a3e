"""Investment attraction (招商引资) and the leaders' "1+1托4" packages.

An event (招商活动: a visit out or in, a fair, an online meeting) produces leads. A lead (招商项目)
is an investor's project followed by a unit and a leader through dated stages (``LeadStage``, the
history): 线索 → 洽谈 → 意向 → 框架协议 → 正式签约 → 落地 → 投产, or it dies with a reason. Each
agreement (意向协议, 框架协议, 正式合同) is a row with its date and amount; funds in place
(到位资金) are reported by period. Landing registers the project in the library (``project``,
one project, linked both ways), so a landed project is counted once in each place.

A package (包抓 "1+1托4") is a leader and a lead department (with the departments helping) holding
four kinds of items: projects under construction, pre-construction projects, key enterprises
served and attraction leads. Packages live here rather than in an app of their own: one of their
four kinds is this app's leads, and the other three are plain links to rows that exist already.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Leader, Unit, User
from keyprojects.core.audit import audited
from keyprojects.core.versions import InRegion, Touched
from keyprojects.projects.models import Project, money_field
from keyprojects.regions.models import Region

if TYPE_CHECKING:
    from keyprojects.core.permissions import Viewer


class Scoped(models.QuerySet):
    def visible_to(self, user: Viewer) -> Scoped:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")


class Event(InRegion, models.Model):
    """A 招商活动: who went where (or who came), when, with which leader and units."""

    class Kind(models.TextChoices):
        VISIT_OUT = "visit_out", _("走出去")
        VISIT_IN = "visit_in", _("请进来")
        FAIR = "fair", _("展会（兰洽会、进博会等）")
        ONLINE = "online", _("网上招商")
        OTHER = "other", _("其他")

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="attraction_events")
    kind = models.CharField(_("活动类型"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("活动名称"), max_length=200)
    date = models.DateField(_("活动日期"))
    place = models.CharField(_("地点"), max_length=100, blank=True)
    leader = models.ForeignKey(Leader, verbose_name=_("带队领导"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="attraction_events")
    unit = models.ForeignKey(Unit, verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="organized_events")
    units = models.ManyToManyField(Unit, verbose_name=_("参加单位"), blank=True, related_name="attended_events")
    note = models.TextField(_("活动成效"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    objects = Scoped.as_manager()
    history = audited(m2m_fields=[units])

    # the region's users, the organizing unit's (a department clerk), the units taking part (to see it)
    scope_paths = {"region": "region", "responsible_unit": "unit", "unit": "unit", "units": {"view": ("units",)}}

    class Meta:
        verbose_name = _("招商活动")
        verbose_name_plural = _("招商活动")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["region", "date"])]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.title}"


class Stage(models.TextChoices):
    CLUE = "clue", _("线索")
    TALKS = "talks", _("洽谈")
    INTENTION = "intention", _("意向")
    FRAMEWORK = "framework", _("框架协议")
    SIGNED = "signed", _("正式签约")
    LANDED = "landed", _("落地")
    OPERATING = "operating", _("投产")
    DEAD = "dead", _("终止")


ORDER = [Stage.CLUE, Stage.TALKS, Stage.INTENTION, Stage.FRAMEWORK, Stage.SIGNED, Stage.LANDED, Stage.OPERATING]


class Origin(models.TextChoices):
    OUT_OF_PROVINCE = "province", _("省外")
    OUT_OF_CITY = "city", _("省内市外")
    LOCAL = "local", _("本地")


class Lead(InRegion, models.Model):
    """A 招商项目 from first word to operation. The dates of the stages it reached are kept on it
    (what the figures count); ``LeadStage`` rows are their dated history."""

    region = models.ForeignKey(Region, verbose_name=_("落地区划"), on_delete=models.PROTECT, related_name="attraction_leads")
    name = models.CharField(_("项目名称"), max_length=200)
    investor = models.CharField(_("投资方"), max_length=200)
    origin = models.CharField(_("投资方来源"), max_length=16, choices=Origin.choices)
    investor_place = models.CharField(_("投资方所在地"), max_length=60, blank=True)
    industry = models.CharField(_("产业"), max_length=40)
    chain = models.CharField(_("产业链"), max_length=40, blank=True)
    amount = money_field(_("计划投资（万元）"))
    event = models.ForeignKey(Event, verbose_name=_("来源活动"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="leads")
    unit = models.ForeignKey(Unit, verbose_name=_("跟进单位"), on_delete=models.PROTECT, related_name="attraction_leads")
    leader = models.ForeignKey(Leader, verbose_name=_("包抓领导"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="attraction_leads")
    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices, default=Stage.CLUE)
    found_on = models.DateField(_("获取线索日期"))
    talks_on = models.DateField(_("洽谈日期"), null=True, blank=True)
    intention_on = models.DateField(_("达成意向日期"), null=True, blank=True)
    framework_on = models.DateField(_("签订框架协议日期"), null=True, blank=True)
    signed_on = models.DateField(_("正式签约日期"), null=True, blank=True)
    registered_on = models.DateField(_("注册日期"), null=True, blank=True)
    land_on = models.DateField(_("供地日期"), null=True, blank=True)
    landed_on = models.DateField(_("落地日期"), null=True, blank=True)
    started_on = models.DateField(_("开工日期"), null=True, blank=True)
    operating_on = models.DateField(_("投产日期"), null=True, blank=True)
    died_on = models.DateField(_("终止日期"), null=True, blank=True)
    death_reason = models.CharField(_("终止原因"), max_length=200, blank=True)
    project = models.OneToOneField(Project, verbose_name=_("入库项目"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="attraction_lead")
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    objects = Scoped.as_manager()
    history = audited()

    # the region's users; a department clerk the leads their unit follows
    scope_paths = {"region": "region", "responsible_unit": "unit", "unit": "unit"}

    class Meta:
        verbose_name = _("招商项目")
        verbose_name_plural = _("招商项目")
        ordering = ["region__code", "-found_on", "pk"]
        indexes = [models.Index(fields=["region", "stage"]), models.Index(fields=["unit"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.stage == Stage.DEAD and not self.death_reason.strip():
            raise ValidationError({"death_reason": _("终止的招商项目应写明终止原因")})
        if self.region_id and self.region.level == Region.Level.PROVINCE:
            raise ValidationError({"region": _("招商项目应落在市或县区，不能直接落在省级区划")})

    @property
    def alive(self) -> bool:
        return self.stage != Stage.DEAD

    def next_stages(self) -> list[Stage]:
        """The stages a plain stage change may move it to: forward up to 正式签约; 落地 is the
        landing's (it registers the project), 投产 follows 落地."""
        if self.stage == Stage.LANDED:
            return [Stage.OPERATING]
        if self.stage in (Stage.DEAD, Stage.OPERATING, Stage.SIGNED):
            return []
        return ORDER[ORDER.index(Stage(self.stage)) + 1:ORDER.index(Stage.LANDED)]


class LeadStage(models.Model):
    """A dated stage change of a lead (its timeline)."""

    lead = models.ForeignKey(Lead, verbose_name=_("招商项目"), on_delete=models.CASCADE, related_name="stages")
    from_stage = models.CharField(_("原阶段"), max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("新阶段"), max_length=16, choices=Stage.choices)
    date = models.DateField(_("日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(User, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    objects = Scoped.as_manager()
    history = audited()

    scope_paths = {"region": "lead__region", "responsible_unit": "lead__unit", "unit": "lead__unit"}

    class Meta:
        verbose_name = _("招商项目阶段变更")
        verbose_name_plural = _("招商项目阶段变更")
        ordering = ["lead", "date", "pk"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_to_stage_display()}"

    def touched(self) -> Touched:
        return {(self.lead.region_id, None)}


class Agreement(models.Model):
    """An agreement signed for a lead: one of each kind (a supplement changes it)."""

    class Kind(models.TextChoices):
        INTENTION = "intention", _("意向协议")
        FRAMEWORK = "framework", _("框架协议")
        CONTRACT = "contract", _("正式合同")

    lead = models.ForeignKey(Lead, verbose_name=_("招商项目"), on_delete=models.CASCADE, related_name="agreements")
    kind = models.CharField(_("协议类型"), max_length=16, choices=Kind.choices)
    signed_on = models.DateField(_("签订日期"))
    amount = money_field(_("协议金额（万元）"))

    objects = Scoped.as_manager()
    history = audited()

    scope_paths = {"region": "lead__region", "responsible_unit": "lead__unit", "unit": "lead__unit"}

    class Meta:
        verbose_name = _("招商协议")
        verbose_name_plural = _("招商协议")
        ordering = ["lead", "signed_on", "pk"]
        constraints = [models.UniqueConstraint(fields=["lead", "kind"], name="agreement_one_of_each_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.signed_on:%Y-%m-%d}"

    def touched(self) -> Touched:
        return {(self.lead.region_id, None)}


class FundsReport(models.Model):
    """Funds in place (到位资金) of a lead in a month, reported by a unit; 省外到位资金 the part
    from outside the province."""

    lead = models.ForeignKey(Lead, verbose_name=_("招商项目"), on_delete=models.CASCADE, related_name="funds")
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"), validators=[MinValueValidator(1)])
    amount = money_field(_("到位资金（万元）"))
    out_of_province = money_field(_("其中省外到位资金（万元）"), default=0)
    unit = models.ForeignKey(Unit, verbose_name=_("填报单位"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")

    objects = Scoped.as_manager()
    history = audited()

    scope_paths = {"region": "lead__region", "responsible_unit": "lead__unit", "unit": "lead__unit"}

    class Meta:
        verbose_name = _("到位资金")
        verbose_name_plural = _("到位资金")
        ordering = ["lead", "year", "month"]
        constraints = [models.UniqueConstraint(fields=["lead", "year", "month"], name="funds_one_per_month")]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.amount}"

    def clean(self) -> None:
        if self.month and self.month > 12:
            raise ValidationError({"month": _("月份应为 1—12")})
        if self.amount is not None and self.out_of_province is not None and self.out_of_province > self.amount:
            raise ValidationError({"out_of_province": _("省外到位资金不能超过到位资金")})

    def touched(self) -> Touched:
        return {(self.lead.region_id, None)}


# --- what the figures count, shared with the ledger's filter (a figure and its list agree) -------
def agreement_q(kind: str, start: date, end: date, prefix: str = "") -> Q:
    """An agreement of ``kind`` signed between the two dates (both included)."""
    return Q(**{f"{prefix}kind": kind, f"{prefix}signed_on__gte": start, f"{prefix}signed_on__lte": end})


def counted_signing_q(start: date, end: date) -> Q:
    """The agreements the signed amount (签约金额) adds up: formal contracts signed in the period,
    and framework agreements signed in it for leads with no formal contract in it (a project that
    signed both in one period counts once, at its contract)."""
    contract = Agreement.objects.filter(agreement_q(Agreement.Kind.CONTRACT, start, end), lead=OuterRef("lead"))
    return agreement_q(Agreement.Kind.CONTRACT, start, end) | (
        agreement_q(Agreement.Kind.FRAMEWORK, start, end) & Q(~Exists(contract)))


def reached_q(field: str, start: date | None, end: date, prefix: str = "") -> Q:
    """A lead that reached a stage (its date ``field``) by ``end`` (and on or after ``start``)."""
    condition = Q(**{f"{prefix}{field}__lte": end})
    return condition & Q(**{f"{prefix}{field}__gte": start}) if start else condition


# --- packages (包抓 "1+1托4") ------------------------------------------------------------------
class Package(InRegion, models.Model):
    """A leader and a lead department (and the departments helping them) with what they push."""

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="packages")
    year = models.PositiveSmallIntegerField(_("年度"))
    leader = models.ForeignKey(Leader, verbose_name=_("包抓领导"), on_delete=models.PROTECT, related_name="packages")
    lead_unit = models.ForeignKey(Unit, verbose_name=_("牵头部门"), on_delete=models.PROTECT, related_name="led_packages")
    units = models.ManyToManyField(Unit, verbose_name=_("配合部门"), blank=True, related_name="helped_packages")
    # moved by every change of the package or its items, so that two admins editing it at once
    # are told rather than one silently undoing the other
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    objects = Scoped.as_manager()
    history = audited(m2m_fields=[units])

    scope_paths = {"region": "region", "responsible_unit": "lead_unit", "unit": "lead_unit",
                   "units": {"view": ("units",)}}

    class Meta:
        verbose_name = _("包抓责任组")
        verbose_name_plural = _("包抓责任组")
        ordering = ["region__code", "year", "leader__order", "pk"]
        constraints = [models.UniqueConstraint(fields=["year", "leader"], name="package_one_per_leader_year")]

    def __str__(self) -> str:
        return f"{self.leader.name}（{self.lead_unit.name}）"


class PackageItem(models.Model):
    class Kind(models.TextChoices):
        PROJECT = "project", _("推进建设项目")
        PREWORK = "prework", _("推进项目前期")
        ENTERPRISE = "enterprise", _("服务重点企业")
        LEAD = "lead", _("招引产业项目")

    package = models.ForeignKey(Package, verbose_name=_("包抓责任组"), on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    project = models.ForeignKey(Project, verbose_name=_("项目"), null=True, blank=True, on_delete=models.CASCADE,
                                related_name="package_items")
    enterprise = models.ForeignKey(Unit, verbose_name=_("企业"), null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="package_items")
    lead = models.ForeignKey(Lead, verbose_name=_("招商项目"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="package_items")

    objects = Scoped.as_manager()
    history = audited()

    scope_paths = {"region": "package__region", "responsible_unit": "package__lead_unit",
                   "unit": "package__lead_unit", "units": {"view": ("package__units",)}}

    class Meta:
        verbose_name = _("包抓事项")
        verbose_name_plural = _("包抓事项")
        ordering = ["package", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["package", "kind", "project"], name="package_item_unique_project"),
            models.UniqueConstraint(fields=["package", "enterprise"], name="package_item_unique_enterprise"),
            models.UniqueConstraint(fields=["package", "lead"], name="package_item_unique_lead"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.target}"

    @property
    def target(self) -> object:
        return self.project or self.enterprise or self.lead

    def clean(self) -> None:
        wanted = {self.Kind.PROJECT: "project", self.Kind.PREWORK: "project", self.Kind.ENTERPRISE: "enterprise",
                  self.Kind.LEAD: "lead"}.get(self.Kind(self.kind)) if self.kind in self.Kind.values else None
        given = [name for name in ("project", "enterprise", "lead") if getattr(self, f"{name}_id")]
        if wanted is None or given != [wanted]:
            raise ValidationError({wanted or "kind": _("请选择与类别相符的一项（项目、企业或招商项目）")})
        if self.enterprise is not None and self.enterprise.kind != Unit.Kind.ENTERPRISE:
            raise ValidationError({"enterprise": _("“%(unit)s”不是企业") % {"unit": self.enterprise}})

    def touched(self) -> Touched:
        return {(self.package.region_id, None)}

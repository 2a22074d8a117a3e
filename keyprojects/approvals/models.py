"""Pre-construction approvals (前期手续): a city's catalogue of approval items as data, and each
project's items scheduled backwards from its target start date (倒排工期).

A catalogue item says who issues it, how many working days it typically takes, which items must
be obtained before it (serial when it names one, parallel when two items name the same one) and
how long it stays valid. A project's schedule (``ApprovalSchedule``) holds its approval path and
target start; its items (``ProjectApproval``) carry the planned date the backward schedule gave
them, and the actual date, 批复文号 and document once obtained. The planned dates are written
only when the user (re)schedules: a catalogue change never moves them by itself.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Unit, User
from keyprojects.core.audit import audited
from keyprojects.core.versions import Touched
from keyprojects.core.workdays import add_months
from keyprojects.projects.models import OfProject, Project, money_field
from keyprojects.regions.models import Region

if TYPE_CHECKING:
    from keyprojects.core.permissions import Viewer


class Path(models.TextChoices):
    """How a project is admitted (项目管理方式): government investment is approved (审批制),
    enterprise investment ratified (核准制, the items in the 核准目录) or filed (备案制)."""

    APPROVAL = "approval", _("审批制")
    RATIFICATION = "ratification", _("核准制")
    FILING = "filing", _("备案制")


def default_path(project: Project) -> str:
    return Path.APPROVAL if project.investment_nature == Project.InvestmentNature.GOVERNMENT else Path.FILING


class ApprovalItemQuerySet(models.QuerySet["ApprovalItem"]):
    def visible_to(self, user: Viewer) -> ApprovalItemQuerySet:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")


class ApprovalItem(models.Model):
    """An item of a city's approval catalogue (前期手续目录). Which projects need it: those on one
    of its ``paths`` (none: every path), of one of its ``project_types`` (none: every type) and of
    at least ``min_investment`` 万元 (none: any size)."""

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT,
                               related_name="approval_items")
    code = models.SlugField(_("代码"), max_length=32)
    name = models.CharField(_("事项名称"), max_length=64)
    issuer_name = models.CharField(_("审批部门"), max_length=64)
    issuer = models.ForeignKey(Unit, verbose_name=_("审批单位"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="approval_items", help_text=_("本市对应的单位；其填报员确认本单位办结的事项"))
    duration = models.PositiveSmallIntegerField(_("办理时限（工作日）"),
                                                validators=[MinValueValidator(1), MaxValueValidator(500)])
    depends_on = models.ManyToManyField("self", verbose_name=_("前置事项"), symmetrical=False, blank=True,
                                        related_name="dependents")
    validity_months = models.PositiveSmallIntegerField(_("有效期（月）"), null=True, blank=True,
                                                       validators=[MinValueValidator(1), MaxValueValidator(120)],
                                                       help_text=_("取得后未开工即失效的期限，如施工许可证3个月"))
    paths = models.JSONField(_("适用管理方式"), default=list, blank=True)
    project_types = models.JSONField(_("适用项目类型"), default=list, blank=True)
    min_investment = money_field(_("适用最低总投资"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=100)
    active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ApprovalItemQuerySet.as_manager()
    history = audited(m2m_fields=[depends_on])

    scope_paths = {"region": "region"}

    class Meta:
        verbose_name = _("前期手续事项")
        verbose_name_plural = _("前期手续目录")
        ordering = ["region", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["region", "code"], name="approval_item_code_unique")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = set(self.paths or []) - set(Path.values)
        if unknown:
            raise ValidationError({"paths": _("未知的管理方式：%(paths)s") % {"paths": "、".join(sorted(unknown))}})
        types = set(self.project_types or []) - set(Project.Type.values)
        if types:
            raise ValidationError({"project_types": _("未知的项目类型：%(types)s") % {"types": "、".join(sorted(types))}})

    def applies_to(self, project: Project, path: str) -> bool:
        return (self.active and (not self.paths or path in self.paths)
                and (not self.project_types or project.project_type in self.project_types)
                and (self.min_investment is None or project.total_investment >= self.min_investment))

    def touched(self) -> Touched:
        return set()  # the catalogue feeds no figure until a project is (re)scheduled from it


class ScheduleQuerySet(models.QuerySet["ApprovalSchedule"]):
    def visible_to(self, user: Viewer) -> ScheduleQuerySet:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")


class ApprovalSchedule(OfProject, models.Model):
    """A project's approvals as planned: its path, the target start date the items are scheduled
    back from, and the unit helping the owner through them (帮办)."""

    project = models.OneToOneField(Project, verbose_name=_("项目"), on_delete=models.CASCADE,
                                   related_name="approval_schedule")
    path = models.CharField(_("管理方式"), max_length=16, choices=Path.choices)
    target_start = models.DateField(_("目标开工日期"))
    helper = models.ForeignKey(Unit, verbose_name=_("帮办单位"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="approvals_helped")
    scheduled_at = models.DateTimeField(_("倒排时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    objects = ScheduleQuerySet.as_manager()
    history = audited()

    scope_paths = {"region": "project__region", "responsible_unit": "project__responsible_unit",
                   "owner": "project__owner", "units": {"view": ("helper",), "edit": ("helper",)}}

    class Meta:
        verbose_name = _("前期手续倒排计划")
        verbose_name_plural = _("前期手续倒排计划")

    def __str__(self) -> str:
        return f"{self.project} {self.target_start:%Y-%m-%d}"


class ProjectApprovalQuerySet(models.QuerySet["ProjectApproval"]):
    def visible_to(self, user: Viewer) -> ProjectApprovalQuerySet:
        from keyprojects.core.permissions import restrict, scope_of

        scope = scope_of(user, "view")
        if scope.via == "region" and scope.region is not None and scope.unit_id is not None \
                and not issues_beyond(scope.unit_id, scope.region):
            # The unit's items lie in the region anyway: the region alone, not "region OR issuer",
            # an OR across tables the database answers only by reading every item (0.2 s a query).
            return self.filter(project__region__path__startswith=scope.region.path)
        return restrict(self, user, "view")

    def required(self) -> ProjectApprovalQuerySet:
        return self.filter(required=True)


def issues_beyond(unit_id: int, region: Region) -> bool:
    """Whether items issued by the unit may lie outside ``region``. An item's issuer is its
    catalogue entry's at the time it was added, and its project lies in that catalogue's region:
    so only the catalogues that ever named the unit (their history, a few hundred rows) matter."""
    regions = ApprovalItem.history.filter(issuer_id=unit_id).values_list("region__path", flat=True).distinct()
    return any(not (path or "").startswith(region.path) for path in regions)


def obtained_q(day: date | None = None, prefix: str = "") -> Q:
    """Items obtained (办结) by the end of ``day`` (None: ever)."""
    if day is None:
        return Q(**{f"{prefix}obtained_on__isnull": False})
    return Q(**{f"{prefix}obtained_on__lte": day})


def late_q(day: date, prefix: str = "") -> Q:
    """Required items not obtained by ``day`` whose planned date has passed (逾期未办结)."""
    return (Q(**{f"{prefix}required": True, f"{prefix}planned_on__lt": day})
            & ~obtained_q(day, prefix))


class ProjectApproval(OfProject, models.Model):
    """One approval item of one project: planned (倒排), then obtained with its number and
    document. The issuing unit's users see and confirm it whatever their role scope; they see
    no other item of the project."""

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="approvals")
    item = models.ForeignKey(ApprovalItem, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="uses")
    issuer = models.ForeignKey(Unit, verbose_name=_("审批单位"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="approvals_issued")
    required = models.BooleanField(_("需办理"), default=True)
    reason = models.CharField(_("调整理由"), max_length=200, blank=True,
                              help_text=_("免办或按目录以外增加时说明理由"))
    planned_on = models.DateField(_("计划办结日期"), null=True, blank=True)
    planned_from = models.DateField(_("计划启动日期"), null=True, blank=True)
    critical = models.BooleanField(_("关键路径"), default=False)
    obtained_on = models.DateField(_("实际办结日期"), null=True, blank=True)
    number = models.CharField(_("批复文号"), max_length=100, blank=True)
    document = models.FileField(_("批复文件"), upload_to="approvals/%Y/%m/", max_length=255, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("部门确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(User, verbose_name=_("确认人"), null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    note = models.CharField(_("备注"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ProjectApprovalQuerySet.as_manager()
    history = audited()

    # The issuing unit reaches the items it issues (to confirm them), not the project's others.
    scope_paths = {"region": "project__region", "responsible_unit": "project__responsible_unit",
                   "owner": "project__owner", "units": {"view": ("issuer",), "edit": ("issuer",)}}

    class Meta:
        verbose_name = _("项目前期手续")
        verbose_name_plural = _("项目前期手续")
        ordering = ["project", "planned_on", "item__order", "pk"]
        constraints = [models.UniqueConstraint(fields=["project", "item"], name="project_approval_unique")]
        indexes = [models.Index(fields=["required", "obtained_on", "planned_on"]),
                   models.Index(fields=["issuer", "obtained_on"])]

    def __str__(self) -> str:
        return f"{self.project} · {self.item}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if not self.required and not self.reason.strip():
            errors["reason"] = _("免办的事项请说明理由")
        if self.number and not self.obtained_on:
            errors["obtained_on"] = _("填写了批复文号，请同时填写实际办结日期")
        if self.obtained_on and self.obtained_on > timezone.localdate():
            errors["obtained_on"] = _("实际办结日期不能晚于今天")
        if errors:
            raise ValidationError(errors)

    def lapses_on(self) -> date | None:
        """The day the item lapses if works have not started (its validity from the day obtained)."""
        months = self.item.validity_months
        return add_months(self.obtained_on, months) if self.obtained_on and months else None

    def document_filename(self) -> str:
        """The name a download of the document gets (page and API alike): project_item.ext."""
        return f"{self.project.name}_{self.item.name}.{str(self.document.name).rsplit('.', 1)[-1]}"


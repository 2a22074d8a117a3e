"""Briefings (简报): the periodic bulletin of a region's key projects, written from the figures.

A briefing is generated as a draft from the figure door (``content.build``: a JSON snapshot of
every number it prints), its free text edited (下一步工作, the editor's note, the headline), then
approved and published. Publishing numbers it (第N期 per region, kind and year) and stores the
.docx and .pdf rendered from the snapshot, so a published issue stays as published when a report
is corrected later. A region may replace the Word template with its own (``BriefingTemplate``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import User
from keyprojects.core.audit import audited
from keyprojects.regions.models import Region

if TYPE_CHECKING:
    from keyprojects.core.permissions import Viewer


class BriefingQuerySet(models.QuerySet):
    def visible_to(self, user: Viewer) -> BriefingQuerySet:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")

    def readable_by(self, user: Viewer) -> BriefingQuerySet:
        """What a user may open, on the pages and in the API alike: the published issues of the
        regions they view, and every state of those they manage (a city admin's region)."""
        visible = self.visible_to(user)
        if user.is_superuser or getattr(user, "role", "") == "city_admin":
            return visible
        return visible.filter(state=Briefing.State.PUBLISHED)


class Briefing(models.Model):
    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("月报")
        HALF_MONTH = "half-month", _("半月报")
        TEN_DAY = "ten-day", _("旬报")

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        APPROVED = "approved", _("已审核")
        PUBLISHED = "published", _("已发布")

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="briefings")
    year = models.PositiveSmallIntegerField(_("计划年度"))
    as_of = models.DateField(_("统计截止日期"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.MONTHLY)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.DRAFT)
    number = models.PositiveIntegerField(_("期号"), null=True, blank=True, editable=False)
    headline = models.TextField(_("导语"), help_text=_("由数据生成，可修改"))
    next_steps = models.TextField(_("下一步工作"), blank=True)
    editor_note = models.TextField(_("编者按"), blank=True)
    content = models.JSONField(_("数据快照"), default=dict, editable=False)
    docx = models.FileField(_("Word 文件"), upload_to="briefings/%Y/", max_length=255, blank=True, editable=False)
    pdf = models.FileField(_("PDF 文件"), upload_to="briefings/%Y/", max_length=255, blank=True, editable=False)
    generated_by = models.ForeignKey(User, verbose_name=_("生成人"), null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    generated_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    approved_by = models.ForeignKey(User, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    published_by = models.ForeignKey(User, verbose_name=_("发布人"), null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    objects = BriefingQuerySet.as_manager()
    history = audited(excluded_fields=["content"])  # the snapshot is large; its changes are the generation's

    scope_paths = {"region": "region"}

    class Meta:
        verbose_name = _("简报")
        verbose_name_plural = _("简报")
        ordering = ["-as_of", "-pk"]
        constraints = [
            # 第N期 once per region, kind and year: the backstop of the numbering in services.publish
            models.UniqueConstraint(fields=["region", "kind", "year", "number"], name="briefing_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.issue_label}）"

    @property
    def title(self) -> str:
        return f"{self.region.name}重点项目建设工作简报"

    @property
    def issue_label(self) -> str:
        if self.number is not None:
            return f"{self.year}年第{self.number}期"
        return f"{self.get_state_display()}·截至{self.as_of:%Y-%m-%d}"

    @property
    def file_stem(self) -> str:
        label = f"{self.year}年第{self.number}期" if self.number else f"截至{self.as_of:%Y%m%d}"
        return f"{self.region.name}重点项目{self.get_kind_display()}（{label}）"


class BriefingTemplate(models.Model):
    """A region's own Word template (docxtpl), replacing the default one for its briefings."""

    region = models.OneToOneField(Region, verbose_name=_("区划"), on_delete=models.PROTECT,
                                  related_name="briefing_template")
    file = models.FileField(_("Word 模板"), upload_to="briefings/templates/", max_length=255)
    uploaded_by = models.ForeignKey(User, verbose_name=_("上传人"), null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    history = audited()

    scope_paths = {"region": "region"}

    class Meta:
        verbose_name = _("简报模板")
        verbose_name_plural = _("简报模板")

    def __str__(self) -> str:
        return f"{self.region.name}简报模板"

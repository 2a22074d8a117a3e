"""The provincial exchange (省平台对接): each province's reporting profile, kept as data, and the
lists the province sends back.

A ``Profile`` is what a province's platform asks for — its columns (order, headers, unit per
amount column), its code lists (our stage, nature, level, batch in the province's words) and which
projects it wants (levels, lists, a minimum total investment). Profiles ship as versioned JSON
files (``profiles/*.json``) loaded by ``keyprojects exchange load``; a second province is a file,
not code. A ``Return`` is one list the province sent back, as read, with its matches and
differences, kept until the city has accepted what it chose.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Self

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import User
from keyprojects.core.audit import audited
from keyprojects.regions.models import Region

if TYPE_CHECKING:
    from keyprojects.core.permissions import Viewer

UNITS = {"万元": Decimal(1), "亿元": Decimal(10000)}  # 万元 per unit of a column
# What a profile's column may show, by key; ``accept`` columns may be taken back from the province.
COLUMN_KEYS = {
    "seq", "code", "name", "address", "region", "nature", "stage", "sector", "level", "batch",
    "total_investment", "planned_investment", "completed_ytd", "since_start", "started_on", "progress",
    "leaders", "responsible_unit", "owner",
}
ACCEPTABLE = {"code", "name", "address", "nature", "total_investment", "planned_investment"}
AMOUNT_KEYS = {"total_investment", "planned_investment", "completed_ytd", "since_start"}


class Profile(models.Model):
    """A province's reporting profile (a version of it): seen by everyone who may export."""

    province_code = models.CharField(_("省级区划代码"), max_length=12)
    name = models.CharField(_("省级平台"), max_length=64)
    version = models.PositiveIntegerField(_("版本"))
    data = models.JSONField(_("格式定义"))
    loaded_at = models.DateTimeField(_("载入时间"), auto_now=True)

    history = audited()

    class Meta:
        verbose_name = _("省平台报送格式")
        verbose_name_plural = _("省平台报送格式")
        ordering = ["province_code", "-version"]
        constraints = [models.UniqueConstraint(fields=["province_code", "version"], name="profile_unique_version")]

    def __str__(self) -> str:
        return f"{self.name}（第{self.version}版）"

    @property
    def columns(self) -> list[dict[str, Any]]:
        return list(self.data["columns"])

    def code_list(self, kind: str) -> dict[str, str]:
        return dict(self.data.get("code_lists", {}).get(kind, {}))

    @property
    def scope(self) -> dict[str, Any]:
        return dict(self.data.get("scope", {}))

    def projects_q(self) -> Q:
        """The projects the province wants (a ``Project`` filter): of one of its levels or on one
        of its lists (by name, any year), of at least its minimum total investment (万元)."""
        scope = self.scope
        wanted = Q(level__in=scope.get("levels", []))
        if scope.get("lists"):
            from keyprojects.projects.models import Project

            wanted |= Q(pk__in=Project.objects.filter(lists__name__in=scope["lists"]).values("pk"))
        return wanted & Q(total_investment__gte=Decimal(scope.get("min_total_investment") or 0))


class ReturnQuerySet(models.QuerySet["Return"]):
    def visible_to(self, user: Viewer) -> Self:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")


class Return(models.Model):
    """A list the province sent back (省平台返回清单) for a city, as read: each row with the
    project it matched (how) and its differences from ours; ``accepted`` the changes taken."""

    profile = models.ForeignKey(Profile, verbose_name=_("省平台报送格式"), on_delete=models.PROTECT, related_name="returns")
    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="province_returns")
    year = models.PositiveSmallIntegerField(_("年度"))
    file_name = models.CharField(_("文件名"), max_length=200)
    rows = models.JSONField(_("返回清单"), default=list, blank=True)
    accepted = models.JSONField(_("已采纳"), default=list, blank=True)
    uploaded_by = models.ForeignKey(User, verbose_name=_("上传人"), null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    objects = ReturnQuerySet.as_manager()
    history = audited()

    scope_paths = {"region": "region"}

    class Meta:
        verbose_name = _("省平台返回清单")
        verbose_name_plural = _("省平台返回清单")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.region}{self.year}年 {self.file_name}"

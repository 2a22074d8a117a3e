"""A city's saved column mappings: what the user said each column of a ledger is, kept by the
shape of its header row and offered again for the next file of that shape (issue 17, case 9)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from keyprojects.core.audit import audited
from keyprojects.regions.models import Region


class ColumnMapping(models.Model):
    region = models.ForeignKey(Region, verbose_name=_("所属城市"), on_delete=models.CASCADE, related_name="+")
    signature = models.CharField(_("表头特征"), max_length=40)
    headers = models.TextField(_("表头"), blank=True)
    mapping = models.JSONField(_("列对应关系"), default=dict)  # header or column letter -> "field[:unit]"
    header_row = models.PositiveSmallIntegerField(_("表头行"), null=True, blank=True)  # 0: none; None: found
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("保存人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("保存时间"), auto_now=True)

    history = audited()

    scope_paths = {"region": "region"}

    class Meta:
        verbose_name = _("台账列对应关系")
        verbose_name_plural = _("台账列对应关系")
        constraints = [models.UniqueConstraint(fields=["region", "signature"], name="ledger_mapping_unique_shape")]

    def __str__(self) -> str:
        return f"{self.region.name} {self.headers[:40]}"


def city_of(region: Region | None) -> Region | None:
    """The city (地级) a region lies in, or the region itself above one."""
    if region is None:
        return None
    chain = [*region.ancestors(), region]
    return next((r for r in reversed(chain) if r.level == Region.Level.PREFECTURE), None)

"""The administrative division tree (行政区划, GB/T 2260) plus development zones."""

from __future__ import annotations

import functools
import re

from django.db import models
from django.utils.translation import gettext_lazy as _

from keyprojects.core.audit import audited

# Suffixes stripped to compare a name by its stem: 葫芦岛市 ~ 葫芦岛, 连山区 ~ 连山.
_SUFFIXES = re.compile(
    r"(特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|地区|新区|林区|特区|省|市|区|县|旗|盟)$"
)


@functools.cache
def _t2s():  # opencc loads its dictionaries once; 22x faster than the pure-Python port
    import opencc

    return opencc.OpenCC("t2s")


def simplify(text: str) -> str:
    """Traditional -> Simplified, trimmed: 葫蘆島市 -> 葫芦岛市."""
    text = (text or "").strip().replace("\u3000", "")
    return _t2s().convert(text) if text else text


def name_stem(name: str) -> str:
    name = simplify(name)
    stem = _SUFFIXES.sub("", name)
    return stem if len(stem) >= 2 else name


def path_codes(path: str) -> list[str]:
    """The codes along a region path, from the top down: "/210000/211400/" -> ["210000", "211400"]."""
    return [code for code in path.split("/") if code]


class RegionQuerySet(models.QuerySet["Region"]):
    def within(self, region: Region) -> RegionQuerySet:
        """The region and everything under it."""
        return self.filter(path__startswith=region.path)

    def match(self, name: str, within: Region | None = None) -> list[Region]:
        """Regions whose name matches ``name`` (Simplified or Traditional, with or without
        its suffix), best first: exact names before stems, higher levels before lower."""
        wanted = simplify(name)
        if not wanted:
            return []
        qs = self.within(within) if within is not None else self.all()
        exact = list(qs.filter(name=wanted).order_by("depth", "code"))
        if exact:
            return exact
        stem = name_stem(wanted)
        return list(qs.filter(stem=stem).order_by("depth", "code"))

    def find(self, name_or_code: str, within: Region | None = None) -> Region:
        """The one region a user means by a name (Simplified or Traditional) or a code."""
        by_code = self.filter(code=name_or_code.strip()).first()
        if by_code:
            return by_code
        matches = self.match(name_or_code, within)
        if not matches:
            raise RegionNotFound(_("找不到区划“%(name)s”") % {"name": name_or_code})
        exact = [m for m in matches if m.name == simplify(name_or_code)]
        best = exact or [m for m in matches if m.depth == matches[0].depth]
        if len(best) > 1:
            raise RegionNotFound(_("区划“%(name)s”不唯一：%(options)s；请使用区划代码") % {
                "name": name_or_code, "options": "、".join(f"{r.full_name}（{r.code}）" for r in best)})
        return best[0]


class RegionNotFound(ValueError):
    """A name that matches no region, or several equally well (the message says which)."""


class Region(models.Model):
    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        PREFECTURE = "prefecture", _("地级")
        COUNTY = "county", _("县级")
        ZONE = "zone", _("开发区")

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=64, db_index=True)
    stem = models.CharField(_("简称"), max_length=64, db_index=True, editable=False)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialised path of codes ("/210000/211400/211402/") so "everything in a region" is
    # one indexed prefix match, whatever the depth.
    path = models.CharField(_("路径"), max_length=255, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("层级"), editable=False, default=0)

    objects = RegionQuerySet.as_manager()
    history = audited()

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name = simplify(self.name)
        self.stem = name_stem(self.name)
        parent = self.parent if self.parent_id else None
        self.path = f"{parent.path if parent else '/'}{self.code}/"
        self.depth = parent.depth + 1 if parent else 0
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        names = [r.name for r in self.ancestors()] + [self.name]
        return "".join(names)

    def ancestors(self) -> list[Region]:
        codes = path_codes(self.path)[:-1]
        by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]

    @property
    def parts_noun(self) -> str:
        """What a table of the regions right under this one calls them: 地市 under a province,
        县区 under a city (the dashboard's region table, its export)."""
        return "地市" if self.level == self.Level.PROVINCE else "县区"

    @property
    def whole(self) -> str:
        """全市 / 全县 / 全区 / 全省: how the official register names all of the region."""
        if self.level == self.Level.PROVINCE:
            return "全省"
        if self.level == self.Level.ZONE:
            return "全区"
        last = self.name[-1:]
        return f"全{last}" if last in "市县区旗州盟" else "全市"

    def is_within(self, other: Region) -> bool:
        return self.path.startswith(other.path)

    def next_zone_code(self) -> str:
        """Development zones have no GB/T 2260 code: parent code + 'K' + a sequence."""
        n = Region.objects.filter(parent=self, level=Region.Level.ZONE).count() + 1
        while Region.objects.filter(code=f"{self.code}K{n:02d}").exists():
            n += 1
        return f"{self.code}K{n:02d}"

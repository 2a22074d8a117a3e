"""The national project code (项目代码) of the national online approval platform (全国投资项目在线
审批监管平台): ``YYYY-DDDDDD-II-CC-NNNNNN`` — the year it was issued, the administrative division
(GB/T 2260) that issued it, the industry (GB/T 4754 division, 01–97), the category (01 审批, 02 核准,
03 备案) and a serial. Each part is checked on its own so a message can name the part that is wrong.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Concat, Substr
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FORMAT = gettext_lazy("项目代码格式不正确，应为“年份-6位区划代码-2位行业代码-2位类型代码-6位流水号”，如 2022-211400-44-01-123456")
PART_NAMES = (gettext_lazy("年份"), gettext_lazy("区划代码"), gettext_lazy("行业代码"), gettext_lazy("类型代码"),
              gettext_lazy("流水号"))
PART_LENGTHS = (4, 6, 2, 2, 6)
CATEGORIES = {"01": gettext_lazy("审批"), "02": gettext_lazy("核准"), "03": gettext_lazy("备案")}
INDUSTRIES = range(1, 98)  # GB/T 4754-2017 divisions 01 (农业) to 97 (国际组织)
DASHES = str.maketrans({"－": "-", "—": "-", "–": "-", "‐": "-", "_": "-"})


@dataclass(frozen=True)
class Parts:
    year: str
    division: str
    industry: str
    category: str
    serial: str


def normalized(code: str | None) -> str | None:
    """A code as typed, written one way: half-width, one kind of dash, no spaces; None if empty."""
    if code is None:
        return None
    cleaned = unicodedata.normalize("NFKC", code).translate(DASHES).replace(" ", "").strip()
    return cleaned or None


def _wrong(index: int, value: str, why: str) -> ValidationError:
    return ValidationError(
        _("项目代码第%(n)s段（%(part)s）“%(value)s”不正确：%(why)s")
        % {"n": index + 1, "part": PART_NAMES[index], "value": value, "why": why},
        code="project_code")


def split(code: str) -> Parts:
    """The code's five parts, each of the right length and digits only; else a ValidationError
    naming the first part that is not."""
    parts = code.split("-")
    if len(parts) != 5:
        raise ValidationError(FORMAT, code="project_code")
    for index, (part, length) in enumerate(zip(parts, PART_LENGTHS, strict=True)):
        if len(part) != length or not part.isascii() or not part.isdigit():
            raise ValidationError(
                _("项目代码格式不正确：第%(n)s段（%(part)s）“%(value)s”应为%(length)s位数字，"
                  "如 2022-211400-44-01-123456")
                % {"n": index + 1, "part": PART_NAMES[index], "value": part, "length": length},
                code="project_code")
    return Parts(*parts)


def validate_project_code(code: str) -> None:
    """The parts a code can be judged on without the database: shape, year, industry, category,
    serial. (Whether its division exists is ``check_division``.)"""
    parts = split(code)
    year = int(parts.year)
    if year < 2000 or year > timezone.localdate().year:
        raise _wrong(0, parts.year, _("应在2000年至今年之间"))
    if int(parts.industry) not in INDUSTRIES:
        raise _wrong(2, parts.industry, _("国民经济行业大类代码为01至97"))
    if parts.category not in CATEGORIES:
        raise _wrong(3, parts.category, _("应为01（审批）、02（核准）或03（备案）"))
    if int(parts.serial) == 0:
        raise _wrong(4, parts.serial, _("不能全为0"))


_divisions: set[str] = set()  # known division codes, filled as they are looked up


def division_exists(division: str) -> bool:
    """Whether the region tree holds ``division``: remembered once found (an import checks
    thousands of codes from a few dozen divisions); a region saved or deleted forgets them."""
    from keyprojects.regions.models import Region

    if division in _divisions:
        return True
    if Region.objects.filter(code=division).exists():
        _divisions.add(division)
        return True
    return False


def check_division(code: str) -> None:
    """The code's division exists in the region tree (a well-formed code only)."""
    division = code.split("-")[1]
    if not division_exists(division):
        raise _wrong(1, division, _("区划库中没有这个行政区划"))


def _forget_divisions(**kwargs: object) -> None:
    _divisions.clear()


def connect() -> None:
    from keyprojects.regions.models import Region

    post_save.connect(_forget_divisions, sender=Region, dispatch_uid="codes-forget-divisions")
    post_delete.connect(_forget_divisions, sender=Region, dispatch_uid="codes-forget-divisions-del")


# --- the project list's filters ("no code", "code does not match the region") -----------------
DIVISION = Substr("code", 6, 6)


def no_code_q() -> Q:
    return Q(code__isnull=True) | Q(code="")


def matches_region_q() -> Q:
    """The code's division is the project's region, one above it (a city's code on a county's
    project) or one below it (a county's code on a project placed on the city or a zone)."""
    above_or_same = Q(region__path__contains=Concat(Value("/"), DIVISION, Value("/")))
    from keyprojects.regions.models import Region

    below = Exists(Region.objects.filter(code=Substr(OuterRef("code"), 6, 6),
                                         path__startswith=OuterRef("region__path")))
    return above_or_same | Q(below)

"""Reading the values people type into ledgers: amounts, dates, yes/no, damaged text."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

WAN_PER_YI = Decimal(10000)
UNIT_SUFFIXES = [("亿元", WAN_PER_YI), ("亿", WAN_PER_YI), ("万元", Decimal(1)), ("万", Decimal(1)),
                 ("元", Decimal("0.0001"))]
SEPARATORS = re.compile(r"[,，\s]")  # thousands separators and stray spaces inside an amount


class CellError(ValueError):
    """A cell that cannot be read; the message says why, in Chinese."""


def text(value: Any) -> str:
    """A cell as clean text: NFKC (full-width digits and letters to half-width), trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).replace("\u3000", " ").strip()


def amount(value: Any, multiplier: Decimal = Decimal(1)) -> Decimal | None:
    """An amount in 万元: numbers are in the column's unit; text may carry its own ("1.2亿")."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (Decimal(repr(value)) * multiplier).normalize()
    raw = text(value)
    cleaned = SEPARATORS.sub("", raw)
    if cleaned in ("", "-", "—", "/"):
        return None
    unit = multiplier
    for suffix, factor in UNIT_SUFFIXES:
        if cleaned.endswith(suffix):
            cleaned, unit = cleaned[: -len(suffix)], factor
            break
    try:
        number = Decimal(cleaned)
    except InvalidOperation as exc:
        raise CellError(f"“{raw}”不是金额") from exc
    if not number.is_finite():
        raise CellError(f"“{raw}”不是金额")
    return (number * unit).normalize()


DATE_PATTERNS = [
    (re.compile(r"^(\d{4})\s*[年.\-/]\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})\s*日?$"), "ymd"),
    (re.compile(r"^(\d{4})\s*[年.\-/]\s*(\d{1,2})\s*月?$"), "ym"),
    (re.compile(r"^(\d{1,2})\s*月\s*(\d{1,2})\s*日$"), "md"),
    (re.compile(r"^(\d{1,2})\s*月(?:份)?$"), "m"),
]


def day(value: Any, year: int) -> date | None:
    """A date from an Excel date or the ways people write one; a month alone means its 1st."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    if not raw:
        return None
    for pattern, kind in DATE_PATTERNS:
        match = pattern.match(raw)
        if not match:
            continue
        parts = [int(p) for p in match.groups()]
        y, m, d = {"ymd": parts, "ym": [*parts, 1], "md": [year, *parts], "m": [year, *parts, 1]}[kind]
        try:
            return date(y, m, d)
        except ValueError as exc:
            raise CellError(f"“{raw}”不是有效日期") from exc
    raise CellError(f"“{raw}”不是可识别的日期（可写 2023年3月15日、2023-03-15、2023.3.15、3月15日 等）")


YES = {"是", "√", "✓", "✔", "y", "yes", "1", "已开工", "已开复工", "已复工", "开工", "复工", "已开", "true"}
NO = {"否", "×", "✗", "x", "n", "no", "0", "未开工", "未开复工", "未复工", "未", "false", ""}


def yes_no(value: Any) -> bool:
    raw = text(value).lower()
    if raw in YES:
        return True
    if raw in NO:
        return False
    raise CellError(f"“{raw}”不是“是/否”")


def repaired(value: str) -> str | None:
    """The likely original of text garbled by a wrong encoding (UTF-8 read as GBK or as
    Latin-1), or None when the text looks fine."""
    if not value or value.isascii():
        return None
    try:
        value.encode("gb2312")
        return None  # only common characters: not the rare ones mojibake produces
    except UnicodeEncodeError:
        pass
    for codec in ("gbk", "gb18030", "latin-1", "cp1252"):
        try:
            fixed = value.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if fixed != value and any("\u4e00" <= ch <= "\u9fff" for ch in fixed):
            return fixed
    return None

"""Reading the values people type into ledgers: amounts, dates, yes/no, damaged text."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
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


# Several people or units in one cell: newlines, 、，,;；/ between them (and, for people, spaces).
HARD_SEPARATORS = re.compile(r"[\n\r、，,;；/／]+")
IN_BRACKETS = re.compile(r"[（(].*?[)）]")  # "王建国（副市长）": the title is not the name
WHITESPACE = re.compile(r"\s+")  # after NFKC: NBSP and the full-width space are plain spaces
PADDING = re.compile(r"(?<![A-Za-z0-9]) | (?![A-Za-z0-9])")  # a space beside a Chinese character


def person_names(value: Any) -> list[str]:
    return list(_person_names(value if isinstance(value, str) else text(value)))  # (the cached tuple stays)


@functools.lru_cache(maxsize=4096)  # a ledger names the same few people on many rows
def _person_names(value: str) -> tuple[str, ...]:
    """The people a cell names, each once and whole. Spaces pad a two-character name to the
    width of three (``李  明``, ``周\\u00a0\\u00a0强``, ``陈　静``) or separate two people
    (``王建国    刘志华``): a one-character piece is never a person, so it joins the pieces
    beside it (``周   强    王建国`` is 周强 and 王建国)."""
    names: list[str] = []
    for part in HARD_SEPARATORS.split(IN_BRACKETS.sub("", text(value))):
        for name in _joined(part.split()):
            if name not in names:
                names.append(name)
    return tuple(names)


def _joined(pieces: list[str]) -> list[str]:
    """Runs of one-character pieces made one name; a lone one joins the next piece (or the
    last, at the end)."""
    names: list[str] = []
    run = ""
    for piece in pieces:
        if len(piece) == 1:
            run += piece
            continue
        names.append(run + piece if len(run) == 1 else piece)
        if len(run) > 1:
            names.insert(len(names) - 1, run)
        run = ""
    if len(run) == 1 and names:
        names[-1] += run
    elif run:
        names.append(run)
    return names


def unit_names(value: Any) -> list[str]:
    return list(_unit_names(value if isinstance(value, str) else text(value)))


@functools.lru_cache(maxsize=4096)
def _unit_names(value: str) -> tuple[str, ...]:
    """The units a cell names, each once: spaces inside a unit's name are padding."""
    names: list[str] = []
    for part in HARD_SEPARATORS.split(text(value)):
        name = _unpadded(part)
        if name and name not in names:
            names.append(name)
    return tuple(names)


def name_key(name: str) -> str:
    """A stored name as the ledger's names are compared with it: width and spaces ignored."""
    return _unpadded(text(name))


def match_key(name: str) -> str:
    """A name as two lists from different hands are matched on: Traditional as Simplified,
    width and spaces ignored (葫蘆島 ＡＢＣ 公司 ~ 葫芦岛ABC公司)."""
    from keyprojects.regions.models import simplify

    return name_key(simplify(text(name)))


def _unpadded(name: str) -> str:
    """Spaces out of a name, except one between Latin words ("ABC Energy")."""
    return PADDING.sub("", WHITESPACE.sub(" ", name.strip()))


@dataclass
class Start:
    """What a start-date cell says: a day, that the project started (or not) without a day, or
    the month it is planned to start in ("计划6月开工"); ``started`` None when it does not say."""

    on: date | None = None
    started: bool | None = None
    planned_month: int | None = None


PLANNED = re.compile(r"^(?:计划|拟|预计|力争)(?:于)?\s*(?:(\d{4})\s*年)?\s*(\d{1,2})\s*月(?:份)?(?:底|初|中旬|上旬|下旬|前)?\s*"
                     r"(?:开工|开复工|复工|建设)$")
UNDECIDED = {"待定", "暂定", "未定", "不详", "-", "—", "/", "无"}


def start(value: Any, year: int) -> Start:
    """A start-date cell, which often holds words instead of a day."""
    raw = text(value)
    if raw in UNDECIDED:
        return Start()
    planned = PLANNED.match(raw.replace(" ", ""))
    if planned:
        month = int(planned.group(2))
        if not 1 <= month <= 12:
            raise CellError(f"“{raw}”不是有效月份")
        return Start(started=False, planned_month=month)
    if raw.lower() in YES - {"1", "y", "yes", "true"}:
        return Start(started=True)
    if raw.lower() in NO - {"", "0", "n", "no", "false", "x", "×", "✗"}:
        return Start(started=False)
    day_ = day(value, year)
    return Start(on=day_, started=True if day_ else None)

"""What a ledger's title says about itself — the region, the plan year, the date its figures
stand at — for when the command line or the form does not say (``某某区2021年重点项目投资路线图及
6月进展情况表``, ``截至5月31日``)."""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from datetime import date

from .cells import text

YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
AS_OF = re.compile(r"截\s*[至止]\s*(?:((?:19|20)\d{2})\s*年)?\s*(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日|(底|末))?")
MONTHS = re.compile(r"1\s*[-—~至]\s*(\d{1,2})\s*月|(\d{1,2})\s*月份?(?:份)?(?:进展|推进|完成|调度|建设)")
# A title's leading region names: 葫芦岛市连山区2023年… -> 葫芦岛市, 连山区.
REGION_PART = re.compile(r"\S+?(?:自治区|自治州|自治县|开发区|新区|地区|省|市|州|盟|区|县|旗)")


def titles(rows: Sequence[list[object]]) -> list[str]:
    """The lines above a header: each row's filled cells, joined."""
    lines = ["".join(text(v) for v in row if text(v)) for row in rows]
    return [line for line in lines if line]


def year_in(lines: list[str]) -> tuple[int, str] | None:
    """The plan year a title names, with the line that names it."""
    for line in lines:
        found = YEAR.search(line)
        if found:
            return int(found.group(1)), line
    return None


def _end_of(year: int, month: int) -> date | None:
    if not 1 <= month <= 12:
        return None
    return date(year, month, calendar.monthrange(year, month)[1])


def as_of_stated(lines: list[str], year: int) -> tuple[date, str] | None:
    """The date a title says the figures stand at: 截至5月31日 (or 截至5月底)."""
    for line in lines:
        found = AS_OF.search(line)
        if found:
            y, month = int(found.group(1) or year), int(found.group(2))
            try:
                day = date(y, month, int(found.group(3))) if found.group(3) else _end_of(y, month)
            except ValueError:
                day = None
            if day:
                return day, line
    return None


def as_of_month(lines: list[str], year: int) -> tuple[date, str] | None:
    """The month a title's figures are of (1-6月, 6月进展情况): its end."""
    for line in lines:
        found = MONTHS.search(line)
        if found:
            day = _end_of(year, int(found.group(1) or found.group(2)))
            if day:
                return day, line
    return None


def region_names_in(lines: list[str]) -> tuple[list[str], str] | None:
    """The region names a title starts with (the text before its year), outermost first."""
    for line in lines:
        found = YEAR.search(line)
        head = line[:found.start()] if found else ""
        parts = REGION_PART.findall(head)
        if parts and "".join(parts) == head:
            return parts, line
    return None

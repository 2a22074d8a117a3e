"""Assessment periods as written on the command line and in URLs: a month "2022-05" or a
quarter "2022-Q1"; the figures of a period are those at its last day."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError

QUARTER_NAMES = {1: "一季度", 2: "二季度", 3: "三季度", 4: "四季度"}


@dataclass(frozen=True)
class Period:
    year: int
    month: int | None = None
    quarter: int | None = None

    @property
    def key(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.month else f"{self.year}-Q{self.quarter}"

    @property
    def months(self) -> tuple[int, ...]:
        if self.month:
            return (self.month,)
        assert self.quarter is not None
        return tuple(range(self.quarter * 3 - 2, self.quarter * 3 + 1))

    @property
    def last_day(self) -> date:
        month = self.months[-1]
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    @property
    def label(self) -> str:
        """As a bulletin names it: "4月份", "一季度"."""
        return f"{self.month}月份" if self.month else QUARTER_NAMES[self.quarter or 1]

    @property
    def is_quarter(self) -> bool:
        return self.quarter is not None

    def previous(self) -> Period | None:
        """The period before, within the same year (a year's ranking starts afresh)."""
        if self.month:
            return Period(self.year, month=self.month - 1) if self.month > 1 else None
        assert self.quarter is not None
        return Period(self.year, quarter=self.quarter - 1) if self.quarter > 1 else None


PATTERN = re.compile(r"^(\d{4})-(?:(\d{1,2})|[Qq]([1-4]))$")


def parse(text: str) -> Period:
    """The period ``text`` names, or a ValidationError saying how to write one."""
    found = PATTERN.match((text or "").strip())
    if found:
        year, month, quarter = int(found[1]), found[2], found[3]
        if 2000 <= year <= 2100:
            if quarter:
                return Period(year, quarter=int(quarter))
            if 1 <= int(month) <= 12:
                return Period(year, month=int(month))
    raise ValidationError(
        "考核期“%(text)s”不正确：月份写作 2022-05（1—12月），季度写作 2022-Q1（Q1—Q4）",
        params={"text": text}, code="period")

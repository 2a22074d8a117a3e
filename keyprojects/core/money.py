"""Money on screen and at import: stored as Decimal 万元, shown in 亿元 or 万元.

Amounts live in the database as 万元 with four decimal places (to the yuan). Conversion
to 亿元 happens only here, when a figure is shown or an imported 亿元 figure is read.
Rounding is ROUND_HALF_UP (四舍五入, what people check against in Excel), never banker's
rounding, and a float is refused: a float has already lost the yuan.
"""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from typing_extensions import TypeIs

WAN_PER_YI = Decimal(10000)
STORED_PLACES = Decimal("0.0001")  # the 万元 columns' four decimals
NO_VALUE = "—"

Amount = Decimal | int | str


def _decimal(value: Amount) -> Decimal:
    """A finite Decimal from a Decimal, an int or a numeric string; ValueError otherwise."""
    if isinstance(value, float):
        raise TypeError(f"money is never a float, got {value!r}: pass a Decimal")
    if isinstance(value, bool):
        raise TypeError(f"not an amount: {value!r}")
    try:
        number = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not number.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return number


def _rounded(value: Decimal, places: int) -> Decimal:
    rounded = value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded  # never show "-0.00"


def _is_missing(value: Amount | None) -> TypeIs[Literal[""] | None]:
    # A template gives "" for a missing variable; the database gives None.
    return value is None or value == ""


def to_yi(wan: Amount) -> Decimal:
    """万元 -> 亿元, exact (no rounding): Decimal("26198000") -> Decimal("2619.8")."""
    return _decimal(wan) / WAN_PER_YI


def format_yi(wan: Amount | None, places: int = 2) -> str:
    """万元 shown in 亿元 with thousands separators: Decimal("26198000") -> "2,619.80"."""
    if _is_missing(wan):
        return NO_VALUE
    return f"{_rounded(to_yi(wan), int(places)):,}"


def format_wan(wan: Amount | None) -> str:
    """万元 with thousands separators and at most two decimals, trailing zeros trimmed:
    Decimal("12345.6700") -> "12,345.67", Decimal("500.0000") -> "500", "1000.5000" -> "1,000.5"."""
    if _is_missing(wan):
        return NO_VALUE
    text = f"{_rounded(_decimal(wan), 2):,}"
    return text.rstrip("0").rstrip(".")


# The one rule for amounts on a page (docs/user-guide.md, "金额单位"): a figure that adds up
# many projects (a county's row, a kind's, a list's totals) is shown in 亿元 with two decimals;
# a single project's amounts (an application's, a lead's) in 万元, where 亿元 would read 0.00
# for the small ones. A table states its unit once, in its header: "单位：亿元".
AGGREGATE, SINGLE = "aggregate", "single"
UNIT_OF = {AGGREGATE: "亿元", SINGLE: "万元"}


def format_amount(wan: Amount | None, of: str = AGGREGATE) -> str:
    """An amount (万元) as the rule shows it: ``of`` AGGREGATE in 亿元, SINGLE in 万元."""
    if of not in UNIT_OF:
        raise ValueError(f"an amount is {AGGREGATE} or {SINGLE}, not {of!r}")
    return format_yi(wan, 2) if of == AGGREGATE else format_wan(wan)


def format_pct(value: Amount | None, places: int = 1) -> str:
    """A percentage (already ×100) with one decimal: Decimal("65.75") -> "65.8%"."""
    if _is_missing(value):
        return NO_VALUE
    return f"{_rounded(_decimal(value), int(places)):,}%"


def parse_yi_to_wan(text: Amount) -> Decimal:
    """An amount written in 亿元 -> Decimal 万元 at the stored precision.

    Accepts what people type or paste: "2619.8", "2,619.80", full-width "２６１９．８",
    a trailing "亿元"/"亿". Raises ValueError for anything else (empty, words, NaN).
    """
    if isinstance(text, str):
        cleaned = unicodedata.normalize("NFKC", text).replace(",", "").replace(" ", "")
        text = cleaned.removesuffix("亿元").removesuffix("亿").strip()
    return (_decimal(text) * WAN_PER_YI).quantize(STORED_PLACES, ROUND_HALF_UP)

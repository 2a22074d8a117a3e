"""Money on screen: stored as Decimal 万元, shown in 亿元 or 万元. Never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

WAN_PER_YI = Decimal(10000)


def to_yi(wan: Decimal) -> Decimal:
    return Decimal(wan) / WAN_PER_YI


def format_yi(wan: Decimal | None, places: int = 2) -> str:
    """26198000 万元 -> "2,619.80" (亿元)."""
    if wan is None:
        return "—"
    value = to_yi(wan).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return f"{value:,.{places}f}"


def format_wan(wan: Decimal | None) -> str:
    """12345.6700 -> "12,345.67"; 500.0000 -> "500" (at most two decimals, trailing zeros trimmed)."""
    if wan is None:
        return "—"
    value = Decimal(wan).quantize(Decimal("0.01"), ROUND_HALF_UP)
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


def parse_yi_to_wan(text: str) -> Decimal:
    """"2619.8" (亿元) -> Decimal("26198000") 万元."""
    try:
        return Decimal(text.replace(",", "").strip()) * WAN_PER_YI
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {text!r}") from exc

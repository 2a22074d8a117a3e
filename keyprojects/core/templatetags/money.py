"""Amount filters: {% load money %} then {{ x|yi }} (亿元), {{ x|wan }} (万元), {{ rate|pct }}.

The formatting itself lives in keyprojects.core.money, shared with messages and exports.
"""

from __future__ import annotations

from collections.abc import Callable

from django import template

from keyprojects.core import money

register = template.Library()


def _shown(format_value: Callable[..., str], value: object, *args: object) -> object:
    # A filter must not break a page over a value that is not a number (say "未填报"):
    # show it as it is. A float still raises: it is a bug upstream, never an amount.
    try:
        return format_value(value, *args)
    except ValueError:
        return value


@register.filter
def yi(wan: money.Amount | None, places: int = 2) -> object:
    """万元 -> "2,619.80" (亿元); {{ x|yi:1 }} for one decimal."""
    return _shown(money.format_yi, wan, places)


@register.filter
def wan(value: money.Amount | None) -> object:
    """万元 -> "12,345.67" (at most two decimals, trailing zeros trimmed)."""
    return _shown(money.format_wan, value)


@register.filter
def pct(value: money.Amount | None, places: int = 1) -> object:
    """65.75 -> "65.8%"."""
    return _shown(money.format_pct, value, places)

"""Amount filters: {% load money %} then {{ x|aggregate }} (a sum over projects, 亿元),
{{ x|single }} (one project's, 万元), and the table header's {% unit_note "aggregate" %}
("单位：亿元"): the rule of ``core.money.format_amount``. {{ x|yi }} and {{ x|wan }} when a
page must name a unit itself; {{ rate|pct }}.

The formatting itself lives in keyprojects.core.money, shared with messages and exports.
"""

from __future__ import annotations

from collections.abc import Callable

from django import template
from django.utils.translation import gettext as _

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
def aggregate(wan: money.Amount | None) -> object:
    """A sum over many projects, in 亿元 with two decimals."""
    return _shown(money.format_amount, wan, money.AGGREGATE)


@register.filter
def single(wan: money.Amount | None) -> object:
    """One project's (application's, lead's) amount, in 万元."""
    return _shown(money.format_amount, wan, money.SINGLE)


@register.simple_tag
def unit_of(of: str = money.AGGREGATE) -> str:
    """The unit the rule shows ``of`` in: 亿元 or 万元."""
    return _(money.UNIT_OF[of])


@register.simple_tag
def unit_note(of: str = money.AGGREGATE) -> str:
    """What a table's header says once of its amounts: 单位：亿元 (or 万元)."""
    return _("单位：%(unit)s") % {"unit": unit_of(of)}


@register.filter
def pct(value: money.Amount | None, places: int = 1) -> object:
    """65.75 -> "65.8%"."""
    return _shown(money.format_pct, value, places)

"""Query parameters the pages share — a plan year, a date — parsed one way, and bad ones
answered with a 400 naming the parameter (``core.errors.bad_request``) instead of reaching
a computation that overflows (``date(20220605, 12, 31)``, ``date.max + 1 day``).

The figures' years and dates lie within FIRST_YEAR..LAST_YEAR (the API's and the ledger
import's range): anything beyond is a typing slip or a probe, never a plan."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import django_filters as filters
from django import forms
from django.core.exceptions import BadRequest, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.widgets import BaseCSVWidget
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

FIRST_YEAR, LAST_YEAR = 2000, 2100
FIRST_DAY, LAST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)


class BadQuery(BadRequest):
    """Request parameters (of the query, or a form's hidden ones) a page cannot use: a 400 whose message names each one (in the page's
    language); ``errors`` by parameter name, for the API's JSON."""

    def __init__(self, errors: Mapping[str, list[str]], labels: Mapping[str, Any] | None = None) -> None:
        self.errors = {name: [str(m) for m in messages] for name, messages in errors.items()}
        labels = labels or {}
        super().__init__("；".join(f"{labels.get(name) or name}：{' '.join(messages)}"
                                  for name, messages in self.errors.items()))


class YearField(forms.IntegerField):
    """A plan year: a whole number within FIRST_YEAR..LAST_YEAR."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", FIRST_YEAR)
        kwargs.setdefault("max_value", LAST_YEAR)
        super().__init__(**kwargs)


class DayField(forms.DateField):
    """A date (YYYY-MM-DD) within FIRST_DAY..LAST_DAY: the figures count days after it."""

    default_validators = [
        MinValueValidator(FIRST_DAY, gettext_lazy("日期不能早于 %(limit_value)s")),
        MaxValueValidator(LAST_DAY, gettext_lazy("日期不能晚于 %(limit_value)s")),
    ]


# Typed in the API's schema whatever ``method`` a filter set gives them (its hint is not their type).
@extend_schema_field(OpenApiTypes.INT)
class YearFilter(filters.NumberFilter):
    field_class = YearField


@extend_schema_field(OpenApiTypes.DATE)
class DayFilter(filters.DateFilter):
    field_class = DayField


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(filters.NumberFilter):
    """A whole number (an id, a year, a month): an integer in the schema, not a float."""

    field_class = forms.IntegerField


class RepeatedCSVSelect(BaseCSVWidget, forms.Select):
    """A choice of several values read from a repeated parameter (``o=name&o=-completed``, as a
    generated client sends a list) or comma-separated (``o=name,-completed``), or both."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if hasattr(data, "getlist") and len(data.getlist(name)) > 1:
            return [part for value in data.getlist(name) for part in value.split(",") if part]
        return super().value_from_datadict(data, files, name)


def _parsed(params: Mapping[str, Any], name: str, field: forms.Field, label: Any) -> Any:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return field.clean(raw)
    except ValidationError as exc:
        raise BadQuery({name: exc.messages}, {name: label}) from None


def query_year(params: Mapping[str, Any], name: str = "year", label: Any = None) -> int | None:
    """``params[name]`` as a plan year; None when absent or empty; BadQuery when not a year."""
    year: int | None = _parsed(params, name, YearField(), label or _("计划年度"))
    return year


def query_date(params: Mapping[str, Any], name: str = "as_of", label: Any = None) -> date | None:
    """``params[name]`` as a date; None when absent or empty; BadQuery when not a usable date."""
    day: date | None = _parsed(params, name, DayField(), label or _("统计日期"))
    return day


def query_id(params: Mapping[str, Any], name: str, label: Any) -> int | None:
    """``params[name]`` as the id of a row (a whole number a database key can hold)."""
    found: int | None = _parsed(params, name, forms.IntegerField(min_value=1, max_value=2**63 - 1), label)
    return found


def year_or_latest(params: Mapping[str, Any], years: Any) -> int:
    """The plan year asked for, else the latest of ``years`` (a queryset of a page's rows' years
    the user may view), else this year; BadQuery when the one asked for is not a year."""
    from django.utils import timezone

    return query_year(params) or years.order_by("-year").values_list("year", flat=True).first() \
        or timezone.localdate().year


def region_asked(request: Any) -> Any:
    """The region a page is asked for (``?region=<id>``) among those its user may view: None
    when none is asked for, 404 outside the user's view, BadQuery when not an id."""
    from django.shortcuts import get_object_or_404

    from keyprojects.core.permissions import regions_for

    wanted = query_id(request.GET, "region", _("区划"))
    return None if wanted is None else get_object_or_404(regions_for(request.user, "view"), pk=wanted)


def required_version(params: Mapping[str, Any], name: str = "version") -> int:
    """The version a form was opened at, which every change of state must send back (without
    it the edit-conflict check would be skipped): BadQuery (400) naming it when missing."""
    found: int | None = _parsed(params, name, forms.IntegerField(min_value=1, max_value=2**31), _("版本号"))
    if found is None:
        raise BadQuery({name: [_("缺少打开页面时的版本号，请刷新页面后重试")]}, {name: _("版本号")})
    return found


def valid_filter(found: Any) -> Any:
    """A filterset (django-filter) whose parameters are all valid; BadQuery naming those that
    are not, rather than a list silently filtered by the rest."""
    if not found.is_valid():
        form = found.form
        raise BadQuery({name: list(messages) for name, messages in form.errors.items()},
                       {name: field.label for name, field in form.fields.items()})
    return found

"""The ledger's one filter (招商项目台账), used by the page, its .xlsx and the API: keyword,
region, following unit, leader, industry chain, origin, stage, and what a lead reached in the
period (the figures' predicates: ``reached_q``, ``counted_signing_q``)."""

from __future__ import annotations

from datetime import date
from typing import Any

import django_filters as filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Leader, Unit
from keyprojects.core.forms import StyledForm
from keyprojects.core.params import IntegerFilter

from .models import Agreement, Event, Lead, Origin, Stage, counted_signing_q, reached_q

ALL = _("全部")
# What a figure counts, as the list's choice: (the lead's date field, or the signed amount's rule)
REACHED = [("intention", _("期内达成意向")), ("framework", _("期内签订框架协议")), ("signed", _("期内正式签约")),
           ("signed_amount", _("计入签约金额")), ("landed", _("期内签约且已落地")), ("started", _("期内签约且已开工"))]
FIELDS = {"intention": "intention_on", "framework": "framework_on", "signed": "signed_on"}


def period_of(year: int | None, as_of: date | None) -> tuple[int, date]:
    """The figures' period: 1 January of ``year`` to ``as_of`` (default: today, within the year)."""
    today = timezone.localdate()
    year = year or (as_of.year if as_of else today.year)
    return year, as_of or min(today, date(year, 12, 31))


class LeadFilter(filters.FilterSet):
    q = filters.CharFilter(label=_("关键词"), method="filter_keyword")
    region = IntegerFilter(label=_("区划"), method="filter_noop", widget=forms.HiddenInput)
    unit = filters.ModelChoiceFilter(label=_("跟进单位"), empty_label=ALL, queryset=Unit.objects.none())
    leader = filters.ModelChoiceFilter(label=_("包抓领导"), empty_label=ALL, queryset=Leader.objects.none())
    chain = filters.ChoiceFilter(label=_("产业链"), empty_label=ALL, choices=[])
    origin = filters.ChoiceFilter(label=_("投资方来源"), empty_label=ALL, choices=Origin.choices)
    stage = filters.ChoiceFilter(label=_("当前阶段"), empty_label=ALL, choices=Stage.choices)
    reached = filters.ChoiceFilter(label=_("统计口径"), empty_label=ALL, choices=REACHED, method="filter_reached")
    year = IntegerFilter(label=_("年度"), method="filter_noop", widget=forms.HiddenInput)
    as_of = filters.DateFilter(label=_("统计日期"), method="filter_noop", widget=forms.HiddenInput)

    class Meta:
        model = Lead
        fields: list[str] = []
        form = StyledForm

    def __init__(self, data: Any = None, *args: Any, default_period: tuple[int, date] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        self.default_period = default_period
        rows = kwargs.get("queryset")
        assert rows is not None
        self.filters["unit"].queryset = Unit.objects.filter(pk__in=rows.values("unit")).order_by("name")
        self.filters["leader"].queryset = Leader.objects.filter(pk__in=rows.values("leader")).order_by("order", "name")
        chains = rows.order_by("chain").values_list("chain", flat=True).distinct()
        self.filters["chain"].extra["choices"] = [(c, c) for c in chains if c]

    @property
    def period(self) -> tuple[int, date]:
        """The period asked for, else ``default_period`` (the page's, from its data), else this year's."""
        data = self.form.cleaned_data if self.is_valid() else {}
        year = data.get("year")
        year = int(year) if year and 2000 <= year <= 2100 else None
        if year is None and data.get("as_of") is None and self.default_period is not None:
            return self.default_period
        return period_of(year, data.get("as_of"))

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        return super().filter_queryset(queryset).order_by("region__code", "-found_on", "pk")

    def filter_noop(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset

    def filter_keyword(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(investor__icontains=value)) if value else queryset

    def filter_reached(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        year, as_of = self.period
        start = date(year, 1, 1)
        if value in FIELDS:
            return queryset.filter(reached_q(FIELDS[value], start, as_of))
        if value == "signed_amount":
            counted = Agreement.objects.filter(counted_signing_q(start, as_of)).values("lead")
            return queryset.filter(pk__in=counted)
        signed = reached_q("signed_on", start, as_of) & reached_q("landed_on", None, as_of)
        if value == "started":
            signed &= reached_q("started_on", None, as_of)
        return queryset.filter(signed)


class EventFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(label=_("活动类型"), empty_label=ALL, choices=Event.Kind.choices)
    unit = filters.ModelChoiceFilter(label=_("组织单位"), empty_label=ALL, queryset=Unit.objects.none())
    leader = filters.ModelChoiceFilter(label=_("带队领导"), empty_label=ALL, queryset=Leader.objects.none())
    year = IntegerFilter(label=_("年度"), method="filter_noop", widget=forms.HiddenInput)
    as_of = filters.DateFilter(label=_("统计日期"), method="filter_noop", widget=forms.HiddenInput)
    region = IntegerFilter(label=_("区划"), method="filter_noop", widget=forms.HiddenInput)

    class Meta:
        model = Event
        fields: list[str] = []
        form = StyledForm

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        rows = kwargs.get("queryset")
        assert rows is not None
        self.filters["unit"].queryset = Unit.objects.filter(pk__in=rows.values("unit")).order_by("name")
        self.filters["leader"].queryset = Leader.objects.filter(pk__in=rows.values("leader")).order_by("order", "name")

    @property
    def period(self) -> tuple[int, date]:
        data = self.form.cleaned_data if self.is_valid() else {}
        year = data.get("year")
        return period_of(int(year) if year and 2000 <= year <= 2100 else None, data.get("as_of"))

    def filter_noop(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset

    @property
    def dated(self) -> bool:
        """Whether a period was asked for (a figure's link gives one; without, every event)."""
        data = self.form.cleaned_data if self.is_valid() else {}
        return bool(data.get("year") or data.get("as_of"))

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        rows = super().filter_queryset(queryset).order_by("-date", "-pk")
        if not self.dated:
            return rows
        year, as_of = self.period
        return rows.filter(date__gte=date(year, 1, 1), date__lte=as_of)

"""The one filter of the application list, used by the page, its .xlsx and the API: round, kind,
county, state, what happened by a date (what the figures count: ``applied_q`` always, and
``approved_q``, ``issued_q``, ``spent_q``), keyword."""

from __future__ import annotations

from datetime import date
from typing import Any

import django_filters as filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyprojects.core.forms import StyledForm
from keyprojects.regions.models import Region

from .models import Application, Round, applied_q, approved_q, issued_q, spent_q

ALL = _("全部")
STAGES = [("approved", _("已批复")), ("issued", _("已下达")), ("spent", _("有支出")), ("unissued", _("已申报未下达"))]


class ApplicationFilter(filters.FilterSet):
    q = filters.CharFilter(label=_("关键词"), method="filter_keyword")
    round = filters.ModelChoiceFilter(label=_("批次"), empty_label=ALL, queryset=Round.objects.none())
    kind = filters.ChoiceFilter(label=_("资金类别"), empty_label=ALL, choices=Round.Kind.choices,
                                field_name="round__kind")
    county = filters.ModelChoiceFilter(label=_("县区"), empty_label=ALL, queryset=Region.objects.none(),
                                       method="filter_county")
    state = filters.ChoiceFilter(label=_("状态"), empty_label=ALL, choices=Application.State.choices)
    stage = filters.ChoiceFilter(label=_("截至统计日期"), empty_label=ALL, choices=STAGES, method="filter_stage")
    as_of = filters.DateFilter(label=_("统计日期"), method="filter_noop", widget=forms.HiddenInput)

    class Meta:
        model = Application
        fields: list[str] = []
        form = StyledForm

    def __init__(self, data: Any = None, *args: Any, default_as_of: date | None = None, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        self.default_as_of = default_as_of
        rows = kwargs.get("queryset")
        assert rows is not None
        self.filters["round"].queryset = Round.objects.filter(pk__in=rows.values("round"))
        self.filters["county"].queryset = Region.objects.filter(
            pk__in=rows.values("project__region")).order_by("code")

    @property
    def judged_on(self) -> date:
        found = self.form.cleaned_data.get("as_of") if self.is_valid() else None
        return found or self.default_as_of or timezone.localdate()

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # only what was applied for by the date: the list adds up to the figures of that date
        return (super().filter_queryset(queryset).filter(applied_q(self.judged_on))
                .order_by("round", "project__region__code", "project__name", "pk"))

    def filter_noop(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset

    def filter_county(self, queryset: QuerySet, name: str, value: Region) -> QuerySet:
        return queryset.filter(Q(project__region=value) | Q(project__region__path__startswith=value.path))

    def filter_keyword(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(Q(project__name__icontains=value) | Q(project__code__icontains=value)) if value \
            else queryset

    def filter_stage(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        day = self.judged_on
        if value == "unissued":
            return queryset.exclude(issued_q(day))
        return queryset.filter({"approved": approved_q(day), "issued": issued_q(day), "spent": spent_q(day)}[value])

"""The one filter of the task list, used by the page and its .xlsx: area, lead unit, state as of
a date (what the figures count: ``done_q``, ``on_time_q``, ``overdue_q``), keyword."""

from __future__ import annotations

from datetime import date
from typing import Any

import django_filters as filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Unit, User
from keyprojects.core.forms import StyledForm

from .models import Area, Task, done_q, on_time_q, overdue_q

ALL = _("全部")
STATES = [("in_progress", _("未完成")), ("done", _("已完成")), ("on_time", _("按期完成")), ("overdue", _("逾期未完成"))]


class TaskFilter(filters.FilterSet):
    q = filters.CharFilter(label=_("关键词"), method="filter_keyword")
    area = filters.ModelChoiceFilter(label=_("方面"), empty_label=ALL, queryset=Area.objects.none())
    unit = filters.ModelChoiceFilter(label=_("牵头单位"), empty_label=ALL, queryset=Unit.objects.none(),
                                     field_name="lead_unit")
    state = filters.ChoiceFilter(label=_("完成情况"), empty_label=ALL, choices=STATES, method="filter_state")
    # the date the state is judged on: the figures' as-of date (default today)
    as_of = filters.DateFilter(label=_("统计日期"), method="filter_noop", widget=forms.HiddenInput)

    class Meta:
        model = Task
        fields: list[str] = []
        form = StyledForm

    def __init__(self, data: Any = None, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        rows = kwargs.get("queryset")
        assert rows is not None
        self.filters["area"].queryset = Area.objects.filter(pk__in=rows.values("area")).order_by("number")
        self.filters["unit"].queryset = Unit.objects.filter(pk__in=rows.values("lead_unit")).order_by("name")

    @property
    def judged_on(self) -> date:
        found = self.form.cleaned_data.get("as_of") if self.is_valid() else None
        return found or timezone.localdate()

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        return super().filter_queryset(queryset).order_by("area__number", "number", "pk")

    def filter_noop(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset

    def filter_keyword(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value)) if value else queryset

    def filter_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        day = self.judged_on
        conditions = {"done": done_q(day), "on_time": on_time_q(day), "overdue": overdue_q(day)}
        if value == "in_progress":
            return queryset.exclude(done_q(day))
        return queryset.filter(conditions[value])

"""The one filter of the approvals list (前期手续台账), for the page, the export and the API. With
``year`` it selects the items 前期手续审批完成率 counts (``engine.approvals_population``), and its
totals line equals the figure; ``as_of`` is the day obtained and late are judged on."""

from __future__ import annotations

from datetime import date
from typing import Any

import django_filters as filters
from django import forms
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Unit
from keyprojects.core.forms import StyledForm
from keyprojects.core.params import DayFilter
from keyprojects.core.permissions import nearby, regions_for
from keyprojects.indicators.engine import approvals_population
from keyprojects.regions.models import Region

from .models import ApprovalItem, ProjectApproval, late_q, obtained_q

ALL = _("全部")
DATE = forms.DateInput(attrs={"type": "date"})


class State:
    PENDING, LATE, OBTAINED, UNCONFIRMED, WAIVED = "pending", "late", "obtained", "unconfirmed", "waived"
    CHOICES = [(PENDING, _("未办结")), (LATE, _("逾期未办结")), (OBTAINED, _("已办结")),
               (UNCONFIRMED, _("待部门确认")), (WAIVED, _("已免办"))]


def totals(items: QuerySet, day: date) -> dict[str, int]:
    """The list's totals line: items listed, required, obtained and late on ``day`` (one query)."""
    required = Q(required=True)
    found = items.order_by().aggregate(  # (named apart from the model's ``required``, which the filters read)
        n_count=Count("pk"), n_required=Count("pk", filter=required),
        n_obtained=Count("pk", filter=required & obtained_q(day)), n_late=Count("pk", filter=late_q(day)))
    return {key.removeprefix("n_"): value or 0 for key, value in found.items()}


def ordered(items: QuerySet, day: date) -> QuerySet:
    """The list's order, on the page and in the API: late on ``day`` first, then by dates (a
    per-row expression: a Count here grouped the whole list by every column)."""
    is_late = Case(When(late_q(day), then=Value(1)), default=Value(0), output_field=IntegerField())
    return items.alias(is_late=is_late).order_by("-is_late", "obtained_on", "planned_on", "project__name", "pk")


class ApprovalFilter(filters.FilterSet):
    q = filters.CharFilter(label=_("关键词"), method="filter_keyword")
    state = filters.ChoiceFilter(label=_("状态"), empty_label=ALL, choices=State.CHOICES, method="filter_state")
    issuer = filters.ModelChoiceFilter(label=_("审批单位"), empty_label=ALL, queryset=Unit.objects.none())
    item = filters.ModelChoiceFilter(label=_("事项"), empty_label=ALL, queryset=ApprovalItem.objects.none())
    region = filters.ModelChoiceFilter(label=_("区划"), empty_label=ALL, queryset=Region.objects.none(),
                                       method="filter_region")
    year = filters.NumberFilter(label=_("计划年度（新开工项目）"), method="filter_year", min_value=2000, max_value=2100)
    as_of = DayFilter(label=_("统计日期"), method="filter_nothing", widget=DATE)
    project = filters.NumberFilter(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)

    class Meta:
        model = ProjectApproval
        fields: list[str] = []
        form = StyledForm

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["issuer"].queryset = nearby(user, Unit.objects.filter(kind=Unit.Kind.DEPARTMENT))
        self.filters["region"].queryset = regions_for(user, "view")
        home = getattr(user, "region", None)  # (nobody signed in: the API reading its fields)
        catalogue = ApprovalItem.objects.filter(region__in=[*home.ancestors(), home]) if home else ApprovalItem.objects
        self.filters["item"].queryset = catalogue.all()

    @property
    def day(self) -> date:
        """The day obtained and late are judged on: ``as_of``, else today."""
        found = self.form.cleaned_data.get("as_of") if self.is_valid() else None
        return found or timezone.localdate()

    def filter_keyword(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        words = value.strip()
        if not words:
            return queryset
        return queryset.filter(Q(project__name__icontains=words) | Q(project__code__icontains=words)
                               | Q(item__name__icontains=words) | Q(number__icontains=words))

    def filter_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        day = self.day
        conditions = {
            State.PENDING: Q(required=True) & ~obtained_q(day),
            State.LATE: late_q(day),
            State.OBTAINED: Q(required=True) & obtained_q(day),
            State.UNCONFIRMED: Q(required=True, issuer__isnull=False, confirmed_at__isnull=True) & obtained_q(day),
            State.WAIVED: Q(required=False),
        }
        return queryset.filter(conditions[value]) if value in conditions else queryset

    def filter_region(self, queryset: QuerySet, name: str, value: Region | None) -> QuerySet:
        return queryset.filter(project__region__path__startswith=value.path) if value else queryset

    def filter_year(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return approvals_population(queryset, int(value)) if value else queryset

    def filter_nothing(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset  # (read by ``day``)

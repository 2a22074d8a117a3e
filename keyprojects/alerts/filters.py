"""The one filter of the warnings list, used by the page, its .xlsx export and the API; the
list's order (open first, red first, newest first) and its totals line."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django import forms
from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Leader, Unit, User
from keyprojects.core.forms import StyledForm
from keyprojects.core.params import IntegerFilter
from keyprojects.core.permissions import nearby, regions_for
from keyprojects.projects.models import Project
from keyprojects.regions.models import Region

from .models import Colour, Kind, Warning, open_on_q, red_on_q

ALL = _("全部")
YES_NO = [("yes", _("是")), ("no", _("否"))]
STATES = [("open", _("预警中")), ("closed", _("已解除"))]
ID = {"min_value": 1, "max_value": 2**63 - 1}


def ordered(warnings: QuerySet) -> QuerySet:
    return warnings.order_by(F("closed_on").desc(nulls_first=True), "colour", "-opened_on", "-pk")


def totals(warnings: QuerySet) -> dict[str, int]:
    """The list's totals line: how many warnings, and how many of each colour (one query)."""
    found = warnings.order_by().aggregate(count=Count("pk"), red=Count("pk", filter=Q(colour=Colour.RED)),
                                          yellow=Count("pk", filter=Q(colour=Colour.YELLOW)))
    return {key: value or 0 for key, value in found.items()}


class WarningFilter(filters.FilterSet):
    q = filters.CharFilter(label=_("关键词"), method="filter_keyword")
    colour = filters.ChoiceFilter(label=_("预警等级"), empty_label=ALL, choices=Colour.choices, method="filter_colour")
    kind = filters.ChoiceFilter(label=_("预警规则"), empty_label=ALL, choices=Kind.choices)
    state = filters.ChoiceFilter(label=_("状态"), empty_label=ALL, choices=STATES, method="filter_state")
    region = filters.ModelChoiceFilter(label=_("区划"), empty_label=ALL, queryset=Region.objects.none(),
                                       method="filter_region")
    unit = filters.ModelChoiceFilter(label=_("责任单位"), empty_label=ALL, queryset=Unit.objects.none(),
                                     field_name="project__responsible_unit")
    acknowledged = filters.ChoiceFilter(label=_("已确认"), empty_label=ALL, choices=YES_NO,
                                        method="filter_acknowledged")
    project = IntegerFilter(label=_("项目"), field_name="project_id", widget=forms.HiddenInput, **ID)
    # what the figures link to: the warnings open on a date (the dashboard's), a leader's package
    open_on = filters.DateFilter(label=_("截至该日预警中"), method="filter_open_on", widget=forms.HiddenInput)
    own = filters.ChoiceFilter(label=_("仅本级"), choices=YES_NO, method="filter_noop", widget=forms.HiddenInput)
    package = filters.ModelChoiceFilter(label=_("包抓项目"), queryset=Leader.objects.none(), method="filter_package",
                                        widget=forms.HiddenInput)

    class Meta:
        model = Warning
        fields: list[str] = []
        form = StyledForm

    def __init__(self, data: Any = None, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        self.filters["region"].queryset = regions_for(user, "view")
        # the units responsible for a project warned about that the user sees, not every unit
        warned = Warning.objects.visible_to(user).values("project__responsible_unit")
        self.filters["unit"].queryset = nearby(user, Unit.objects.select_related("region")).filter(pk__in=warned)
        self.filters["package"].queryset = nearby(user, Leader.objects.all())

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        return super().filter_queryset(ordered(queryset))

    def filter_keyword(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reason__icontains=value) | Q(project__name__icontains=value)
                               | Q(project__code__icontains=value))

    def filter_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(closed_on__isnull=value == "open")

    def filter_region(self, queryset: QuerySet, name: str, value: Region) -> QuerySet:
        """The region and the regions under it; with ``own=yes`` the region itself (its 本级)."""
        if self.form.cleaned_data.get("own") == "yes":
            return queryset.filter(region=value)
        return queryset.filter(region__path__startswith=value.path)

    def filter_noop(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset

    def filter_acknowledged(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(acknowledged_at__isnull=value != "yes")

    def filter_colour(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """The colour now, or with ``open_on`` the colour on that day (what the figures count)."""
        day = self.form.cleaned_data.get("open_on")
        if day is None:
            return queryset.filter(colour=value)
        return queryset.filter(red_on_q(day)) if value == Colour.RED else queryset.exclude(red_on_q(day))

    def filter_open_on(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset.filter(open_on_q(value))

    def filter_package(self, queryset: QuerySet, name: str, value: Leader) -> QuerySet:
        return queryset.filter(project__in=Project.objects.filter(leaders=value).values("pk"))

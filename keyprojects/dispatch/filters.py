"""The one filter definition of the problem ledger and of the meeting list, used by the web
lists and the API, and the ledger's order (most urgent first) and totals line."""

from __future__ import annotations

from datetime import date
from typing import Any

import django_filters as filters
from django import forms
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Leader, Unit, User
from keyprojects.core.forms import StyledForm
from keyprojects.core.params import IntegerFilter
from keyprojects.core.permissions import nearby, regions_for
from keyprojects.indicators.engine import ON_TIME_Q, open_q, signed_off_q
from keyprojects.projects.models import Project
from keyprojects.regions.models import Region

from .models import CHASED, OPEN, Meeting, MeetingKind, Problem, overdue_on_q, overdue_q

ALL = _("全部")
YES_NO = [("yes", _("是")), ("no", _("否"))]
DATE = forms.DateInput(attrs={"type": "date"})
HIDDEN = forms.HiddenInput
ID = {"min_value": 1, "max_value": 2**63 - 1}
State = Problem.State


def by_urgency(problems: QuerySet, today: date) -> QuerySet:
    """Most urgent first: overdue, then in hand by the nearest deadline, then replies awaiting
    sign-off, problems awaiting assignment, and the closed ones last, newest first."""
    return problems.annotate(
        urgency=Case(When(overdue_q(today), then=Value(0)), When(state__in=CHASED, then=Value(1)),
                     When(state=State.REPLIED, then=Value(2)), When(state=State.NEW, then=Value(3)),
                     default=Value(4), output_field=IntegerField()),
        due_on=Coalesce("escalation_deadline", "deadline"),
    ).order_by("urgency", F("due_on").asc(nulls_last=True), "-raised_on", "-pk")


def totals(problems: QuerySet, today: date) -> dict[str, int]:
    """The ledger's totals line: how many problems, by state, and how many overdue (one query)."""
    counts = {state: Count("pk", filter=Q(state=state)) for state in State.values}
    found = problems.order_by().aggregate(count=Count("pk"), overdue=Count("pk", filter=overdue_q(today)), **counts)
    return {key: found[key] or 0 for key in found}


class ProblemFilter(filters.FilterSet):
    q = filters.CharFilter(label=_("关键词"), method="filter_keyword")
    state = filters.ChoiceFilter(label=_("状态"), empty_label=ALL, choices=State.choices)
    overdue = filters.ChoiceFilter(label=_("逾期"), empty_label=ALL, choices=YES_NO, method="filter_overdue")
    open = filters.ChoiceFilter(label=_("未销号"), empty_label=ALL, choices=YES_NO, method="filter_open")
    category = filters.ChoiceFilter(label=_("问题类别"), empty_label=ALL, choices=Problem.Category.choices)
    source = filters.ChoiceFilter(label=_("问题来源"), empty_label=ALL, choices=Problem.Source.choices)
    region = filters.ModelChoiceFilter(label=_("区划"), empty_label=ALL, queryset=Region.objects.none(),
                                       method="filter_region")
    lead_unit = filters.ModelChoiceFilter(label=_("牵头单位"), empty_label=ALL, queryset=Unit.objects.none(),
                                          null_label=_("未指定"), null_value="none")
    leader = filters.ModelChoiceFilter(label=_("包抓领导"), empty_label=ALL, queryset=Leader.objects.none(),
                                       null_label=_("未指定"), null_value="none")
    deadline_from = filters.DateFilter(label=_("时限起"), field_name="due_on", lookup_expr="gte", widget=DATE)
    deadline_to = filters.DateFilter(label=_("时限止"), field_name="due_on", lookup_expr="lte", widget=DATE)
    project = IntegerFilter(label=_("项目"), field_name="project_id", widget=forms.HiddenInput, **ID)
    # a leader's package (the leaders' pages link here): problems of the projects the leader
    # packages, of those in the plan of ``plan_year`` when it is given
    package = filters.ModelChoiceFilter(label=_("包抓项目"), queryset=Leader.objects.none(), method="filter_package",
                                        widget=forms.HiddenInput)
    plan_year = IntegerFilter(label=_("计划年度"), method="filter_noop", widget=forms.HiddenInput,
                                     min_value=2000, max_value=2100)
    # What the dispatch figures link to (``indicators.engine``'s predicates): kept as hidden
    # fields while other filters change, and named above the list (``figure_filters``).
    raised_from = filters.DateFilter(label=_("提出日期起"), field_name="raised_on", lookup_expr="gte", widget=HIDDEN)
    raised_to = filters.DateFilter(label=_("提出日期止"), field_name="raised_on", lookup_expr="lte", widget=HIDDEN)
    signed_off_from = filters.DateFilter(label=_("销号日期起"), method="filter_signed_off", widget=HIDDEN)
    signed_off_to = filters.DateFilter(label=_("销号日期止"), method="filter_signed_off", widget=HIDDEN)
    on_time = filters.ChoiceFilter(label=_("按期销号"), choices=YES_NO, method="filter_on_time", widget=HIDDEN)
    open_on = filters.DateFilter(label=_("截至该日未销号"), method="filter_open_on", widget=HIDDEN)
    overdue_on = filters.DateFilter(label=_("截至该日逾期"), method="filter_overdue_on", widget=HIDDEN)

    FIGURE_FILTERS = ("raised_from", "raised_to", "signed_off_from", "signed_off_to", "on_time", "open_on",
                      "overdue_on")

    class Meta:
        model = Problem
        fields: list[str] = []
        form = StyledForm

    def __init__(self, data: Any = None, *args: Any, user: User, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        self.user, self.today = user, today or timezone.localdate()
        self.filters["region"].queryset = regions_for(user, "view")
        # only the units leading a problem the user sees: a province holds some 20,000 units
        leading = Problem.objects.visible_to(user).values("lead_unit_id")
        self.filters["lead_unit"].queryset = nearby(user, Unit.objects.select_related("region")).filter(pk__in=leading)
        self.filters["leader"].queryset = nearby(user, Leader.objects.select_related("region"))
        self.filters["package"].queryset = nearby(user, Leader.objects.all())

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        return super().filter_queryset(by_urgency(queryset, self.today))

    def filter_noop(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset

    def filter_open(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(state__in=OPEN) if value == "yes" else queryset.exclude(state__in=OPEN)

    def filter_package(self, queryset: QuerySet, name: str, value: Leader) -> QuerySet:
        projects = Project.objects.filter(leaders=value)
        if year := self.form.cleaned_data.get("plan_year"):
            projects = projects.filter(plans__year=int(year))
        return queryset.filter(project__in=projects.values("pk"))

    def filter_keyword(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value)
                               | Q(project__name__icontains=value) | Q(project__code__icontains=value))

    def filter_overdue(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        late = overdue_q(self.today)
        return queryset.filter(late) if value == "yes" else queryset.exclude(late)

    def filter_region(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset.filter(region__path__startswith=value.path)

    def filter_signed_off(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(signed_off_q(value, None) if name == "signed_off_from" else signed_off_q(None, value))

    def filter_on_time(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        on_time = signed_off_q(None, None) & ON_TIME_Q
        return queryset.filter(on_time) if value == "yes" else queryset.filter(signed_off_q(None, None)).exclude(on_time)

    def filter_open_on(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(open_q(value))

    def filter_overdue_on(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(overdue_on_q(value))

    def figure_filters(self) -> list[tuple[str, Any]]:
        """The figure filters in force, as (label, value) for the line above the list."""
        if not self.is_valid():
            return []
        data = self.form.cleaned_data
        return [(self.filters[name].label, dict(YES_NO)[data[name]] if name == "on_time" else data[name])
                for name in self.FIGURE_FILTERS if data.get(name)]


class MeetingFilter(filters.FilterSet):
    q = filters.CharFilter(label=_("关键词"), method="filter_keyword")
    kind = filters.ChoiceFilter(label=_("调度类型"), empty_label=ALL, choices=MeetingKind.choices)
    region = filters.ModelChoiceFilter(label=_("区划"), empty_label=ALL, queryset=Region.objects.none(),
                                       method="filter_region")
    chair = filters.ModelChoiceFilter(label=_("主持领导"), empty_label=ALL, queryset=Leader.objects.none())
    date_from = filters.DateFilter(label=_("日期起"), field_name="date", lookup_expr="gte", widget=DATE)
    date_to = filters.DateFilter(label=_("日期止"), field_name="date", lookup_expr="lte", widget=DATE)
    project = IntegerFilter(label=_("项目"), method="filter_project", widget=forms.HiddenInput, **ID)

    class Meta:
        model = Meeting
        fields: list[str] = []
        form = StyledForm

    def __init__(self, data: Any = None, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        self.filters["chair"].queryset = nearby(user, Leader.objects.select_related("region"))
        self.filters["region"].queryset = regions_for(user, "view")

    def filter_region(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        """The meetings of a region and of the regions under it (the dispatch figures' count)."""
        return queryset.filter(region__path__startswith=value.path)

    def filter_keyword(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(Q(title__icontains=value) | Q(place__icontains=value)) if value else queryset

    def filter_project(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset.filter(pk__in=Meeting.objects.filter(projects=value).values("pk"))

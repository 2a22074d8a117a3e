"""The one filter definition of the project list, used by the web list, the API and the
ledger export (through ``indicators.figures.project_list``).

A plan year is always chosen: the list shows the projects in that year's plan with the
plan's figures (annual plan, nature, batch, start), or the whole library for "all".
"""

from __future__ import annotations

from datetime import date
from typing import Any

import django_filters as filters
from django import forms
from django.db.models import (
    Case,
    DateField,
    DecimalField,
    F,
    FilteredRelation,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Leader
from keyprojects.core.forms import StyledForm
from keyprojects.core.params import DayFilter, IntegerFilter, RepeatedCSVSelect, YearFilter
from keyprojects.core.permissions import Viewer, nearby, regions_for
from keyprojects.exchange.models import Profile
from keyprojects.indicators.engine import completed_ytd, on_time_q, started_q
from keyprojects.regions.models import Region

from .codes import matches_region_q, no_code_q
from .models import (
    CONTINUING_NATURES,
    Batch,
    Nature,
    Project,
    ProjectList,
    Sector,
    Stage,
)

ALL = _("全部")
YES_NO = [("yes", _("是")), ("no", _("否"))]
CODE_CHECKS = [("missing", _("无项目代码")), ("mismatch", _("代码与区划不符"))]
NATURE_CHOICES = [*Nature.choices, ("continuing_all", _("续建（含竣工）"))]


class Ordering(filters.OrderingFilter):
    """Sort options labelled in the page's language: django-filter's "%s (descending)" has no
    zh_Hans catalogue and is formatted once, when the filter class is built. Several sort keys
    come repeated or comma-separated (``RepeatedCSVSelect``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, widget=RepeatedCSVSelect, **kwargs)

    def build_choices(self, fields: dict[str, str], labels: dict[str, Any]) -> list[tuple[str, Any]]:
        choices = []
        for param, label in super().build_choices(fields, labels)[::2]:
            choices += [(param, label), (f"-{param}", format_lazy(_("{}（降序）"), label))]
        return choices


class ProjectFilter(filters.FilterSet):
    year = YearFilter(label=_("计划年度"), method="filter_noop")
    as_of = DayFilter(label=_("统计日期"), method="filter_noop", widget=forms.DateInput(attrs={"type": "date"}))
    q = filters.CharFilter(label=_("关键词"), method="filter_keyword")
    region = filters.ModelChoiceFilter(label=_("区划"), empty_label=ALL, queryset=Region.objects.none(), method="filter_region")
    # 本级: the projects placed on the chosen region itself (a city's own), not those of its counties
    own = filters.ChoiceFilter(label=_("区划范围"), empty_label=_("含下级"), choices=[("yes", _("仅本级"))],
                               method="filter_noop")
    stage = filters.ChoiceFilter(label=_("建设阶段"), empty_label=ALL, choices=Stage.choices)
    nature = filters.ChoiceFilter(label=_("建设性质"), empty_label=ALL, choices=NATURE_CHOICES, method="filter_nature")
    batch = filters.ChoiceFilter(label=_("三个一批"), empty_label=ALL, choices=Batch.choices, method="filter_batch")
    started = filters.ChoiceFilter(label=_("已开复工"), empty_label=ALL, choices=YES_NO, method="filter_started")
    on_time = filters.ChoiceFilter(label=_("按期推进"), empty_label=ALL, choices=YES_NO, method="filter_on_time")
    sector = filters.ModelChoiceFilter(label=_("行业领域"), empty_label=ALL, queryset=Sector.objects.all())
    level = filters.ChoiceFilter(label=_("项目级别"), empty_label=ALL, choices=Project.Level.choices)
    province = filters.ModelChoiceFilter(label=_("省平台报送范围"), empty_label=ALL, queryset=Profile.objects.all(),
                                         method="filter_province")
    code_check = filters.ChoiceFilter(label=_("项目代码"), empty_label=ALL, choices=CODE_CHECKS, method="filter_code")
    located = filters.ChoiceFilter(label=_("标注位置"), empty_label=ALL, choices=YES_NO, method="filter_located")
    list = filters.ModelChoiceFilter(label=_("清单"), empty_label=ALL, queryset=ProjectList.objects.all(), method="filter_list")
    leader = filters.ModelChoiceFilter(label=_("包抓领导"), empty_label=ALL, queryset=Leader.objects.none(), method="filter_leader")
    packaged = filters.ChoiceFilter(label=_("领导包抓"), empty_label=ALL, choices=YES_NO, method="filter_packaged")
    # what a city department's figures link to (its ranking): the projects it is responsible for
    unit = IntegerFilter(label=_("责任单位"), field_name="responsible_unit_id", widget=forms.HiddenInput,
                                min_value=1, max_value=2**63 - 1)
    o = Ordering(
        label=_("排序"),
        empty_label=_("默认（按区划）"),
        fields=(
            ("region__code", "region"),
            ("name", "name"),
            ("total_investment", "total_investment"),
            ("annual_plan", "annual_plan"),
            ("completed", "completed"),
            ("started_on", "started_on"),
            ("updated_at", "updated_at"),
        ),
        field_labels={
            "region__code": _("区划"),
            "name": _("项目名称"),
            "total_investment": _("总投资"),
            "annual_plan": _("年度计划"),
            "completed": _("本年完成"),
            "started_on": _("开复工日期"),
            "updated_at": _("更新时间"),
        },
    )

    class Meta:
        model = Project
        fields: list[str] = []
        form = StyledForm

    def __init__(self, data: Any = None, *args: Any, user: Viewer, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        self.user = user
        self.filters["region"].queryset = regions_for(user, "view")  # a province too: its briefing lists its projects behind
        self.filters["leader"].queryset = nearby(user, Leader.objects.all())

    # The plan year shapes the whole queryset: it is joined first, so every other filter
    # and the ordering see the year's plan.
    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        year = self.form.cleaned_data.get("year")
        if year:
            queryset = queryset.annotate(
                plan=FilteredRelation("plans", condition=Q(plans__year=int(year)))
            ).filter(plan__id__isnull=False).annotate(
                annual_plan=F("plan__planned_investment"),
                # a start counts as of the list's date, as the 已开复工 filter and the indicators count it
                started_on=Case(When(started_q(self.form.cleaned_data.get("as_of"), prefix="plan__"),
                                     then=F("plan__started_on")), output_field=DateField()),
                completed=completed_ytd(self.form.cleaned_data.get("as_of"), plan="plan__"),
            ).alias(  # what the plan filters go by: filtering on ``plan__…`` itself joined the year's
                # plan once more for each filter (a reverse relation's joins are not reused)
                plan_nature=F("plan__nature"), plan_batch=F("plan__batch"),
                plan_started=F("plan__started"), plan_started_on=F("plan__started_on"),
                plan_planned_start_month=F("plan__planned_start_month"),
                plan_planned_investment=F("plan__planned_investment"),
            )
        else:  # the whole library: no plan figures to show or sort by
            # Typed NULLs: PostgreSQL cannot SUM an untyped NULL in the totals line.
            no_amount = Cast(Value(None), output_field=DecimalField(max_digits=18, decimal_places=4))
            queryset = queryset.annotate(
                annual_plan=no_amount,
                started_on=Cast(Value(None), output_field=DateField()),
                completed=no_amount,
            )
        return super().filter_queryset(queryset)

    def filter_noop(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset

    def filter_keyword(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(code__icontains=value) | Q(address__icontains=value)
            | Q(owner__name__icontains=value)
        )

    def filter_region(self, queryset: QuerySet, name: str, value: Region) -> QuerySet:
        if self.form.cleaned_data.get("own") == "yes":
            return queryset.filter(region=value)
        return queryset.filter(region__path__startswith=value.path)

    def _needs_year(self, queryset: QuerySet) -> bool:
        return bool(self.form.cleaned_data.get("year"))

    def filter_nature(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not self._needs_year(queryset):
            return queryset
        if value == "continuing_all":
            return queryset.filter(plan_nature__in=CONTINUING_NATURES)
        return queryset.filter(plan_nature=value)

    def filter_batch(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(plan_batch=value) if self._needs_year(queryset) else queryset

    def filter_started(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not self._needs_year(queryset):
            return queryset
        condition = started_q(self.form.cleaned_data.get("as_of"), prefix="plan_")
        return queryset.filter(condition) if value == "yes" else queryset.exclude(condition)

    def filter_on_time(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """按期推进 as the leaders' figures count it (``on_time_q``), as of the list's date (today,
        within the plan year, when it names none)."""
        year = self.form.cleaned_data.get("year")
        if not year:
            return queryset
        year = int(year)
        as_of = self.form.cleaned_data.get("as_of") or min(timezone.localdate(), date(year, 12, 31))
        condition = on_time_q(year, as_of, prefix="plan_")
        return queryset.filter(condition) if value == "yes" else queryset.exclude(condition)

    # Many-to-many filters go through a subquery so a project never appears twice (and is
    # never summed twice in the totals).
    def filter_list(self, queryset: QuerySet, name: str, value: ProjectList) -> QuerySet:
        return queryset.filter(pk__in=Project.objects.filter(lists=value).values("pk"))

    def filter_leader(self, queryset: QuerySet, name: str, value: Leader) -> QuerySet:
        return queryset.filter(pk__in=Project.objects.filter(leaders=value).values("pk"))

    def filter_packaged(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        packaged = Project.objects.filter(leaders__isnull=False).values("pk")
        return queryset.filter(pk__in=packaged) if value == "yes" else queryset.exclude(pk__in=packaged)

    def filter_located(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """标注位置: the project has both coordinates (the map shows it as a point)."""
        located = Q(longitude__isnull=False, latitude__isnull=False)
        return queryset.filter(located) if value == "yes" else queryset.exclude(located)

    def filter_code(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """无项目代码; 代码与区划不符: the code's division is neither the project's region nor one
        above or below it (``codes.matches_region_q``)."""
        if value == "missing":
            return queryset.filter(no_code_q())
        return queryset.exclude(no_code_q()).exclude(matches_region_q())

    def filter_province(self, queryset: QuerySet, name: str, value: Profile) -> QuerySet:
        """The projects a province's profile asks for: the rows of its exchange sheet."""
        return queryset.filter(value.projects_q())

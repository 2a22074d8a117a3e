"""The one filter of the approvals list (前期手续台账), for the page, the export and the API. With
``year`` it selects the items 前期手续审批完成率 counts (``engine.approvals_population``), and its
totals line equals the figure; ``as_of`` is the day obtained and late are judged on."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import django_filters as filters
from django import forms
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Unit
from keyprojects.core.cache import cached, cached_in_parts
from keyprojects.core.forms import StyledForm
from keyprojects.core.params import DayFilter, IntegerFilter
from keyprojects.core.permissions import nearby, regions_for
from keyprojects.core.versions import VersionScope
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


def counted(items: QuerySet, day: date, region: Region | None) -> list[dict[str, Any]]:
    """Counts of ``items`` on ``day`` by project region, catalogue item and issuing unit, kept a
    region at a time: after a write in one county only its items are counted again, not the
    whole ``region`` (one holding every item of the list; None: anywhere, kept until any write).
    The list's totals line (``totals_from``) and departments table (``issuers_from``) add them up."""
    if region is None:
        return cached(_cell_rows, items, day)
    cells: dict[Any, tuple[tuple[VersionScope, ...], Any]] = {
        pk: ((VersionScope.region_alone(path),), Q(project__region=pk))
        for pk, path in Region.objects.within(region).values_list("pk", "path")}
    return cached_in_parts(_cell_rows, cells, _cell_of_row, items, day)


def totals_from(rows: list[dict[str, Any]]) -> dict[str, int]:
    """``totals`` (items listed, required, obtained, late) from ``counted`` rows."""
    return {key: sum(row[key] for row in rows) for key in ("count", "required", "obtained", "late")}


def _cell_rows(items: QuerySet, day: date, restrict: Q | None = None) -> list[dict[str, Any]]:
    """Counts of ``items`` by their project's region, catalogue item and issuing unit (ids, no
    labels: a unit renamed leaves them standing); of the regions ``restrict`` selects."""
    if restrict is not None:
        items = items.filter(restrict)
    required = Q(required=True)
    rows = items.order_by().values("project__region_id", "item_id", "issuer_id").annotate(
        n_count=Count("pk"), n_required=Count("pk", filter=required),  # (named apart from the fields)
        n_obtained=Count("pk", filter=required & obtained_q(day)), n_late=Count("pk", filter=late_q(day)),
        n_pending=Count("pk", filter=required & ~obtained_q(day)))
    return [{key.removeprefix("n_"): value for key, value in row.items()} for row in rows]


def _cell_of_row(row: dict[str, Any]) -> int:
    return row["project__region_id"]


def issuers_from(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """From ``counted`` rows, the 30 issuing units (or catalogue departments, for items no unit issues) with the most
    items late, then pending, named as they are now."""
    names = dict(ApprovalItem.objects.filter(pk__in={row["item_id"] for row in rows if row["pending"]})
                 .values_list("pk", "issuer_name"))
    sums: defaultdict[tuple[str, int | None], dict[str, int]] = defaultdict(lambda: {"pending": 0, "late": 0})
    for row in rows:
        if row["pending"]:
            found = sums[(names[row["item_id"]], row["issuer_id"])]
            found["pending"] += row["pending"]
            found["late"] += row["late"]
    units = dict(Unit.objects.filter(pk__in={unit for _name, unit in sums if unit}).values_list("pk", "name"))
    ranked = sorted(sums.items(), key=lambda entry: (-entry[1]["late"], -entry[1]["pending"],
                                                     units.get(entry[0][1] or 0) or entry[0][0]))
    return [{"item__issuer_name": name, "issuer_id": unit, "issuer__name": units.get(unit) if unit else None, **n}
            for (name, unit), n in ranked[:30]]


def ordered_late(items: QuerySet, day: date) -> QuerySet:
    """The late items of ``items`` in the order ``ordered`` gives them: the head of the list."""
    return items.filter(late_q(day)).order_by("obtained_on", "planned_on", "project__name", "pk")


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
    year = IntegerFilter(label=_("计划年度（新开工项目）"), method="filter_year", min_value=2000, max_value=2100)
    as_of = DayFilter(label=_("统计日期"), method="filter_nothing", widget=DATE)
    project = IntegerFilter(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)

    class Meta:
        model = ProjectApproval
        fields: list[str] = []
        form = StyledForm

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["issuer"].queryset = nearby(user, Unit.objects.filter(
            kind__in=[Unit.Kind.DEPARTMENT, Unit.Kind.COUNTY_DEPARTMENT]))
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

"""The filters of the people pages (units, users, leaders): a name search and a type or role.
``UnitFilter`` is the units page's and ``/api/units/``'s one definition."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from keyprojects.core.forms import StyledForm
from keyprojects.core.permissions import Viewer, regions_for
from keyprojects.ledgers.cells import match_key
from keyprojects.regions.models import Region

from .models import Leader, Unit, User

ALL = _("全部")


def name_matches(queryset: QuerySet, value: str, *fields: str) -> QuerySet:
    """The rows one of whose ``fields`` contains ``value``, compared as two lists from different
    hands are (``ledgers.cells.match_key``: 葫蘆島 ＡＢＣ ~ 葫芦岛abc). The keys cannot be
    computed in SQL, so the rows' names are read in one query and the matches kept by key:
    a city's few hundred units, a province's few thousand."""
    wanted = match_key(value).casefold()
    if not wanted:
        return queryset
    rows = queryset.order_by().values_list("pk", *fields)
    found = [pk for pk, *names in rows if any(wanted in match_key(name or "").casefold() for name in names)]
    return queryset.filter(pk__in=found)


class _PeopleFilter(filters.FilterSet):
    """A people page's filter: ``q`` searched in ``name_fields`` by ``name_matches``."""

    name_fields: tuple[str, ...] = ()

    def __init__(self, data: Any = None, *args: Any, user: Viewer, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)

    def filter_name(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return name_matches(queryset, value, *self.name_fields)


class UnitFilter(_PeopleFilter):
    name_fields = ("name",)
    q = filters.CharFilter(label=_("单位名称"), method="filter_name")
    kind = filters.ChoiceFilter(label=_("单位类型"), empty_label=ALL, choices=Unit.Kind.choices)
    region = filters.ModelChoiceFilter(label=_("所属区划"), empty_label=ALL, queryset=Region.objects.none(),
                                       method="filter_region")

    class Meta:
        model = Unit
        fields: list[str] = []
        form = StyledForm

    def __init__(self, data: Any = None, *args: Any, user: Viewer, **kwargs: Any) -> None:
        super().__init__(data, *args, user=user, **kwargs)
        # the regions the user may view, and those of the units listed: the API lists a county
        # clerk the city's departments too (``nearby``), and lets them pick the city
        rows = kwargs.get("queryset")
        listed = Region.objects.filter(pk__in=rows.values("region")) if rows is not None else Region.objects.none()
        self.filters["region"].queryset = (regions_for(user, "view") | listed).order_by("code")

    def filter_region(self, queryset: QuerySet, name: str, value: Region) -> QuerySet:
        return queryset.filter(region__path__startswith=value.path)


class UserFilter(_PeopleFilter):
    name_fields = ("username", "display_name", "unit__name")
    q = filters.CharFilter(label=_("用户名、姓名或单位"), method="filter_name")
    role = filters.ChoiceFilter(label=_("角色"), empty_label=ALL, choices=User.Role.choices)
    active = filters.ChoiceFilter(label=_("状态"), empty_label=ALL, choices=[("yes", _("启用")), ("no", _("停用"))],
                                  method="filter_active")

    class Meta:
        model = User
        fields: list[str] = []
        form = StyledForm

    def filter_active(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(is_active=value == "yes")


class LeaderFilter(_PeopleFilter):
    name_fields = ("name", "title")
    q = filters.CharFilter(label=_("姓名或职务"), method="filter_name")

    class Meta:
        model = Leader
        fields: list[str] = []
        form = StyledForm


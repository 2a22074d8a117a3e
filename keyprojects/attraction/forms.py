"""The attraction forms: the fields of the services, validated here for the pages and the API alike."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Leader, Unit
from keyprojects.core.forms import StyledForm, field_of, searchable
from keyprojects.core.permissions import Viewer, nearby, regions_for
from keyprojects.projects.forms import DATE_INPUT
from keyprojects.projects.models import Project, Sector
from keyprojects.regions.models import Region

from .models import Event, Lead, Origin, PackageItem, Stage

MANY = _("按住 Ctrl（苹果电脑为 ⌘）可选多个")


def _amount(label: Any, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(label=label, min_value=0, max_digits=18, decimal_places=4, required=required)


class EventForm(StyledForm):
    """An event (``services.save_event``)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(label=_("活动类型"), choices=Event.Kind.choices)
    title = forms.CharField(label=_("活动名称"), max_length=200)
    date = forms.DateField(label=_("活动日期"), widget=DATE_INPUT)
    place = forms.CharField(label=_("地点"), max_length=100, required=False)
    region = forms.ModelChoiceField(label=_("区划"), queryset=Region.objects.none())
    leader = forms.ModelChoiceField(label=_("带队领导"), queryset=Leader.objects.none(), required=False)
    unit = forms.ModelChoiceField(label=_("组织单位"), queryset=Unit.objects.none())
    units = forms.ModelMultipleChoiceField(label=_("参加单位"), queryset=Unit.objects.none(), required=False,
                                           help_text=MANY)
    note = forms.CharField(label=_("活动成效"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, user: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "region", forms.ModelChoiceField).queryset = regions_for(user, "view").exclude(
            level=Region.Level.PROVINCE)
        units = nearby(user, Unit.objects.select_related("region"))
        field_of(self, "unit", forms.ModelChoiceField).queryset = units
        field_of(self, "units", forms.ModelChoiceField).queryset = units
        field_of(self, "leader", forms.ModelChoiceField).queryset = nearby(user, Leader.objects.select_related("region"))

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class LeadForm(StyledForm):
    """What a lead is (``services.save_lead``)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("项目名称"), max_length=200)
    region = forms.ModelChoiceField(label=_("落地区划"), queryset=Region.objects.none())
    investor = forms.CharField(label=_("投资方"), max_length=200)
    origin = forms.ChoiceField(label=_("投资方来源"), choices=Origin.choices)
    investor_place = forms.CharField(label=_("投资方所在地"), max_length=60, required=False)
    industry = forms.CharField(label=_("产业"), max_length=40)
    chain = forms.CharField(label=_("产业链"), max_length=40, required=False)
    amount = _amount(_("计划投资（万元）"))
    found_on = forms.DateField(label=_("获取线索日期"), widget=DATE_INPUT)
    event = forms.ModelChoiceField(label=_("来源活动"), queryset=Event.objects.none(), required=False)
    unit = forms.ModelChoiceField(label=_("跟进单位"), queryset=Unit.objects.none())
    leader = forms.ModelChoiceField(label=_("包抓领导"), queryset=Leader.objects.none(), required=False)

    def __init__(self, *args: Any, user: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "region", forms.ModelChoiceField).queryset = regions_for(user, "view").exclude(
            level=Region.Level.PROVINCE)
        field_of(self, "event", forms.ModelChoiceField).queryset = Event.objects.visible_to(user).order_by("-date")
        field_of(self, "unit", forms.ModelChoiceField).queryset = nearby(user, Unit.objects.select_related("region"))
        field_of(self, "leader", forms.ModelChoiceField).queryset = nearby(user, Leader.objects.select_related("region"))

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class StageForm(StyledForm):
    """A stage change (``services.change_stage``); the amount for an agreement."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    to_stage = forms.ChoiceField(label=_("变更为"), choices=[(s.value, s.label) for s in Stage if s not in (
        Stage.CLUE, Stage.LANDED, Stage.DEAD)])
    on = forms.DateField(label=_("日期"), widget=DATE_INPUT)
    amount = _amount(_("协议金额（万元）"), required=False)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class LandForm(StyledForm):
    """落地 (``services.land``): registered, land, works started; the project's sector and address."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    on = forms.DateField(label=_("落地日期"), widget=DATE_INPUT)
    registered_on = forms.DateField(label=_("注册日期"), widget=DATE_INPUT)
    land_on = forms.DateField(label=_("供地日期"), widget=DATE_INPUT, required=False)
    started_on = forms.DateField(label=_("开工日期"), widget=DATE_INPUT, required=False)
    sector = forms.ModelChoiceField(label=_("行业领域"), queryset=Sector.objects.all(), required=False)
    address = forms.CharField(label=_("建设地点"), max_length=200, required=False)


class StartForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    on = forms.DateField(label=_("开工日期"), widget=DATE_INPUT)


class DieForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    on = forms.DateField(label=_("终止日期"), widget=DATE_INPUT)
    reason = forms.CharField(label=_("终止原因"), max_length=200)


class FundsForm(StyledForm):
    """Funds in place of a month (``services.report_funds``)."""

    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    month = forms.IntegerField(label=_("月份"), min_value=1, max_value=12)
    amount = _amount(_("到位资金（万元）"))
    out_of_province = _amount(_("其中省外到位资金（万元）"), required=False)




class PackageForm(StyledForm):
    """A package (``services.save_package``): the leader (of the admin's region or below), the year,
    the lead department and the departments helping."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    leader = forms.ModelChoiceField(label=_("包抓领导"), queryset=Leader.objects.none())
    lead_unit = forms.ModelChoiceField(label=_("牵头部门"), queryset=Unit.objects.none())
    units = forms.ModelMultipleChoiceField(label=_("配合部门"), queryset=Unit.objects.none(), required=False,
                                           help_text=MANY, widget=forms.SelectMultiple(attrs={"size": 8}))

    def __init__(self, *args: Any, user: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "leader", forms.ModelChoiceField).queryset = Leader.objects.filter(
            region__in=regions_for(user, "edit")).select_related("region").order_by("region__code", "order", "pk")
        units = nearby(user, Unit.objects.select_related("region")).exclude(kind=Unit.Kind.ENTERPRISE)
        field_of(self, "lead_unit", forms.ModelChoiceField).queryset = units
        searchable(field_of(self, "lead_unit", forms.ModelChoiceField))  # a city's 400 units, as on a project
        field_of(self, "units", forms.ModelChoiceField).queryset = units

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


OFFERED = 50


def _offered(rows: QuerySet, find: str) -> tuple[QuerySet, int]:
    """The first ``OFFERED`` of ``rows`` whose name (a project's: or code) contains ``find``, and
    how many do."""
    find = find.strip()
    if find:
        named = Q(name__icontains=find) | (Q(code__icontains=find) if rows.model is Project else Q())
        rows = rows.filter(named)
    return rows.filter(pk__in=list(rows.values_list("pk", flat=True)[:OFFERED])), rows.count()


class PackageItemForm(StyledForm):
    """An item put into a package (``services.add_item``): its kind and the project, enterprise or
    lead of the package's region it names."""

    TARGETS = {"project": "project", "prework": "project", "enterprise": "enterprise", "lead": "lead"}

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(label=_("类别"), choices=PackageItem.Kind.choices)
    project = forms.ModelChoiceField(label=_("项目（推进建设项目、推进项目前期）"), queryset=Project.objects.none(),
                                     required=False)
    enterprise = forms.ModelChoiceField(label=_("企业（服务重点企业）"), queryset=Unit.objects.none(), required=False)
    lead = forms.ModelChoiceField(label=_("招商项目（招引产业项目）"), queryset=Lead.objects.none(), required=False)

    def __init__(self, *args: Any, user: Viewer, region: Region, find: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inside = Region.objects.within(region)
        targets = {
            "project": Project.objects.visible_to(user).filter(region__in=inside).order_by("name", "pk"),
            "enterprise": Unit.objects.filter(kind=Unit.Kind.ENTERPRISE, region__in=inside).order_by("name", "pk"),
            "lead": Lead.objects.visible_to(user).filter(region__in=inside).order_by("name", "pk"),
        }
        self.found: dict[str, int] = {}
        for name, rows in targets.items():
            field = field_of(self, name, forms.ModelChoiceField)
            searchable(field)
            if not self.is_bound:
                # offered: the first OFFERED of those whose name (or code) holds ``find``; a
                # province's 20,000 projects are never all in the page. Posted: any of them.
                rows, self.found[name] = _offered(rows, find)
            field.queryset = rows

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        field = self.TARGETS.get(data.get("kind", ""))
        if field is not None and data.get(field) is None:
            self.add_error(field, _("请选择该类别对应的一项"))
        data["target"] = data.get(field) if field else None
        return data


class VersionForm(StyledForm):
    """The version of the object a one-button form changes (an item taken out of a package)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

"""Forms for projects and plans.

The rules live in the models (field validators, ``clean``) and in ``models.validate_funding``;
these forms apply them to what a person types, and the ledger importer applies the same ones
to every row it reads (without the forms' per-row queries).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Leader, Unit
from keyprojects.core.forms import (
    StyledForm,
    StyledFormMixin,
    field_of,
    plain,
    searchable,
    style_widgets,
)
from keyprojects.core.permissions import Viewer, nearby, regions_for
from keyprojects.regions.models import Region

from .codes import normalized
from .models import AnnualPlan, FundingSource, Project, Stage, validate_amount
from .services import PLAN_FIELDS, PROJECT_FIELDS

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProjectForm(StyledFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    stage = forms.ChoiceField(label=_("建设阶段"), choices=Stage.choices, initial=Stage.PREPARATION)

    class Meta:
        model = Project
        fields = [*PROJECT_FIELDS, "lists", "leaders"]
        widgets = {
            "planned_start": DATE_INPUT,
            "actual_start": DATE_INPUT,
            "planned_completion": DATE_INPUT,
            "actual_completion": DATE_INPUT,
            "scope": forms.Textarea(attrs={"rows": 3}),
            "lists": forms.CheckboxSelectMultiple,
            "leaders": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, user: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        regions = field_of(self, "region", forms.ModelChoiceField)
        regions.queryset = regions_for(user, "edit").exclude(level=Region.Level.PROVINCE)
        for name in ("owner", "responsible_unit"):
            units = field_of(self, name, forms.ModelChoiceField)
            units.queryset = nearby(user, Unit.objects.select_related("region"))
            searchable(units)
        leaders = field_of(self, "leaders", forms.ModelChoiceField)
        leaders.queryset = nearby(user, Leader.objects.select_related("region"))
        for kind, label in FundingSource.Kind.choices:
            self.fields[f"funding_{kind}"] = forms.DecimalField(
                label=label, required=False, max_digits=18, decimal_places=4,
                validators=[validate_amount],
            )
        if self.instance.pk:
            del self.fields["stage"]  # stage changes go through the stage form, with a date
            self.initial["version"] = self.instance.version
            for row in self.instance.funding.all():
                self.initial[f"funding_{row.kind}"] = plain(row.amount)
        style_widgets(self)  # the funding fields were added after the mixin ran

    @property
    def funding_fields(self) -> list[forms.BoundField]:
        return [self[f"funding_{kind}"] for kind in FundingSource.Kind.values]

    def funding(self) -> dict[str, Decimal | None]:
        return {kind: self.cleaned_data.get(f"funding_{kind}") for kind in FundingSource.Kind.values}

    def clean_code(self) -> str | None:
        return normalized(self.cleaned_data.get("code"))


class StageForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    to_stage = forms.ChoiceField(label=_("变更为"), choices=Stage.choices)
    date = forms.DateField(label=_("变更日期"), widget=DATE_INPUT, initial=timezone.localdate)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class AnnualPlanForm(StyledFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = AnnualPlan
        fields = ["year", *PLAN_FIELDS]
        widgets = {"started_on": DATE_INPUT}

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.project = project
        if self.instance.pk:
            self.fields["year"].disabled = True
            self.initial["version"] = self.instance.version

    def clean_year(self) -> int:
        year = self.cleaned_data["year"]
        project = self.instance.project
        if not self.instance.pk and AnnualPlan.objects.filter(project=project, year=year).exists():
            raise forms.ValidationError(_("该项目已有 %(year)s 年度计划，请直接编辑") % {"year": year})
        return year

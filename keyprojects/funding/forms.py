from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from keyprojects.core.forms import StyledForm, StyledFormMixin, field_of
from keyprojects.projects.models import Project

from .models import Round

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RoundForm(StyledFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Round
        fields = ["kind", "year", "batch", "deadline", "note", "approvals_complete", "min_start_rate_applied",
                  "min_start_rate_issued", "start_within_months", "spend_within_months"]
        widgets = {"deadline": DATE, "note": forms.Textarea(attrs={"rows": 2})}


class ProposeForm(StyledForm):
    project = forms.ModelChoiceField(label=_("项目"), queryset=Project.objects.none())  # (narrowed per round)
    requested = forms.DecimalField(label=_("申请金额（万元）"), max_digits=18, decimal_places=4, min_value=0)

    def __init__(self, *args: Any, projects: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "project", forms.ModelChoiceField).queryset = projects


class ScreenForm(StyledForm):
    recommend = forms.TypedChoiceField(label=_("筛选结果"), choices=[("1", _("推荐")), ("0", _("不推荐"))],
                                       coerce=lambda v: v == "1")
    note = forms.CharField(label=_("筛选意见"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ResultForm(StyledForm):
    approved = forms.DecimalField(label=_("批复金额（万元）"), max_digits=18, decimal_places=4, min_value=0, required=False)
    approved_on = forms.DateField(label=_("批复日期"), required=False, widget=DATE)
    approval_number = forms.CharField(label=_("批复文号"), max_length=100, required=False)
    issued = forms.DecimalField(label=_("下达金额（万元）"), max_digits=18, decimal_places=4, min_value=0, required=False)
    issued_on = forms.DateField(label=_("下达日期"), required=False, widget=DATE)
    issue_number = forms.CharField(label=_("下达文号"), max_length=100, required=False)
    spent = forms.DecimalField(label=_("已支出金额（万元）"), max_digits=18, decimal_places=4, min_value=0, required=False)
    spent_on = forms.DateField(label=_("支出截至日期"), required=False, widget=DATE)
    rejected = forms.BooleanField(label=_("省级未批复（未获批）"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ImportForm(StyledForm):
    file = forms.FileField(label=_("省级批复名单（.xlsx）"))
    approved_on = forms.DateField(label=_("批复日期（名单中未列日期时）"), required=False, widget=DATE)

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from keyprojects.core.forms import StyledForm, StyledFormMixin

from .models import StartTarget, WarningRule
from .services import RULE_FIELDS, TARGET_FIELDS


class AcknowledgeForm(StyledForm):
    note = forms.CharField(label=_("确认说明"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("已采取或将采取的措施；确认后预警仍保留，原因消除时自动解除"))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class WarningRuleForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = WarningRule
        fields = RULE_FIELDS


class StartTargetForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = StartTarget
        fields = TARGET_FIELDS
        widgets = {"by_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

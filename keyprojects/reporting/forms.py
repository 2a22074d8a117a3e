from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from keyprojects.core.forms import StyledForm, StyledFormMixin
from keyprojects.projects.forms import DATE_INPUT

from .models import ProgressReport, ReportingPeriod
from .services import REPORT_FIELDS


class PeriodForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = ReportingPeriod
        fields = ["year", "month", "opens_on", "closes_on"]
        widgets = {"opens_on": DATE_INPUT, "closes_on": DATE_INPUT}


# The filing screen's date: one text field typed as 2026-05-01 (a browser's date input is four Tab
# stops, and the screen has one per project).
TYPED_DATE_INPUT = forms.DateInput(format="%Y-%m-%d", attrs={
    "placeholder": "YYYY-MM-DD", "inputmode": "numeric", "autocomplete": "off", "maxlength": "10"})


class ReportForm(StyledFormMixin, forms.ModelForm):
    """One project's monthly figures; the filing screen shows one per row."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ProgressReport
        fields = REPORT_FIELDS
        widgets = {
            "started_on": TYPED_DATE_INPUT,
            "progress": forms.Textarea(attrs={"rows": 2}),
            "problems": forms.Textarea(attrs={"rows": 2}),
            "next_steps": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["version"] = self.instance.version


class ReturnForm(StyledForm):
    return_reason = forms.CharField(label=_("退回原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class CorrectionForm(ReportForm):
    """After approval (and after a lock) only the figures are corrected, with a reason."""

    reason = forms.CharField(label=_("更正原因"), max_length=300)

    class Meta(ReportForm.Meta):
        fields = ["completed_month", "completed_ytd", "completed_since_start", "started", "started_on"]



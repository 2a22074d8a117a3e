from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from keyprojects.core.forms import StyledForm, StyledFormMixin

from .models import Group, Line, Scheme
from .services import GROUP_FIELDS, LINE_FIELDS, SCHEME_FIELDS


class SchemeForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Scheme
        fields = SCHEME_FIELDS


class GroupForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Group
        fields = GROUP_FIELDS


class LineForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Line
        fields = LINE_FIELDS


class TakeForm(StyledForm):
    period = forms.CharField(label=_("考核期"), max_length=10, help_text=_("月份如 2022-05，季度如 2022-Q1"))

"""Forms of the approvals: the pages and the API (``api.forms.bound_form``) validate with these."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Unit, department_kind
from keyprojects.core.forms import StyledForm, StyledFormMixin, field_of
from keyprojects.core.permissions import Viewer, nearby
from keyprojects.projects.forms import DATE_INPUT
from keyprojects.projects.models import Project

from .models import ApprovalItem, Path
from .services import DOCUMENT_MB

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _units(user: Viewer) -> Any:
    """Units that may help with or issue approvals: public bodies, not the enterprises that own
    projects (a city's thousands made the project's page slow to render)."""
    return nearby(user, Unit.objects.exclude(kind=Unit.Kind.ENTERPRISE).select_related("region"))


class ScheduleForm(StyledForm):
    """(Re)schedule a project's approvals back from its target start."""

    target_start = forms.DateField(label=_("目标开工日期"), widget=DATE_INPUT)
    path = forms.ChoiceField(label=_("管理方式"), choices=Path.choices)
    helper = forms.ModelChoiceField(label=_("帮办单位"), queryset=Unit.objects.none(), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "helper", forms.ModelChoiceField).queryset = _units(user)

    def clean_target_start(self) -> date:
        day = self.cleaned_data["target_start"]
        if not FIRST_YEAR <= day.year <= LAST_YEAR:  # the working days are counted back from it
            raise forms.ValidationError(_("目标开工日期应在%(first)s年至%(last)s年之间")
                                        % {"first": FIRST_YEAR, "last": LAST_YEAR})
        return day


class RecordForm(StyledForm):
    """Fill an item: obtained on, 批复文号, the document, a note."""

    obtained_on = forms.DateField(label=_("实际办结日期"), widget=DATE_INPUT, required=False)
    number = forms.CharField(label=_("批复文号"), max_length=100, required=False)
    document = forms.FileField(label=_("批复文件"), required=False,
                               help_text=format_lazy(_("PDF、JPG 或 PNG，不超过 {mb} MB"), mb=DOCUMENT_MB))
    note = forms.CharField(label=_("备注"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ConfirmForm(StyledForm):
    """The issuing unit confirms an item obtained; only the version it saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AdjustForm(StyledForm):
    """Waive an item for this project, or require it again, with the reason."""

    required = forms.BooleanField(label=_("需办理"), required=False)
    reason = forms.CharField(label=_("调整理由"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AddItemForm(StyledForm):
    item = forms.ModelChoiceField(label=_("事项"), queryset=ApprovalItem.objects.none())
    reason = forms.CharField(label=_("理由"), max_length=200)

    def __init__(self, *args: Any, project: Project, items: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "item", forms.ModelChoiceField).queryset = items.exclude(uses__project=project)


class ApprovalItemForm(StyledFormMixin, forms.ModelForm):
    """A catalogue item, as the city edits it."""

    paths = forms.MultipleChoiceField(label=_("适用管理方式"), choices=Path.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple, help_text=_("不选则适用全部"))
    project_types = forms.MultipleChoiceField(label=_("适用项目类型"), choices=Project.Type.choices, required=False,
                                              widget=forms.CheckboxSelectMultiple, help_text=_("不选则适用全部"))

    class Meta:
        model = ApprovalItem
        fields = ["name", "code", "issuer_name", "issuer", "duration", "depends_on", "validity_months", "paths",
                  "project_types", "min_investment", "order", "active"]

    def __init__(self, *args: Any, user: Viewer, region: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "issuer", forms.ModelChoiceField).queryset = Unit.objects.filter(
            region=region, kind=department_kind(region))
        others = ApprovalItem.objects.filter(region=region)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        field_of(self, "depends_on", forms.ModelMultipleChoiceField).queryset = others

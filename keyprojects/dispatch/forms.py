"""Forms of the problem ledger and the meetings: the pages and the API (``api.forms.bound_form``)
validate with these. Choices are the user's: projects they may change, units and leaders
nearby (``core.permissions.nearby``), regions they hold."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Leader, Unit
from keyprojects.core.forms import StyledForm, StyledFormMixin, field_of
from keyprojects.core.permissions import Viewer, nearby, regions_for, restrict
from keyprojects.core.uploads import require_kind
from keyprojects.projects.forms import DATE_INPUT
from keyprojects.projects.models import Project
from keyprojects.regions.models import Region
from keyprojects.reporting.models import ProgressReport

from .cadence import State
from .models import CadenceRule, Decision, Meeting, MeetingAttachment, Problem
from .services import ATTACHMENT_KINDS, ATTACHMENT_MB, CADENCE_FIELDS, MEETING_FIELDS

MANY = _("按住 Ctrl（苹果电脑为 ⌘）可选多个")
ATTACHMENT_HINT = format_lazy(_("Word（.docx）、PDF、JPG 或 PNG，每个不超过 {mb} MB"), mb=ATTACHMENT_MB)


def _units(user: Viewer) -> Any:
    return nearby(user, Unit.objects.select_related("region"))


def _leaders(user: Viewer) -> Any:
    return nearby(user, Leader.objects.select_related("region"))


def _narrow(form: forms.BaseForm, **querysets: Any) -> None:
    """Narrow ``form``'s model choices to what its user may pick."""
    for name, queryset in querysets.items():
        field_of(form, name, forms.ModelChoiceField).queryset = queryset


def _checked(upload: Any) -> Any:
    try:
        require_kind(upload, ATTACHMENT_KINDS, ATTACHMENT_MB)
    except ValidationError as exc:
        raise forms.ValidationError(exc.messages) from None
    return upload


class ProblemEditForm(StyledFormMixin, forms.ModelForm):
    """What a problem is: its project (or region), source, category, summary and description."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Problem
        fields = ["project", "region", "source", "category", "title", "description"]
        widgets: dict[str, Any] = {"description": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"region": _("不属于具体项目的问题须选择区划；属于项目的问题取项目所在区划")}

    def __init__(self, *args: Any, user: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        _narrow(self, project=restrict(Project.objects.select_related("region"), user, "edit"))
        _narrow(self, region=regions_for(user, "edit"))
        self.fields["region"].required = False
        if self.instance.pk:
            self.initial["version"] = self.instance.version

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("project") and not data.get("region") and "region" not in self.errors:
            self.add_error("region", _("不属于项目的问题须选择所属区划"))
        return data


class ProblemForm(ProblemEditForm):
    """Raising a problem; with a lead unit and a deadline it is assigned at once."""

    class Meta(ProblemEditForm.Meta):
        fields = [*ProblemEditForm.Meta.fields, "lead_unit", "co_units", "leader", "deadline", "report", "decision"]
        widgets = {**ProblemEditForm.Meta.widgets, "deadline": DATE_INPUT, "report": forms.HiddenInput,
                   "decision": forms.HiddenInput}
        help_texts = {**ProblemEditForm.Meta.help_texts, "co_units": MANY,
                      "lead_unit": _("选择牵头单位并填写办理时限即直接交办；都不填则为“待交办”")}

    def __init__(self, *args: Any, user: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        _narrow(self, lead_unit=_units(user), co_units=_units(user))
        _narrow(self, leader=_leaders(user))
        _narrow(self, report=restrict(ProgressReport.objects.all(), user))
        _narrow(self, decision=Decision.objects.filter(meeting__in=Meeting.objects.visible_to(user)))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bool(data.get("lead_unit")) != bool(data.get("deadline")):
            missing = "deadline" if data.get("lead_unit") else "lead_unit"
            if missing not in self.errors:
                self.add_error(missing, _("交办须同时指定牵头单位和办理时限"))
        if data.get("co_units") and not data.get("lead_unit") and "lead_unit" not in self.errors:
            self.add_error("co_units", _("配合单位随交办一并指定，请同时选择牵头单位和办理时限"))
        return data


class AssignForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    lead_unit = forms.ModelChoiceField(label=_("牵头单位"), queryset=Unit.objects.none())
    co_units = forms.ModelMultipleChoiceField(label=_("配合单位"), queryset=Unit.objects.none(), required=False,
                                              help_text=MANY)
    leader = forms.ModelChoiceField(label=_("包抓领导"), queryset=Leader.objects.none(), required=False)
    deadline = forms.DateField(label=_("办理时限"), widget=DATE_INPUT)
    text = forms.CharField(label=_("交办意见"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _narrow(self, lead_unit=_units(user), co_units=_units(user))
        _narrow(self, leader=_leaders(user))


class ReplyForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    text = forms.CharField(label=_("答复内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    progress_only = forms.BooleanField(label=_("仅反馈办理进展"), required=False,
                                       help_text=_("不勾选即为办结答复，提请提出方销号"))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern): a list of uploads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        uploads = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(upload, initial) for upload in uploads if upload]


class ReplyWithFilesForm(ReplyForm):
    attachments = MultipleFileField(label=_("附件"), required=False, help_text=ATTACHMENT_HINT)

    def clean_attachments(self) -> list[Any]:
        return [_checked(upload) for upload in self.cleaned_data.get("attachments") or []]


class SignOffForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    text = forms.CharField(label=_("销号意见"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ReturnForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label=_("退回原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class EscalateForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label=_("提级原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateField(label=_("上级办理时限"), widget=DATE_INPUT)


# --- meetings -----------------------------------------------------------------------------

class MeetingForm(StyledFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Meeting
        fields = [*MEETING_FIELDS, "units", "projects"]
        widgets = {"date": DATE_INPUT, "minutes": forms.Textarea(attrs={"rows": 6}),
                   "units": forms.SelectMultiple(attrs={"size": 8}),
                   "projects": forms.SelectMultiple(attrs={"size": 8})}
        help_texts = {"units": MANY, "projects": MANY}

    def __init__(self, *args: Any, user: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _narrow(self, region=regions_for(user, "edit"))
        _narrow(self, chair=_leaders(user))
        _narrow(self, units=_units(user))
        _narrow(self, projects=Project.objects.visible_to(user).select_related("region"))
        _narrow(self, cadence_rule=CadenceRule.objects.visible_to(user).select_related("region"))
        if self.instance.pk:
            self.initial["version"] = self.instance.version
        else:
            region = getattr(user, "region", None)  # (none for the schema's anonymous form)
            if region is not None:
                self.initial.setdefault("region", region.pk)


class DecisionForm(StyledForm):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    text = forms.CharField(label=_("议定事项"), max_length=5000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


DecisionFormSet = forms.formset_factory(DecisionForm, extra=3, can_delete=True, max_num=200, absolute_max=200)


def decisions_of(formset: Any) -> list[tuple[int | None, str]]:
    """The decisions a formset keeps, in order: (id or None, text); blank and deleted rows dropped."""
    return [(form.cleaned_data.get("id"), form.cleaned_data["text"]) for form in formset.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("text", "").strip()]


class MeetingAttachmentForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = MeetingAttachment
        fields = ["file", "kind", "caption"]
        help_texts = {"file": ATTACHMENT_HINT}

    def clean_file(self) -> Any:
        return _checked(self.cleaned_data["file"])


# --- the cadence ------------------------------------------------------------------------------

MONTH = forms.TextInput(attrs={"type": "month"})
CALENDAR_STATES = [("due", _("应调度（截至今日）")), *State.choices]


class CalendarForm(StyledForm):
    """The calendar's months (from, to: this month and next by default), region and state."""

    start = forms.RegexField(label=_("起始月份"), regex=r"^\d{4}-(0[1-9]|1[0-2])$", required=False, widget=MONTH,
                             error_messages={"invalid": _("请按“2022-07”的格式填写月份")})
    end = forms.RegexField(label=_("截止月份"), regex=r"^\d{4}-(0[1-9]|1[0-2])$", required=False, widget=MONTH,
                           error_messages={"invalid": _("请按“2022-07”的格式填写月份")})
    region = forms.ModelChoiceField(label=_("区划"), queryset=Region.objects.none(), required=False,
                                    empty_label=_("全部"))
    state = forms.ChoiceField(label=_("状态"), choices=[("", _("全部")), *CALENDAR_STATES], required=False)
    rule = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**63 - 1)

    MAX_MONTHS = 24

    def __init__(self, *args: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "region", forms.ModelChoiceField).queryset = regions

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("截止月份不能早于起始月份"))
        elif start and end and _months(start, end) > self.MAX_MONTHS:
            self.add_error("end", _("一次最多查看 %(n)s 个月") % {"n": self.MAX_MONTHS})
        return data


def _months(start: str, end: str) -> int:
    (y1, m1), (y2, m2) = (map(int, start.split("-")), map(int, end.split("-")))
    return (y2 - y1) * 12 + m2 - m1 + 1


class CadenceRuleForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = CadenceRule
        fields = [*CADENCE_FIELDS, "lists"]
        widgets = {"starts_on": DATE_INPUT, "lists": forms.SelectMultiple(attrs={"size": 6})}
        help_texts = {"lists": format_lazy("{}；{}", _("不选则为本区划全部重点项目"), MANY),
                      "starts_on": _("按周调度时应是所选的星期几"),
                      "reminder_days": _("在应调度日期前几天提醒调度部门（遇节假日提前到工作日）")}

    def __init__(self, *args: Any, user: Viewer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _narrow(self, region=regions_for(user, "edit"), chair=_leaders(user))
        region = getattr(user, "region", None)
        if not self.instance.pk and region is not None:
            self.initial.setdefault("region", region.pk)

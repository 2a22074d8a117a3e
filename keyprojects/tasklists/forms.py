from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Leader, Unit
from keyprojects.core.forms import StyledForm, field_of, style_widgets
from keyprojects.core.permissions import Viewer, nearby
from keyprojects.projects.forms import DATE_INPUT

from .models import Area, Task

MANY = _("按住 Ctrl（苹果电脑为 ⌘）可选多个")


class AreaForm(StyledForm):
    """An area (方面) of the list: the fields of ``services.save_area``."""

    number = forms.IntegerField(label=_("序号"), min_value=1, max_value=999)
    name = forms.CharField(label=_("方面"), max_length=100)


class TaskForm(StyledForm):
    """What a task is (the fields of ``services.save_task``): its area, number, title,
    requirements, lead and co-units, leader and deadline."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    area = forms.ModelChoiceField(label=_("方面"), queryset=Area.objects.none())
    number = forms.IntegerField(label=_("序号"), min_value=1, max_value=999)
    title = forms.CharField(label=_("任务"), max_length=200)
    description = forms.CharField(label=_("工作要求"), max_length=5000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    lead_unit = forms.ModelChoiceField(label=_("牵头单位"), queryset=Unit.objects.none())
    co_units = forms.ModelMultipleChoiceField(label=_("配合单位"), queryset=Unit.objects.none(), required=False,
                                              help_text=MANY)
    leader = forms.ModelChoiceField(label=_("包抓领导"), queryset=Leader.objects.none(), required=False)
    deadline = forms.DateField(label=_("完成时限"), widget=DATE_INPUT)

    def __init__(self, *args: Any, user: Viewer, areas: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "area", forms.ModelChoiceField).queryset = areas
        units = nearby(user, Unit.objects.select_related("region"))
        field_of(self, "lead_unit", forms.ModelChoiceField).queryset = units
        field_of(self, "co_units", forms.ModelChoiceField).queryset = units
        field_of(self, "leader", forms.ModelChoiceField).queryset = nearby(user, Leader.objects.select_related("region"))

    def service_data(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


class MilestoneForm(StyledForm):
    title = forms.CharField(label=_("节点"), max_length=100)
    due = forms.DateField(label=_("计划完成日期"), widget=DATE_INPUT)


class TargetForm(StyledForm):
    name = forms.CharField(label=_("指标"), max_length=60)
    unit = forms.CharField(label=_("计量单位"), max_length=16)
    target = forms.DecimalField(label=_("目标值"), min_value=0, max_digits=14, decimal_places=2)


class UpdateForm(StyledForm):
    """A progress update: the date, the text, each target's current value, the milestones
    reached, and whether the task is done (the fields of ``services.record_update``)."""

    on = forms.DateField(label=_("进展日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    text = forms.CharField(label=_("工作进展"), widget=forms.Textarea(attrs={"rows": 5}), max_length=2000)
    milestones = forms.MultipleChoiceField(label=_("本次完成的节点"), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    done = forms.BooleanField(label=_("任务已全部完成"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, task: Task, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.task = task
        milestones = self.fields["milestones"]
        assert isinstance(milestones, forms.MultipleChoiceField)
        milestones.choices = [(m.pk, str(m)) for m in task.milestones.filter(reached_on__isnull=True)]
        for target in task.targets.all():
            self.fields[f"value_{target.pk}"] = forms.DecimalField(
                label=f"{target.name}（{target.unit}，目标 {target.target.normalize():f}）", required=False,
                min_value=0, max_digits=14, decimal_places=2,
                initial=target.actual.normalize() if target.actual is not None else None)
        if task.state == Task.State.DONE:
            del self.fields["done"]
        style_widgets(self)  # (the targets' fields, added above)

    def value_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("value_")]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"on": data["on"], "text": data["text"], "done": data.get("done", False),
                "milestones": [int(pk) for pk in data.get("milestones") or []],
                "values": {int(name.removeprefix("value_")): value for name, value in data.items()
                           if name.startswith("value_") and value is not None}}

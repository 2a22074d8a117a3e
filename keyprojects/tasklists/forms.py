from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from keyprojects.core.forms import StyledForm, style_widgets

from .models import Task


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

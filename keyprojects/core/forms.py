"""Form plumbing shared by every page: Tabler/Bootstrap classes on widgets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms


def style_widgets(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.HiddenInput):
            continue
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        classes = widget.attrs.get("class", "").split()
        if css not in classes:
            widget.attrs["class"] = " ".join([*classes, css])


def plain(value: Decimal) -> Decimal:
    """12000.0000 -> 12000, still a Decimal (so has_changed compares like with like)."""
    return Decimal(format(value.normalize(), "f"))


class StyledFormMixin:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_widgets(self)  # type: ignore[arg-type]
        # Amounts are stored with four decimals; show 4500000, not 4500000.0000.
        for name, value in self.initial.items():  # type: ignore[attr-defined]
            if isinstance(value, Decimal):
                self.initial[name] = plain(value)  # type: ignore[attr-defined]

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                widget = self.fields[name].widget  # type: ignore[attr-defined]
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class StyledForm(StyledFormMixin, forms.Form):
    pass


def post_data(values: dict[str, Any]) -> dict[str, Any]:
    """Python values as a browser would post them to a form: the importer and the API feed
    the web forms this way, so all three are validated by the same rules."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or value is False:
            continue  # an empty field; an unticked box is simply absent
        if value is True:
            out[key] = "on"
        elif isinstance(value, list | tuple):
            out[key] = [str(getattr(v, "pk", v)) for v in value]
        elif isinstance(value, Decimal):
            out[key] = format(value.normalize(), "f")
        elif isinstance(value, date):
            out[key] = value.isoformat()
        else:
            out[key] = str(getattr(value, "pk", value))
    return out

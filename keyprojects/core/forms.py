"""Form plumbing shared by every page: Tabler/Bootstrap classes on widgets, and the renderer
that puts the common widgets together in Python."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

WIDGETS = "django/forms/widgets/"
SELECT, OPTION, TEXTAREA = f"{WIDGETS}select.html", f"{WIDGETS}select_option.html", f"{WIDGETS}textarea.html"
# Django's templates that are its input.html and nothing else.
INPUTS = {f"{WIDGETS}{name}.html" for name in ("input", "text", "number", "email", "url", "password", "hidden", "date",
                                               "datetime", "time", "checkbox", "search", "tel", "color", "file")}


class FormRenderer(DjangoTemplates):
    """Django's form renderer (``FORM_RENDERER``), except that a select with Django's own option
    template, an input and a textarea are put together in Python, to the markup Django's
    templates give: those include a template per option and per attribute list, and the project
    list's filters offer a province's reader some 300 options (about a fifth of the page's
    time), the filing screen 400 inputs a page."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget: dict[str, Any] = context.get("widget", {})  # (the context of a widget's template)
        if template_name in INPUTS:
            return _input(widget)
        if template_name == TEXTAREA:
            return format_html('<textarea name="{}"{}>\n{}</textarea>', widget["name"], _attrs(widget["attrs"]),
                               widget["value"] or "")
        if template_name == SELECT:
            groups = widget["optgroups"]
            if all(option["template_name"] == OPTION for _name, options, _index in groups for option in options):
                return _select(widget)
        return super().render(template_name, context, request)


def _input(widget: dict[str, Any]) -> SafeString:
    value = "" if widget["value"] is None else format_html(' value="{}"', str(widget["value"]))
    return format_html('<input type="{}" name="{}"{}{}>', widget["type"], widget["name"], value, _attrs(widget["attrs"]))


def _select(widget: dict[str, Any]) -> SafeString:
    parts = []
    for name, options, _index in widget["optgroups"]:
        html = format_html_join("", '\n  <option value="{}"{}>{}</option>',
                                ((str(o["value"]), _attrs(o["attrs"]), o["label"]) for o in options))
        parts.append(format_html('\n  <optgroup label="{}">{}\n  </optgroup>', name, html) if name else html)
    return format_html('<select name="{}"{}>{}\n</select>', widget["name"], _attrs(widget["attrs"]),
                       mark_safe("".join(parts)))  # (each part built by format_html: escaped)


def _attrs(attrs: dict[str, Any]) -> SafeString:
    """As ``django/forms/widgets/attrs.html``: False leaves an attribute out, True names it bare."""
    pairs: Iterable[tuple[str, Any]] = ((name, "" if value is True else format_html('="{}"', str(value)))
                                        for name, value in attrs.items() if value is not False)
    return format_html_join("", " {}{}", pairs)


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


F = TypeVar("F", bound=forms.Field)


def searchable(field: forms.ChoiceField) -> None:
    """A long choice (a city's 400 units) offered as a text box that finds names as one types
    (``static/js/site.js``); the select stays what is posted and checked, and what is shown
    without JavaScript."""
    field.widget.attrs.update({"data-searchable": _("输入名称查找"),
                               "data-searchable-refused": _("请从列表中选择一项")})


def field_of(form: forms.BaseForm, name: str, kind: type[F]) -> F:
    """``form``'s field ``name``, which is a ``kind`` (to set what only that kind of field has,
    such as the queryset a model choice is narrowed to)."""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{type(form).__name__}.{name} is a {type(field).__name__}, not a {kind.__name__}")
    return field


# The mixin's base: to the type checker a form (whose methods it uses and overrides), at run time
# nothing (they come from the form class it is mixed into).
if TYPE_CHECKING:
    _Form = forms.BaseForm
else:
    _Form = object


class StyledFormMixin(_Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_widgets(self)
        # Amounts are stored with four decimals; show 4500000, not 4500000.0000.
        for name, value in self.initial.items():
            if isinstance(value, Decimal):
                self.initial[name] = plain(value)

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class StyledForm(StyledFormMixin, forms.Form):
    pass


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form, on the field it names when the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


T = TypeVar("T")


def submitted(form: forms.BaseForm, save: Callable[[], T]) -> T | None:
    """A posted form handed to its service (``save``, which returns what it saved): that, or
    None with the form invalid or the service's refusal put on it — a field's on the field, an
    edit conflict (someone saved first) above the form."""
    from keyprojects.projects.services import EditConflict  # (the services' own error)

    if not form.is_valid():
        return None
    try:
        return save()
    except ValidationError as exc:
        add_service_errors(form, exc)
    except EditConflict as exc:
        form.add_error(None, str(exc))
    return None


def performed(request: HttpRequest, action: Callable[[], object], done: str) -> bool:
    """A one-click action (publish, acknowledge, install) handed to its service: ``done`` as a
    success, or the service's refusal or an edit conflict as an error message; whether it was done."""
    from keyprojects.projects.services import EditConflict  # (the services' own error)

    try:
        action()
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except EditConflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
        return True
    return False


def apply_posted(request: HttpRequest, form: forms.BaseForm, action: Callable[[dict[str, Any]], object],
                 done: str) -> bool:
    """A small posted form (an upload, an item added, a row's action) handed to its service: the
    form's errors or the service's refusal as an error message, else ``done`` as a success;
    whether it was applied."""
    if submitted(form, lambda: action(form.cleaned_data) or True) is None:
        messages.error(request, "；".join(
            f"{form.fields[name].label}：{e}" if name in form.fields and form.fields[name].label else str(e)
            for name, errors in form.errors.items() for e in errors))
        return False
    messages.success(request, done)
    return True


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

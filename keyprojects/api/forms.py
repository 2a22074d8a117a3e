"""The API validates writes with the very forms the web pages use.

An input serializer is generated from a form's fields, so the OpenAPI schema and the type
checks (a number where a number belongs) come for free; the typed values are then posted
to the form, whose field, model and cross-field rules are the product's one definition of
"valid". Services then apply scope, versions and life-cycle rules, as for the web.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypedDict, TypeVar

from django import forms
from django.db.models import Model
from rest_framework import serializers

from keyprojects.core.forms import post_data

F = TypeVar("F", bound=forms.BaseForm)


class Bounds(TypedDict):
    min_value: int
    max_value: int


ID: Bounds = {"min_value": 1, "max_value": 2**63 - 1}  # a database id (64-bit)


def _api_field(field: forms.Field, required: bool = False) -> serializers.Field:
    common: dict[str, Any] = {"required": required, "help_text": str(field.help_text or "") or None,
                              "label": str(field.label) if field.label else None}
    if isinstance(field, forms.ModelMultipleChoiceField):
        return serializers.ListField(child=serializers.IntegerField(**ID), **common)
    if isinstance(field, forms.ModelChoiceField):
        return serializers.IntegerField(allow_null=True, **ID, **common)
    if isinstance(field, forms.ChoiceField):
        made: Iterable[tuple[Any, Any]] = field.choices  # type: ignore[assignment]  # a list by now, not a callable
        choices = [c for c in made if c[0] != ""]
        return serializers.ChoiceField(choices=choices, allow_blank=not field.required, allow_null=True, **common)
    if isinstance(field, forms.DecimalField):
        return serializers.DecimalField(max_digits=field.max_digits, decimal_places=field.decimal_places,
                                        allow_null=True, coerce_to_string=True, **common)
    if isinstance(field, forms.DateField):
        return serializers.DateField(allow_null=True, **common)
    if isinstance(field, forms.BooleanField):
        return serializers.BooleanField(**common)
    if isinstance(field, forms.IntegerField):
        return serializers.IntegerField(allow_null=True, min_value=_bound(field.min_value),
                                        max_value=_bound(field.max_value), **common)
    return serializers.CharField(allow_blank=True, allow_null=True, max_length=getattr(field, "max_length", None),
                                 **common)

def _bound(value: int | Callable[[], int] | None) -> int | None:
    """A form field's bound as DRF takes it: a number (Django also takes a callable giving one)."""
    return value() if callable(value) else value

def input_serializer(name: str, form: forms.BaseForm, required: tuple[str, ...] = (),
                     extra: dict[str, serializers.Field] | None = None,
                     optional: tuple[str, ...] = ()) -> type[serializers.Serializer]:
    """A serializer class with one typed field per field of ``form`` (an unbound instance).
    A field is required when ``required`` names it or the form requires it (a ticked box
    aside), unless ``optional`` names it (the view fills it in)."""
    # (required is given when each field is made: a serializer copies its fields from their arguments)
    needed = set(required) | {key for key, field in form.fields.items()
                              if field.required and not isinstance(field, forms.BooleanField)}
    fields = {key: _api_field(field, key in needed - set(optional)) for key, field in form.fields.items()}
    if (set(required) | set(optional)) - set(fields):
        raise ValueError(f"{name}: no such field {sorted((set(required) | set(optional)) - set(fields))}")
    fields.update(extra or {})
    return type(name, (serializers.Serializer,), fields)

def current_values(instance: Model, form_class: type[forms.ModelForm]) -> dict[str, Any]:
    """What the edit page would show for ``instance``: the base a partial update starts from."""
    values = forms.models.model_to_dict(instance, fields=form_class._meta.fields)
    if "version" in getattr(instance, "__dict__", {}):
        values["version"] = instance.__dict__["version"]
    return values

def bound_form(form_class: type[F], serializer_class: type[serializers.Serializer],
               payload: Any, base: dict[str, Any] | None = None, **form_kwargs: Any) -> F:
    """Type-check ``payload``, lay it over ``base`` (for a partial update) and validate it with
    the web form; a ValidationError names every field that is wrong."""
    if not isinstance(payload, dict):
        raise serializers.ValidationError({"non_field_errors": ["请求体应为 JSON 对象"]})
    typed = serializer_class(data=payload, partial=base is not None)
    typed.is_valid(raise_exception=True)
    values = {**(base or {}), **typed.validated_data}
    form = form_class(data=post_data(values), **form_kwargs)
    if not form.is_valid():
        raise serializers.ValidationError(
            {("non_field_errors" if key == "__all__" else key): [str(e) for e in errors]
             for key, errors in form.errors.items()})
    return form


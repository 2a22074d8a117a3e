"""Accessible names for form inputs: {% load aria %} then {{ form.field|aria_label:label }}.

For inputs without a visible <label> of their own, such as the cells of the filing screen, where a
screen reader would otherwise announce only "edit text".
"""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def aria_label(field: BoundField, label: str) -> SafeString:
    """The field's widget with ``aria-label="label"`` (escaped like any other attribute)."""
    return field.as_widget(attrs={"aria-label": label})

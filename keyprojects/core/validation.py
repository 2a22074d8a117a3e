"""A model object's own rules, applied the one way every write path applies them.

``validate(obj)`` is what a service calls before it saves one object: ``Model.full_clean`` —
each field's validators, the model's ``clean``, and the checks that ask the database (a
foreign key's row exists, a unique value is free). A bulk write (the ledger import) passes
its ``Checked``: the same field rules and the same ``clean``, collected as ``full_clean``
collects them, so the same messages by the same fields — without those queries (the caller
looks up what a whole batch names at once, and which row holds a unique value: the importer
matches rows to projects by their codes), and without checking again a value that passed its
field's rules earlier in the batch (a ledger repeats the same natures, flags, dates and
amounts thousands of times)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from .bulk import Blank, values_of

_REMEMBERED = (str, int, date)  # values of other types (None, floats, lazy text) are not remembered
_NOT_A_VALUE = object()
OwnFields = tuple[list[Any], Callable[[Any], tuple[Any, ...]], tuple[Any, ...]]


class Checked:
    """What a bulk write has checked so far, by model: the field values that passed their
    field's rules. ``blanks``: those its new objects are copies of (``core.bulk.Blank``),
    whose values that pass need no check while a new object's field still holds them."""

    def __init__(self, *blanks: Blank) -> None:
        self.passed: defaultdict[type, set[tuple[str, type, Any]]] = defaultdict(set)
        self._blanks = {blank.model: blank for blank in blanks}
        self._fields: dict[type, OwnFields] = {}

    def forget(self) -> None:
        """Let go of the values passed so far: a long bulk write's distinct names and amounts
        would pile up, and the values it repeats are checked again once each."""
        self.passed.clear()

    def fields(self, model: type[models.Model]) -> OwnFields:
        """The model's own fields (not its relations), a getter of their values, and by field
        the value of the model's blank if it passes the field's rules (else ``_NOT_A_VALUE``,
        as for a blank name): a value that *is* it needs no check."""
        if model not in self._fields:
            fields = [f for f in model._meta.concrete_fields
                      if not f.is_relation and not f.generated]
            getter = values_of([f.attname for f in fields])
            if model in self._blanks:
                blank = self._blanks[model]()
                known = tuple(_passes(f, value, blank)
                              for f, value in zip(fields, getter(blank), strict=True))
            else:
                known = (_NOT_A_VALUE,) * len(fields)
            self._fields[model] = fields, getter, known
        return self._fields[model]


def validate(obj: models.Model, checked: Checked | None = None) -> None:
    """``obj``'s rules (``full_clean``); with ``checked``, as a bulk write checks them (above)."""
    if checked is None:
        obj.full_clean()
        return
    fields, getter, blank = checked.fields(type(obj))
    passed = checked.passed[type(obj)]
    errors: dict[str, list[ValidationError]] = {}
    # (inline, not a function per field: a call per field cost more)
    for own, value, default in zip(fields, getter(obj), blank, strict=True):
        if value is default:  # still the blank's own value, which passed when the blank was made
            continue
        kind = type(value)
        if kind is Decimal:  # by digits and exponent: 1.0 == 1.00000, not to the places rule
            key = own.attname, kind, value.as_tuple()
        elif isinstance(value, _REMEMBERED):
            key = own.attname, kind, value
        else:
            key = None  # checked every time
        if key in passed or (own.blank and value in own.empty_values):
            continue
        try:
            cleaned = own.clean(value, obj)
        except ValidationError as exc:
            errors[own.name] = exc.error_list
            continue
        setattr(obj, own.attname, cleaned)
        if key is not None and cleaned is value:  # cleaning gave it back as it was
            passed.add(key)
    try:
        obj.clean()
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _passes(own: Any, value: Any, obj: Any) -> Any:
    """``value`` if its field's rules give it back as it is, else ``_NOT_A_VALUE``."""
    try:
        return value if own.clean(value, obj) is value else _NOT_A_VALUE
    except ValidationError:
        return _NOT_A_VALUE


def would_change(obj: models.Model, data: dict[str, Any], fields: list[str]) -> bool:
    """Whether setting ``data``'s ``fields`` on ``obj`` would change it: a save that changes
    nothing keeps the version, so the client's copy stays current (an API PATCH sent twice)."""
    for field in fields:
        if field not in data:
            continue
        model_field = obj._meta.get_field(field)
        if model_field.many_to_many:
            if {getattr(v, "pk", v) for v in data[field]} != set(getattr(obj, field).values_list("pk", flat=True)):
                return True
            continue
        current = getattr(obj, getattr(model_field, "attname", field))  # (a reverse relation has none: not a form's field)
        new = data[field]
        new = getattr(new, "pk", new) if model_field.is_relation else new
        if current != new:
            return True
    return False

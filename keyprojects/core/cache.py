"""Results remembered until the data changes.

Every committed write moves the data version (``core.audit.data_version``), and the key of a
remembered result holds it: a result computed before any write is never served after it.
What is remembered: the indicators (the dashboard's and the API's), a list's totals line, and
the order of a long list's keys (``core.paging``), all the same for every view until the next
write.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db.models import Model, QuerySet
from django.utils.translation import get_language

from .audit import data_version

T = TypeVar("T")
SECONDS = 600  # the longest a result is kept: what a write made outside the product can leave stale


def cached(compute: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``compute(*args, **kwargs)``, remembered until the data changes. The function's name and
    arguments are part of the key, querysets (a user's scope, a list's filters) by their SQL,
    model instances by pk, and so is the language (labels are translated). ``SECONDS`` bounds
    what a write made outside the product (raw SQL, a restored backup) can leave stale."""
    key = repr((compute.__module__, compute.__qualname__, data_version(), get_language(),
                [_part(a) for a in args], sorted((name, _part(value)) for name, value in kwargs.items())))
    key = "cached:" + hashlib.sha256(key.encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = compute(*args, **kwargs)
        cache.set(key, found, SECONDS)
    return found


def _part(value: Any) -> Any:
    if isinstance(value, QuerySet):
        try:
            return value.query.sql_with_params()
        except EmptyResultSet:  # a scope that sees nothing
            return value.model._meta.label, "none"
    if isinstance(value, Model):
        return value._meta.label, value.pk
    return value

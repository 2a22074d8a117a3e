"""Results remembered until the data changes.

Every committed write moves data versions (``core.versions.changed``): the one of every write,
and those of the regions and plan years it touched (``core.versions.VersionScope``). The key of a
remembered result holds the versions it depends on, so a result computed before a write that
could change it is never served after it:
- ``cached``: until any write;
- ``cached_within``: until a write in one region, one naming no region, or one to the labels
  figures are grouped and lists sorted by (a sector renamed: ``core.versions.LABELS``) — a
  dashboard's figures, a list's totals, order and plan years for a user whose scope is a region;
- ``cached_in_parts``: grouped rows a part of a region at a time, so that after a write in one
  county only its part is computed again (``indicators.figures``). The rows are sums
  by ids, without labels: a sector renamed leaves them standing, and the figures are labelled
  afresh from them.
"""

from __future__ import annotations

import functools
import hashlib
import operator
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db.models import Model, QuerySet
from django.utils.translation import get_language

from .versions import VersionScope, data_version, versions

T = TypeVar("T")
SECONDS = 600  # the longest a result is kept: what a write made outside the product can leave stale


def cached(compute: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``compute(*args, **kwargs)``, remembered until the data changes. The function's name and
    arguments are part of the key, querysets (a user's scope, a list's filters) by their SQL,
    model instances by pk, and so is the language (labels are translated). ``SECONDS`` bounds
    what a write made outside the product (raw SQL, a restored backup) can leave stale."""
    return _remembered(_key(compute, data_version(), get_language(), args, kwargs), compute, args, kwargs)


def cached_within(region: Any, compute: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``cached``, for a result that depends only on rows in ``region`` (None: anywhere), such
    as the order of a list that a user whose scope is a city sees: remembered until a write in
    the region, or one naming no region, rather than until any write at all."""
    if region is None:
        return cached(compute, *args, **kwargs)
    unplaced, labels, here = VersionScope.unplaced(), VersionScope.labels(), VersionScope.region(region.path)
    current = versions([unplaced, labels, here])
    key = _key(compute, ("within", current[unplaced], current[labels], region.path, current[here]), get_language(),
               args, kwargs)
    return _remembered(key, compute, args, kwargs)


def _remembered(key: str, compute: Callable[..., T], args: tuple, kwargs: dict[str, Any]) -> T:
    found = cache.get(key)
    if found is None:
        found = compute(*args, **kwargs)
        cache.set(key, found, SECONDS)
    return found


def cached_in_parts(compute: Callable[..., list[dict[str, Any]]], parts: dict[Any, tuple[tuple[VersionScope, ...], Any]],
                    part_of: Callable[[dict[str, Any]], Any], *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """The rows of ``compute(*args, restrict=..., **kwargs)`` remembered a part at a time, each
    until a write in its part: ``parts`` maps a part's name to its data-version scopes (e.g. a
    city's ``VersionScope.region(path)``) and to what selects its rows (a filter, or
    anything else ``compute`` reads as ``restrict`` that combines with ``|``); ``part_of`` names
    the part of a row. The parts' rows still remembered are served, and the others computed in
    one call, restricted to them (or all of them, when most are missing): after a write in one
    county a province's rows cost a query over that county. Rows are language-neutral sums, so
    the language is not part of the key."""
    unplaced = VersionScope.unplaced()
    current = versions({unplaced} | {scope for scopes, _where in parts.values() for scope in scopes})
    arguments = _arguments(args, kwargs)
    keys = {name: _hashed(compute, (current[unplaced], name, [current[s] for s in scopes]), None, arguments)
            for name, (scopes, _where) in parts.items()}
    found = cache.get_many(list(keys.values()))
    missing = [name for name, key in keys.items() if key not in found]
    if missing:
        if len(missing) * 2 > len(parts):  # most of them: all, rather than a filter of hundreds of ORs
            missing = list(parts)
        restrict = None if len(missing) == len(parts) else functools.reduce(operator.or_, [parts[n][1] for n in missing])
        fresh: dict[Any, list[dict[str, Any]]] = {name: [] for name in missing}
        for row in compute(*args, restrict=restrict, **kwargs):
            fresh[part_of(row)].append(row)
        found |= {keys[name]: rows for name, rows in fresh.items()}
        cache.set_many({keys[name]: rows for name, rows in fresh.items()}, SECONDS)
    return [row for name in parts for row in found[keys[name]]]


def _key(compute: Callable[..., Any], version: Any, language: str | None, args: tuple, kwargs: dict[str, Any]) -> str:
    return _hashed(compute, version, language, _arguments(args, kwargs))


def _arguments(args: tuple, kwargs: dict[str, Any]) -> str:
    """The arguments as a key holds them: a queryset's SQL is compiled here, so once for all
    the parts of ``cached_in_parts``."""
    return repr(([_part(a) for a in args], sorted((name, _part(value)) for name, value in kwargs.items())))


def _hashed(compute: Callable[..., Any], version: Any, language: str | None, arguments: str) -> str:
    key = repr((compute.__module__, compute.__qualname__, version, language, arguments))
    return "cached:" + hashlib.sha256(key.encode()).hexdigest()


def _part(value: Any) -> Any:
    if isinstance(value, QuerySet):
        try:
            return value.query.sql_with_params()
        except EmptyResultSet:  # a scope that sees nothing
            return value.model._meta.label, "none"
    if isinstance(value, Model):
        return value._meta.label, value.pk
    return value

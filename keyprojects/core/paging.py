"""Pages of long lists (the project list, the API's lists)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.core.paginator import Page
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import QuerySet
from django.db.models.query import ModelIterable

from .cache import cached


class Paginator(DjangoPaginator):
    """Django's paginator, with three differences that matter on a province's 50,000 rows:

    - ``count`` may be given when the caller has counted the rows already (the list's totals
      line), saving a second COUNT;
    - the order always ends with the primary key, so rows that tie on the chosen order
      (same region and name, same amount) neither repeat nor go missing between pages;
    - a page's rows are found by key first, then fetched by key with everything they show. The
      first page's keys come from the list's order with LIMIT; a later page's from the list of
      all its keys in order, kept until the next write (``core.cache``) while the user pages
      on — or as ``keys`` (a function of the ordered rows) keeps it: the project list's until
      a write in one of its regions, a region at a time (``indicators.figures``).
      A deep page no longer sorts and skips whole rows with all their annotations (page 500
      of a province: 445 ms → a slice of a remembered list).
    """

    def __init__(self, object_list: Any, per_page: int, count: int | None = None,
                 keys: Callable[[QuerySet], list[Any]] | None = None, **kwargs: Any) -> None:
        if isinstance(object_list, QuerySet):
            query = object_list.query
            ordering = list(query.order_by or ((query.get_meta().ordering or []) if query.default_ordering else []))
            if "pk" not in ordering and query.get_meta().pk.name not in ordering:
                object_list = object_list.order_by(*ordering, "pk")
        super().__init__(object_list, per_page, **kwargs)
        self.keys = keys or functools.partial(cached, all_keys)
        if count is not None:
            self.count = count  # a cached_property: setting it skips the COUNT query

    def _get_page(self, object_list: Any, number: int, paginator: Paginator) -> Page:
        every = self.object_list  # (object_list, the page's slice of it, is a QuerySet if it is)
        if isinstance(object_list, QuerySet) and isinstance(every, QuerySet) \
                and object_list._iterable_class is ModelIterable:
            if number == 1:
                keys = list(object_list.values_list("pk", flat=True))
            else:
                start = (number - 1) * self.per_page
                keys = self.keys(every)[start:start + self.per_page]
            rows = {row.pk: row for row in every.order_by().filter(pk__in=keys)}
            object_list = [rows[key] for key in keys if key in rows]  # (one deleted since: gone)
        return super()._get_page(object_list, number, paginator)  # type: ignore[misc]  # private in Django, not in django-stubs


def all_keys(rows: QuerySet) -> list[Any]:
    """Every key of the list, in its order."""
    return list(rows.values_list("pk", flat=True))

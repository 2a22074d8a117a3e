from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from rest_framework.pagination import PageNumberPagination

from keyprojects.core.paging import Paginator


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    known_count: int | None = None  # set by a view that has counted the rows already
    keys: Callable[[QuerySet], list[Any]] | None = None  # set by a view that keeps its rows' keys its own way (``Paginator``)

    def django_paginator_class(self, queryset: Any, page_size: int) -> Paginator:  # type: ignore[override]  # a method where DRF has a class: called alike
        return Paginator(queryset, page_size, count=self.known_count, keys=self.keys)  # no second COUNT when known

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
    totals_schema: dict[str, Any] | None = None  # set by the schema (``api.schema``) for a view with ``totals_serializer``

    def django_paginator_class(self, queryset: Any, page_size: int) -> Paginator:  # type: ignore[override]  # a method where DRF has a class: called alike
        return Paginator(queryset, page_size, count=self.known_count, keys=self.keys)  # no second COUNT when known

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        found = super().get_paginated_response_schema(schema)
        if self.totals_schema is not None:  # a list answering its totals row over every page
            found["properties"]["totals"] = self.totals_schema  # the filtered rows' totals, over every page
            found["required"] = [*found.get("required", []), "totals"]
        return found

from django.core.paginator import Paginator
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    known_count: int | None = None  # set by a view that has counted the rows already

    def django_paginator_class(self, queryset, page_size: int) -> Paginator:
        paginator = Paginator(queryset, page_size)
        if self.known_count is not None:
            paginator.count = self.known_count  # no second COUNT query
        return paginator

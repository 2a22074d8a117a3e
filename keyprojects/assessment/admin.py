from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from .models import Group, Line, Scheme, Snapshot


class GroupInline(admin.TabularInline):
    model = Group
    extra = 0


class LineInline(admin.TabularInline):
    model = Line
    extra = 0


@admin.register(Scheme)
class SchemeAdmin(SimpleHistoryAdmin):
    list_display = ["name", "region", "year", "period_kind", "list_size", "tie_break"]
    list_filter = ["year", "period_kind"]
    autocomplete_fields = ["region"]
    inlines = [GroupInline]


@admin.register(Group)
class GroupAdmin(SimpleHistoryAdmin):
    list_display = ["name", "scheme", "member_kind", "order"]
    inlines = [LineInline]


@admin.register(Snapshot)
class SnapshotAdmin(SimpleHistoryAdmin):
    """Read-only: snapshots are taken and published on the ranking page (services)."""

    list_display = ["scheme", "period", "as_of", "taken_at", "taken_by", "published_at", "published_by"]
    readonly_fields = [f.name for f in Snapshot._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from .models import StartTarget, Warning, WarningRule


@admin.register(WarningRule)
class WarningRuleAdmin(SimpleHistoryAdmin):
    list_display = ["region", "kind", "yellow", "red", "tell_responsible_unit", "tell_county", "tell_leaders",
                    "tell_city", "active"]
    list_filter = ["kind", "active"]
    autocomplete_fields = ["region"]


@admin.register(StartTarget)
class StartTargetAdmin(SimpleHistoryAdmin):
    list_display = ["region", "year", "by_date", "rate", "note"]
    autocomplete_fields = ["region"]


@admin.register(Warning)
class WarningAdmin(SimpleHistoryAdmin):
    """Read-only: warnings are written by the daily evaluation and acknowledged on their page."""

    list_display = ["reason", "kind", "colour", "project", "region", "opened_on", "closed_on", "acknowledged_at"]
    list_filter = ["kind", "colour"]
    search_fields = ["reason", "project__name"]
    readonly_fields = [f.name for f in Warning._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

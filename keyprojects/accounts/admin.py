from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Leader, Unit, User


@admin.register(Unit)
class UnitAdmin(SimpleHistoryAdmin):
    list_display = ["name", "region", "kind", "contact_person", "contact_phone"]
    list_filter = ["kind"]
    search_fields = ["name", "region__name", "credit_code"]
    autocomplete_fields = ["region"]


@admin.register(User)
class UserAdmin(BaseUserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "display_name", "unit", "role", "is_active", "is_superuser"]
    list_filter = ["role", "is_active", "is_superuser"]
    search_fields = ["username", "display_name", "unit__name"]
    autocomplete_fields = ["unit"]
    fieldsets = [
        *(BaseUserAdmin.fieldsets or ()),
        (_("单位与角色"), {"fields": ["display_name", "unit", "role", "phone"]}),
    ]


@admin.register(Leader)
class LeaderAdmin(SimpleHistoryAdmin):
    list_display = ["name", "title", "region", "user", "order"]
    search_fields = ["name", "title"]
    autocomplete_fields = ["region", "user"]

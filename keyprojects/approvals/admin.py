from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ApprovalItem, ApprovalSchedule, ProjectApproval


@admin.register(ApprovalItem)
class ApprovalItemAdmin(SimpleHistoryAdmin):
    list_display = ["name", "region", "issuer_name", "issuer", "duration", "validity_months", "order", "active"]
    list_filter = ["active"]
    search_fields = ["name", "code", "issuer_name"]
    autocomplete_fields = ["region", "issuer"]
    filter_horizontal = ["depends_on"]


@admin.register(ApprovalSchedule)
class ApprovalScheduleAdmin(SimpleHistoryAdmin):
    list_display = ["project", "path", "target_start", "helper", "scheduled_at"]
    autocomplete_fields = ["project", "helper"]


@admin.register(ProjectApproval)
class ProjectApprovalAdmin(SimpleHistoryAdmin):
    list_display = ["project", "item", "issuer", "required", "planned_on", "obtained_on", "number"]
    list_filter = ["required", "critical"]
    search_fields = ["project__name", "item__name", "number"]
    autocomplete_fields = ["project", "issuer"]
    readonly_fields = ["planned_from", "planned_on", "critical", "version"]

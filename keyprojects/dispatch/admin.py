from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from keyprojects.projects.admin import VersionedAdmin

from .models import CadenceRule, Decision, EscalationRule, Meeting, Problem, ProblemEvent


@admin.register(CadenceRule)
class CadenceRuleAdmin(SimpleHistoryAdmin):
    list_display = ["name", "region", "chair", "kind", "every", "interval", "weekday", "active"]
    list_filter = ["active", "kind"]
    autocomplete_fields = ["region", "chair"]
    filter_horizontal = ["lists"]


class DecisionInline(admin.TabularInline):
    model = Decision
    extra = 0


@admin.register(Meeting)
class MeetingAdmin(VersionedAdmin):
    list_display = ["title", "kind", "region", "chair", "date"]
    list_filter = ["kind"]
    search_fields = ["title", "place"]
    autocomplete_fields = ["region", "chair", "units", "projects"]
    inlines = [DecisionInline]


class ProblemEventInline(admin.TabularInline):
    model = ProblemEvent
    extra = 0
    fields = ("date", "kind", "state", "actor", "unit", "text")
    readonly_fields = ("date", "kind", "state", "actor", "unit", "text")
    can_delete = False


@admin.register(Problem)
class ProblemAdmin(VersionedAdmin):
    list_display = ["title", "region", "category", "state", "lead_unit", "deadline", "overdue_since"]
    list_filter = ["state", "category", "source"]
    search_fields = ["title", "description", "project__name"]
    autocomplete_fields = ["project", "region", "lead_unit", "co_units", "leader", "raiser_unit", "escalated_to"]
    raw_id_fields = ["report", "meeting", "decision"]
    inlines = [ProblemEventInline]


@admin.register(EscalationRule)
class EscalationRuleAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "category", "after_days", "deadline_days", "active"]

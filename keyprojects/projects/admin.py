from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import AnnualPlan, FundingSource, Project, ProjectList, Sector, StageTransition


class VersionedAdmin(SimpleHistoryAdmin):
    """Admin saves bump the version too, so a page edit opened before them gets a conflict
    instead of silently overwriting the admin's change."""

    def save_model(self, request, obj, form, change) -> None:
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)


class AnnualPlanInline(admin.TabularInline):
    model = AnnualPlan
    extra = 0
    fields = ["year", "nature", "planned_investment", "prior_completed", "batch", "started", "started_on"]


class FundingInline(admin.TabularInline):
    model = FundingSource
    extra = 0


@admin.register(Project)
class ProjectAdmin(VersionedAdmin):
    list_display = ["name", "code", "region", "stage", "level", "total_investment", "version"]
    list_filter = ["stage", "level", "investment_nature", "sector"]
    search_fields = ["name", "code", "address"]
    autocomplete_fields = ["region", "owner", "responsible_unit", "leaders"]
    filter_horizontal = ["lists"]
    inlines = [AnnualPlanInline, FundingInline]


@admin.register(AnnualPlan)
class AnnualPlanAdmin(VersionedAdmin):
    list_display = ["project", "year", "nature", "planned_investment", "batch", "started", "started_on"]
    list_filter = ["year", "nature", "batch", "started"]
    search_fields = ["project__name", "project__code"]
    autocomplete_fields = ["project"]


@admin.register(StageTransition)
class StageTransitionAdmin(SimpleHistoryAdmin):
    list_display = ["project", "from_stage", "to_stage", "date", "created_by"]
    search_fields = ["project__name"]
    autocomplete_fields = ["project"]


admin.site.register(Sector)
admin.site.register(ProjectList)

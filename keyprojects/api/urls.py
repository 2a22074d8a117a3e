from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import views
from .changes import ProjectChangesView

router = DefaultRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("units", views.UnitViewSet, basename="unit")
router.register("projects", views.ProjectViewSet, basename="project")
router.register("periods", views.PeriodViewSet, basename="period")
router.register("reports", views.ReportViewSet, basename="report")
router.register("approvals", views.ApprovalViewSet, basename="approval")
router.register("meetings", views.MeetingViewSet, basename="meeting")
router.register("problems", views.ProblemViewSet, basename="problem")
router.register("warnings", views.WarningViewSet, basename="warning")
router.register("attraction/events", views.AttractionEventViewSet, basename="attraction-event")
router.register("attraction/leads", views.LeadViewSet, basename="attraction-lead")

docs = SpectacularSwaggerSplitView.as_view(url_name="api:schema")
router.register("funding/rounds", views.FundingRoundViewSet, basename="funding-round")
router.register("funding/applications", views.FundingApplicationViewSet, basename="funding-application")
router.register("briefings", views.BriefingViewSet, basename="briefing")
router.register("assessment/periods", views.AssessmentPeriodViewSet, basename="assessment-period")
router.register("tasks/areas", views.TaskAreaViewSet, basename="task-area")
router.register("tasks", views.TaskViewSet, basename="task")

app_name = "api"
urlpatterns = [
    path("projects/changes/", ProjectChangesView.as_view(), name="project-changes"),  # before the router's projects/<pk>/
    path("", include(router.urls)),
    path("indicators/", views.IndicatorView.as_view(), name="indicators"),
    path("projects/<int:pk>/approvals/", views.ProjectApprovalsView.as_view(), name="project-approvals"),
    path("projects/<int:pk>/approvals/schedule/", views.ProjectApprovalsScheduleView.as_view(),
         name="project-approvals-schedule"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view loads its start-up script as a file: no inline script (Content-Security-Policy).
    # A browser that is not signed in is sent to the login page (unless the operator opened the docs).
    path("docs/", docs if settings.KEYPROJECTS_API_DOCS_PUBLIC else login_required(docs), name="docs"),
]

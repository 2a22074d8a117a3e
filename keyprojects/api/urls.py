from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import views

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
router.register("funding/rounds", views.FundingRoundViewSet, basename="funding-round")
router.register("funding/applications", views.FundingApplicationViewSet, basename="funding-application")

app_name = "api"
urlpatterns = [
    path("", include(router.urls)),
    path("indicators/", views.IndicatorView.as_view(), name="indicators"),
    path("projects/<int:pk>/approvals/", views.ProjectApprovalsView.as_view(), name="project-approvals"),
    path("projects/<int:pk>/approvals/schedule/", views.ProjectApprovalsScheduleView.as_view(),
         name="project-approvals-schedule"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from keyprojects.accounts import views as account_views
from keyprojects.core import health
from keyprojects.indicators import views as indicator_views


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on every page: send them to the SVG mark the pages link to
    (looked up per request, so it follows the static files' hashed names)."""
    return redirect(static("img/favicon.svg"))


# A bad query parameter (core.params.BadQuery) is a 400 in the page's language, JSON under /api/.
handler400 = "keyprojects.core.errors.bad_request"

urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("", RedirectView.as_view(pattern_name="dashboard", permanent=False), name="home"),
    path("dashboard/", indicator_views.dashboard, name="dashboard"),
    path("dashboard/counties.xlsx", indicator_views.dashboard_export, name="dashboard_export"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("projects/", include("keyprojects.projects.urls")),
    path("people/", include("keyprojects.accounts.urls")),
    path("tokens/", account_views.tokens, name="tokens"),
    path("sessions/", account_views.sessions, name="my_sessions"),
    path("audit/", include("keyprojects.core.audit_urls")),
    path("tokens/<int:pk>/revoke/", account_views.revoke_token, name="revoke_token"),
    path("reporting/", include("keyprojects.reporting.urls")),
    path("ledgers/", include("keyprojects.ledgers.urls")),
    path("notices/", include("keyprojects.notices.urls")),
    path("dispatch/", include("keyprojects.dispatch.urls")),
    path("approvals/", include("keyprojects.approvals.urls")),
    path("alerts/", include("keyprojects.alerts.urls")),
    path("assessment/", include("keyprojects.assessment.urls")),
    path("briefings/", include("keyprojects.briefings.urls")),
    path("tasks/", include("keyprojects.tasklists.urls")),
    path("exchange/", include("keyprojects.exchange.urls")),
    path("attraction/", include("keyprojects.attraction.urls")),
    path("funding/", include("keyprojects.funding.urls")),
    path("map/", include("keyprojects.maps.urls")),
    path("files/", include("keyprojects.gallery.urls")),
    path("opendata/", include("keyprojects.opendata.urls")),
    path("leaders/", include("keyprojects.indicators.leader_urls")),
    path("indicators/", indicator_views.definitions, name="indicator_definitions"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("keyprojects.api.urls")),
    path("admin/", admin.site.urls),
]

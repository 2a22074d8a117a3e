from django.urls import path

from . import views

app_name = "dispatch"
urlpatterns = [
    path("problems/", views.problem_list, name="problems"),
    path("problems/export/", views.problem_export, name="problem_export"),
    path("problems/sheets/", views.problem_sheets, name="problem_sheets"),
    path("problems/new/", views.problem_create, name="problem_create"),
    path("problems/<int:pk>/", views.problem_detail, name="problem"),
    path("problems/<int:pk>/sheet/", views.problem_sheet, name="problem_sheet"),
    path("problems/<int:pk>/edit/", views.problem_edit, name="problem_edit"),
    path("problems/<int:pk>/assign/", views.problem_assign, name="problem_assign"),
    path("problems/<int:pk>/reply/", views.problem_reply, name="problem_reply"),
    path("problems/<int:pk>/sign-off/", views.problem_sign_off, name="problem_sign_off"),
    path("problems/<int:pk>/return/", views.problem_return, name="problem_return"),
    path("problems/<int:pk>/escalate/", views.problem_escalate, name="problem_escalate"),
    path("problems/files/<int:pk>/", views.problem_file, name="problem_file"),
    path("reports/<int:pk>/problem/", views.problem_from_report, name="problem_from_report"),
    path("todo/", views.todo, name="todo"),
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/new/", views.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/attachments/", views.meeting_attachment, name="meeting_attachment"),
    path("meetings/files/<int:pk>/", views.meeting_file, name="meeting_file"),
    path("calendar/", views.calendar, name="calendar"),
    path("cadence/", views.cadence_rules, name="cadence_rules"),
    path("cadence/new/", views.cadence_rule_create, name="cadence_rule_create"),
    path("cadence/<int:pk>/edit/", views.cadence_rule_edit, name="cadence_rule_edit"),
]

from django.urls import path

from . import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path("export.xlsx", views.project_export, name="export"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/edit/", views.project_edit, name="edit"),
    path("<int:pk>/stage/", views.project_stage, name="stage"),
    path("<int:pk>/delete/", views.project_delete, name="delete"),
    path("<int:pk>/history/", views.project_history_view, name="history"),
    path("<int:pk>/plans/new/", views.plan_edit, name="plan_create"),
    path("<int:pk>/plans/<int:year>/", views.plan_edit, name="plan_edit"),
]

from django.urls import path

from . import views

app_name = "tasklists"
urlpatterns = [
    path("", views.task_list, name="list"),
    path("export/", views.task_export, name="export"),
    path("summary/", views.summary, name="summary"),
    path("<int:pk>/", views.task_detail, name="task"),
    path("<int:pk>/update/", views.task_update, name="update"),
    path("areas/", views.areas, name="areas"),
    path("new/", views.task_new, name="new"),
    path("<int:pk>/edit/", views.task_edit, name="edit"),
    path("<int:pk>/milestones/add/", views.task_part, {"kind": "milestone"}, name="add_milestone"),
    path("<int:pk>/targets/add/", views.task_part, {"kind": "target"}, name="add_target"),
]

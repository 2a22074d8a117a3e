from django.urls import path

from . import views

app_name = "tasklists"
urlpatterns = [
    path("", views.task_list, name="list"),
    path("export/", views.task_export, name="export"),
    path("summary/", views.summary, name="summary"),
    path("<int:pk>/", views.task_detail, name="task"),
    path("<int:pk>/update/", views.task_update, name="update"),
]

from django.urls import path

from . import views

app_name = "alerts"
urlpatterns = [
    path("", views.warning_list, name="list"),
    path("export/", views.warning_export, name="export"),
    path("<int:pk>/", views.warning_detail, name="warning"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("rules/", views.rules, name="rules"),
    path("rules/defaults/", views.default_rules, name="default_rules"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("targets/new/", views.target_create, name="target_create"),
    path("targets/<int:pk>/", views.target_edit, name="target_edit"),
    path("targets/<int:pk>/delete/", views.target_delete, name="target_delete"),
]

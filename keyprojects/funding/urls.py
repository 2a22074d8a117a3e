from django.urls import path

from . import views

app_name = "funding"
urlpatterns = [
    path("", views.rounds, name="rounds"),
    path("applications/", views.applications, name="applications"),
    path("rounds/new/", views.round_edit, name="round_new"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/edit/", views.round_edit, name="round_edit"),
    path("rounds/<int:pk>/apply/", views.propose, name="propose"),
    path("rounds/<int:pk>/export/", views.round_export, name="export"),
    path("rounds/<int:pk>/import/", views.province_import, name="import"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
]

from django.urls import path

from . import views

app_name = "approvals"
urlpatterns = [
    path("", views.approval_list, name="list"),
    path("export/", views.approval_export, name="export"),
    path("projects/<int:pk>/", views.project_approvals, name="project"),
    path("projects/<int:pk>/add/", views.project_add_item, name="project_add_item"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("items/<int:pk>/document/", views.item_document, name="document"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/new/", views.catalogue_item, name="catalogue_new"),
    path("catalogue/<int:pk>/", views.catalogue_item, name="catalogue_item"),
]

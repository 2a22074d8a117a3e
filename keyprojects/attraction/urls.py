from django.urls import path

from . import views

app_name = "attraction"
urlpatterns = [
    path("", views.lead_list, name="list"),
    path("export/", views.lead_export, name="export"),
    path("summary/", views.summary, name="summary"),
    path("new/", views.lead_new, name="new"),
    path("<int:pk>/", views.lead_detail, name="lead"),
    path("<int:pk>/edit/", views.lead_edit, name="edit"),
    path("<int:pk>/stage/", views.lead_stage, name="stage"),
    path("<int:pk>/land/", views.lead_land, name="land"),
    path("<int:pk>/start/", views.lead_start, name="start"),
    path("<int:pk>/die/", views.lead_die, name="die"),
    path("<int:pk>/funds/", views.lead_funds, name="funds"),
    path("events/", views.event_list, name="events"),
    path("events/new/", views.event_new, name="event_new"),
    path("events/<int:pk>/", views.event_detail, name="event"),
    path("events/<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("packages/", views.package_items, name="packages"),
    path("packages/new/", views.package_new, name="package_new"),
    path("packages/<int:pk>/", views.package_detail, name="package"),
    path("packages/<int:pk>/edit/", views.package_edit, name="package_edit"),
    path("packages/<int:pk>/items/", views.package_add_item, name="package_add_item"),
    path("packages/<int:pk>/items/<int:item>/remove/", views.package_remove_item, name="package_remove_item"),
]

from django.urls import path

from . import views

app_name = "assessment"
urlpatterns = [
    path("", views.schemes, name="schemes"),
    path("new/", views.scheme_create, name="scheme_create"),
    path("<int:pk>/", views.scheme, name="scheme"),
    path("<int:pk>/edit/", views.scheme_edit, name="scheme_edit"),
    path("<int:pk>/groups/new/", views.group_form, name="group_create"),
    path("<int:pk>/groups/<int:group_pk>/", views.group_form, name="group_edit"),
    path("groups/<int:group_pk>/lines/new/", views.line_form, name="line_create"),
    path("groups/<int:group_pk>/lines/<int:line_pk>/", views.line_form, name="line_edit"),
    path("lines/<int:line_pk>/delete/", views.line_delete, name="line_delete"),
    path("<int:pk>/take/", views.take, name="take"),
    path("<int:pk>/<str:period>/", views.period_page, name="period"),
    path("<int:pk>/<str:period>/publish/", views.publish, name="publish"),
    path("<int:pk>/<str:period>/ranking.xlsx", views.period_export, name="export"),
]

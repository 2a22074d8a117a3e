from django.urls import path

from . import views

app_name = "opendata"
urlpatterns = [
    path("", views.publications, name="publications"),
    path("publish/", views.publish, name="publish"),
    path("oc4ids/<str:code>.json", views.package, name="package"),
]

from django.urls import path

from . import views

app_name = "maps"
urlpatterns = [
    path("", views.map_page, name="map"),
    path("points.json", views.map_points, name="points"),
    path("projects/<int:pk>/location/", views.set_location, name="location"),
]

from django.urls import path

from . import views

app_name = "gallery"
urlpatterns = [
    path("projects/<int:pk>/upload/", views.upload, name="upload"),
    path("<int:pk>/", views.file, name="file"),
    path("<int:pk>/thumbnail/", views.thumbnail, name="thumbnail"),
]

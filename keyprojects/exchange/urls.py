from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("", views.page, name="page"),
    path("export/", views.export, name="export"),
    path("upload/", views.upload, name="upload"),
    path("returns/<int:pk>/", views.review, name="review"),
    path("returns/<int:pk>/accept/", views.accept, name="accept"),
]

from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.people, name="people_default"),
    path("<str:kind>/", views.people, name="people"),
    path("<str:kind>/new/", views.edit, name="create"),
    path("<str:kind>/<int:pk>/", views.edit, name="edit"),
]

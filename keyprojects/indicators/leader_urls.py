from django.urls import path

from . import leaders

app_name = "leaders"
urlpatterns = [
    path("", leaders.ranking, name="ranking"),
    path("me/", leaders.my_package, name="me"),
    path("<int:pk>/", leaders.package, name="package"),
]

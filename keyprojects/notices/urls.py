from django.urls import path

from . import views

app_name = "notices"
urlpatterns = [
    path("", views.message_list, name="list"),
    path("<int:pk>/", views.message, name="message"),
    path("read-all/", views.read_all, name="read_all"),
    path("channels/", views.channel_list, name="channels"),
    path("channels/new/", views.channel_edit, name="channel_create"),
    path("channels/<int:pk>/", views.channel_edit, name="channel"),
    path("channels/<int:pk>/active/", views.channel_active, name="channel_active"),
    path("channels/<int:pk>/test/", views.channel_test, name="channel_test"),
    path("channels/<int:pk>/resend/", views.channel_resend, name="channel_resend"),
]

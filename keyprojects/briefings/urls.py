from django.urls import path

from . import views

app_name = "briefings"
urlpatterns = [
    path("", views.briefing_list, name="list"),
    path("new/", views.generate, name="generate"),
    path("template/", views.template, name="template"),
    path("template/download/", views.template_download, name="template_download"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/refresh/", views.refresh, name="refresh"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/briefing.docx", views.download, {"fmt": "docx"}, name="docx"),
    path("<int:pk>/briefing.pdf", views.download, {"fmt": "pdf"}, name="pdf"),
]

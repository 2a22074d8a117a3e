from django.urls import path

from . import views

app_name = "ledgers"
urlpatterns = [
    path("import/", views.upload, name="upload"),
    path("import/jobs/<str:token>/", views.job, name="job"),
    path("import/jobs/<str:token>/retry/", views.retry, name="retry"),
    path("import/previews/<str:token>/", views.preview, name="preview"),
    path("import/jobs/<str:token>/problems.xlsx", views.job_problems, name="job_problems"),
    path("import/jobs/<str:token>/changes.xlsx", views.job_changes, name="job_changes"),
    path("import/previews/<str:token>/remap/", views.remap, name="remap"),
]

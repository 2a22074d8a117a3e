from django.urls import path

from . import audit_views

urlpatterns = [
    path("", audit_views.audit_log, name="audit_log"),
    path("export.xlsx", audit_views.audit_export, name="audit_export"),
    path("object/<str:model>/<str:object_id>/", audit_views.object_history, name="audit_object"),
]

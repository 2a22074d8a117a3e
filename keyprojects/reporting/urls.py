from django.urls import path

from . import views

app_name = "reporting"
urlpatterns = [
    path("", views.period_list, name="periods"),
    path("periods/<int:pk>/state/", views.period_state, name="period_state"),
    path("periods/<int:pk>/fill/", views.fill, name="fill"),
    path("periods/<int:pk>/review/", views.review, name="review"),
    path("periods/<int:pk>/review/approve/", views.review_approve, name="review_approve"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("reports/<int:pk>/save/", views.report_save, name="save"),
    path("reports/<int:pk>/submit/", views.report_submit, name="submit"),
    path("reports/<int:pk>/approve/", views.report_approve, name="approve"),
    path("reports/<int:pk>/return/", views.report_return, name="return"),
    path("reports/<int:pk>/correct/", views.report_correct, name="correct"),
    path("reports/<int:pk>/photos/", views.report_photo, name="photo"),
]

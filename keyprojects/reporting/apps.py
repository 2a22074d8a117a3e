from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "keyprojects.reporting"
    verbose_name = _("月报")

    def ready(self) -> None:
        from keyprojects.projects.models import AnnualPlan

        from . import progress
        from .models import ProgressReport

        post_save.connect(progress.report_saved, sender=ProgressReport, dispatch_uid="progress-report-saved")
        post_save.connect(progress.plan_created, sender=AnnualPlan, dispatch_uid="progress-plan-created")

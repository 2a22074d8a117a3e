from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "keyprojects.reporting"
    verbose_name = _("月报")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "keyprojects.dispatch"
    verbose_name = _("调度与问题台账")

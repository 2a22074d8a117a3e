from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasklistsConfig(AppConfig):
    name = "keyprojects.tasklists"
    verbose_name = _("任务清单")

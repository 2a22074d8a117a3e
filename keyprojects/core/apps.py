from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "keyprojects.core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from . import audit  # (connects the history signal)

        audit.count_writes()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "keyprojects.core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from . import audit, logs, sessions, versions  # noqa: F401 (audit, logs and sessions connect signals)

        versions.count_writes()

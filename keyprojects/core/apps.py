from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "keyprojects.core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from . import audit, logs, sessions, signins, versions  # noqa: F401 (they connect signals)

        versions.count_writes()
        audit.connect_m2m_deletions()
        post_migrate.connect(_seal_after_migrate, sender=self)


def _seal_after_migrate(using: str = "default", **kwargs: object) -> None:
    """Rows written by data migrations (and before the chain existed) join the audit chain."""
    from .chain import seal_unsealed

    seal_unsealed(using=using)

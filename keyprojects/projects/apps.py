from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "keyprojects.projects"
    verbose_name = _("项目库")

    def ready(self) -> None:
        from . import codes

        codes.connect()  # a region saved or deleted: the divisions remembered are forgotten

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    name = "keyprojects.opendata"
    verbose_name = _("公开数据")

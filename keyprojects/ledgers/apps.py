from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgersConfig(AppConfig):
    name = "keyprojects.ledgers"
    verbose_name = _("台账导入导出")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "keyprojects.exchange"
    verbose_name = _("省平台对接")

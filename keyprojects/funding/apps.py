from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundingConfig(AppConfig):
    name = "keyprojects.funding"
    verbose_name = _("资金申报")

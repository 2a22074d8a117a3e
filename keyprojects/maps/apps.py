from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MapsConfig(AppConfig):
    name = "keyprojects.maps"
    verbose_name = _("一张图")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GalleryConfig(AppConfig):
    name = "keyprojects.gallery"
    verbose_name = _("照片与文件")

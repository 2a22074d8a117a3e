from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenchConfig(AppConfig):
    """The benchmarks and the synthetic province they run on: installed only with the demo
    (``KEYPROJECTS_DEMO=1``), never in production."""

    name = "keyprojects.bench"
    verbose_name = _("性能基准")

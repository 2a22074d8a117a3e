from django.db import models


class DataVersion(models.Model):
    """Counters of committed writes: ``core.versions.changed`` adds one after every transaction
    that wrote, and cached figures are keyed by them (``core.cache``), so a figure computed
    before a write is never served after it. ``scope`` says which writes a row counts: the
    ``key`` of a ``core.versions.VersionScope``, whose docstring explains each kind."""

    scope = models.CharField(max_length=256, unique=True, default="")
    n = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.scope or 'all'}: {self.n}"

from django.db import models


class DataVersion(models.Model):
    """One row counting committed writes: ``core.audit.changed`` adds one after every
    transaction that wrote, and cached figures are keyed by it (``core.cache.cached``),
    so a figure computed before a write is never served after it."""

    n = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.n)

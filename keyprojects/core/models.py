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


class ScheduledRun(models.Model):
    """A scheduled job enqueued for one due time (``core.schedule``): written before the job is
    enqueued, in the same transaction, so several workers' schedulers enqueue it once."""

    name = models.CharField(max_length=100)
    due_at = models.DateTimeField()
    enqueued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "due_at"], name="scheduled_run_once")]

    def __str__(self) -> str:
        return f"{self.name} @ {self.due_at:%Y-%m-%d %H:%M}"

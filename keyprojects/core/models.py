from django.db import models


class DataVersion(models.Model):
    """Counters of committed writes: ``core.audit.changed`` adds one after every transaction
    that wrote, and cached figures are keyed by them (``core.cache``), so a figure computed
    before a write is never served after it.

    ``scope`` says which writes a row counts:
    - ``""``: every write (what most cached results are keyed by);
    - ``"*"``: writes not known to touch only some regions (a region, a sector or a leader
      deleted, the roll-up rebuilt, anything written in bulk without saying where);
    - ``"~"``: writes to the labels figures are grouped and lists sorted by (a sector, unit,
      leader or list saved, ``core.audit.Label``): labelled results are keyed by it, the sums
      of ``core.cache.cached_in_parts`` are not;
    - a region path (``"/210000/211400/"``): writes to projects in that region or below it;
    - ``"="`` and a region path: writes to projects placed on that region itself.
    A figure of one region is keyed by ``"*"`` and its region's row, so a write in one county
    leaves the remembered figures of every other city standing (``core.cache.cached_in_parts``)."""

    scope = models.CharField(max_length=256, unique=True, default="")
    n = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.scope or 'all'}: {self.n}"

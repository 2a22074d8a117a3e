from django.db import models
from django.db.models import signals
from django.utils.functional import cached_property


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


class Blank:
    """New instances of ``model`` as ``model(**values)`` makes them, several times faster: a
    copy of one instance made once, with ``values`` set on it. ``Model.__init__`` walks every
    field and asks each for its default; a ledger import makes tens of thousands of plans,
    reports and stage transitions. A model that a copy would not make the same way (a default
    that is a callable, a ``pre_init`` or ``post_init`` receiver such as an image's dimensions)
    is made by ``__init__`` as usual. The first instance is made at the first call: a module
    may hold a ``Blank`` before the app registry is ready."""

    def __init__(self, model: type[models.Model], **defaults: object) -> None:
        self.model, self.defaults = model, defaults

    @cached_property
    def values(self) -> dict[str, object]:
        """The blank instance's attributes (its state aside)."""
        return {k: v for k, v in self.model(**self.defaults).__dict__.items() if k != "_state"}

    @cached_property
    def constant(self) -> bool:
        return not any(f.has_default() and callable(f.default) for f in self.model._meta.concrete_fields)

    def __call__(self, **values: object) -> models.Model:
        if self.constant and not (signals.pre_init.has_listeners(self.model)
                                  or signals.post_init.has_listeners(self.model)):
            obj = self.model.__new__(self.model)
            obj.__dict__.update(self.values)
            obj._state = models.base.ModelState()
        else:
            obj = self.model(**self.defaults)
        for name, value in values.items():
            setattr(obj, name, value)
        return obj

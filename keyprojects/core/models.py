from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, models
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


_DEFAULT_DB = (None, DEFAULT_DB_ALIAS)  # an object not yet saved, or of the default database


class Blank:
    """New instances of ``model`` as ``model(**values)`` makes them, several times faster: a
    copy of one instance made once, with ``values`` set on it (an object for a foreign key
    straight into its column and the copy's cache: ``foreign_keys``). ``Model.__init__``
    walks every field and asks each for its default; a ledger import makes tens of thousands
    of projects, plans, reports and stage transitions. A model that a copy would not make the
    same way (a default that is a callable, a ``pre_init`` or ``post_init`` receiver such as
    an image's dimensions) is made by ``__init__`` as usual. The first instance is made at the
    first call: a module may hold a ``Blank`` before the app registry is ready."""

    def __init__(self, model: type[models.Model], **defaults: object) -> None:
        self.model, self.defaults = model, defaults

    @cached_property
    def values(self) -> dict[str, object]:
        """The blank instance's attributes (its state aside)."""
        return {k: v for k, v in self.model(**self.defaults).__dict__.items() if k != "_state"}

    @cached_property
    def constant(self) -> bool:
        return not any(f.has_default() and callable(f.default) for f in self.model._meta.concrete_fields)

    @cached_property
    def foreign_keys(self) -> dict[str, models.ForeignKey]:
        """The many-to-one fields a copy takes an object for, by name: set without the
        descriptor's database routing (``_state.db`` is set when the object is saved), which
        cost more than the rest of the copy. With database routers, every value is set by
        its descriptor, as is an object read from another database."""
        if settings.DATABASE_ROUTERS:
            return {}
        return {f.name: f for f in self.model._meta.concrete_fields if f.many_to_one and f.target_field.primary_key
                and f.related_model._meta.concrete_model is f.related_model}

    def __call__(self, **values: object) -> models.Model:
        model = self.model
        if not self.constant or signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
            return model(**{**self.defaults, **values})
        obj = model.__new__(model)
        obj.__dict__.update(self.values)
        obj._state = models.base.ModelState()
        for name, value in values.items():
            field = self.foreign_keys.get(name)
            if field is None:
                setattr(obj, name, value)
            elif value is None or (isinstance(value, field.related_model) and value._state.db in _DEFAULT_DB):
                obj.__dict__[field.attname] = None if value is None else value.pk
                obj._state.fields_cache[name] = value
            else:
                setattr(obj, name, value)  # another database's object, or the wrong model's: the descriptor's word
        return obj


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

"""Data versions: counters of committed writes, which cached figures are keyed by. They rely
on these private or undocumented APIs, each checked by a test in ``tests/test_cache.py`` that
names it when an upgrade breaks it:
- Django: the entries of ``connection.run_on_commit`` being ``(savepoint ids, callback,
  robust)`` (``changed`` finds the callback it registered in the open transaction there, so a
  transaction moves the counters once however many writes it makes);
  ``connection.in_atomic_block``; ``connection.introspection.table_names()`` (a migration
  that writes before the counters' table exists);
- django-simple-history: every history model subclassing ``HistoricalChanges`` (``count_writes``
  leaves history rows out).

Every committed transaction that wrote moves counters (``core.models.DataVersion``, a row per
:class:`VersionScope`): the one of every write, and those of what it touched, as its models
say (``touched``). The key of a remembered result holds the counters it depends on
(``core.cache``), so a result computed before a write that could change it is never served
after it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal, Self

from django.apps import apps as django_apps
from django.db import DatabaseError, connections, models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from simple_history.models import HistoricalChanges

from keyprojects.regions.models import Region

from .models import DataVersion


@dataclass(frozen=True, slots=True)
class VersionScope:
    """Which writes a data version counts; ``key`` (also ``str()``) is its ``DataVersion.scope``.
    Made by the constructors below, never from a string by hand.

    - ``every_write()`` (key ``""``): every write; what most cached results are keyed by.
    - ``unplaced()`` (``"*"``): writes not known to touch only some regions (a region, a sector
      or a leader deleted, the roll-up rebuilt, a bulk write that says nothing of where). Every
      figure of a region is keyed by it too.
    - ``labels()`` (``"~"``): writes to the labels figures are grouped and lists sorted by (a
      sector, unit, leader or list saved: ``Label``). Labelled results are keyed by it, the
      sums of ``core.cache.cached_in_parts`` are not.
    - ``region(path)`` (the path, ``"/210000/211400/"``): writes to projects in that region or
      below it.
    - ``region_alone(path)`` (``"="`` and the path): writes to projects placed on that region
      itself (its 本级).

    A region's scope is narrowed by ``for_year(2022)`` (key suffix ``"@2022"``) to writes to
    the figures of that plan year, and by ``for_every_year()`` (``"#"``) to writes to every
    year's figures (a project's total, a project moved). The figures of one year are keyed by
    both (``year_figures``); a write moves one of them (``region_scopes``). So a write in one
    county moves the versions of that county and of the regions above it, and the remembered
    figures of every other city stand.
    """

    key: str

    @classmethod
    def every_write(cls) -> VersionScope:
        return cls("")

    @classmethod
    def unplaced(cls) -> VersionScope:
        return cls("*")

    @classmethod
    def labels(cls) -> VersionScope:
        return cls("~")

    @classmethod
    def region(cls, path: str) -> VersionScope:
        return cls(_region_path(path))

    @classmethod
    def region_alone(cls, path: str) -> VersionScope:
        return cls("=" + _region_path(path))

    def for_year(self, year: int) -> VersionScope:
        return VersionScope(f"{self._of_region()}@{year}")

    def for_every_year(self) -> VersionScope:
        return VersionScope(self._of_region() + "#")

    def year_figures(self, year: int) -> tuple[VersionScope, VersionScope]:
        """The versions the figures of ``year`` in this region scope are keyed by: writes to
        every year's figures there, and to that year's."""
        return self.for_every_year(), self.for_year(year)

    def _of_region(self) -> str:
        if not (self.key[:1] in ("/", "=") and self.key.endswith("/")):
            raise ValueError(f"only a region's scope is narrowed to plan years, once: {self.key!r}")
        return self.key

    def __str__(self) -> str:
        return self.key


def _region_path(path: str) -> str:
    if not (path.startswith("/") and path.endswith("/")):
        raise ValueError(f"not a region path: {path!r}")
    return path


ALL: Final = None  # ``changed(touches=ALL)``: a write that may change any figure
# ``changed(touches=LABELS)``: a write that changes only the names and the order of what figures
# are grouped by (a sector renamed), not which rows are in which group: the sums stand.
LABELS: Final = "labels"
Touched = set[tuple[int, int | None]]  # (region id, plan year) pairs; year None: every year's figures
Touches = Touched | Literal["labels"] | None  # what a write touches: pairs, LABELS or ALL


class InRegion:
    """A model whose rows count for every year's figures of their ``region`` (a project, a
    reporting period): writing one moves the data versions of the region it is in, and of the
    one it was read with if it moves (``changed``)."""

    region_id: int  # the model's field
    _stored_region_id: int | None

    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[Any],
                **kwargs: Any) -> Self:
        obj = super().from_db(db, field_names, values, **kwargs)  # type: ignore[misc]  # a mixin: Model follows in the MRO
        obj._stored_region_id = obj.__dict__.get("region_id")
        return obj

    def touched(self) -> Touched:
        here = {self.region_id, getattr(self, "_stored_region_id", None)}
        return {(region, None) for region in here if region is not None}


class Label:
    """A model whose rows name and order what figures are grouped by or lists are sorted by (a
    sector, a unit, a leader, a list): saving one changes labels, not which rows are in which
    group (``LABELS``); deleting one counts as a write to every figure (``_written``)."""

    def touched(self) -> Literal["labels"]:
        return LABELS


@dataclass
class _Written:
    """What the open transaction wrote: (region, year) pairs, or anything (``all``)."""

    touched: Touched = dataclasses.field(default_factory=set)
    all: bool = False
    labels: bool = False


def changed(using: str = "default",
            touches: Iterable[tuple[int, int | None]] | Literal["labels"] | None = ALL) -> None:
    """Count a write: once its transaction commits (at once outside one), the data versions go
    up by one: the one of every write, and either those of the figures it touched
    (``touches``: the regions of the projects written, each with the plan year whose figures
    changed, or None for a change to every year's, such as a project's total:
    ``region_scopes``), or for ``LABELS`` the labels' one, or for a write that says nothing of
    where (``ALL``) the unplaced one, which every cached figure depends on.
    Called for every model save, delete and many-to-many change (signals, below) and by the
    bulk writes of ``core.bulk``, which send none; one update per transaction however many
    writes it makes."""
    connection = connections[using]
    # (Django keeps the callbacks of the open transaction in ``run_on_commit``; one of ours is
    # enough. A savepoint rolled back drops its callbacks, and the writes they stood for.)
    found: _Written | None = next(
        (entry[1].args[1] for entry in connection.run_on_commit
         if isinstance(entry[1], functools.partial) and entry[1].func is _bump), None,
    ) if connection.in_atomic_block else None
    written = _Written() if found is None else found
    if touches is ALL:
        written.all = True
    elif touches == LABELS:  # (==, not is: so that mypy narrows the type)
        written.labels = True
    else:
        written.touched.update(touches)
    if found is None:  # (outside a transaction the callback runs at once)
        transaction.on_commit(functools.partial(_bump, using, written), using=using)


def _bump(using: str, written: _Written) -> None:
    scopes = {VersionScope.every_write()}
    if written.all:
        scopes.add(VersionScope.unplaced())
    if written.labels:
        scopes.add(VersionScope.labels())
    if not written.all:
        paths = dict(Region.objects.using(using).filter(pk__in={r for r, _year in written.touched})
                     .values_list("pk", "path"))
        for region, year in written.touched:  # (a region deleted since: say everything)
            scopes |= region_scopes(paths[region], year) if region in paths else {VersionScope.unplaced()}
    keys = {scope.key for scope in scopes}
    try:
        counters = DataVersion.objects.using(using)
        if counters.filter(scope__in=keys).update(n=models.F("n") + 1) < len(keys):
            known = set(counters.filter(scope__in=keys).values_list("scope", flat=True))
            counters.bulk_create([DataVersion(scope=key, n=1) for key in keys - known], ignore_conflicts=True)
    except DatabaseError:
        if "core_dataversion" in connections[using].introspection.table_names():
            raise
        # a migration that writes data before the counter's own migration has run


def region_scopes(path: str, year: int | None) -> set[VersionScope]:
    """The versions a write to a project on the region at ``path`` moves, for the region and
    every region above it, and for the region alone: the one of any write there, and the one
    of writes to the figures of ``year`` or, for a write to every year's figures (None), the
    every-year one."""
    parts = path.strip("/").split("/")
    regions = {VersionScope.region("/" + "/".join(parts[:i]) + "/") for i in range(1, len(parts) + 1)}
    regions.add(VersionScope.region_alone(path))
    return regions | {scope.for_every_year() if year is None else scope.for_year(year) for scope in regions}


def data_version(using: str = "default") -> int:
    """How many writing transactions have committed (since the counter was created)."""
    every_write = VersionScope.every_write()
    return versions([every_write], using)[every_write]


def versions(scopes: Iterable[VersionScope], using: str = "default") -> dict[VersionScope, int]:
    """The counters of ``scopes`` (0 for a scope never written), in one query."""
    keys = {scope.key: scope for scope in scopes}
    found = dict(DataVersion.objects.using(using).filter(scope__in=keys).values_list("scope", "n"))
    return {scope: found.get(key, 0) for key, scope in keys.items()}


def count_writes() -> None:
    """Connect ``changed`` to the saves, deletes and many-to-many changes of the project's own
    models (``CoreConfig.ready``). Not to every model (a receiver for all senders would stop
    Django deleting any table's rows in one statement), not to history rows (they go with a
    write already counted), and not to the roll-up ``reporting.PlanProgress``, whose rows only
    ``core.bulk.insert_rows`` writes, counted there."""
    for model in django_apps.get_models(include_auto_created=True):
        if (model.__module__.startswith("keyprojects.") and model._meta.app_label != "core"
                and not issubclass(model, HistoricalChanges) and model._meta.label != "reporting.PlanProgress"):
            for signal in (post_save, post_delete, m2m_changed):
                signal.connect(_written, sender=model, dispatch_uid=f"data-version-{signal!r}-{model._meta.label}")


def _written(sender: Any, instance: Any = None, using: str = "default", update_fields: Any = None,
             signal: Any = None, **kwargs: Any) -> None:
    # Logging in or using a token (last_login, last_used_at) changes no data.
    if not (update_fields and update_fields <= {"last_login", "last_used_at"}):
        touches = touched([instance])
        if touches is LABELS and signal is not post_save:
            # A label deleted takes its projects out of its group by a bulk UPDATE (SET NULL)
            # that sends no signal; projects linked from its side of a many-to-many move groups.
            touches = ALL
        changed(using, touches)


def touched(objs: Iterable[Any]) -> Touches:
    """The figures writing ``objs`` changes, as their models say (``touched()``: a project's
    region, a plan's or a report's project's with its year; ``LABELS`` for a sector's name),
    or ``ALL`` if any cannot say (or labels and regions are mixed)."""
    pairs: Touched = set()
    labels = False
    for obj in objs:
        says = getattr(obj, "touched", None)
        these = says() if says is not None else ALL
        if these is ALL:
            return ALL
        if these is LABELS:
            labels = True
        else:
            pairs |= these
    if labels:
        return ALL if pairs else LABELS
    return pairs

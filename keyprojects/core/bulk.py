"""Bulk writes that keep what a ``save()`` keeps: the audit trail and the data versions. They
rely on these private or undocumented APIs, each checked by a test in ``tests/test_bulk.py``
that names it when an upgrade breaks it:
- Django: ``Field.is_cached`` / ``Field.get_cached_value`` and a foreign key's column set in
  ``obj.__dict__`` past its descriptor (``_link_saved_relations``, ``Blank``);
  ``ModelState.fields_cache``, and an instance made by copying another's ``Model.__dict__``
  onto ``Model.__new__`` with a new ``ModelState`` (``Blank``, which also asks
  ``Field.has_default`` and ``Signal.has_listeners``); ``Options.concrete_fields``,
  ``Field.target_field``, ``ManyToManyField.m2m_reverse_field_name``;
  ``connection.ops.bulk_batch_size`` and ``quote_name``; ``connection.wrap_database_errors``;
  ``connection.ensure_connection``, ``connection.connection`` (the driver's connection) and
  ``CursorWrapper.cursor`` (the driver's cursor); ``get_db_prep_save`` handing ints, strs,
  bools and Decimals to the driver as they are, or as an int subclass (``_AS_IS``); on
  PostgreSQL, foreign keys created ``DEFERRABLE INITIALLY DEFERRED`` and an auto field
  drawing its values from a sequence that ``pg_get_serial_sequence`` names.
- django-simple-history: ``model.history.model`` (the history model), its ``tracked_fields``
  and ``_history_m2m_fields``, the model of a many-to-many field's snapshots reached as
  ``getattr(history_model, field.name).model``, ``simple_history.utils.get_m2m_field_name``,
  and the columns a ``save()`` fills (``history_*``, the object's ``_change_reason``).
- psycopg 3, reached through Django's wrappers: ``Connection.pipeline``, ``Cursor.copy``.

``save_in_bulk`` writes a table's new and changed rows with a history row each,
``insert_rows`` rows that keep no history (the roll-up of approved reports), ``Blank`` makes
new instances without ``Model.__init__``, ``WritesLater`` holds writes whose results nobody
reads, to send them while the caller goes on. Raw bulk writes (``QuerySet.update``,
``bulk_create``) bypass history and are forbidden on audited models (a test greps for them).
"""

from __future__ import annotations

import contextlib
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from operator import attrgetter
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.db.models import signals
from django.utils import timezone
from django.utils.functional import cached_property
from simple_history.utils import get_m2m_field_name

from .audit import current, recorded, user_of
from .chain import Rows, seal_after_commit
from .versions import ALL, Touches, changed, touched

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)


def chunks(items: Sequence[T], size: int = 900) -> Iterator[Sequence[T]]:
    """Slices small enough for an ``IN (...)`` on any database (SQLite's old 999 limit)."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def save_in_bulk(model: type[models.Model], created: Sequence[Any] = (), updated: Sequence[Any] = (),
                 fields: Iterable[str] = (), m2m: dict[str, list[tuple[Any, list[int]]]] | None = None,
                 later: WritesLater | None = None) -> None:
    """Insert ``created`` (their pks come back from the database) and update ``fields`` of
    ``updated``, each with the history row a ``save()`` would write: every column of the
    object, ``history_type`` "+" or "~", the object's ``_change_reason`` if it has one, and
    the audit columns ``_stamp_history`` fills (user, source, detail, IP) from the current
    audit context. One moment stamps them all: ``history_date``, and the ``auto_now`` and
    ``auto_now_add`` fields of the objects created.

    The rows are built straight from the objects' values and written a table at a time
    (:func:`insert_rows`); the database copies the history rows from them
    (:func:`_insert_history`), rather than building a model instance per history row and
    having Django's insert compiler prepare every value of every row, as django-simple-history's
    ``bulk_create_with_history`` does. Foreign keys set to an object saved since (a plan's project created in the same write)
    take its pk.

    ``m2m`` sets many-to-many fields, ``{field: [(obj, [ids]), ...]}``; every new history row
    then gets the snapshot of the object's many-to-many rows that a ``save()`` would record.

    With ``later``, the history rows (and snapshots) are held there, to be written when it
    sends them (:class:`WritesLater`)."""
    ctx = current()
    stamp = timezone.now()
    user = recorded(user_of(ctx))
    audit = {"history_user_id": user.pk if user else None, "history_source": ctx.source,
             "history_detail": ctx.detail[:200], "history_ip": ctx.ip}
    meta = model._meta
    touches = touched([*created, *updated])
    if created:
        _link_saved_relations(meta, created)
        for field in meta.concrete_fields:
            if isinstance(field, models.DateField) and (field.auto_now or field.auto_now_add):
                for obj in created:
                    setattr(obj, field.attname, stamp)
        saved = [f for f in meta.concrete_fields if f is not meta.pk]
        rows = list(map(values_of([f.attname for f in saved]), created))
        pks = insert_rows(model, saved, rows, returning=True, touches=touches)
        db = router.db_for_write(model)
        for obj, pk in zip(created, pks, strict=True):
            obj.pk = pk
            obj._state.adding, obj._state.db = False, db
    if updated and fields:
        _link_saved_relations(meta, updated)
        _update(model, [meta.get_field(name) for name in sorted(set(fields))], updated, touches)
    for name, wanted in (m2m or {}).items():
        _set_m2m(meta.get_field(name), wanted)
    history = []
    if created:
        history.append(functools.partial(_insert_history, model, list(created),
                                         {**audit, "history_date": stamp, "history_type": "+"}, touches))
    if updated:
        history.append(functools.partial(_insert_history, model, list(updated),
                                         {**audit, "history_date": stamp, "history_type": "~"}, touches))
    history_m2m = model.history.model._history_m2m_fields  # type: ignore[attr-defined]  # simple-history's manager
    if history_m2m:  # a new object has many-to-many rows only if ``m2m`` gave it some
        given = {obj.pk for wanted in (m2m or {}).values() for obj, _ids in wanted}
        pks = [obj.pk for obj in updated] + [obj.pk for obj in created if obj.pk in given]
        history.append(functools.partial(_snapshot_m2m, model, history_m2m, pks, stamp))
    label, alias = model.history.model._meta.label, router.db_for_write(model)  # type: ignore[attr-defined]
    for objs, kind in ((created, "+"), (updated, "~")):
        if objs:  # sealed into the audit chain once the transaction commits
            seal_after_commit(Rows(label, object_pks=tuple(obj.pk for obj in objs), stamp=stamp, history_type=kind),
                              using=alias)
    if later is not None:
        later.hold(*history)
    else:
        for write in history:
            write()


class WritesLater:
    """Writes whose results nobody reads, held back to be sent by :meth:`sent`: the history
    rows ``save_in_bulk`` copies, the roll-up rows ``progress.refresh_later`` rebuilds. On
    PostgreSQL they go in pipeline mode, so that the server does them while this process goes
    on with the work inside the ``with`` block (any statement there that reads a result waits
    for them first). They read the rows they copy or sum as those stand when sent: the holder
    sends before writing those rows again. An importer's chunk of rows sends the last chunk's
    writes while it checks its own.

    With them, PostgreSQL checks the foreign keys of the transaction's writes so far, which it
    defers to the commit otherwise (``SET CONSTRAINTS ALL IMMEDIATE`` checks what is pending,
    then ``DEFERRED`` restores the mode every foreign key Django makes is created with), so
    that the commit does not check them all while the importer waits."""

    def __init__(self, using: str = "default") -> None:
        self.using = using
        self.held: list[Callable[[], Any]] = []

    def hold(self, *writes: Callable[[], Any]) -> None:
        self.held += writes

    @contextlib.contextmanager
    def sent(self) -> Iterator[None]:
        held, self.held = self.held, []
        connection = connections[self.using]
        postgres = bool(held) and connection.vendor == "postgresql"
        if postgres:
            connection.ensure_connection()
        # (an error the pipeline raises as it ends, Django's like any other: ``IntegrityError``)
        with connection.wrap_database_errors, connection.connection.pipeline() if postgres else contextlib.nullcontext():
            for write in held:
                write()
            if postgres:
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the pending checks, now
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            yield

    def send(self) -> None:
        """Write what is held, now."""
        with self.sent():
            pass


def _link_saved_relations(meta: Any, objs: Sequence[Any]) -> None:
    """``plan.project = project`` before the project was saved left ``plan.project_id`` None:
    the pk it has now (what ``bulk_create`` does for its objects)."""
    for field in meta.concrete_fields:
        if field.is_relation:
            for obj in objs:
                if getattr(obj, field.attname) is None and field.is_cached(obj):
                    related = field.get_cached_value(obj)
                    if related is not None and related.pk is None:
                        raise ValueError(f"{meta.label}.{field.name}: the related object is not saved")
                    if related is not None:  # ``obj.<field> = related`` without the descriptor's routing
                        obj.__dict__[field.attname] = getattr(related, field.target_field.attname)


def _insert_history(model: type[models.Model], objs: Sequence[Any], values: dict[str, Any], touches: Touches) -> None:
    """A history row per object, copied by the database from the object's row as it now stands
    (``INSERT ... SELECT``, in pk order): its tracked columns, then ``values`` (the history
    columns), its ``_change_reason``, and any other column's default. The rows' values do not
    pass through Python a second time, to be bound (or copied) again."""
    history = model.history.model  # type: ignore[attr-defined]  # simple-history's manager, on audited models
    connection = connections[router.db_for_write(history)]
    changed(connection.alias, touches)
    quote = connection.ops.quote_name
    tracked = list(history.tracked_fields)
    copied = {f.attname for f in tracked}
    rest = [f for f in history._meta.concrete_fields if not f.primary_key and f.attname not in copied]
    insert = (f"INSERT INTO {quote(history._meta.db_table)} "
              f"({_columns(connection, [history._meta.get_field(f.attname) for f in tracked] + rest)}) "
              f"SELECT {_columns(connection, tracked)}, {', '.join(['%s'] * len(rest))} "
              f"FROM {quote(model._meta.db_table)} WHERE {quote(_pk_column(model))} IN ")
    by_reason: defaultdict[Any, list[Any]] = defaultdict(list)
    for obj in objs:
        by_reason[getattr(obj, "_change_reason", None)].append(obj.pk)
    with connection.cursor() as cursor:
        for reason, pks in by_reason.items():
            given = {**values, "history_change_reason": reason}
            fixed = _db_values(connection, rest, [[given[f.attname] if f.attname in given else f.get_default()
                                                   for f in rest]])[0]
            for part in chunks(pks):
                cursor.execute(f"{insert}({', '.join(['%s'] * len(part))}) ORDER BY {quote(_pk_column(model))}",
                               [*fixed, *part])


def _pk_column(model: type[models.Model]) -> str:
    column = model._meta.pk.column
    assert column is not None  # (a primary key is a concrete field: it has a column)
    return column


def values_of(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of the attributes ``names`` of an object, as a tuple, in one call."""
    get = attrgetter(*names)
    return get if len(names) > 1 else lambda obj: (get(obj),)


def insert_rows(model: type[models.Model], fields: list[Any], rows: Sequence[Sequence[Any]], returning: bool = False,
                touches: Touches = ALL) -> list[Any]:
    """INSERT ``rows`` (values of ``fields``) into ``model``'s table; with ``returning``, the
    pks the database gave them, in order. ``touches``: the figures the rows change
    (``core.versions.changed``), all of them if not given. PostgreSQL takes the rows by COPY
    (pks drawn from the table's sequence first), its fastest way to load rows. SQLite takes
    them by multi-row INSERT ... RETURNING when pks are wanted, as many rows a statement as
    its parameter limit allows, else by one prepared single-row INSERT."""
    connection = connections[router.db_for_write(model)]
    changed(connection.alias, touches)
    quote, pk = connection.ops.quote_name, model._meta.pk
    table = quote(model._meta.db_table)
    pks: list[Any] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if returning:
                cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                               [table, pk.column, len(rows)])
                pks = [new for (new,) in cursor.fetchall()]
                fields, rows = [pk, *fields], [[new, *row] for new, row in zip(pks, rows, strict=True)]
            with cursor.cursor.copy(f"COPY {table} ({_columns(connection, fields)}) FROM STDIN") as copy:
                for row in _db_values(connection, fields, rows):
                    copy.write_row(row)
            return pks
        insert = f"INSERT INTO {table} ({_columns(connection, fields)}) VALUES "
        one = f"({', '.join(['%s'] * len(fields))})"
        values = _db_values(connection, fields, rows)
        if not returning:
            cursor.executemany(insert + one, values)
            return pks
        size = connection.ops.bulk_batch_size(fields, values)
        for start in range(0, len(values), size):
            part = values[start:start + size]
            cursor.execute(f"{insert}{', '.join([one] * len(part))} RETURNING {quote(_pk_column(model))}",
                           [value for row in part for value in row])
            pks += [new for (new,) in cursor.fetchall()]
    return pks


def _columns(connection: Any, fields: list[Any]) -> str:
    return ", ".join(connection.ops.quote_name(f.column) for f in fields)


def _update(model: type[models.Model], fields: list[Any], objs: Sequence[Any], touches: Touches) -> None:
    """UPDATE ``fields`` of ``objs``, one parameter set per object (a prepared statement)."""
    connection = connections[router.db_for_write(model)]
    changed(connection.alias, touches)
    quote, pk = connection.ops.quote_name, model._meta.pk
    columns = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    get = values_of([f.attname for f in fields])
    rows = [(*get(obj), obj.pk) for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {quote(model._meta.db_table)} SET {columns} WHERE {quote(_pk_column(model))} = %s",
                           _db_values(connection, [*fields, pk], rows))


# The type of value that Django's ``get_db_prep_save`` hands to every driver unchanged, by field
# (on PostgreSQL an int as psycopg's ``Int2``/``Int4``/``Int8`` of it, which it writes the same).
_AS_IS = {"CharField": str, "TextField": str, "BooleanField": bool, "DecimalField": Decimal,
          **dict.fromkeys(["AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
                           "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField",
                           "PositiveSmallIntegerField"], int)}


def _kept(field: Any, kind: type) -> bool:
    """Whether a value of type ``kind`` goes to the database as it is: None, the field's own
    type, and for a text field any str (a choice too: Django's ``to_python`` keeps it)."""
    own = _AS_IS.get(field.target_field.get_internal_type() if field.is_relation else field.get_internal_type())
    return kind is type(None) or kind is own or (own is str and issubclass(kind, str))


def _db_values(connection: Any, fields: list[Any], rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """``rows`` as the database takes them: each value through its field's
    ``get_db_prep_save``, as Django's own writes do, except those it would hand over
    unchanged (a column of only those is passed as it is). The others (dates, times, lazy
    text) are converted once per distinct value."""
    if not rows:
        return []
    columns: list[Sequence[Any]] = []
    for field, column in zip(fields, zip(*rows, strict=True), strict=True):
        types = set(map(type, column))
        kept = {kind for kind in types if _kept(field, kind)}
        if kept == types:
            columns.append(column)
            continue
        converted: dict[tuple[type, Any], Any] = {}
        columns.append([v if type(v) in kept else _converted(connection, field, v, converted) for v in column])
    return list(zip(*columns, strict=True))


def _converted(connection: Any, field: Any, value: Any, converted: dict[tuple[type, Any], Any]) -> Any:
    try:
        key = (type(value), value)
        if key not in converted:
            converted[key] = field.get_db_prep_save(value, connection)
        return converted[key]
    except TypeError:  # unhashable (JSON)
        return field.get_db_prep_save(value, connection)


def _set_m2m(field: Any, wanted: list[tuple[Any, list[int]]]) -> None:
    through = field.remote_field.through
    source, target = get_m2m_field_name(field), field.m2m_reverse_field_name()
    by_pk = {obj.pk: set(ids) for obj, ids in wanted}
    current: dict[int, dict[int, int]] = defaultdict(dict)
    for pks in chunks(list(by_pk)):
        for row_id, obj_id, target_id in through.objects.filter(**{f"{source}_id__in": pks}).values_list(
                "pk", f"{source}_id", f"{target}_id"):
            current[obj_id][target_id] = row_id
    gone = [row_id for pk, ids in by_pk.items() for target_id, row_id in current[pk].items() if target_id not in ids]
    for rows in chunks(gone):
        through.objects.filter(pk__in=rows).delete()
    # The through table itself keeps no history: the owner's history rows snapshot it.
    through.objects.bulk_create([through(**{f"{source}_id": pk, f"{target}_id": target_id})
                                 for pk, ids in by_pk.items() for target_id in ids if target_id not in current[pk]],
                                batch_size=500)


def _snapshot_m2m(model: type[models.Model], fields: list[Any], pks: list[int], stamp: Any) -> None:
    """What simple-history records beside each history row a ``save()`` writes: the object's
    many-to-many rows as they stand."""
    history = model.history.model  # type: ignore[attr-defined]  # simple-history's manager, on audited models
    pk_name = model._meta.pk.attname
    for field in fields:
        through = field.remote_field.through
        source = get_m2m_field_name(field)
        rows: dict[int, list[Any]] = defaultdict(list)
        for part in chunks(pks):
            for row in through.objects.filter(**{f"{source}_id__in": part}):
                rows[getattr(row, f"{source}_id")].append(row)
        if not rows:
            continue
        snapshot = getattr(history, field.name).model
        names = [f.attname for f in through._meta.fields]
        copies = []
        for part in chunks(list(rows)):
            for record in history.objects.filter(history_date=stamp, **{f"{pk_name}__in": part}):
                copies += [snapshot(history=record, **{n: getattr(row, n) for n in names})
                           for row in rows[getattr(record, pk_name)]]
        snapshot.objects.bulk_create(copies, batch_size=500)


_DEFAULT_DB = (None, DEFAULT_DB_ALIAS)  # an object not yet saved, or of the default database


class Blank(Generic[M]):
    """New instances of ``model`` as ``model(**values)`` makes them, without ``Model.__init__``:
    a copy of one instance made once, with ``values`` set on it (an object for a foreign key
    straight into its column and the copy's cache: ``foreign_keys``). ``Model.__init__``
    walks every field and asks each for its default; a ledger import makes tens of thousands
    of projects, plans, reports and stage transitions. A model that a copy would not make the
    same way (a default that is a callable, a ``pre_init`` or ``post_init`` receiver such as
    an image's dimensions) is made by ``__init__`` as usual. The first instance is made at the
    first call: a module may hold a ``Blank`` before the app registry is ready."""

    def __init__(self, model: type[M], **defaults: object) -> None:
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
        return {f.name: f for f in self.model._meta.concrete_fields
                if isinstance(f, models.ForeignKey) and f.many_to_one and f.target_field.primary_key
                and f.related_model._meta.concrete_model is f.related_model}

    def __call__(self, **values: object) -> M:
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

"""The audit trail: who changed what, when, from where, with before/after values.

Row-level history is kept by django-simple-history on every audited model, so a write
from a page, the admin, a management command or an import is recorded the same way.
This module adds *where from* (the source) and *who* for writes that do not come from a
request: commands and imports run inside ``audit_context(...)``.

Raw bulk writes (``QuerySet.update``, ``bulk_create``) bypass history; they are forbidden on
audited models (a test greps for them). Bulk work goes through :func:`save_in_bulk`, which
writes the rows with a history row each, attributed here like any save.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Any, TypeVar

from django.db import connections, models, router
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record
from simple_history.utils import get_m2m_field_name

from .versions import ALL, Touches, changed, touched

T = TypeVar("T")


class Source(models.TextChoices):
    WEB = "web", _("网页")
    ADMIN = "admin", _("后台管理")
    API = "api", _("接口")
    COMMAND = "command", _("命令行")
    IMPORT = "import", _("台账导入")
    SYSTEM = "system", _("系统")


@dataclass(frozen=True)
class AuditContext:
    source: str = Source.SYSTEM
    user: Any = None
    detail: str = ""  # e.g. the command name or the imported file
    ip: str | None = None


_current: contextvars.ContextVar[AuditContext] = contextvars.ContextVar(
    "keyprojects_audit_context", default=AuditContext()  # noqa: B039 (frozen dataclass)
)


def current() -> AuditContext:
    return _current.get()


@contextlib.contextmanager
def audit_context(source: str, user: Any = None, detail: str = "", ip: str | None = None) -> Iterator[AuditContext]:
    """Every audited write inside this block is attributed to ``user`` from ``source``."""
    ctx = AuditContext(source=source, user=user, detail=detail, ip=ip)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def recorded(user: Any) -> Any:
    """The user to store in a who-did-it column: a real account, or None for the system."""
    return user if isinstance(user, models.Model) and getattr(user, "is_authenticated", False) else None


def acting_as(service: Callable[..., T]) -> Callable[..., T]:
    """For a service whose first argument is the acting user: its writes are recorded as
    that user's, from wherever the call came (page, API, command, import)."""

    @functools.wraps(service)
    def wrapper(user: Any, *args: Any, **kwargs: Any) -> T:
        ctx = current()
        actor = recorded(user) or ctx.user
        with audit_context(ctx.source, user=actor, detail=ctx.detail, ip=ctx.ip):
            return service(user, *args, **kwargs)

    return wrapper


class AuditContextMiddleware:
    """Attributes writes made while serving a request to its user and its part of the site."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        path = request.path_info
        if path.startswith("/admin/"):
            source = Source.ADMIN
        elif path.startswith("/api/"):
            source = Source.API
        else:
            source = Source.WEB
        ip = request.META.get("REMOTE_ADDR")
        # request.user is lazy; resolve it only when a write asks for it.
        with audit_context(source, user=_LazyRequestUser(request), detail=path[:200], ip=ip):
            return self.get_response(request)


class _LazyRequestUser:
    def __init__(self, request: Any) -> None:
        self.request = request

    def resolve(self) -> Any:
        user = getattr(self.request, "user", None)
        return user if user is not None and user.is_authenticated else None


class AuditedHistory(models.Model):
    """Extra columns on every history table: where the write came from."""

    history_source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.SYSTEM)
    history_detail = models.CharField(_("来源详情"), max_length=200, blank=True, default="")
    history_ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)

    class Meta:
        abstract = True


class _IndexedOnly:
    """simple-history's ``no_db_index`` turned round: every field but these loses its index."""

    def __init__(self, *kept: str) -> None:
        self.kept = kept

    def __contains__(self, name: object) -> bool:
        return name not in self.kept


def audited(**kwargs: Any) -> HistoricalRecords:
    """The history manager every audited model declares.

    History is read by object (``obj.history``: the ``id`` column), by date, by user, and for a
    project's timeline by ``project``; the copies of the other foreign keys and unique columns
    are not indexed. Each index cost every history row a B-tree insert (eight tables, 3 to 8
    indexes each) on every write: ledger imports and month-end bursts write thousands."""
    return HistoricalRecords(bases=[AuditedHistory], cascade_delete_history=False,
                             no_db_index=_IndexedOnly("id", "project"), **kwargs)


def _user(ctx: AuditContext) -> Any:
    return ctx.user.resolve() if isinstance(ctx.user, _LazyRequestUser) else ctx.user


@receiver(pre_create_historical_record)
def _stamp_history(sender: Any, instance: Any, history_instance: Any, **kwargs: Any) -> None:
    ctx = current()
    user = _user(ctx)
    if user is not None and getattr(history_instance, "history_user_id", None) is None:
        history_instance.history_user = user
    history_instance.history_source = ctx.source
    history_instance.history_detail = ctx.detail[:200]
    history_instance.history_ip = ctx.ip


def chunks(items: Sequence[T], size: int = 900) -> Iterator[Sequence[T]]:
    """Slices small enough for an ``IN (...)`` on any database (SQLite's old 999 limit)."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def save_in_bulk(model: type[models.Model], created: Sequence[Any] = (), changed: Sequence[Any] = (),
                 fields: Iterable[str] = (), m2m: dict[str, list[tuple[Any, list[int]]]] | None = None,
                 later: WritesLater | None = None) -> None:
    """Insert ``created`` (their pks come back from the database) and update ``fields`` of
    ``changed``, each with the history row a ``save()`` would write: every column of the
    object, ``history_type`` "+" or "~", the object's ``_change_reason`` if it has one, and
    the audit columns ``_stamp_history`` fills (user, source, detail, IP) from the current
    audit context. One moment stamps them all: ``history_date``, and the ``auto_now`` and
    ``auto_now_add`` fields of the objects created.

    The rows are built straight from the objects' values and written a table at a time
    (:func:`insert_rows`); the database copies the history rows from them
    (:func:`_insert_history`). django-simple-history's ``bulk_create_with_history``, used
    before, built a model instance per history row and let Django's insert compiler prepare
    every value of every row: 13 of the 21 s a 20,000-row ledger import took.
    Foreign keys set to an object saved since (a plan's project created in the same write)
    take its pk.

    ``m2m`` sets many-to-many fields, ``{field: [(obj, [ids]), ...]}``; every new history row
    then gets the snapshot of the object's many-to-many rows that a ``save()`` would record.

    With ``later``, the history rows (and snapshots) are held there, to be written when it
    sends them (:class:`WritesLater`)."""
    ctx = current()
    stamp = timezone.now()
    user = recorded(_user(ctx))
    audit = {"history_user_id": user.pk if user else None, "history_source": ctx.source,
             "history_detail": ctx.detail[:200], "history_ip": ctx.ip}
    meta = model._meta
    touches = touched([*created, *changed])
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
    if changed and fields:
        _link_saved_relations(meta, changed)
        _update(model, [meta.get_field(name) for name in sorted(set(fields))], changed, touches)
    for name, wanted in (m2m or {}).items():
        _set_m2m(meta.get_field(name), wanted)
    history = []
    if created:
        history.append(functools.partial(_insert_history, model, list(created),
                                         {**audit, "history_date": stamp, "history_type": "+"}, touches))
    if changed:
        history.append(functools.partial(_insert_history, model, list(changed),
                                         {**audit, "history_date": stamp, "history_type": "~"}, touches))
    history_m2m = getattr(model.history.model, "_history_m2m_fields", [])  # type: ignore[attr-defined]
    if history_m2m:  # a new object has many-to-many rows only if ``m2m`` gave it some
        given = {obj.pk for wanted in (m2m or {}).values() for obj, _ids in wanted}
        pks = [obj.pk for obj in changed] + [obj.pk for obj in created if obj.pk in given]
        history.append(functools.partial(_snapshot_m2m, model, history_m2m, pks, stamp))
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
    pass through Python a second time: binding them again cost a 20,000-row ledger import
    more than a second on SQLite, and their COPY a third of a second on PostgreSQL."""
    history = model.history.model  # type: ignore[attr-defined]
    connection = connections[router.db_for_write(history)]
    changed(connection.alias, touches)
    quote = connection.ops.quote_name
    tracked = list(history.tracked_fields)
    copied = {f.attname for f in tracked}
    rest = [f for f in history._meta.concrete_fields if not f.primary_key and f.attname not in copied]
    insert = (f"INSERT INTO {quote(history._meta.db_table)} "
              f"({_columns(connection, [history._meta.get_field(f.attname) for f in tracked] + rest)}) "
              f"SELECT {_columns(connection, tracked)}, {', '.join(['%s'] * len(rest))} "
              f"FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} IN ")
    by_reason: defaultdict[Any, list[Any]] = defaultdict(list)
    for obj in objs:
        by_reason[getattr(obj, "_change_reason", None)].append(obj.pk)
    with connection.cursor() as cursor:
        for reason, pks in by_reason.items():
            given = {**values, "history_change_reason": reason}
            fixed = _db_values(connection, rest, [[given[f.attname] if f.attname in given else f.get_default()
                                                   for f in rest]])[0]
            for part in chunks(pks):
                cursor.execute(f"{insert}({', '.join(['%s'] * len(part))}) ORDER BY {quote(model._meta.pk.column)}",
                               [*fixed, *part])


def values_of(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of the attributes ``names`` of an object, as a tuple, in one call."""
    get = attrgetter(*names)
    return get if len(names) > 1 else lambda obj: (get(obj),)


def insert_rows(model: type[models.Model], fields: list[Any], rows: Sequence[Sequence[Any]], returning: bool = False,
                touches: Touches = ALL) -> list[Any]:
    """INSERT ``rows`` (values of ``fields``) into ``model``'s table; with ``returning``, the
    pks the database gave them, in order. ``touches``: the figures the rows change
    (``core.versions.changed``), all of them if not given. PostgreSQL takes the rows by COPY (pks drawn from
    the table's sequence first), several times faster than a multi-row INSERT. SQLite takes
    them by multi-row INSERT ... RETURNING when pks are wanted, as many rows a statement as
    its parameter limit allows, else by one prepared single-row INSERT."""
    connection = connections[router.db_for_write(model)]
    changed(connection.alias, touches)
    table, pk = connection.ops.quote_name(model._meta.db_table), model._meta.pk
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
            cursor.execute(f"{insert}{', '.join([one] * len(part))} RETURNING {connection.ops.quote_name(pk.column)}",
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
        cursor.executemany(f"UPDATE {quote(model._meta.db_table)} SET {columns} WHERE {quote(pk.column)} = %s",
                           _db_values(connection, [*fields, pk], rows))


# The type of value that Django's ``get_db_prep_save`` hands to every driver unchanged, by field.
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
    columns = []
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
    history = model.history.model  # type: ignore[attr-defined]
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

"""The audit trail: who changed what, when, from where, with before/after values.

Row-level history is kept by django-simple-history on every audited model, so a write
from a page, the admin, a management command or an import is recorded the same way.
This module adds *where from* (the source) and *who* for writes that do not come from a
request: commands and imports run inside ``audit_context(...)``.

Raw bulk writes (``QuerySet.update``, ``bulk_create``) bypass history; they are forbidden on
audited models (a test greps for them). Bulk work goes through :func:`save_in_bulk`, which
uses django-simple-history's bulk utilities and attributes their rows here.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import models
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record
from simple_history.utils import (
    bulk_create_with_history,
    bulk_update_with_history,
    get_m2m_field_name,
)

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


def audited(**kwargs: Any) -> HistoricalRecords:
    """The history manager every audited model declares."""
    return HistoricalRecords(bases=[AuditedHistory], cascade_delete_history=False, **kwargs)


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
                 fields: Iterable[str] = (), m2m: dict[str, list[tuple[Any, list[int]]]] | None = None) -> None:
    """Insert ``created`` and update ``fields`` of ``changed`` with django-simple-history's bulk
    utilities: one history row each, attributed like any save in the current audit context.
    (Those utilities send no ``pre_create_historical_record``, so ``_stamp_history`` never sees
    their rows: the same columns are filled here.)

    ``m2m`` sets many-to-many fields, ``{field: [(obj, [ids]), ...]}``; every new history row
    then gets the snapshot of the object's many-to-many rows that a ``save()`` would record."""
    ctx = current()
    stamp = timezone.now()
    options = {"default_user": recorded(_user(ctx)), "default_date": stamp, "batch_size": 500,
               "custom_historical_attrs": {"history_source": ctx.source, "history_detail": ctx.detail[:200],
                                           "history_ip": ctx.ip}}
    if created:
        bulk_create_with_history(list(created), model, **options)
    if changed:
        bulk_update_with_history(list(changed), model, sorted(set(fields)), **options)
    for name, wanted in (m2m or {}).items():
        _set_m2m(model._meta.get_field(name), wanted)
    history_m2m = getattr(model.history.model, "_history_m2m_fields", [])  # type: ignore[attr-defined]
    if history_m2m:
        _snapshot_m2m(model, history_m2m, [obj.pk for obj in (*created, *changed)], stamp)


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

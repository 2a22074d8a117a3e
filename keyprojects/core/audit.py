"""The audit trail: who changed what, when, from where, with before/after values.

Row-level history is kept by django-simple-history on every audited model, so a write
from a page, the admin, a management command or an import is recorded the same way.
This module adds *where from* (the source) and *who* for writes that do not come from a
request: commands and imports run inside ``audit_context(...)``.

Raw bulk writes (``QuerySet.update``, ``bulk_create``) bypass history; they are forbidden on
audited models (a test greps for them). Bulk work goes through ``core.bulk.save_in_bulk``,
which writes the rows with a history row each, attributed here like any save.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

from django.db import models
from django.db.models.signals import post_delete, pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from keyprojects.core.http import client_ip

T = TypeVar("T")
P = ParamSpec("P")
U = TypeVar("U")  # the acting user


class Source(models.TextChoices):
    WEB = "web", _("网页")
    ADMIN = "admin", _("后台管理")
    API = "api", _("接口")
    COMMAND = "command", _("命令行")
    IMPORT = "import", _("台账导入")
    SYSTEM = "system", _("系统")
    PROVINCE = "province", _("省平台")  # accepted from the province's returned list (exchange)


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


def acting_as(service: Callable[Concatenate[U, P], T]) -> Callable[Concatenate[U, P], T]:
    """For a service whose first argument is the acting user: its writes are recorded as
    that user's, from wherever the call came (page, API, command, import)."""

    @functools.wraps(service)
    def wrapper(user: U, /, *args: P.args, **kwargs: P.kwargs) -> T:
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
        ip = client_ip(request)  # (the proxy's own address only when no trusted proxy is named)
        # request.user is lazy; resolve it only when a write asks for it.
        with audit_context(source, user=_LazyRequestUser(request), detail=path[:200], ip=ip):
            return self.get_response(request)


class _LazyRequestUser:
    def __init__(self, request: Any) -> None:
        self.request = request

    def resolve(self) -> Any:
        user = getattr(self.request, "user", None)
        return user if user is not None and user.is_authenticated else None


class SourceField(models.CharField):
    """A history row's source: its choices are for display and forms, not the schema, so a new
    source (省平台 …) needs no migration of every history table."""

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("choices", None)
        return name, "django.db.models.CharField", args, kwargs


class AuditedHistory(models.Model):
    """Extra columns on every history table: where the write came from."""

    history_source = SourceField(_("来源"), max_length=16, choices=Source.choices, default=Source.SYSTEM)
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


def user_of(ctx: AuditContext) -> Any:
    """The user ``ctx`` attributes writes to (a request's, once it is known), or None."""
    return ctx.user.resolve() if isinstance(ctx.user, _LazyRequestUser) else ctx.user


@receiver(pre_create_historical_record)
def _stamp_history(sender: Any, instance: Any, history_instance: Any, **kwargs: Any) -> None:
    ctx = current()
    user = user_of(ctx)
    if user is not None and getattr(history_instance, "history_user_id", None) is None:
        history_instance.history_user = user
    history_instance.history_source = ctx.source
    history_instance.history_detail = ctx.detail[:200]
    history_instance.history_ip = ctx.ip


@receiver(post_create_historical_record)
def _seal_history(sender: Any, history_instance: Any, using: str | None = None, **kwargs: Any) -> None:
    from .chain import Rows, seal_after_commit

    seal_after_commit(Rows(sender._meta.label, ids=(history_instance.pk,)), using=history_instance._state.db or "default")


# Deleting an object deletes the many-to-many rows that point at it (a list's memberships)
# without a signal to simple-history: each object that lost one gets a history row of its own.

@functools.cache
def _m2m_owners_of(target: type[models.Model]) -> list[tuple[type[models.Model], Any]]:
    """(audited model, many-to-many field) pairs whose field points at ``target``."""
    from .chain import history_models

    pairs = []
    for history in history_models():
        owner = history.instance_type  # type: ignore[attr-defined]  # simple-history's attribute
        for field in getattr(history, "_history_m2m_fields", []):
            if issubclass(target, field.related_model):
                pairs.append((owner, field))
    return pairs


def connect_m2m_deletions() -> None:
    """Listen to the deletions of the models audited many-to-many fields point at, only (a
    listener on every model would cost all the others Django's fast bulk delete)."""
    from .chain import history_models

    targets = {field.related_model for history in history_models()
               for field in getattr(history, "_history_m2m_fields", [])}
    for target in targets:
        pre_delete.connect(_remember_m2m_owners, sender=target, dispatch_uid=f"audit-m2m-pre-{target._meta.label}")
        post_delete.connect(_record_lost_m2m, sender=target, dispatch_uid=f"audit-m2m-post-{target._meta.label}")


def _remember_m2m_owners(sender: Any, instance: Any, using: str = "default", **kwargs: Any) -> None:
    owners: dict[Any, list[Any]] = {}
    for owner, field in _m2m_owners_of(sender):
        through = field.remote_field.through
        pks = list(through._base_manager.using(using).filter(**{field.m2m_reverse_field_name(): instance.pk})
                   .values_list(field.m2m_field_name(), flat=True))
        if owner is sender:
            pks = [pk for pk in pks if pk != instance.pk]  # (its own history row says it is gone)
        if pks:
            owners[owner] = owners.get(owner, []) + pks
    if owners:
        instance._audit_m2m_owners = owners


def _record_lost_m2m(sender: Any, instance: Any, using: str = "default", **kwargs: Any) -> None:
    from .bulk import save_in_bulk

    for owner, pks in getattr(instance, "_audit_m2m_owners", {}).items():
        objs = list(owner._base_manager.using(using).filter(pk__in=set(pks)).order_by("pk"))
        for obj in objs:
            obj._change_reason = str(_("“%(what)s”已删除，关联随之移除") % {"what": instance})[:100]
        if objs:
            save_in_bulk(owner, updated=objs)
    instance.__dict__.pop("_audit_m2m_owners", None)

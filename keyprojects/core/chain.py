"""Tamper evidence for the audit trail: every history row and sign-in is sealed into one chain.

A link (``core.models.AuditEntry``) holds a row's digest: SHA-256 of the previous link's digest,
the link's own columns and the row's every column (with its many-to-many snapshot). One chain
across all tables, not one per table: a single walk proves the order of everything and finds a
removed row in any table, and a whole table's tail cannot be dropped unseen.

Rows are sealed just after their transaction commits (``on_commit``), by a short transaction
that locks the chain's head (``ChainHead``, ``SELECT ... FOR UPDATE``): two sealers queue there
and never fork the chain (``seq`` is unique besides), while the writers themselves take no lock
that could hold up or deadlock other writes. A row whose process died before sealing it stays
unsealed until ``keyprojects seal_audit``; ``keyprojects verify_audit`` reports it meanwhile.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction

from .models import AuditEntry, ChainHead, SignIn

log = logging.getLogger(__name__)

SIGN_IN = "core.SignIn"
CHUNK = 2000


# --- what a transaction leaves to seal -------------------------------------------------------

@dataclass(frozen=True)
class Rows:
    """History rows to seal: by their ids, or (the bulk path) by the objects' pks, moment and type."""

    table: str  # the history model's label, or SIGN_IN
    ids: tuple[int, ...] = ()
    object_pks: tuple[Any, ...] = ()
    stamp: datetime | None = None
    history_type: str = ""


def _pending(alias: str) -> list[Rows]:
    connection = connections[alias]
    if not hasattr(connection, "_audit_pending"):
        connection._audit_pending = []  # type: ignore[attr-defined]
    return connection._audit_pending  # type: ignore[attr-defined]


def seal_after_commit(rows: Rows, using: str = DEFAULT_DB_ALIAS) -> None:
    """Seal ``rows`` once their transaction commits. Rows a rollback removed are simply not found."""
    _pending(using).append(rows)
    transaction.on_commit(lambda: _seal_pending(using), using=using, robust=True)


def _seal_pending(alias: str) -> None:
    connection = connections[alias]
    items, connection._audit_pending = _pending(alias), []  # type: ignore[attr-defined]
    if items:
        seal(items, using=alias)


# --- sealing ---------------------------------------------------------------------------------

@functools.cache
def history_models() -> list[type[models.Model]]:
    """Every history model simple-history made (one per audited model)."""
    return [m for m in apps.get_models() if hasattr(m, "instance_type") and hasattr(m, "history_object")]


def _table_model(table: str) -> type[models.Model]:
    return apps.get_model(table)


def seal(items: Iterable[Rows], using: str = DEFAULT_DB_ALIAS) -> int:
    """Append the rows ``items`` name to the chain (those not sealed yet); the number appended."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for item in items:
        if item.ids:
            wanted[item.table].update(item.ids)
        elif item.object_pks:
            history = _table_model(item.table)
            for part in _chunks(list(item.object_pks)):
                wanted[item.table].update(history._base_manager.using(using).filter(
                    id__in=part, history_date=item.stamp, history_type=item.history_type,
                ).values_list("pk", flat=True))
    return _append(wanted, using)


def seal_unsealed(using: str = DEFAULT_DB_ALIAS) -> int:
    """Seal every row of every history table (and every sign-in) not sealed yet: the rows
    written before the chain existed, or whose sealing a crash prevented."""
    total = 0
    for table in [*(m._meta.label for m in history_models()), SIGN_IN]:
        ids = unsealed_ids(table, using)
        for part in _chunks(ids, 20000):
            total += _append({table: set(part)}, using)
    return total


def unsealed_ids(table: str, using: str = DEFAULT_DB_ALIAS) -> list[int]:
    model = _table_model(table)
    sealed = AuditEntry.objects.using(using).filter(table=table).values("row_id")
    return list(model._base_manager.using(using).exclude(pk__in=sealed).order_by("pk").values_list("pk", flat=True))


def _append(wanted: dict[str, set[int]], using: str) -> int:
    with transaction.atomic(using=using):
        head = ChainHead.objects.using(using).select_for_update().filter(pk=1).first()
        if head is None:
            head = ChainHead.objects.using(using).create(pk=1)
        seq, previous = head.seq, head.digest
        links: list[AuditEntry] = []
        for table in sorted(wanted):
            ids = wanted[table]
            done = set(AuditEntry.objects.using(using).filter(table=table, row_id__in=ids)
                       .values_list("row_id", flat=True)) if ids else set()
            for part in _chunks(sorted(ids - done)):
                for link, content in _links(table, part, using):
                    seq += 1
                    link.seq = seq
                    link.digest = previous = digest_of(previous, link, content)
                    links.append(link)
        if links:
            _write(links, using)
            head.seq, head.digest = seq, previous
            head.save(using=using, update_fields=["seq", "digest"])
        return len(links)


def _write(links: list[AuditEntry], using: str) -> None:
    """INSERT the links: by COPY on PostgreSQL, one prepared statement on SQLite (not
    ``bulk_create``, whose preparing of every value of every row cost more than the hashing).
    The chain's links are not audited: they seal what is."""
    from .bulk import _columns, _db_values  # (core.bulk imports this module)

    connection = connections[using]
    fields = [f for f in AuditEntry._meta.concrete_fields if not f.primary_key]
    rows = _db_values(connection, fields, [[getattr(link, f.attname) for f in fields] for link in links])
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({_columns(connection, fields)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({_columns(connection, fields)}) "
                               f"VALUES ({', '.join(['%s'] * len(fields))})", rows)


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def digest_of(previous: str, link: AuditEntry, content: str) -> str:
    own = [link.seq, link.table, link.row_id, link.model, link.object_id, link.object_repr, link.action,
           _plain(link.at), link.user_id, link.username, link.source, link.ip, link.region_id]
    text = json.dumps([previous, own, content], ensure_ascii=False, default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()


def _plain(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    return str(value)


def content_of(rows: dict[int, dict[str, Any]], snapshots: dict[int, list[dict[str, Any]]], row_id: int) -> str:
    """A row's columns and its many-to-many snapshot, as one canonical text. Empty (NULL)
    columns are left out: a nullable column a migration adds to a history table later leaves
    the rows sealed before it verifying as they did."""
    row = {name: value for name, value in rows[row_id].items() if value is not None}
    return json.dumps([row, snapshots.get(row_id, [])], sort_keys=True, ensure_ascii=False, default=_plain)


def rows_of(table: str, ids: list[int], using: str) -> tuple[dict[int, dict[str, Any]], dict[int, list[dict[str, Any]]]]:
    """The rows ``ids`` of ``table`` (every column, as the ORM reads it) and their snapshots."""
    model = _table_model(table)
    rows = {row[model._meta.pk.attname]: row for row in model._base_manager.using(using).filter(pk__in=ids).values()}
    snapshots: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for field in getattr(model, "_history_m2m_fields", []):
        through = getattr(model, field.name).model
        for row in through._base_manager.using(using).filter(history_id__in=ids).order_by("pk").values():
            snapshots[row["history_id"]].append({"field": field.name, **row})
    return rows, snapshots


def _links(table: str, ids: list[int], using: str) -> Iterator[tuple[AuditEntry, str]]:
    rows, snapshots = rows_of(table, ids, using)
    if table == SIGN_IN:
        regions = _user_regions({row["user_id"] for row in rows.values()}, using)
        for row_id in sorted(rows):
            row = rows[row_id]
            yield AuditEntry(table=table, row_id=row_id, model=SIGN_IN, object_id=str(row["user_id"] or ""),
                             object_repr=row["username"][:200], action=row["result"], at=row["at"],
                             user_id=row["user_id"], username=row["username"][:150], source=row["source"],
                             ip=row["ip"], region_id=regions.get(row["user_id"])), content_of(rows, snapshots, row_id)
        return
    history = _table_model(table)
    tracked: type[models.Model] = history.instance_type  # type: ignore[attr-defined]
    object_regions = _object_regions(tracked, rows, using)
    user_regions = _user_regions({row["history_user_id"] for row in rows.values()}, using)
    names = _usernames({row["history_user_id"] for row in rows.values()}, using)
    pk_name = tracked._meta.pk.attname
    for row_id in sorted(rows):
        row = rows[row_id]
        user_id = row["history_user_id"]
        region = object_regions.get(row[pk_name])
        yield AuditEntry(
            table=table, row_id=row_id, model=tracked._meta.label, object_id=str(row[pk_name]),
            object_repr=_repr(row)[:200], action=row["history_type"], at=row["history_date"], user_id=user_id,
            username=names.get(user_id, ""), source=row.get("history_source") or "", ip=row.get("history_ip"),
            region_id=region if region is not None else user_regions.get(user_id),
        ), content_of(rows, snapshots, row_id)


def _repr(row: dict[str, Any]) -> str:
    for name in ("name", "title", "username", "code"):
        if row.get(name):
            return str(row[name])
    return ""


def _object_regions(model: type[models.Model], rows: dict[int, dict[str, Any]], using: str) -> dict[Any, int | None]:
    """Each object's region: its own region column, its project's, the one its scope path
    reaches (while the object exists), or — for a region — itself."""
    pk_name = model._meta.pk.attname
    if model._meta.label == "regions.Region":
        return {row[pk_name]: row[pk_name] for row in rows.values()}
    if any("region_id" in row for row in rows.values()):
        return {row[pk_name]: row.get("region_id") for row in rows.values()}
    if any("project_id" in row for row in rows.values()):
        project = apps.get_model("projects.Project")
        by_project = dict(project._base_manager.using(using).filter(
            pk__in={row["project_id"] for row in rows.values()}).values_list("pk", "region_id"))
        return {row[pk_name]: by_project.get(row["project_id"]) for row in rows.values()}
    path = getattr(model, "scope_paths", {}).get("region")
    if isinstance(path, str):
        return dict(model._base_manager.using(using).filter(
            pk__in={row[pk_name] for row in rows.values()}).values_list("pk", path))
    return {}


def _user_regions(user_ids: set[Any], using: str) -> dict[Any, int]:
    user = apps.get_model("accounts.User")
    ids = {u for u in user_ids if u is not None}
    if not ids:
        return {}
    return {pk: region for pk, region in user._base_manager.using(using).filter(pk__in=ids)
            .values_list("pk", "unit__region_id") if region is not None}


def _usernames(user_ids: set[Any], using: str) -> dict[Any, str]:
    user = apps.get_model("accounts.User")
    ids = {u for u in user_ids if u is not None}
    return dict(user._base_manager.using(using).filter(pk__in=ids).values_list("pk", "username")) if ids else {}


# --- verifying -------------------------------------------------------------------------------

@dataclass
class Finding:
    seq: int | None
    message: str


def verify(using: str = DEFAULT_DB_ALIAS) -> tuple[int, list[Finding]]:
    """Walk the chain: the number of links checked, and what is wrong — the first link whose
    row was altered or removed, a removed link, a removed tail, and rows never sealed."""
    findings: list[Finding] = []
    previous, expected, checked = "", 1, 0
    entries = AuditEntry.objects.using(using).order_by("seq")
    last_seq = 0
    for part in _chunks_of(entries):
        by_table: dict[str, list[int]] = defaultdict(list)
        for link in part:
            by_table[link.table].append(link.row_id)
        loaded = {table: rows_of(table, ids, using) for table, ids in by_table.items() if _known(table)}
        for link in part:
            checked += 1
            if link.seq != expected:
                findings.append(Finding(expected, f"第 {expected} 至 {link.seq - 1} 条审计链记录被删除"))
                return checked, findings
            rows, snapshots = loaded.get(link.table, ({}, {}))
            if link.row_id not in rows:
                findings.append(Finding(link.seq, f"第 {link.seq} 条：{link.table} #{link.row_id} "
                                                  f"（{link.model} {link.object_id}）已被删除"))
                return checked, findings
            if digest_of(previous, link, content_of(rows, snapshots, link.row_id)) != link.digest:
                findings.append(Finding(link.seq, f"第 {link.seq} 条：{link.table} #{link.row_id} "
                                                  f"（{link.model} {link.object_id}）已被改动"))
                return checked, findings
            previous, expected, last_seq = link.digest, expected + 1, link.seq
    head = ChainHead.objects.using(using).filter(pk=1).first()
    if head is not None and (head.seq != last_seq or head.digest != previous):
        findings.append(Finding(last_seq + 1, f"审计链末尾第 {last_seq + 1} 至 {head.seq} 条记录被删除"))
        return checked, findings
    for table in [*(m._meta.label for m in history_models()), SIGN_IN]:
        loose = unsealed_ids(table, using)
        if loose:
            findings.append(Finding(None, f"{table}：{len(loose)} 行未封存（第一行 #{loose[0]}）；"
                                          f"若非篡改，运行 keyprojects seal_audit"))
    return checked, findings


def _known(table: str) -> bool:
    try:
        apps.get_model(table)
    except LookupError:
        return False
    return True


def _chunks_of(entries: Any) -> Iterator[list[AuditEntry]]:
    last = 0
    while True:
        part = list(entries.filter(seq__gt=last)[:CHUNK])
        if not part:
            return
        yield part
        last = part[-1].seq


def record_sign_in(**values: Any) -> SignIn:
    row = SignIn.objects.create(**values)
    seal_after_commit(Rows(SIGN_IN, ids=(row.pk,)))
    return row

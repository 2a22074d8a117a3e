"""One archive holding the database and the media files (``keyprojects backup``), and bringing
it back into an empty database (``keyprojects restore``). See docs/operations.md.

The archive is a gzipped tar: ``manifest.json`` (what it holds, from which database), the
database (PostgreSQL: ``database.pgdump``, pg_dump's custom format; SQLite: ``database.sqlite3``,
a copy made through SQLite's online backup API — a consistent snapshot however busy the site,
never a copy of the live file) and ``media/`` (uploads, photos, documents, briefings)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = 1
DUMPS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}


class BackupError(Exception):
    """Why a backup or a restore was refused or failed, in Chinese, for the operator."""


def _pg_env() -> dict[str, str]:
    """libpq's variables for the database Django uses (a password never on a command line)."""
    db = connection.settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"),
                     ("NAME", "PGDATABASE")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = db["OPTIONS"]["sslmode"]
    return env


def _major(version: str) -> int:
    found = re.search(r"(\d+)", version)
    return int(found.group(1)) if found else 0


def pg_tool(name: str) -> str:
    """The path of ``pg_dump``/``pg_restore``, checked to be at least the server's major version
    (an older pg_dump refuses a newer server; a restore needs the dump's tools)."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"找不到 {name}：请安装与数据库服务器版本一致的 PostgreSQL 客户端（Debian: postgresql-client）")
    tool = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    found = re.search(r"\)\s*(\d+)", tool)  # "pg_dump (PostgreSQL) 15.20 (Debian …)"
    if (int(found.group(1)) if found else 0) < _major(server):
        raise BackupError(f"{name} 的版本（{tool.strip()}）低于数据库服务器（{server}）：请安装 {_major(server)} 版的客户端")
    return path


def media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def backup(out: Path) -> dict[str, Any]:
    """Write the archive ``out``; returns its manifest."""
    vendor = connection.vendor
    if vendor not in DUMPS:
        raise BackupError(f"不支持的数据库：{vendor}")
    with tempfile.TemporaryDirectory(prefix="kp-backup-") as tmp:
        dump = Path(tmp) / DUMPS[vendor]
        if vendor == "postgresql":
            done = subprocess.run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                                   "--file", str(dump)], env=_pg_env(), capture_output=True, text=True)
            if done.returncode:
                raise BackupError(f"pg_dump 失败：{done.stderr.strip()}")
        else:
            connection.ensure_connection()
            target = sqlite3.connect(dump)
            try:
                connection.connection.backup(target)  # SQLite's online backup: a consistent snapshot
            finally:
                target.close()
        files = media_files()
        applied = sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())
        manifest = {"format": FORMAT, "vendor": vendor, "created_at": timezone.now().isoformat(),
                    "database": dump.name, "media_files": len(files), "migrations": applied}
        (Path(tmp) / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")  # a backup cut short never looks like a good one
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(Path(tmp) / "manifest.json", "manifest.json")
            archive.add(dump, dump.name)
            root = Path(settings.MEDIA_ROOT)
            for path in files:
                archive.add(path, "media/" + path.relative_to(root).as_posix())
        partial.replace(out)
    return manifest


def tables() -> list[str]:
    return connection.introspection.table_names()


def drop_everything() -> None:
    """Every table of the database dropped (``restore --force``)."""
    names = tables()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name in names:
                cursor.execute(f'DROP TABLE IF EXISTS "{name}" CASCADE')
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
            for name in names:
                cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
            cursor.execute("PRAGMA foreign_keys = ON")


def restore(archive_path: Path, force: bool = False, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Bring the archive back: the database (into an empty one, or after dropping every table
    with ``force``) and the media files. Returns the archive's manifest."""
    if not archive_path.is_file():
        raise BackupError(f"备份文件不存在：{archive_path}")
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            manifest = json.loads(archive.extractfile("manifest.json").read())  # type: ignore[union-attr]
            with tempfile.TemporaryDirectory(prefix="kp-restore-") as tmp:
                archive.extractall(tmp, filter="data")  # no absolute paths, no "..", no devices
                return _restore_from(Path(tmp), manifest, force, say)
    except (tarfile.TarError, KeyError, json.JSONDecodeError, EOFError, OSError) as exc:
        if isinstance(exc, BackupError):
            raise
        raise BackupError(f"不是有效的备份文件（{type(exc).__name__}: {exc}）") from exc


def _restore_from(tmp: Path, manifest: dict[str, Any], force: bool, say: Callable[[str], None]) -> dict[str, Any]:
    vendor = connection.vendor
    if manifest.get("format") != FORMAT or manifest.get("vendor") not in DUMPS:
        raise BackupError("不是本系统的备份文件，或格式版本不符")
    if manifest["vendor"] != vendor:
        raise BackupError(f"备份来自 {manifest['vendor']} 数据库，当前数据库是 {vendor}：请恢复到同类数据库"
                          "（换库请用 dumpdata/loaddata）")
    existing = tables()
    if existing and not force:
        raise BackupError(f"目标数据库不是空的（已有 {len(existing)} 张表）：恢复只写入空数据库。"
                          "确认要覆盖其中全部数据，请加 --force")
    media_root = Path(settings.MEDIA_ROOT)
    if not force and media_files():
        raise BackupError(f"媒体目录 {media_root} 中已有文件：确认要覆盖，请加 --force")
    if existing:
        say(f"删除目标数据库中的 {len(existing)} 张表…")
        drop_everything()
    dump = tmp / manifest["database"]
    if vendor == "postgresql":
        done = subprocess.run([pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
                               "--single-transaction", "--dbname", connection.settings_dict["NAME"], str(dump)],
                              env=_pg_env(), capture_output=True, text=True)
        if done.returncode:
            raise BackupError(f"pg_restore 失败：{done.stderr.strip()}")
    else:
        connection.ensure_connection()
        source = sqlite3.connect(dump)
        try:
            source.backup(connection.connection)  # page by page into the (empty) database Django uses
        finally:
            source.close()
    connection.close()  # the next query sees the restored tables on a new connection
    media = tmp / "media"
    if media.is_dir():
        media_root.mkdir(parents=True, exist_ok=True)
        shutil.copytree(media, media_root, dirs_exist_ok=True)
    return manifest

"""A confirmed upload imports in the background, so the page can show how far it got.

The job runs in a thread of the web process (one box, no worker to run: it works the same
under runserver and gunicorn) as the uploading user, in the import's audit context. It
writes its state to a small JSON file under ``MEDIA_ROOT/ledger_jobs/`` that any process can
read: a row in the database would wait for the import's own write lock on SQLite.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

from keyprojects.core.audit import Source, audit_context

from .importer import Importer, ImportFailed, ImportResult
from .reader import LedgerFileError

FOLDER = "ledger_jobs"


def _path(token: str) -> Path:
    return Path(settings.MEDIA_ROOT) / FOLDER / f"{token}.json"


def _write(token: str, state: dict[str, Any]) -> None:
    path = _path(token)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)  # a reader never sees half a file


def read(token: str, user: Any) -> dict[str, Any] | None:
    """The job's state, or None if there is no such job or it is another user's."""
    if not token.isalnum():
        return None
    try:
        state = json.loads(_path(token).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if state.get("user") == user.pk else None


def summary(result: ImportResult) -> dict[str, Any]:
    """What the page shows of a result, as JSON can keep it."""
    return {
        "rows_read": result.rows_read, "data_rows": result.data_rows, "as_of": str(result.as_of or ""),
        "created": result.created, "updated": result.updated, "unchanged": result.unchanged,
        "skipped": result.skipped, "count": result.count,
        "total_investment": f"{result.total_investment.normalize():f}",
        "annual_plan": f"{result.annual_plan.normalize():f}", "completed": f"{result.completed.normalize():f}",
        "units_created": result.units_created, "leaders_created": result.leaders_created,
        "sectors_created": result.sectors_created, "problems": [str(p) for p in result.problems],
    }


def start(importer: Importer, path: Path, name: str, ip: str | None = None) -> str:
    """Run ``importer`` on ``path`` in the background; returns the job's token."""
    token, run = prepare(importer, path, name, ip)
    in_background(run)
    return token


def prepare(importer: Importer, path: Path, name: str, ip: str | None = None) -> tuple[str, Callable[[], None]]:
    """The job's token (its state is written already) and the function that runs it. The
    file is deleted when the job ends."""
    token = uuid.uuid4().hex
    user = importer.user
    state: dict[str, Any] = {"user": user.pk, "name": name, "state": "running", "done": 0, "total": 0}
    _write(token, state)

    def progress(done: int, total: int) -> None:
        _write(token, {**state, "done": done, "total": total})

    def run() -> None:
        importer.progress = progress
        try:
            with audit_context(Source.IMPORT, user=user, detail=f"上传台账 {name}"[:200], ip=ip):
                result = importer.run(path, name)
            _write(token, {**state, "state": "done", "done": result.data_rows, "total": result.data_rows,
                           "result": summary(result)})
        except ImportFailed as failed:
            _write(token, {**state, "state": "failed", "result": summary(failed.result)})
        except LedgerFileError as exc:
            _write(token, {**state, "state": "failed", "error": str(exc)})
        except Exception as exc:
            _write(token, {**state, "state": "failed", "error": f"导入出错：{exc}"})
            raise
        finally:
            path.unlink(missing_ok=True)

    return token, run


def in_background(run: Callable[[], None]) -> None:
    def thread() -> None:
        try:
            run()
        finally:
            connections.close_all()  # the connections this thread opened

    threading.Thread(target=thread, name="ledger-import", daemon=True).start()

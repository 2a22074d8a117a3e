"""A confirmed upload is imported by a background job (a django-tasks task run by
``keyprojects worker``, ``core.jobs``), so the page can show how far it got.

The job is given ids and the stored file's name, never objects: it reads the user again and
runs the same importer as the preview, as that user, in the import's audit context. A refused
file is a finished job whose result lists the problems; the stored file is deleted when the
job finishes, and kept if it is killed, so that it can run again.
"""

from __future__ import annotations

import functools
import time
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django_tasks import TaskContext, task

from keyprojects.accounts.models import User
from keyprojects.core import jobs
from keyprojects.core.audit import Source, audit_context
from keyprojects.regions.models import Region

from .importer import Importer, ImportFailed, ImportResult
from .reader import LedgerFileError

UPLOADS = "ledger_uploads"  # under MEDIA_ROOT: files stored between the preview and the import


def upload_path(stored: str) -> Path:
    return Path(settings.MEDIA_ROOT) / UPLOADS / Path(stored).name


def importer_for(user: User, options: dict[str, Any], dry_run: bool) -> Importer:
    """The importer the upload form's ``options`` ask for (year, region pk, as_of, checkboxes)."""
    region = Region.objects.get(pk=options["region"])
    as_of = date.fromisoformat(options["as_of"]) if options.get("as_of") else None
    return Importer(user, options.get("year"), region, as_of=as_of, skip_invalid=options["skip_invalid"],
                    dry_run=dry_run, fix_encoding=options["fix_encoding"], defaults=options.get("defaults") or {})


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
        "warnings": [str(w) for w in result.warnings],
        "groups": result.groups(), "table": result.table(), "defaults_taken": result.defaults_taken,
        "context": result.context,
    }


@task(takes_context=True)
def import_upload(context: TaskContext, user: int, stored: str, name: str, options: dict[str, Any],
                  ip: str | None = None) -> dict[str, Any]:
    """Import the stored upload ``stored`` (its original name ``name``) as user ``user`` with the
    upload form's ``options``. Returns ``{"outcome": "done" | "refused", "result": summary or
    None, "error": why a file was refused or ""}``."""
    path = upload_path(stored)
    if not path.exists():  # imported already by an earlier run, or pruned
        return {"outcome": "refused", "result": None, "error": "上传的文件已不存在，请重新上传"}
    importer = importer_for(User.objects.get(pk=user), options, dry_run=False)
    importer.progress = functools.partial(jobs.set_progress, context.task_result.id)
    outcome: dict[str, Any]
    try:
        with audit_context(Source.IMPORT, user=importer.user, detail=f"上传台账 {name}"[:200], ip=ip):
            result = importer.run(path, name)
        outcome = {"outcome": "done", "result": summary(result), "error": ""}
    except ImportFailed as failed:
        outcome = {"outcome": "refused", "result": summary(failed.result), "error": ""}
    except LedgerFileError as exc:
        outcome = {"outcome": "refused", "result": None, "error": str(exc)}
    path.unlink(missing_ok=True)
    return outcome


@task
def prune_uploads() -> int:
    """Delete the stored uploads older than ``KEYPROJECTS_JOB_KEEP_DAYS`` (previewed and never
    confirmed, or kept for a retry that never came); returns how many."""
    cutoff = time.time() - settings.KEYPROJECTS_JOB_KEEP_DAYS * 86400
    pruned = 0
    folder = Path(settings.MEDIA_ROOT) / UPLOADS
    for path in folder.iterdir() if folder.is_dir() else ():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            pruned += 1
    return pruned

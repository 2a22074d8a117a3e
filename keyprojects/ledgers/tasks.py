"""An upload is previewed, then imported, by background jobs (django-tasks tasks run by
``keyprojects worker``, ``core.jobs``): the page's request only stores the file and enqueues, and
the page shows how far the job got, then its result.

A job is given ids and the stored file's name, never objects: it reads the user again and runs
the importer, as that user, in the import's audit context. The stored file is deleted when a job
ends, whatever its outcome (a refused file, an error), but for two cases: a preview that may be
confirmed keeps it for the import, and a job whose worker is killed keeps it, so that it can run
again; ``prune_uploads`` deletes what is left after ``KEYPROJECTS_UPLOAD_KEEP_HOURS``.
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

from . import mapping, messages
from .importer import Importer, ImportFailed, ImportResult
from .reader import LedgerFileError

UPLOADS = "ledger_uploads"  # under MEDIA_ROOT: files stored between the preview and the import


def upload_path(stored: str) -> Path:
    return Path(settings.MEDIA_ROOT) / UPLOADS / Path(stored).name


def importer_for(user: User, options: dict[str, Any], dry_run: bool) -> Importer:
    """The importer the upload form's ``options`` ask for (year, region pk, as_of, checkboxes)."""
    region = Region.objects.get(pk=options["region"])
    as_of = date.fromisoformat(options["as_of"]) if options.get("as_of") else None
    columns = options.get("columns")
    return Importer(user, options.get("year"), region, as_of=as_of, skip_invalid=options["skip_invalid"],
                    dry_run=dry_run, fix_encoding=options["fix_encoding"], defaults=options.get("defaults") or {},
                    quarters=options.get("quarters") or None, columns=mapping.check(columns) if columns else None,
                    header_row=options.get("header_row"))


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
        "mapping": result.mapping, "ignored_columns": result.ignored_columns,
        "warnings": [str(w) for w in result.warnings],
        "groups": result.groups(), "table": result.table(), "defaults_taken": result.defaults_taken,
        "context": result.context,
        # The re-import's differences: the first projects for the page, all of them for the download.
        "changes": result.changes[:messages.CHANGES_SHOWN], "changed": len(result.changes),
        "change_rows": messages.change_rows(result.changes),
        "columns": result.columns, "header_row": result.header_row, "sample": result.sample,
    }


def _run(context: TaskContext, user: int, stored: str, name: str, options: dict[str, Any], ip: str | None,
         dry_run: bool) -> dict[str, Any]:
    """Run the importer over the stored upload: ``{"outcome": "done" | "refused", "result":
    summary or None, "error": why a file was refused or ""}``."""
    path = upload_path(stored)
    if not path.exists():  # imported already by an earlier run, or pruned
        return {"outcome": "refused", "result": None, "error": "上传的文件已不存在，请重新上传"}
    importer = importer_for(User.objects.get(pk=user), options, dry_run=dry_run)
    importer.progress = functools.partial(jobs.set_progress, context.task_result.id)
    try:
        with audit_context(Source.IMPORT, user=importer.user, detail=f"上传台账 {name}"[:200], ip=ip):
            result = importer.run(path, name)
    except ImportFailed as failed:
        return {"outcome": "refused", "result": summary(failed.result), "error": ""}
    except LedgerFileError as exc:
        return {"outcome": "refused", "result": None, "error": str(exc)}
    return {"outcome": "done", "result": summary(result), "error": ""}


@task(takes_context=True)
def preview_upload(context: TaskContext, user: int, stored: str, name: str, options: dict[str, Any],
                   ip: str | None = None) -> dict[str, Any]:
    """What importing the stored upload ``stored`` (its original name ``name``) as user ``user``
    with the upload form's ``options`` would do, written and rolled back: as :func:`_run` says,
    and ``"can_confirm"``, whether it may be imported (its file is then kept for the import)."""
    confirmable = keep = False
    try:
        outcome = _run(context, user, stored, name, options, ip, dry_run=True)
        confirmable = outcome["outcome"] == "done" and bool(outcome["result"]["created"] or outcome["result"]["updated"])
        keep = outcome["result"] is not None  # a file that was read may be previewed again with a mapping
        return {**outcome, "can_confirm": confirmable}
    finally:
        if not (confirmable or keep):
            upload_path(stored).unlink(missing_ok=True)


@task(takes_context=True)
def import_upload(context: TaskContext, user: int, stored: str, name: str, options: dict[str, Any],
                  ip: str | None = None) -> dict[str, Any]:
    """Import the stored upload ``stored`` (its original name ``name``) as user ``user`` with the
    upload form's ``options``; returns what :func:`_run` says."""
    try:
        return _run(context, user, stored, name, options, ip, dry_run=False)
    finally:
        upload_path(stored).unlink(missing_ok=True)


@task
def prune_uploads() -> int:
    """Delete the stored uploads older than ``KEYPROJECTS_UPLOAD_KEEP_HOURS`` (previewed and never
    confirmed, or kept for a retry that never came); returns how many."""
    cutoff = time.time() - settings.KEYPROJECTS_UPLOAD_KEEP_HOURS * 3600
    pruned = 0
    folder = Path(settings.MEDIA_ROOT) / UPLOADS
    for path in folder.iterdir() if folder.is_dir() else ():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            pruned += 1
    return pruned

"""``/healthz`` for the intranet's monitor: the database answers, every migration is applied, the
background worker is alive, the media disk has room. No login: 200 when all are ok, 503 otherwise,
with only "ok"/"fail" per check; why a check failed (numbers, errors) only to staff or to the
monitor's addresses (``KEYPROJECTS_HEALTH_ALLOWED``)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .http import _within, client_ip

Check = tuple[bool, dict[str, Any]]


def database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,), {"vendor": connection.vendor}


def migrations() -> Check:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return not plan, {"unapplied": [f"{m.app_label}.{m.name}" for m, _ in plan]}


def worker() -> Check:
    """Alive when a job ended recently or one is running: the worker runs the scheduled
    ``fail_dead_jobs`` every 10 minutes, so a worker that ran none for longer is stopped or stuck."""
    now = timezone.now()
    quiet = timedelta(minutes=settings.KEYPROJECTS_HEALTH_WORKER_MINUTES)
    last = DBTaskResult.objects.exclude(finished_at=None).order_by("-finished_at").values_list(
        "finished_at", flat=True).first()
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING,
                                          started_at__gte=now - settings.KEYPROJECTS_JOB_DEAD_AFTER).exists()
    queued = DBTaskResult.objects.filter(status=TaskResultStatus.READY).count()
    alive = running or (last is not None and now - last <= quiet)
    return alive, {"last_job_finished_at": last.isoformat() if last else None, "running": running, "queued": queued}


def disk() -> Check:
    path = Path(settings.MEDIA_ROOT)
    while not path.exists() and path != path.parent:  # not created until the first upload
        path = path.parent
    usage = shutil.disk_usage(path)
    free_mb = usage.free // (1024 * 1024)
    return free_mb >= settings.KEYPROJECTS_HEALTH_MIN_FREE_MB, {
        "free_mb": free_mb, "min_free_mb": settings.KEYPROJECTS_HEALTH_MIN_FREE_MB}


CHECKS = {"database": database, "migrations": migrations, "worker": worker, "disk": disk}


def _may_see_details(request: HttpRequest) -> bool:
    try:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            return True
    except DatabaseError:  # the session or the user cannot be read: the monitor's address may still
        pass
    address = client_ip(request)
    return bool(address and settings.KEYPROJECTS_HEALTH_ALLOWED and _within(address, settings.KEYPROJECTS_HEALTH_ALLOWED))


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    details: dict[str, Any] = {}
    for name, check in CHECKS.items():
        try:
            ok, detail = check()
        except (DatabaseError, OSError) as exc:  # a database down fails the checks that read it, not the page
            ok, detail = False, {"error": f"{type(exc).__name__}: {exc}"}
        results[name] = "ok" if ok else "fail"
        details[name] = detail
    healthy = all(v == "ok" for v in results.values())
    body: dict[str, Any] = {"status": "ok" if healthy else "fail", "checks": results}
    if _may_see_details(request):
        body["details"] = details
    return JsonResponse(body, status=200 if healthy else 503)

"""Background jobs: django-tasks tasks, queued as rows in the database (django-tasks-db) and run
by ``keyprojects worker`` (docs/operations.md). A job's state and result are its task's row; a
page reads them back with :func:`find` and a running job's progress with :func:`progress`.

django-tasks-db keeps no heartbeat, so a worker killed mid-job leaves its row RUNNING for ever.
The worker's id names its machine and process (:func:`worker_id`): a job whose worker process is
gone from this machine, or that has run longer than ``KEYPROJECTS_JOB_DEAD_AFTER`` on another,
is marked failed (:class:`WorkerDied`) when a page reads it, when a worker starts and every few
minutes (``core.schedule``); its page may then enqueue it again (:func:`retry`).

Scheduled jobs are declared in ``core.schedule`` and enqueued by the worker's :class:`Scheduler`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from croniter import croniter
from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import TaskResult, TaskResultStatus
from django_tasks.base import Task
from django_tasks.exceptions import TaskResultDoesNotExist, TaskResultMismatch
from django_tasks_db.models import DBTaskResult

from .models import ScheduledRun

T = TypeVar("T")  # what a task returns

logger = logging.getLogger(__name__)

PROGRESS_KEPT = 24 * 3600  # seconds a progress hint stays in the "jobs" cache


class WorkerDied(Exception):
    """The worker running a job stopped before the job ended (killed, restarted, its machine down)."""


WORKER_DIED = f"{WorkerDied.__module__}.{WorkerDied.__qualname__}"


def worker_id() -> str:
    """``host:pid:random``: which machine and process run a job (django-tasks-db's limit is 64)."""
    return f"{socket.gethostname()[:45]}:{os.getpid()}:{get_random_string(8)}"


def _gone(worker: str, started_at: datetime | None, now: datetime) -> bool:
    """Whether the worker ``worker`` that started a job at ``started_at`` is no longer running it."""
    host, _, rest = worker.partition(":")
    pid = rest.partition(":")[0]
    if host == socket.gethostname()[:45] and pid.isdigit():
        try:
            os.kill(int(pid), 0)  # signal 0: is there such a process?
        except ProcessLookupError:
            return True
        except PermissionError:
            return False  # there is one, of another user
        return False
    return started_at is None or now - started_at > settings.KEYPROJECTS_JOB_DEAD_AFTER


def fail_dead(now: datetime | None = None) -> int:
    """Mark failed every running job whose worker is gone; returns how many."""
    now = now or timezone.now()
    failed = 0
    for row in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).only("id", "worker_ids", "started_at"):
        worker = row.worker_ids[-1] if row.worker_ids else ""
        if _gone(worker, row.started_at, now):
            # Only if still running: the worker may have finished it since it was read.
            failed += DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.FAILED, finished_at=now, return_value=None,
                exception_class_path=WORKER_DIED,
                traceback=f"{WORKER_DIED}: 后台进程 {worker} 已停止，任务未完成\n")
    if failed:
        logger.warning("%d job(s) marked failed: their worker had stopped", failed)
    return failed


def died(result: TaskResult) -> bool:
    """Whether the job failed because its worker stopped (:func:`fail_dead`)."""
    return result.status == TaskResultStatus.FAILED and any(
        e.exception_class_path == WORKER_DIED for e in result.errors)


def find(task: Task[Any, T], result_id: str) -> TaskResult[T] | None:
    """The job ``result_id`` of ``task``, as it stands (failed if its worker is gone), or None."""
    try:
        result = task.get_result(result_id)
    except (TaskResultDoesNotExist, TaskResultMismatch, ImportError):
        return None
    db_result = getattr(result, "db_result", None)  # (tests run jobs at once, without rows)
    if result.status == TaskResultStatus.RUNNING and db_result is not None:
        worker = result.worker_ids[-1] if result.worker_ids else ""
        if _gone(worker, result.started_at, timezone.now()):
            try:
                fail_dead()
            except DatabaseError:  # SQLite busy with another job's write: the next read will do
                return result
            return task.get_result(result_id)
    return result


def retry(result: TaskResult) -> TaskResult:
    """Enqueue the job again, with the same arguments."""
    return result.task.enqueue(*result.args, **result.kwargs)


def error_line(result: TaskResult) -> str:
    """The failed job's exception as its traceback's last line says it (without the class)."""
    if not result.errors:
        return ""
    last = (result.errors[-1].traceback.strip().splitlines() or [""])[-1]
    return last.partition(": ")[2] or last


def set_progress(result_id: str, done: int, total: int) -> None:
    caches["jobs"].set(f"progress:{result_id}", (done, total), PROGRESS_KEPT)


def progress(result_id: str) -> tuple[int, int]:
    """(done, total) as the running job last said, or (0, 0)."""
    done, total = caches["jobs"].get(f"progress:{result_id}", (0, 0))
    return done, total


# --- the schedule --------------------------------------------------------------------------
class Scheduled(NamedTuple):
    name: str  # unique in the schedule: once per (name, due time)
    cron: str  # when, as cron says it ("30 3 * * *": 03:30 every day), in settings.TIME_ZONE
    task: Task  # a task that takes no arguments


def enqueue_due(schedule: Iterable[Scheduled], now: datetime) -> list[str]:
    """Enqueue each job of ``schedule`` whose latest due time at ``now`` has not been enqueued
    yet (by this scheduler or another): a job missed while no worker ran runs once when one
    starts. Returns the names enqueued."""
    local = timezone.localtime(now)
    enqueued = []
    for job in schedule:
        # (croniter's get_prev is strict: a microsecond on, a job due now is due)
        due = croniter(job.cron, local + timedelta(microseconds=1)).get_prev(datetime)
        try:
            with transaction.atomic():
                ScheduledRun.objects.create(name=job.name, due_at=due)
                job.task.enqueue()
        except IntegrityError:
            continue  # enqueued already
        enqueued.append(job.name)
    return enqueued


class Scheduler(threading.Thread):
    """A thread of the worker that enqueues the schedule's due jobs every ``every`` seconds.
    A check that fails (SQLite's write lock held by a long import, a lost connection) is logged
    and made again next time: the worker goes on."""

    def __init__(self, schedule: Iterable[Scheduled], every: float = 30) -> None:
        super().__init__(name="keyprojects-scheduler", daemon=True)
        self.schedule, self.every = list(schedule), every
        self.stopped = threading.Event()

    def run(self) -> None:
        while True:
            try:
                self.check()
            finally:
                connection.close()  # this thread's: a new one next time
            if self.stopped.wait(self.every):
                return

    def check(self) -> None:
        try:
            enqueued = enqueue_due(self.schedule, timezone.now())
        except DatabaseError as exc:
            logger.warning("Scheduled jobs not checked, next time: %s", exc)
        except Exception:
            logger.exception("Scheduled jobs not checked, next time")
        else:
            if enqueued:
                logger.info("Scheduled jobs enqueued: %s", ", ".join(enqueued))


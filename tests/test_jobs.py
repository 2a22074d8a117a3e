"""Background jobs: a job whose worker died, the schedule, the housekeeping jobs."""

import os
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult
from test_ledgers import DATABASE_QUEUE, enqueue_import, ledger_rows, stored, write_xlsx

from keyprojects.core import jobs
from keyprojects.core import tasks as core_tasks
from keyprojects.core.models import ScheduledRun
from keyprojects.core.schedule import SCHEDULE
from keyprojects.ledgers import tasks as ledger_tasks
from keyprojects.projects.models import Project

pytestmark = pytest.mark.django_db

HOUSING = "连山区钢屯镇老旧小区改造工程"  # a project the test ledger creates
DIED = "导入中断：处理任务的后台进程已停止，未导入任何数据，可重试"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def queue(settings, tmp_path):
    """Jobs queued in the database, as in production; uploads under a scratch MEDIA_ROOT."""
    settings.TASKS = DATABASE_QUEUE
    settings.MEDIA_ROOT = tmp_path / "media"


def dead_pid() -> int:
    """The pid of a process of this machine that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def this_host(pid: int) -> str:
    return f"{socket.gethostname()[:45]}:{pid}:testtest"


def claimed(result_id: str, worker: str, started_at=None) -> DBTaskResult:
    row = DBTaskResult.objects.get(id=result_id)
    row.claim(worker)
    if started_at is not None:
        DBTaskResult.objects.filter(id=row.id).update(started_at=started_at)
    return row


def test_a_job_whose_worker_died_is_failed_and_its_retry_imports_the_file(committed_db, cast, client, tmp_path,
                                                                         queue):
    path = write_xlsx(tmp_path / "ledger.xlsx", ledger_rows())
    dead = enqueue_import(cast.admin, stored(path), cast.city)
    claimed(dead.id, this_host(dead_pid()))  # a worker took it, then was killed
    client.force_login(cast.admin)

    card = client.get(f"/ledgers/import/jobs/{dead.id}/", headers={"HX-Request": "true"}).content.decode()
    assert DIED in card and ">重试</button>" in card and "hx-trigger" not in card
    assert DBTaskResult.objects.get(id=dead.id).status == TaskResultStatus.FAILED
    assert not Project.objects.filter(name=HOUSING).exists()  # the dead worker wrote nothing

    client.force_login(cast.lianshan_clerk)
    assert client.post(f"/ledgers/import/jobs/{dead.id}/retry/").status_code == 404  # not the clerk's job
    client.force_login(cast.admin)
    assert client.get(f"/ledgers/import/jobs/{dead.id}/retry/").status_code == 405  # a POST only
    response = client.post(f"/ledgers/import/jobs/{dead.id}/retry/")
    again = DBTaskResult.objects.exclude(id=dead.id).get()
    assert response.status_code == 302 and response["Location"] == f"/ledgers/import/jobs/{again.id}/"
    assert again.args_kwargs == DBTaskResult.objects.get(id=dead.id).args_kwargs

    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)
    again.refresh_from_db()
    assert again.status == TaskResultStatus.SUCCESSFUL and again.return_value["result"]["created"] == 2
    assert Project.objects.get(name=HOUSING).history.get().history_user == cast.admin
    assert "导入结果" in client.get(response["Location"]).content.decode()
    card = client.get(f"/ledgers/import/jobs/{dead.id}/").content.decode()
    assert "导入中断" in card and "已重试或已过期清理" in card and ">重试</button>" not in card  # its file is gone
    assert client.post(f"/ledgers/import/jobs/{dead.id}/retry/").status_code == 404


def test_a_starting_worker_fails_the_jobs_of_stopped_workers(committed_db, cast, tmp_path, queue):
    path = write_xlsx(tmp_path / "ledger.xlsx", ledger_rows())
    dead = enqueue_import(cast.admin, stored(path), cast.city)
    claimed(dead.id, this_host(dead_pid()))
    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)
    row = DBTaskResult.objects.get(id=dead.id)
    assert row.status == TaskResultStatus.FAILED and row.exception_class_path == jobs.WORKER_DIED
    assert not Project.objects.filter(name=HOUSING).exists()


def test_only_jobs_of_stopped_workers_are_failed(cast, queue, settings):
    settings.KEYPROJECTS_JOB_DEAD_AFTER = timedelta(hours=2)
    now = timezone.now()
    workers = {
        "dead here": (this_host(dead_pid()), now),
        "alive here": (this_host(os.getpid()), now - timedelta(days=1)),
        "elsewhere, lately": ("elsewhere:123:testtest", now - timedelta(minutes=119)),
        "elsewhere, long ago": ("elsewhere:123:testtest", now - timedelta(minutes=121)),
        "another worker's id, long ago": ("0123456789abcdef", now - timedelta(hours=3)),
    }
    ids = {}
    for what, (worker, started_at) in workers.items():
        ids[what] = enqueue_import(cast.admin, "ledger.xlsx", cast.city).id
        claimed(ids[what], worker, started_at)
    assert jobs.fail_dead(now) == 3
    status = {what: DBTaskResult.objects.get(id=i).status for what, i in ids.items()}
    assert status == {"dead here": "FAILED", "alive here": "RUNNING", "elsewhere, lately": "RUNNING",
                      "elsewhere, long ago": "FAILED", "another worker's id, long ago": "FAILED"}


def test_a_job_running_on_a_live_worker_is_shown_running(cast, client, queue):
    running = enqueue_import(cast.admin, "ledger.xlsx", cast.city)
    claimed(running.id, this_host(os.getpid()))
    jobs.set_progress(running.id, 1000, 4000)
    client.force_login(cast.admin)
    card = client.get(f"/ledgers/import/jobs/{running.id}/", headers={"HX-Request": "true"}).content.decode()
    assert "正在导入" in card and "已处理 1000 / 4000 行（25%）" in card and 'hx-trigger="every 1s"' in card
    assert "重试" not in card
    assert client.post(f"/ledgers/import/jobs/{running.id}/retry/").status_code == 404
    assert DBTaskResult.objects.get(id=running.id).status == TaskResultStatus.RUNNING


# --- the schedule ----------------------------------------------------------------------------
DAILY = [jobs.Scheduled("prune_jobs", "30 3 * * *", core_tasks.prune_jobs),
         jobs.Scheduled("fail_dead_jobs", "*/10 * * * *", core_tasks.fail_dead_jobs)]


def at(day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=SHANGHAI)


def queued() -> dict[str, int]:
    return {name: DBTaskResult.objects.filter(task_path=f"keyprojects.core.tasks.{name}").count()
            for name in ("prune_jobs", "fail_dead_jobs")}


def test_due_jobs_are_enqueued_once_per_due_time_however_many_schedulers(queue):
    assert jobs.enqueue_due(DAILY, at(5, 3, 30, 10)) == ["prune_jobs", "fail_dead_jobs"]
    assert jobs.enqueue_due(DAILY, at(5, 3, 30, 10)) == []  # a second worker's scheduler, at the same time
    assert jobs.enqueue_due(DAILY, at(5, 3, 39, 59)) == []
    assert queued() == {"prune_jobs": 1, "fail_dead_jobs": 1}
    assert set(ScheduledRun.objects.values_list("name", "due_at")) == {
        ("prune_jobs", at(5, 3, 30)), ("fail_dead_jobs", at(5, 3, 30))}

    assert jobs.enqueue_due(DAILY, at(5, 3, 40)) == ["fail_dead_jobs"]  # due now
    assert jobs.enqueue_due(DAILY, at(6, 3, 29, 59)) == ["fail_dead_jobs"]  # the daily job is not yet due
    assert jobs.enqueue_due(DAILY, at(6, 3, 30, 30)) == ["prune_jobs", "fail_dead_jobs"]
    assert jobs.enqueue_due(DAILY, at(6, 3, 30, 40)) == []
    assert queued() == {"prune_jobs": 2, "fail_dead_jobs": 4}


def test_a_scheduler_check_that_fails_is_made_again_and_the_worker_goes_on(queue, monkeypatch):
    real = DatabaseBackend.enqueue

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(DatabaseBackend, "enqueue", locked)
    scheduler = jobs.Scheduler(DAILY)
    scheduler.check()  # logged, not raised
    assert not ScheduledRun.objects.exists() and queued() == {"prune_jobs": 0, "fail_dead_jobs": 0}
    monkeypatch.setattr(DatabaseBackend, "enqueue", real)
    scheduler.check()
    assert queued() == {"prune_jobs": 1, "fail_dead_jobs": 1}


def test_the_scheduler_thread_of_a_worker_enqueues_the_due_jobs(committed_db, queue):
    scheduler = jobs.Scheduler(SCHEDULE)
    scheduler.stopped.set()  # one check, then it ends
    scheduler.start()
    scheduler.join(30)
    assert not scheduler.is_alive()
    assert set(ScheduledRun.objects.values_list("name", flat=True)) == {job.name for job in SCHEDULE}
    assert DBTaskResult.objects.count() == len(SCHEDULE)


def test_the_schedule_declares_valid_jobs_once_each():
    assert len({job.name for job in SCHEDULE}) == len(SCHEDULE)
    for job in SCHEDULE:
        assert croniter.is_valid(job.cron), job
        assert isinstance(job.task, Task) and not job.task.takes_context, job


# --- housekeeping ----------------------------------------------------------------------------
def test_pruning_deletes_old_results_and_schedule_records_but_each_jobs_latest(cast, queue, settings):
    settings.KEYPROJECTS_JOB_KEEP_DAYS = 14
    now = timezone.now()
    old, recent = (enqueue_import(cast.admin, "ledger.xlsx", cast.city).id for _ in range(2))
    DBTaskResult.objects.filter(id=old).update(status=TaskResultStatus.SUCCESSFUL, finished_at=now - timedelta(days=15))
    DBTaskResult.objects.filter(id=recent).update(status=TaskResultStatus.FAILED, finished_at=now - timedelta(days=13))
    waiting = enqueue_import(cast.admin, "ledger.xlsx", cast.city).id
    for name, days in [("monthly", 60), ("monthly", 30), ("daily", 20), ("daily", 16), ("daily", 1)]:
        ScheduledRun.objects.create(name=name, due_at=now - timedelta(days=days))

    core_tasks.prune_jobs.call()
    assert {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)} == {recent, waiting}
    left = {(name, (now - due).days) for name, due in ScheduledRun.objects.values_list("name", "due_at")}
    assert left == {("monthly", 30), ("daily", 1)}


def test_uploads_left_behind_are_deleted_after_a_day(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.KEYPROJECTS_UPLOAD_KEEP_HOURS = 24
    old, recent = ledger_tasks.upload_path("old.xlsx"), ledger_tasks.upload_path("recent.xlsx")
    old.parent.mkdir(parents=True)
    for path, hours in [(old, 24.1), (recent, 23.9)]:
        path.write_bytes(b"x")
        stamp = time.time() - hours * 3600
        os.utime(path, (stamp, stamp))
    assert ledger_tasks.prune_uploads.call() == 1
    assert not old.exists() and recent.exists()
    assert next(job for job in SCHEDULE if job.task is ledger_tasks.prune_uploads).cron == "40 * * * *"  # hourly

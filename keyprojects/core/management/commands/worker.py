"""keyprojects worker: runs the background jobs (django-tasks-db's ``db_worker``) and enqueues
the scheduled ones when due (``core.schedule``). See docs/operations.md.

Its worker id names the machine and the process (``core.jobs.worker_id``), so that a job it
leaves running when killed can be told from one still running. At start it marks such jobs
failed; unless ``--batch`` (run what is queued, then exit), a thread checks the schedule.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from django.db import DatabaseError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from keyprojects.core import jobs
from keyprojects.core.schedule import SCHEDULE

logger = logging.getLogger(__name__)


class Command(db_worker.Command):
    help = "运行后台任务（如台账导入），并按时间表加入定时任务 / run background and scheduled jobs"

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.set_defaults(worker_id=jobs.worker_id())

    def handle(self, *args: Any, **options: Any) -> None:
        # With --reload this process only starts (and restarts) the one that runs the jobs.
        if not (options["reload"] and not options["batch"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"):
            self.prepare(options["batch"])
        super().handle(*args, **options)

    def prepare(self, batch: bool) -> None:
        try:
            jobs.fail_dead()
        except DatabaseError as exc:  # SQLite's write lock held by another worker: the schedule will do it
            logger.warning("Jobs of stopped workers not checked: %s", exc)
        if not batch:
            jobs.Scheduler(SCHEDULE).start()

"""Every scheduled job, in one place: enqueued by the worker's scheduler when due (``core.jobs``,
once per due time however many workers run), as cron says it, in settings.TIME_ZONE.
A job missed while no worker ran runs once when one starts."""

from __future__ import annotations

from keyprojects.alerts import tasks as alert_tasks
from keyprojects.core import tasks as core_tasks
from keyprojects.dispatch import tasks as dispatch_tasks
from keyprojects.ledgers import tasks as ledger_tasks
from keyprojects.notices import tasks as notice_tasks
from keyprojects.tasklists import tasks as tasklist_tasks

from .jobs import Scheduled

SCHEDULE = [
    Scheduled("fail_dead_jobs", "*/10 * * * *", core_tasks.fail_dead_jobs),
    Scheduled("prune_jobs", "30 3 * * *", core_tasks.prune_jobs),
    Scheduled("prune_ledger_uploads", "40 * * * *", ledger_tasks.prune_uploads),
    Scheduled("retry_deliveries", "*/5 * * * *", notice_tasks.retry_deliveries),
    Scheduled("send_digests", "0 8 * * *", notice_tasks.send_digests),
    Scheduled("chase_overdue_problems", "30 6 * * *", dispatch_tasks.chase_overdue),
    Scheduled("cadence_reminders", "0 7 * * *", dispatch_tasks.chase_cadence),
    Scheduled("evaluate_warnings", "45 6 * * *", alert_tasks.evaluate_warnings),
    Scheduled("chase_overdue_tasks", "35 6 * * *", tasklist_tasks.chase_overdue),
]

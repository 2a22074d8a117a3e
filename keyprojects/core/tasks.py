"""The jobs that keep the job queue itself in order, run on the schedule (``core.schedule``)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.db.models import Max
from django.utils import timezone
from django_tasks import task

from . import jobs
from .audit import Source, audit_context
from .models import ScheduledRun


@task
def fail_dead_jobs() -> int:
    """Mark failed the running jobs whose worker has stopped (``jobs.fail_dead``)."""
    with audit_context(Source.SYSTEM, detail="fail_dead_jobs"):
        return jobs.fail_dead()


@task
def prune_jobs() -> None:
    """Delete the results of jobs finished ``KEYPROJECTS_JOB_KEEP_DAYS`` ago (django-tasks-db's
    ``prune_db_task_results``, every queue) and the schedule's records as old, but each
    scheduled job's latest: it says the job's last due time was enqueued."""
    days = settings.KEYPROJECTS_JOB_KEEP_DAYS
    with audit_context(Source.SYSTEM, detail="prune_jobs"):
        call_command("prune_db_task_results", min_age_days=days, queue_name="*", verbosity=0)
        cutoff = timezone.now() - timedelta(days=days)
        for name, last in ScheduledRun.objects.values_list("name").annotate(last=Max("due_at")):
            ScheduledRun.objects.filter(name=name, due_at__lt=min(last, cutoff)).delete()

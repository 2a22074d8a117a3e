"""Structured logs: one line of ``key=value`` pairs per event on standard output, which journald
(or any collector) keeps and a grep or a parser can read. ``event=request`` for each request
(user, method, path, status, ms) and ``event=job`` for each background job as it starts and ends
(name, id, state, ms). The level is ``KEYPROJECTS_LOG_LEVEL`` (settings.LOGGING)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django_tasks import TaskResult, TaskResultStatus
from django_tasks.signals import task_finished, task_started

requests_log = logging.getLogger("keyprojects.requests")
jobs_log = logging.getLogger("keyprojects.jobs")

FIELDS = "fields"  # the ``extra`` key holding an event's pairs


def _value(value: object) -> str:
    """A value as one token: quoted (with \\ and " escaped) when it holds a space, quote or '='."""
    text = "" if value is None else str(value)
    text = text.replace("\n", "\\n").replace("\r", "\\r")
    if not text or any(c in text for c in ' "=\\'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


class KeyValueFormatter(logging.Formatter):
    """``time=… level=… logger=… <the event's pairs> msg=…`` (and the traceback, on its lines)."""

    def format(self, record: logging.LogRecord) -> str:
        pairs: dict[str, object] = {
            "time": timezone.localtime(timezone.now()).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name,
        }
        pairs.update(getattr(record, FIELDS, {}))
        message = record.getMessage()
        if message:
            pairs["msg"] = message
        line = " ".join(f"{key}={_value(value)}" for key, value in pairs.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def log_event(logger: logging.Logger, level: int, **fields: object) -> None:
    logger.log(level, "", extra={FIELDS: fields})


class RequestLogMiddleware:
    """One line per request: who (a user name, or ``-``), what, the answer and how long it took;
    a 5xx at ERROR, a 4xx at WARNING, the rest at INFO."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        ms = round((time.perf_counter() - started) * 1000, 1)
        status = response.status_code
        level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
        if requests_log.isEnabledFor(level):
            from .http import client_ip

            log_event(requests_log, level, event="request", user=_user(request), ip=client_ip(request), method=request.method, path=request.path, status=status, ms=ms)
        return response


def _user(request: HttpRequest) -> str:
    """The signed-in user's name, or "-" (anonymous, or the database is down)."""
    try:
        user = getattr(request, "user", None)
        return user.get_username() if user is not None and user.is_authenticated else "-"
    except DatabaseError:
        return "-"


def _job(task_result: TaskResult, **fields: Any) -> None:
    failed = task_result.status == TaskResultStatus.FAILED
    log_event(jobs_log, logging.ERROR if failed else logging.INFO, event="job",
              name=task_result.task.module_path, id=task_result.id, state=task_result.status.value, **fields)


@receiver(task_started)
def job_started(sender: Any, task_result: TaskResult, **kwargs: Any) -> None:
    _job(task_result)


@receiver(task_finished)
def job_finished(sender: Any, task_result: TaskResult, **kwargs: Any) -> None:
    started, finished = task_result.started_at, task_result.finished_at
    ms = round((finished - started).total_seconds() * 1000, 1) if started and finished else None
    _job(task_result, ms=ms)

"""Keeps ``PlanProgress`` (the roll-up of each plan's approved reports) in step with the reports.

Every ``save()`` of a report that is or was approved, and every new plan, refreshes its
plan's row (signals, connected in ``apps.py``: that covers the services and the demo loader
alike; inside ``deferred()`` once, at the end of the block). Bulk writes, which send no
signals, call ``refresh`` themselves (the synthetic generator; the ledger importer
``refresh_later`` and ``add_first``). Reports are deleted only with their project, whose
plans and their rows go with it (no delete signal: it would stop Django deleting a project's
reports in one statement). ``keyprojects refresh_progress`` rebuilds every row.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.apps import apps as global_apps
from django.db import connections, router

from keyprojects.core.bulk import WritesLater, chunks, insert_rows
from keyprojects.core.versions import ALL, changed, touched
from keyprojects.reporting.models import PlanProgress, ProgressReport


def refresh(plan_ids: Iterable[int] | None = None, apps: Any = global_apps) -> int:
    """Rebuild the roll-up rows of the given plans (of every plan if None); returns how many
    plans have approved reports. ``apps`` lets the migration that adds the table fill it.

    The database builds the rows from the reports itself (:func:`_rebuild`): the reports do
    not pass through Python, which would read back every one of them, with their times, when
    a month's ledger is imported."""
    AnnualPlan = apps.get_model("projects", "AnnualPlan")
    everything = plan_ids is None
    if plan_ids is None:
        plan_ids = AnnualPlan.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=5000)
    connection = connections[router.db_for_write(apps.get_model("reporting", "PlanProgress"))]
    rebuild = _rebuild(connection, apps)
    written = 0
    for ids in chunks(list(plan_ids)):
        changed(connection.alias, ALL if everything else set(
            AnnualPlan.objects.filter(pk__in=ids).values_list("project__region_id", "year").distinct()))
        written += _rewrite(connection, rebuild, ids)
    return written


def refresh_later(plans: Sequence[Any], later: WritesLater) -> None:
    """``refresh`` of ``plans`` (each with its project at hand, as the ledger importer's are),
    the rows rebuilt when ``later`` sends its writes: while the importer checks its next chunk,
    by a server that is idle then."""
    connection = connections[router.db_for_write(PlanProgress)]
    changed(connection.alias, touched(plans))
    rebuild = _rebuild(connection, global_apps)
    for ids in chunks([plan.pk for plan in plans]):
        later.hold(functools.partial(_rewrite, connection, rebuild, ids))


def _rewrite(connection: Any, rebuild: tuple[str, str], ids: Sequence[int]) -> int:
    """The plans' roll-up rows, deleted and built again; how many plans have approved reports."""
    delete, insert = rebuild
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(delete % marks, ids)
        cursor.execute(insert % marks, [ProgressReport.Status.APPROVED, *ids])
        return cursor.rowcount


def _rebuild(connection: Any, apps: Any) -> tuple[str, str]:
    """The ``DELETE`` of the roll-up rows of the plans whose ids fill its ``%s``, and the
    ``INSERT ... SELECT`` that builds them again: for each plan, a month's columns from the
    approved report of its project in that month of its year (what ``_put`` writes)."""
    quote = connection.ops.quote_name
    rows, plan, report, period = (apps.get_model(*name)._meta for name in (
        ("reporting", "PlanProgress"), ("projects", "AnnualPlan"), ("reporting", "ProgressReport"),
        ("reporting", "ReportingPeriod")))

    def column(meta: Any, name: str) -> str:
        return quote(meta.get_field(name).column)

    months = [(f"{kind}_{month:02d}", source, month) for month in PlanProgress.MONTHS
              for kind, source in (("done", "completed_month"), ("ytd", "completed_ytd"), ("at", "reviewed_at"))]
    copied = ", ".join(f"MAX(CASE WHEN p.{column(period, 'month')} = {month} THEN r.{column(report, source)} END)"
                       for _name, source, month in months)
    delete = f"DELETE FROM {quote(rows.db_table)} WHERE {column(rows, 'plan')} IN (%s)"
    insert = (f"INSERT INTO {quote(rows.db_table)} ({column(rows, 'plan')}, "
              f"{', '.join(column(rows, name) for name, _source, _month in months)}) "
              f"SELECT a.{column(plan, 'id')}, {copied} FROM {quote(plan.db_table)} a"
              f" JOIN {quote(report.db_table)} r ON r.{column(report, 'project')} = a.{column(plan, 'project')}"
              f" AND r.{column(report, 'status')} = %%s"
              f" JOIN {quote(period.db_table)} p ON p.{column(period, 'id')} = r.{column(report, 'period')}"
              f" AND p.{column(period, 'year')} = a.{column(plan, 'year')}"
              f" WHERE a.{column(plan, 'id')} IN (%s) GROUP BY a.{column(plan, 'id')}")
    return delete, insert


def add_first(plans: Iterable[tuple[Any, Iterable[Any]]]) -> int:
    """The rows of new plans of new projects, from the reports given with each: what
    ``refresh`` would build, without reading back what was just written. Only for a plan whose
    project has no reports but the ones given (the ledger importer's new projects): ``refresh``
    reads every approved report of the project in the plan's year, and these are all of them.
    Returns how many plans have approved reports."""
    plans = list(plans)
    rows: dict[int, dict[str, Any]] = {}
    for plan, reports in plans:
        for report in reports:
            if report.status == report.Status.APPROVED and (report.project_id, report.period.year) == (
                    plan.project_id, plan.year):
                _put(rows.setdefault(plan.pk, {"plan_id": plan.pk}), report.period.month, report.completed_month,
                     report.completed_ytd, report.reviewed_at)
    if rows:
        _insert(PlanProgress, rows.values(), touches=touched(plan for plan, _reports in plans))
    return len(rows)


def _insert(model: Any, rows: Iterable[dict[str, Any]], touches: Any) -> None:
    """Write the rows, each with the columns it has: a month without a report is left NULL,
    not written as such (a ledger's plans have one month each: 4 columns a row, not 37). The
    write counts for ``touches`` even with no rows: the rows it replaces are gone."""
    changed(router.db_for_write(model), touches)
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_columns[tuple(sorted(row))].append(row)
    for names, group in by_columns.items():
        insert_rows(model, [model._meta.get_field(name) for name in names],
                    [[row[name] for name in names] for row in group], touches=touches)


def _put(row: dict[str, Any], month: int, done: Any, ytd: Any, reviewed_at: Any) -> None:
    """A month's approved report in a plan's row: 本月完成, 本年累计, when it was approved."""
    row[f"done_{month:02d}"], row[f"ytd_{month:02d}"], row[f"at_{month:02d}"] = done, ytd, reviewed_at


# Inside ``deferred()``: the (project, year) pairs whose rows wait for its end.
_pending: ContextVar[set[tuple[int, int]] | None] = ContextVar("progress_pending", default=None)


@contextmanager
def deferred() -> Iterator[None]:
    """Refresh the rows the saves inside the block touch once, at its end (one pass for a
    loader that approves thousands of reports), instead of after each save. Figures read
    inside the block may be stale."""
    pending: set[tuple[int, int]] = set()
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    _refresh_pairs(pending)


def report_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    approved = instance.Status.APPROVED
    if instance.status == approved or getattr(instance, "_stored_status", None) == approved:
        _touched(instance.project_id, instance.period.year)
    instance._stored_status = instance.status


def plan_created(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if created and not raw:
        _touched(instance.project_id, instance.year)


def _touched(project_id: int, year: int) -> None:
    pending = _pending.get()
    if pending is None:
        _refresh_pairs({(project_id, year)})
    else:
        pending.add((project_id, year))


def _refresh_pairs(pairs: set[tuple[int, int]]) -> None:
    if not pairs:
        return
    AnnualPlan = global_apps.get_model("projects", "AnnualPlan")
    plans = AnnualPlan.objects.filter(project_id__in={p for p, _ in pairs}, year__in={y for _, y in pairs})
    refresh([pk for pk, project, year in plans.values_list("pk", "project_id", "year") if (project, year) in pairs])

"""The task list as .xlsx: title, the totals line, then the rows of the list's filter in its order."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import xlsxwriter
from django.db.models import QuerySet

from keyprojects.core.sheets import printable

COLUMNS = [("编号", 7), ("方面", 18), ("任务", 40), ("牵头单位", 20), ("配合单位", 28), ("包抓领导", 14),
           ("完成时限", 12), ("完成情况", 12), ("完成日期", 12), ("目标及完成", 36), ("最新进展", 48)]


def task_workbook(tasks: QuerySet, title: str, as_of: date, totals: dict[str, Any]) -> bytes:
    rows = list(tasks.select_related("area", "lead_unit", "leader").prefetch_related("co_units", "targets", "updates"))
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("任务清单")
    head = book.add_format({"bold": True, "border": 1, "align": "center", "bg_color": "#DDEBF7"})
    cell = book.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    sheet.merge_range(0, 0, 0, len(COLUMNS) - 1, title, book.add_format({"bold": True, "font_size": 14,
                                                                          "align": "center"}))
    sheet.write(1, 0, f"截至 {as_of:%Y-%m-%d}　合计 {totals['tasks']} 项任务：已完成 {totals['done']}，"
                      f"其中按期完成 {totals['on_time']}；逾期未完成 {totals['overdue']}", book.add_format({"bold": True}))
    for col, (header, width) in enumerate(COLUMNS):
        sheet.write(2, col, header, head)
        sheet.set_column(col, col, width)
    for n, task in enumerate(rows, start=1):
        state = task_state(task, as_of)
        targets = "；".join(f"{t.name}：{_plain(t.actual) if t.actual is not None else '—'}/{_plain(t.target)}{t.unit}"
                           for t in task.targets.all())
        updates = sorted(task.updates.all(), key=lambda u: (u.on, u.pk), reverse=True)
        latest = f"{updates[0].on:%m-%d} {updates[0].text}" if updates else ""
        values = [task.code, task.area.name, task.title, task.lead_unit.name,
                  "、".join(u.name for u in task.co_units.all()), task.leader.name if task.leader else "",
                  task.deadline.isoformat(), state, task.completed_on.isoformat() if task.completed_on and
                  task.completed_on <= as_of else "", targets, latest]
        for col, value in enumerate(values):
            sheet.write(2 + n, col, value, cell)
    sheet.freeze_panes(3, 0)
    printable(sheet, (2, 2), [width for _header, width in COLUMNS])
    book.close()
    return buffer.getvalue()


def _plain(value: Any) -> str:
    return f"{value.normalize():f}"


def task_state(task: Any, as_of: date) -> str:
    """A task's state on ``as_of``, in the figures' words."""
    if task.completed_on is not None and task.completed_on <= as_of:
        return "按期完成" if task.completed_on <= task.deadline else "逾期完成"
    return "逾期未完成" if task.deadline < as_of else "推进中"

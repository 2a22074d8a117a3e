"""The approvals list (前期手续台账) as .xlsx: title, date, the totals line, then one row per item
of the list's filter for the user, late items flagged, grouped by issuing department."""

from __future__ import annotations

import io
from datetime import date

import xlsxwriter
from django.db.models import QuerySet

from keyprojects.core.sheets import printable

from .filters import totals

COLUMNS = [("序号", 6), ("项目名称", 32), ("所在县区", 10), ("事项", 22), ("审批部门", 18), ("计划办结", 12),
           ("实际办结", 12), ("批复文号", 22), ("状态", 12), ("逾期天数", 9), ("部门确认", 9), ("帮办单位", 18)]


def state_of(approval, day: date) -> tuple[str, int]:
    """What an item is on ``day`` and how many days late it is (0 when not)."""
    if not approval.required:
        return "已免办", 0
    if approval.obtained_on is not None and approval.obtained_on <= day:
        return "已办结", 0
    if approval.planned_on is not None and approval.planned_on < day:
        return "逾期未办结", (day - approval.planned_on).days
    return "未办结", 0


def workbook(items: QuerySet, title: str, day: date) -> bytes:
    counts = totals(items, day)
    rows = (items.select_related("project__region", "item", "issuer", "project__approval_schedule__helper")
            .order_by("item__issuer_name", "issuer__name", "planned_on", "project__name", "pk"))
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("前期手续台账")
    bold = book.add_format({"bold": True, "font_size": 14})
    head = book.add_format({"bold": True, "border": 1, "bg_color": "#E8EEF7", "text_wrap": True, "align": "center"})
    cell = book.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    late = book.add_format({"border": 1, "text_wrap": True, "valign": "top", "font_color": "#C0392B"})
    sheet.write(0, 0, title, bold)
    sheet.write(1, 0, f"统计日期：{day:%Y-%m-%d}　应办 {counts['required']} 项，已办结 {counts['obtained']} 项，"
                      f"逾期未办结 {counts['late']} 项")
    for col, (header, width) in enumerate(COLUMNS):
        sheet.write(3, col, header, head)
        sheet.set_column(col, col, width)
    for n, approval in enumerate(rows.iterator(chunk_size=2000), start=1):
        state, days = state_of(approval, day)
        schedule = getattr(approval.project, "approval_schedule", None)
        values = [n, approval.project.name, approval.project.region.name, approval.item.name,
                  approval.issuer.name if approval.issuer else approval.item.issuer_name,
                  f"{approval.planned_on:%Y-%m-%d}" if approval.planned_on else "",
                  f"{approval.obtained_on:%Y-%m-%d}" if approval.obtained_on else "", approval.number, state,
                  days or "", "已确认" if approval.confirmed_at else "",
                  schedule.helper.name if schedule and schedule.helper else ""]
        sheet.write_row(3 + n, 0, values, late if days else cell)
    sheet.freeze_panes(4, 0)
    printable(sheet, (3, 3), [width for _header, width in COLUMNS])
    book.close()
    return out.getvalue()

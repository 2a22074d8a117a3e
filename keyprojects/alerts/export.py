"""The warnings list as .xlsx: title, date, a 合计 line (by colour), then the rows of the list's
filter for the user in the list's order (the view passes ``WarningFilter(...).qs``)."""

from __future__ import annotations

import io
from datetime import date

import xlsxwriter
from django.db.models import QuerySet

from keyprojects.core.sheets import printable

from .models import Colour

COLUMNS = [("序号", 6), ("预警等级", 9), ("预警规则", 20), ("项目名称", 30), ("所在区划", 10), ("责任单位", 20),
           ("预警原因", 48), ("发出日期", 12), ("解除日期", 12), ("确认人", 10), ("确认说明", 30)]


def warning_workbook(warnings: QuerySet, title: str, as_of: date) -> bytes:
    rows = list(warnings.select_related("project__responsible_unit", "region", "acknowledged_by"))
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("预警")
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "border": 1, "align": "center", "bg_color": "#DDEBF7"})
    cell = book.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    red = book.add_format({"border": 1, "font_color": "#C00000", "bold": True, "valign": "top"})
    yellow = book.add_format({"border": 1, "font_color": "#B7791F", "bold": True, "valign": "top"})
    sheet.merge_range(0, 0, 0, len(COLUMNS) - 1, title, book.add_format({"bold": True, "font_size": 14,
                                                                          "align": "center"}))
    count_red = sum(1 for w in rows if w.colour == Colour.RED)
    sheet.write(1, 0, f"截至 {as_of:%Y-%m-%d}　合计 {len(rows)} 个预警：红色 {count_red}，黄色 {len(rows) - count_red}",
                bold)
    for col, (header, width) in enumerate(COLUMNS):
        sheet.write(2, col, header, head)
        sheet.set_column(col, col, width)
    for n, warning in enumerate(rows, start=1):
        project = warning.project
        unit = project.responsible_unit if project is not None else None
        values = [n, warning.get_colour_display(), warning.get_kind_display(), project.name if project else "—",
                  warning.region.name, unit.name if unit else "", warning.reason,
                  warning.opened_on.isoformat(), warning.closed_on.isoformat() if warning.closed_on else "",
                  str(warning.acknowledged_by or ""), warning.acknowledged_note]
        for col, value in enumerate(values):
            style = (red if warning.colour == Colour.RED else yellow) if col == 1 else cell
            sheet.write(2 + n, col, value, style)
    sheet.freeze_panes(3, 0)
    printable(sheet, (2, 2), [width for _header, width in COLUMNS])
    book.close()
    return buffer.getvalue()

"""A period's ranking as .xlsx: a sheet per group (rank, movement, member, score, each line's
points and the values behind them), then the 红黑榜, the tie-break rule and any corrections."""

from __future__ import annotations

import io

import xlsxwriter

from keyprojects.core.sheets import printable

from .models import Value
from .ranking import Ranking
from .text import paragraph

LABELS = {key: str(label) for key, label in Value.choices}


def ranking_workbook(ranking: Ranking, title: str) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "border": 1, "align": "center", "bg_color": "#DDEBF7", "text_wrap": True})
    cell = book.add_format({"border": 1})
    number = book.add_format({"border": 1, "num_format": "0.00"})
    snapshot = ranking.snapshot
    for group in ranking.groups:
        sheet = book.add_worksheet(group.name[:31])
        values = sorted({line["value"] for line in group.lines}, key=list(LABELS).index)
        headers = (["名次", "升降", "考核对象", "总分"] + [f"{line['name']}（得分）" for line in group.lines]
                   + [LABELS[v] for v in values])
        sheet.merge_range(0, 0, 0, len(headers) - 1, f"{title}（{group.name}）",
                          book.add_format({"bold": True, "font_size": 14, "align": "center"}))
        state = "已发布" if snapshot.published else "未发布"
        sheet.write(1, 0, f"数据截至 {snapshot.as_of:%Y-%m-%d}，取数时间 {snapshot.taken_at:%Y-%m-%d %H:%M}（{state}）", bold)
        for col, header in enumerate(headers):
            sheet.write(2, col, header, head)
        sheet.set_column(0, 1, 6)
        sheet.set_column(2, 2, 24)
        sheet.set_column(3, len(headers) - 1, 12)
        for n, row in enumerate(group.rows, start=3):
            sheet.write(n, 0, row.rank, cell)
            sheet.write(n, 1, row.movement, cell)
            sheet.write(n, 2, row.name, cell)
            sheet.write_number(n, 3, float(row.score), number)
            for col, points in enumerate(row.points, start=4):
                sheet.write_number(n, col, float(points), number)
            for col, key in enumerate(values, start=4 + len(row.points)):
                value = row.values.get(key)
                sheet.write(n, col, float(value) if value is not None else "—", cell)
        line = 4 + len(group.rows)
        sheet.write(line, 0, "红榜：" + "、".join(r.name for r in group.top), bold)
        sheet.write(line + 1, 0, "黑榜：" + "、".join(r.name for r in group.bottom), bold)
        sheet.write(line + 2, 0, ranking.tie_break_rule)
        for k, note in enumerate(ranking.notes):
            sheet.write(line + 3 + k, 0, f"数据更正：{note}")
        sheet.freeze_panes(3, 3)
        printable(sheet, (2, 2), [6, 6, 24] + [12] * (len(headers) - 3))
    sheet = book.add_worksheet("通报")
    sheet.set_column(0, 0, 120)
    sheet.write(0, 0, paragraph(ranking), book.add_format({"text_wrap": True}))
    book.close()
    return buffer.getvalue()

"""An import's problems and warnings as people read them: the rows with the same problem in
one message (``第7–41、43–118行``), the first few of each shown, all of them downloadable as
an .xlsx with a problem column."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

import xlsxwriter

FIRST = 5  # rows of a group shown on the page; the download has them all
ERROR, WARNING = "error", "warning"
LEVELS = {ERROR: "错误", WARNING: "提示"}
TABLE_HEADER = ["级别", "工作表", "行号", "列", "单元格内容", "问题"]


def row_ranges(rows: Iterable[int]) -> str:
    """``第7–41、43–118行``: the rows in runs; row 0 (the file as a whole) names no row."""
    numbers = sorted({r for r in rows if r > 0})
    if not numbers:
        return ""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return "第" + "、".join(f"{a}–{b}" if a != b else f"{a}" for a, b in runs) + "行"


def grouped(problems: Sequence[Any], level: str = ERROR) -> list[dict[str, Any]]:
    """The problems (``importer.Problem``) with the same sheet, column and message as one
    group, in the order each first appears: its text, its row count, its first rows."""
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for problem in problems:
        groups.setdefault((problem.sheet, problem.column, problem.message), []).append(problem)
    out = []
    for (sheet, column, message), members in groups.items():
        rows = row_ranges(p.row for p in members)
        where = " ".join(part for part in (sheet, rows, column) if part)
        if len(members) == 1:
            text = str(members[0])
        else:
            text = f"{where}：{message}（共 {len(members)} 处）"
        out.append({"level": level, "text": text, "count": len(members),
                    "first": [str(p) for p in members[:FIRST]] if len(members) > 1 else []})
    return out


def table(problems: Sequence[Any], warnings: Sequence[Any] = ()) -> list[list[Any]]:
    """Every problem and warning, a row each, as JSON can keep them (a job's result)."""
    return [[LEVELS[level], p.sheet, p.row or "", p.column, p.value, p.message]
            for level, items in ((ERROR, problems), (WARNING, warnings)) for p in items]


CHANGES_HEADER = ["项目名称", "项目代码", "字段", "原值", "新值"]
CHANGES_SHOWN = 20  # stored projects a re-import's preview lists; the rest in the download


def change_rows(changes: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """A re-import's differences, one row per field of a project."""
    return [[c["project"], c["code"], *line] for c in changes for line in c["changes"]]


def workbook(rows: Sequence[Sequence[Any]], title: str = "导入问题", header: Sequence[str] = TABLE_HEADER) -> bytes:
    """The table as an .xlsx: one row per problem, the problem in its own column (or, with
    ``header``, another table of text)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(title)
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, header, bold)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, int):
                sheet.write_number(r, c, value)
            else:  # as text, always: a cell reading "=…" is what the ledger held, not a formula
                sheet.write_string(r, c, str(value))
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, 1, 16)
    sheet.set_column(3, 4, 24)
    sheet.set_column(5, 5, 60)
    sheet.autofilter(0, 0, max(len(rows), 1), len(header) - 1)
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()

"""The ledger a commission sends upward, as .xlsx: title, unit note, two-row merged header,
合计 row, a section per county with its subtotal, readable widths, frozen header, numbers as
numbers. Importing the file back reproduces the same figures (tested).

Both workbooks render what ``indicators.figures`` gives (``ledger``, ``region_table``): the
rows are scoped to the user there."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.db.models import QuerySet

from keyprojects.accounts.models import Leader
from keyprojects.core.memory import without_cyclic_gc
from keyprojects.core.sheets import printable
from keyprojects.indicators.engine import INDICATORS, completed_ytd, time_progress
from keyprojects.indicators.figures import Ledger
from keyprojects.projects.models import ZERO, Nature, Project
from keyprojects.regions.models import Region, path_codes

CHINESE_NUMBERS = "一二三四五六七八九十"
COLUMNS = [  # (header, sub-header under the year group or None, width)
    ("序号", None, 6), ("项目名称", None, 40), ("项目代码", None, 26), ("所在县区", None, 14), ("建设性质", None, 9),
    ("行业领域", None, 10), ("建设内容及规模", None, 36), ("总投资", None, 13), ("{year}年度", "计划投资", 13),
    ("{year}年度", "1-{month}月完成投资", 15), ("开累完成投资", None, 14), ("是否开复工", None, 9),
    ("开复工时间", None, 12), ("责任单位", None, 22), ("包抓领导", None, 14), ("业主单位", None, 26), ("备注", None, 10),
]
AMOUNT_COLUMNS = (7, 8, 9, 10)
NATURE_LABELS = {Nature.NEW: "新开工", Nature.CONTINUING: "续建", Nature.COMPLETING: "竣工"}


def section_label(index: int, name: str, count: int) -> str:
    number = CHINESE_NUMBERS[index] if index < 10 else f"十{CHINESE_NUMBERS[index - 10]}" if index < 20 else str(index + 1)
    return f"{number}、{name}（{count}个）"


# What a ledger row needs, read as plain values: 52,000 rows as model instances cost seconds.
PLAN_FIELDS = ("project_id", "project__region__path", "project__name", "project__code", "project__region__name",
               "nature", "project__sector__name", "project__scope", "project__total_investment", "planned_investment",
               "completed", "prior_completed", "started", "started_on", "project__responsible_unit__name",
               "project__owner__name")


def _leader_names(plans: QuerySet) -> dict[int, str]:
    """Each project's leaders ("、"-joined, in the leaders' own order), in one query."""
    links = (Project.leaders.through.objects.filter(project__in=plans.values("project_id"))
             .order_by(*[f"leader__{field}" for field in Leader._meta.ordering or ()])
             .values_list("project_id", "leader__name"))
    names: dict[int, list[str]] = defaultdict(list)
    for project, name in links:
        names[project].append(name)
    return {project: "、".join(leaders) for project, leaders in names.items()}


def _rows(plans: QuerySet, as_of: date) -> list[tuple[str, list[Any]]]:
    """(region path, cell values) of each plan row, in ledger order."""
    leaders = _leader_names(plans)
    plans = (plans.annotate(completed=completed_ytd(as_of))
             .order_by("project__region__code", "project__name", "project_id")
             .values_list(*PLAN_FIELDS))
    rows = []
    for (project, path, name, code, region, nature, sector, scope, total, planned, completed, prior, started,
         started_on, unit, owner) in plans:
        ytd = Decimal(completed or ZERO)
        started = started and started_on and started_on <= as_of
        rows.append((path, [
            None, name, code or "", region, NATURE_LABELS.get(nature, ""), sector or "", scope, total, planned, ytd,
            prior + ytd, "是" if started else "否", started_on if started else None, unit or "",
            leaders.get(project, ""), owner or "", "",
        ]))
    return rows


def _sections(region: Region, rows: list[tuple[str, list[Any]]]) -> dict[Region, list[list[Any]]]:
    """Rows grouped by the region right under ``region`` that holds each project (a zone's
    projects go to its county); projects placed on ``region`` itself form their own group."""
    depth = region.depth + 1
    by_code: dict[str, list[list[Any]]] = defaultdict(list)
    for path, values in rows:
        codes = path_codes(path)  # from the top down: the code at ``depth``, or its own if placed higher
        by_code[codes[min(depth, len(codes) - 1)]].append(values)
    return {r: by_code[r.code] for r in Region.objects.filter(code__in=by_code)}


@without_cyclic_gc()
def ledger_workbook(ledger: Ledger, title: str | None = None) -> bytes:
    """The workbook of a ledger's plans (one plan year) grouped by the regions under its region."""
    plans, region, year, as_of = ledger.plans, ledger.region, ledger.year, ledger.as_of
    month = time_progress(year, as_of)["months_elapsed"] or as_of.month
    rows = _rows(plans, as_of)
    sections = _sections(region, rows)

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "default_date_format": "yyyy-mm-dd"})
    sheet = book.add_worksheet(f"{year}年重点项目")
    fmt = {
        "title": book.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}),
        "note": book.add_format({"font_size": 10}),
        "head": book.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1, "text_wrap": True,
                                 "bg_color": "#DCE6F1"}),
        "text": book.add_format({"border": 1, "valign": "vcenter", "text_wrap": True}),
        "money": book.add_format({"border": 1, "num_format": "#,##0.00##", "valign": "vcenter"}),
        "date": book.add_format({"border": 1, "num_format": "yyyy-mm-dd", "valign": "vcenter"}),
        "total": book.add_format({"border": 1, "bold": True, "bg_color": "#FCE4D6"}),
        "total_money": book.add_format({"border": 1, "bold": True, "bg_color": "#FCE4D6", "num_format": "#,##0.00##"}),
        "section": book.add_format({"border": 1, "bold": True, "bg_color": "#F2F2F2"}),
        "section_money": book.add_format({"border": 1, "bold": True, "bg_color": "#F2F2F2", "num_format": "#,##0.00##"}),
    }
    text, money = fmt["text"], fmt["money"]
    last = len(COLUMNS) - 1
    sheet.merge_range(0, 0, 0, last, title or f"{region.name}{year}年重点项目推进情况表", fmt["title"])
    sheet.set_row(0, 30)
    sheet.write(1, 0, f"统计日期：{as_of:%Y年%m月%d日}", fmt["note"])
    sheet.write(1, last - 2, "单位：万元", fmt["note"])
    group_start = next(c for c, (_head, sub, _width) in enumerate(COLUMNS) if sub is not None)  # the year's two
    for c, (head, sub, width) in enumerate(COLUMNS):
        sheet.set_column(c, c, width)
        head = head.format(year=year)
        if sub is None:
            sheet.merge_range(2, c, 3, c, head, fmt["head"])
        else:
            sheet.write(3, c, sub.format(month=month), fmt["head"])
    sheet.merge_range(2, group_start, 2, group_start + 1, f"{year}年度", fmt["head"])
    sheet.freeze_panes(4, 2)
    printable(sheet, (2, 3), [width for _head, _sub, width in COLUMNS])

    def sums(members: list[list[Any]]) -> list[Decimal]:
        return [sum((m[c] or ZERO for m in members), ZERO) for c in AMOUNT_COLUMNS]

    r = 4
    sheet.write(r, 0, "", fmt["total"])
    sheet.write(r, 1, "合计", fmt["total"])
    for c in range(2, len(COLUMNS)):
        sheet.write(r, c, "", fmt["total"])
    for c, value in zip(AMOUNT_COLUMNS, sums([values for _, values in rows]), strict=True):
        sheet.write_number(r, c, float(value), fmt["total_money"])
    sheet.write(r, 2, f"{len(rows)}个项目", fmt["total"])
    for index, section in enumerate(sorted(sections, key=lambda s: s.code)):
        members = sections[section]
        r += 1
        sheet.write(r, 0, section_label(index, section.name, len(members)), fmt["section"])
        for c in range(1, len(COLUMNS)):
            sheet.write(r, c, "", fmt["section"])
        for c, value in zip(AMOUNT_COLUMNS, sums(members), strict=True):
            sheet.write_number(r, c, float(value), fmt["section_money"])
        for seq, values in enumerate(members, start=1):
            r += 1
            for c, value in enumerate(values):  # the typed write_*(): write() would try each type in turn
                if c == 0:
                    sheet.write_number(r, c, seq, text)
                elif c in AMOUNT_COLUMNS:
                    sheet.write_number(r, c, float(value or 0), money)
                elif isinstance(value, date):
                    sheet.write_datetime(r, c, value, fmt["date"])
                elif value:
                    sheet.write_string(r, c, value, text)
                else:
                    sheet.write_blank(r, c, None, text)
    r += 2
    sheet.write(r, 0, "注：金额单位为万元；本年完成投资为截至统计日期已审核月报（或导入台账）的本年累计数。", fmt["note"])
    book.close()
    return buffer.getvalue()


def indicator_workbook(rows: list[dict[str, Any]], total: dict[str, Any], region: Region, year: int,
                       as_of: date) -> bytes:
    """The indicator table by county (分县区指标表; a province's by city) with its definitions:
    ``rows`` are ``figures.region_table``'s, ``total`` (the 全市合计 row) ``figures.year_figures``'s."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(f"分{region.parts_noun}指标")
    head = book.add_format({"bold": True, "border": 1, "bg_color": "#DCE6F1", "text_wrap": True, "align": "center"})
    cell = book.add_format({"border": 1})
    money = book.add_format({"border": 1, "num_format": "#,##0.00"})
    pct = book.add_format({"border": 1, "num_format": "0.0"})
    sheet.merge_range(0, 0, 0, 9, f"{region.name}{year}年重点项目分{region.parts_noun}指标（截至{as_of:%Y年%m月%d日}）",
                      book.add_format({"bold": True, "font_size": 14, "align": "center"}))
    headers = ["排名", region.parts_noun, "计划项目数", "总投资（万元）", "年度计划（万元）", "已开复工项目数", "开复工率（%）",
               "本年完成投资（万元）", "投资完成率（%）", "比时间进度（百分点）"]
    for c, text in enumerate(headers):
        sheet.write(1, c, text, head)
        sheet.set_column(c, c, 14 if c != 1 else 16)
    lines = [*rows, {**total, "rank": None, "label": f"{region.whole}合计"}]
    for r, row in enumerate(lines, start=2):
        values = [row["rank"], row["label"], row["plan"]["count"], row["plan"]["total_investment"],
                  row["plan"]["annual_plan"], row["started_or_resumed"]["count"],
                  row["rates"]["start_or_resume_rate"], row["completed_investment"], row["rates"]["completion_rate"],
                  row["rates"]["progress_gap"]]
        for c, value in enumerate(values):
            if value is None:
                sheet.write_blank(r, c, None, cell)
            elif isinstance(value, Decimal):
                sheet.write_number(r, c, float(value), pct if c in (6, 8, 9) else money)
            elif isinstance(value, int):
                sheet.write_number(r, c, value, cell)
            else:
                sheet.write(r, c, value, cell)
    note_row = len(lines) + 3
    for i, key in enumerate(["start_or_resume_rate", "completion_rate", "time_progress", "progress_gap"]):
        sheet.write(note_row + i, 0, f"{INDICATORS[key].name_zh}：{INDICATORS[key].definition_zh}")
    sheet.freeze_panes(2, 2)
    printable(sheet, (1, 1), [16] + [14] * (len(headers) - 1))
    book.close()
    return buffer.getvalue()

"""A round's applications as .xlsx in the province's layout (申报项目汇总表): title, unit and
date line, a two-level header, the 合计 row first, then the projects grouped by county with a
subtotal each. Amounts in 万元 as numbers, so the province's sheet sums them."""

from __future__ import annotations

import io
from decimal import Decimal
from itertools import groupby
from typing import Any

import xlsxwriter
from django.db.models import QuerySet
from django.utils import timezone

from .models import Application, Round

COLUMNS = [("序号", 6), ("县区", 10), ("项目名称", 36), ("项目代码", 26), ("建设内容及规模", 30), ("总投资", 12),
           ("申请金额", 12), ("开工日期", 12), ("筛选结果", 10), ("批复金额", 12), ("批复文号", 18), ("下达金额", 12),
           ("下达日期", 12), ("下达文号", 18), ("已支出", 12), ("备注", 20)]
MONEY = {"总投资", "申请金额", "批复金额", "下达金额", "已支出"}
SUMMED = ("total", "requested", "approved", "issued", "spent")


def _county(application: Application) -> str:
    region = application.project.region
    return region.parent.name if region.level == region.Level.ZONE and region.parent is not None else region.name


def _sums(rows: list[Application]) -> dict[str, Decimal]:
    zero = Decimal(0)
    return {"total": sum((a.project.total_investment for a in rows), zero),
            "requested": sum((a.requested for a in rows), zero),
            "approved": sum((a.approved or zero for a in rows), zero),
            "issued": sum((a.issued or zero for a in rows), zero),
            "spent": sum((a.spent or zero for a in rows), zero)}


def application_workbook(round_: Round, applications: QuerySet) -> bytes:
    rows = sorted(applications.select_related("project__region__parent"),
                  key=lambda a: (a.project.region.path, a.project.name))
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("申报项目汇总表")
    head = book.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True})
    cell = book.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    money = book.add_format({"border": 1, "num_format": "#,##0.00", "valign": "top"})
    bold = book.add_format({"border": 1, "bold": True})
    bold_money = book.add_format({"border": 1, "bold": True, "num_format": "#,##0.00"})
    last = len(COLUMNS) - 1
    sheet.merge_range(0, 0, 0, last, f"{round_.region.name}{round_}申报项目汇总表",
                      book.add_format({"bold": True, "font_size": 16, "align": "center"}))
    sheet.merge_range(1, 0, 1, last, f"填报单位：{round_.region.name}发展和改革委员会　　单位：万元　　"
                                     f"填报日期：{timezone.localdate():%Y年%m月%d日}", book.add_format({"align": "left"}))
    for col, (header, width) in enumerate(COLUMNS):
        sheet.set_column(col, col, width)
        if header in MONEY:
            sheet.write(3, col, "（万元）", head)
            sheet.write(2, col, header, head)
        else:
            sheet.merge_range(2, col, 3, col, header, head)
    line = 4

    def totals(label: str, found: dict[str, Decimal]) -> None:
        nonlocal line
        sheet.write(line, 0, "", bold)
        sheet.write(line, 1, "", bold)
        sheet.write(line, 2, label, bold)
        for col, key in zip((5, 6, 9, 11, 14), SUMMED, strict=True):
            sheet.write_number(line, col, float(found[key]), bold_money)
        line += 1

    totals(f"合计（{len(rows)}个项目）", _sums(rows))
    number = 0
    for county, members in groupby(rows, key=_county):
        group = list(members)
        totals(f"{county}小计（{len(group)}个）", _sums(group))
        for a in group:
            number += 1
            p = a.project
            values: list[Any] = [number, county, p.name, p.code or "", p.scope, p.total_investment, a.requested,
                                 p.actual_start.isoformat() if p.actual_start else "未开工", a.get_state_display(),
                                 a.approved, a.approval_number, a.issued,
                                 a.issued_on.isoformat() if a.issued_on else "", a.issue_number, a.spent,
                                 a.screening_note]
            for col, value in enumerate(values):
                if isinstance(value, Decimal):
                    sheet.write_number(line, col, float(value), money)
                elif value is None:
                    sheet.write_blank(line, col, None, cell)
                else:
                    sheet.write(line, col, value, cell)
            line += 1
    sheet.freeze_panes(4, 3)
    book.close()
    return buffer.getvalue()

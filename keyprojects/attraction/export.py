"""The attraction ledger (招商项目台账) as .xlsx: title, the totals line, then the rows of the
ledger's filter in its order."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import xlsxwriter
from django.db.models import QuerySet

COLUMNS = [("序号", 6), ("项目名称", 36), ("落地区划", 12), ("投资方", 26), ("投资方来源", 10), ("产业", 10),
           ("产业链", 14), ("计划投资（万元）", 14), ("当前阶段", 10), ("达成意向", 11), ("框架协议", 11),
           ("正式签约", 11), ("正式合同金额（万元）", 16), ("落地", 11), ("开工", 11), ("到位资金（万元）", 14),
           ("跟进单位", 22), ("包抓领导", 10), ("来源活动", 30), ("入库项目", 10), ("终止原因", 24)]


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def lead_workbook(leads: QuerySet, title: str, as_of: date, totals: dict[str, Any]) -> bytes:
    rows = list(leads.select_related("region", "unit", "leader", "event").prefetch_related("agreements", "funds"))
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("招商项目台账")
    head = book.add_format({"bold": True, "border": 1, "align": "center", "bg_color": "#DDEBF7", "text_wrap": True})
    cell = book.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    money = book.add_format({"border": 1, "valign": "top", "num_format": "#,##0.00"})
    sheet.merge_range(0, 0, 0, len(COLUMNS) - 1, title, book.add_format({"bold": True, "font_size": 14,
                                                                          "align": "center"}))
    sheet.write(1, 0, f"截至 {as_of:%Y-%m-%d}　合计 {totals['count']} 个项目；期内达成意向 {totals['intentions']} 项，"
                      f"签订框架协议 {totals['framework_agreements']} 项，正式签约 {totals['signed_projects']} 个，"
                      f"签约金额 {totals['signed_amount']:,.2f} 万元，到位资金 {totals['funds_in_place']:,.2f} 万元",
                book.add_format({"bold": True}))
    for col, (header, width) in enumerate(COLUMNS):
        sheet.write(2, col, header, head)
        sheet.set_column(col, col, width)
    for n, lead in enumerate(rows, start=1):
        contract = next((a.amount for a in lead.agreements.all() if a.kind == "contract"), None)
        funds = sum((f.amount for f in lead.funds.all() if (f.year, f.month) <= (as_of.year, as_of.month)), 0)
        values: list[Any] = [n, lead.name, lead.region.name, lead.investor, lead.get_origin_display(), lead.industry,
                             lead.chain, lead.amount, lead.get_stage_display(), _day(lead.intention_on),
                             _day(lead.framework_on), _day(lead.signed_on), contract, _day(lead.landed_on),
                             _day(lead.started_on), funds, lead.unit.name, lead.leader.name if lead.leader else "",
                             lead.event.title if lead.event else "", "是" if lead.project_id else "", lead.death_reason]
        for col, value in enumerate(values):
            if value is None:
                sheet.write_blank(2 + n, col, None, cell)
            elif col in (7, 12, 15):
                sheet.write_number(2 + n, col, float(value), money)
            else:
                sheet.write(2 + n, col, value, cell)
    sheet.freeze_panes(3, 2)
    book.close()
    return buffer.getvalue()

"""The problem ledger (问题台账) as the .xlsx a commission files or sends upward: title, unit and
date, a 合计 line, a section per state (or per lead unit) with its 小计, the columns of the
official ledger. The rows are exactly those of the problem list's filter for the user (the view
passes ``ProblemFilter(...).qs`` over ``Problem.objects.visible_to``); this module only lays
them out, in the style of ``ledgers.export``."""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import xlsxwriter
from django.db.models import Min, QuerySet

from keyprojects.core.sheets import printable
from keyprojects.ledgers.export import section_label

from .models import Problem, ProblemEvent

State, Event = Problem.State, ProblemEvent.Kind
GROUPINGS = {"state": "按状态", "unit": "按牵头单位"}
COLUMNS = [  # (header, width)
    ("序号", 6), ("项目名称", 30), ("所在县区", 10), ("问题类别", 10), ("问题来源", 11), ("问题描述", 44),
    ("牵头单位", 20), ("配合单位", 20), ("包抓领导", 14), ("交办日期", 12), ("办理时限", 12), ("状态", 11),
    ("最新进展", 44),
]
# The events that say how a problem is going, for the 最新进展 column: not raised, assigned or
# edited, and not the sign-off either — a closed problem shows the reply that solved it.
PROGRESS_KINDS = (Event.PROGRESS, Event.REPLIED, Event.RETURNED, Event.ESCALATED, Event.SUPERVISED)
UNASSIGNED = "未交办"


@dataclass
class Row:
    group: str
    state: str
    overdue: bool
    cells: list[Any]


def _latest(problem_ids: list[int]) -> dict[int, str]:
    """Each problem's latest progress line: "2022-07-14 进展反馈：…"."""
    latest: dict[int, str] = {}
    events = (ProblemEvent.objects.filter(problem_id__in=problem_ids, kind__in=PROGRESS_KINDS)
              .order_by("problem_id", "date", "pk").values_list("problem_id", "date", "kind", "text"))
    labels = dict(Event.choices)
    for problem_id, day, kind, text in events:  # the last one of each problem stays
        latest[problem_id] = f"{day:%Y-%m-%d} {labels[kind]}" + (f"：{text}" if text else "")
    return latest


def rows_of(problems: QuerySet, group_by: str, today: date) -> list[Row]:
    """The ledger's rows in the list's order, each with its group (a state's label, or the lead
    unit's name)."""
    problems = problems.select_related("project", "region", "lead_unit", "leader").prefetch_related("co_units")
    found = list(problems)
    ids = [p.pk for p in found]
    latest = _latest(ids)
    assigned_on = dict(ProblemEvent.objects.filter(problem_id__in=ids, kind=Event.ASSIGNED).order_by()
                       .values("problem_id").annotate(first=Min("date")).values_list("problem_id", "first"))
    rows = []
    for p in found:
        overdue = p.is_overdue(today)
        state = p.get_state_display() + ("（逾期）" if overdue else "")
        group = str(p.get_state_display()) if group_by == "state" else (p.lead_unit.name if p.lead_unit else UNASSIGNED)
        rows.append(Row(group, p.state, overdue, [
            None, p.project.name if p.project else "（无具体项目）", p.region.name, p.get_category_display(),
            p.get_source_display(), p.description or p.title, p.lead_unit.name if p.lead_unit else "",
            "、".join(u.name for u in p.co_units.all()), str(p.leader) if p.leader else "",
            assigned_on.get(p.pk), p.due, state, latest.get(p.pk, ""),
        ]))
    return rows


def groups_of(rows: list[Row], group_by: str) -> dict[str, list[Row]]:
    """Sections in a fixed order: the states in the workflow's order; units by name, 未交办 last."""
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row.group].append(row)
    if group_by == "state":
        order = [str(label) for _value, label in State.choices]
    else:
        order = sorted(k for k in grouped if k != UNASSIGNED) + [UNASSIGNED]
    return {key: grouped[key] for key in order if key in grouped}


def problem_workbook(problems: QuerySet, *, title: str, unit: str, as_of: date, group_by: str = "state") -> bytes:
    rows = rows_of(problems, group_by, as_of)
    sections = groups_of(rows, group_by)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "default_date_format": "yyyy-mm-dd"})
    sheet = book.add_worksheet("问题台账")
    fmt = {
        "title": book.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}),
        "note": book.add_format({"font_size": 10}),
        "note_right": book.add_format({"font_size": 10, "align": "right"}),
        "head": book.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1, "text_wrap": True,
                                 "bg_color": "#DCE6F1"}),
        "text": book.add_format({"border": 1, "valign": "vcenter", "text_wrap": True}),
        "center": book.add_format({"border": 1, "valign": "vcenter", "align": "center"}),
        "date": book.add_format({"border": 1, "num_format": "yyyy-mm-dd", "valign": "vcenter", "align": "center"}),
        "late": book.add_format({"border": 1, "valign": "vcenter", "align": "center", "font_color": "#C00000"}),
        "total": book.add_format({"border": 1, "bold": True, "bg_color": "#FCE4D6"}),
        "section": book.add_format({"border": 1, "bold": True, "bg_color": "#F2F2F2"}),
        "subtotal": book.add_format({"border": 1, "italic": True}),
    }
    last = len(COLUMNS) - 1
    sheet.merge_range(0, 0, 0, last, title, fmt["title"])
    sheet.set_row(0, 30)
    sheet.merge_range(1, 0, 1, 5, f"填报单位：{unit}", fmt["note"])
    sheet.merge_range(1, last - 3, 1, last, f"统计日期：{as_of:%Y年%m月%d日}", fmt["note_right"])
    for c, (head, width) in enumerate(COLUMNS):
        sheet.set_column(c, c, width)
        sheet.write(2, c, head, fmt["head"])
    sheet.freeze_panes(3, 2)
    printable(sheet, (2, 2), [width for _head, width in COLUMNS])

    def line(r: int, text: str, style: Any) -> None:
        sheet.merge_range(r, 0, r, last, text, style)

    overdue = sum(row.overdue for row in rows)
    by_state = "，".join(f"{label} {sum(1 for row in rows if row.state == value)}" for value, label in State.choices)
    r = 3
    line(r, f"合计：{len(rows)}个问题（{by_state}；其中逾期 {overdue}）", fmt["total"])
    seq = 0
    for index, (name, members) in enumerate(sections.items()):
        r += 1
        line(r, section_label(index, name, len(members)), fmt["section"])
        for row in members:
            r += 1
            seq += 1
            for c, value in enumerate(row.cells):
                if c == 0:
                    sheet.write_number(r, c, seq, fmt["center"])
                elif isinstance(value, date):
                    sheet.write_datetime(r, c, value, fmt["date"])
                elif c == 11:
                    sheet.write_string(r, c, value, fmt["late"] if row.overdue else fmt["center"])
                elif value:
                    sheet.write_string(r, c, value, fmt["text"])
                else:
                    sheet.write_blank(r, c, None, fmt["text"])
        r += 1
        late = sum(row.overdue for row in members)
        line(r, f"小计：{len(members)}个问题" + (f"（其中逾期 {late}）" if late else ""), fmt["subtotal"])
    r += 2
    sheet.write(r, 0, "注：状态为统计日期的状态；“逾期”指已超过办理时限仍未办结；最新进展为最近一次进展反馈、办结答复、退回、督办或提级。",
                fmt["note"])
    book.close()
    return buffer.getvalue()

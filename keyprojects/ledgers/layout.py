"""Understanding a ledger's layout: where the header is, which column is which field, and
which rows are data, sections, subtotals, totals, spacers or footnotes."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from itertools import chain, islice
from typing import Any

from .cells import WAN_PER_YI, text
from .reader import Sheet

# Field -> header patterns, tried in this order (the first field whose pattern matches wins,
# so "开累完成" is since-start before the year-to-date pattern sees "完成").
QUARTER_NAMES = "一二三四"
# A roadmap's (投资路线图) quarter columns, first: "一季度计划投资" is a quarter's, not the year's.
QUARTER_COLUMNS: list[tuple[str, str, str]] = [
    item for q, cn in enumerate(QUARTER_NAMES, 1) for item in (
        (f"q{q}_amount", rf"(?:^|[^\d]){q}季度.*(?:投资|金额)|{cn}季度.*(?:投资|金额)", f"{cn}季度投资"),
        (f"q{q}_work", rf"(?:^|[^\d]){q}季度|{cn}季度", f"{cn}季度工作内容"),
    )
]
QUARTER_FIELDS = [name for name, _pattern, _label in QUARTER_COLUMNS]
COLUMNS: list[tuple[str, str, str]] = [
    *QUARTER_COLUMNS,
    ("seq", r"^序号$|^编号$", "序号"),
    ("code", r"项目代码|统一代码|赋码", "项目代码"),
    ("name", r"项目名称|^名称$", "项目名称"),
    ("region", r"所在县区|所属区域|所属县区|县区|建设地点|所在地|项目地点", "所在县区/建设地点"),
    ("nature", r"建设性质|项目性质", "建设性质"),
    ("level", r"层次|项目层级|项目级别|^级别$|^重点类别$", "项目级别"),
    ("project_type", r"项目类型|项目类别", "项目类型"),
    ("stage", r"建设阶段|项目阶段|所处阶段", "建设阶段"),
    ("sector", r"行业|领域|产业类别", "行业领域"),
    ("annual_task", r"年度建设任务|年度建设内容|本年建设内容|年度目标任务|年度建设目标", "年度建设任务"),
    ("scope", r"建设内容|建设规模", "建设内容及规模"),
    ("since_start", r"开累|自开工累计|开工以来|累计完成", "开累完成投资"),
    ("ytd", r"\d+\s*[-—~至]\s*\d+\s*月.*完成|本年.*完成|今年以来.*完成|年度完成|当年完成|\d+月底?.*完成|^\d{4}年.*完成",
     "本年完成投资"),
    ("annual_plan", r"年度?计划|计划投资|年计划|计划完成", "年度计划投资"),
    ("total", r"总投资", "总投资"),
    ("started_on", r"开复工时间|开复工日期|开工时间|开工日期|复工时间", "开复工时间"),
    ("planned_start", r"计划开工", "计划开工时间"),
    ("started", r"是否开复工|开复工情况|是否开工|开工情况", "是否开复工"),
    ("responsible", r"责任单位|牵头单位|主管部门", "责任单位"),
    ("leader", r"包抓|包保|包联|联系领导", "包抓领导"),
    ("owner", r"业主|建设单位|项目单位|实施主体", "业主单位"),
    ("facilitator", r"代办|帮办", "手续代办单位"),
    ("progress", r"^\d{1,2}月份?.*进展|^(?:项目)?进展情况$|^形象进度$|^工作进展$", "进展情况"),
    ("note", r"备注", "备注"),
]
AMOUNT_FIELDS = ["total", "annual_plan", "ytd", "since_start"]
AMOUNT_LABELS = {"total": "总投资", "annual_plan": "年度计划投资", "ytd": "本年完成投资", "since_start": "开累完成投资"}

SECTION = re.compile(r"^\s*(?:[一二三四五六七八九十]+\s*[、.．]|[（(]\s*[一二三四五六七八九十]+\s*[)）])\s*(.+?)\s*$")
COUNT_SUFFIX = re.compile(r"[（(]\s*\d+\s*个?(?:项目)?\s*[)）]\s*$")
FOOTNOTE = re.compile(r"^(注|备注|说明|附注|填报人|填表人|审核人|制表|联系人|单位负责人)\s*[:：]?")
# A total's label, spaces removed: 合计, 总计, 全县合计, 合计（43个）, 总计：43个项目.
TOTAL = re.compile(r"^(?:全[市县区]|本[市县区])?(?:合计|总计)(?:[:：]?[（(]?(?P<count>\d+)\s*(?:个|项)?(?:项目)?[)）]?)?[:：]?$")
SUBTOTAL = re.compile(r"小\s*计")
SUBTOTAL_COUNT = re.compile(r"小计[:：]?[（(]?(?P<count>\d+)\s*(?:个|项)?(?:项目)?[)）]?")
UNIT_NOTE = re.compile(r"单位\s*[:：]\s*(亿元|万元|元)")
UNIT_IN_HEADER = re.compile(r"[（(]\s*(亿元|万元|元)\s*[)）]")
UNIT_FACTORS = {"亿元": WAN_PER_YI, "万元": Decimal(1), "元": Decimal("0.0001")}
SPACES = re.compile(r"\s+")


def normalise_header(value: Any) -> str:
    return SPACES.sub("", text(value))


def field_for(header: str) -> str | None:
    bare = UNIT_IN_HEADER.sub("", header)
    for name, pattern, _label in COLUMNS:
        if re.search(pattern, bare):
            return name
    return None


def mapped_field(header: str, mapping: dict[str, str] | None, letter: str = "") -> tuple[bool, str | None, Decimal | None]:
    """A column's field as the user's mapping says (by header, or by column letter), with the
    unit it gives: ``(mapped, field or None, factor or None)``; not in the mapping: as recognised."""
    wanted = mapping.get(header, mapping.get(letter)) if mapping else None
    if wanted is None:
        return False, field_for(header) if header else None, None
    field, _sep, unit = wanted.partition(":")
    return True, field or None, UNIT_FACTORS[unit] if unit else None


def column_letter(index: int) -> str:
    n, letters = index + 1, ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class Column:
    index: int
    header: str
    field: str | None
    multiplier: Decimal = Decimal(1)

    @property
    def letter(self) -> str:
        return column_letter(self.index)


@dataclass
class Row:
    number: int  # as Excel shows it (1-based)
    kind: str  # data, section, subtotal, total, blank, footnote
    cells: dict[str, Any]
    section: str = ""
    label: str = ""  # a total's or subtotal's label, as written
    count: int | None = None  # the number of projects a total or subtotal says it sums


@dataclass
class Layout:
    sheet: str
    header_rows: list[int]
    columns: list[Column]
    source: Sheet | None = None  # the sheet whose rows from ``start`` on ``rows`` classifies
    start: int = 0
    mapped_by_user: list[str] = field(default_factory=list)  # the mapping's columns found in this sheet

    @property
    def rows(self) -> Iterator[Row]:
        """The rows under the header, classified as they are walked: none of them kept."""
        return _classify(self.source.rows, self.start, self) if self.source else iter(())

    @cached_property  # the columns are settled before anything asks (``detect``)
    def mapped(self) -> dict[str, Column]:
        return {c.field: c for c in self.columns if c.field}

    @property
    def unknown(self) -> list[Column]:
        return [c for c in self.columns if c.field is None and c.header]


def _header_row(rows: Sequence[list[Any]], mapping: dict[str, str] | None = None) -> int | None:
    for i, row in enumerate(rows[:20]):
        fields = {mapped_field(normalise_header(v), mapping)[1] for v in row if normalise_header(v)}
        if "name" in fields and len(fields - {None}) >= 2:
            return i
    return None


def _merged_fill(rows: Sequence[list[Any]], merged: list, row_index: int) -> list[str]:
    """The header row with merged group cells spread over every column they cover."""
    values = [normalise_header(v) for v in rows[row_index]]
    for (r0, c0), (r1, c1) in merged:
        if r0 <= row_index <= r1:
            for c in range(c0, min(c1 + 1, len(values))):
                values[c] = values[c] or normalise_header(rows[r0][c0])
    return values


NUMBER = re.compile(r"^[-+]?\d[\d,]*(?:\.\d+)?$")


def _is_sub_header(headers: list[str], below: list[str], raw: list[Any]) -> bool:
    """Whether the row under the header holds sub-headers ("计划投资" under "2023年度") rather
    than the first project. A CSV gives only text, so numbers written as text count as data, and
    a sub-header never sits under a column the top row already names as the project's name (a
    project's scope "6月完成路基" must not pass for a "N月完成" header)."""
    # ("投资" under a merged "一季度" names nothing alone: the pair does.)
    if not any(v and (field_for(v) or field_for((headers[c] if c < len(headers) else "") + v) in QUARTER_FIELDS)
               for c, v in enumerate(below)):
        return False
    if any(isinstance(v, int | float) or NUMBER.match(text(v).replace(" ", "")) for v in raw if v != ""):
        return False
    for c, value in enumerate(below):
        top = headers[c] if c < len(headers) else ""
        if value and value != top and field_for(top) == "name":
            return False
    return True


def detect(sheet: Sheet, mapping: dict[str, str] | None = None, header_row: int | None = None) -> Layout | None:
    """The layout of a sheet, or None when it has no recognisable header. ``mapping`` (header or
    column letter -> ``field[:unit]``) names columns the patterns do not know, or overrides them;
    ``header_row`` (1-based; 0: the sheet has none, its columns are named by letter) says which
    row is the header instead of searching for it."""
    rows = sheet.rows
    if header_row == 0:
        width = max((len(r) for r in rows), default=0)
        return _layout(sheet, [column_letter(c) for c in range(width)], [], Decimal(1), mapping, 0)
    if header_row is not None:
        top: int | None = header_row - 1 if 0 < header_row <= len(rows) else None
    else:
        top = _header_row(rows, mapping)
    if top is None:
        return None
    default_unit = Decimal(1)
    for row in rows[:top]:
        for value in row:
            found = UNIT_NOTE.search(text(value))
            if found:
                default_unit = UNIT_FACTORS[found.group(1)]
    headers = _merged_fill(rows, sheet.merged, top)
    header_rows = [top]
    # A second header row: sub-headers under group headers ("2023年度" over "计划投资").
    if header_row is None and top + 1 < len(rows):
        below = [normalise_header(v) for v in rows[top + 1]]
        if _is_sub_header(headers, below, rows[top + 1]):
            header_rows.append(top + 1)
            if not sheet.merged:  # no merge information (CSV): carry group headers rightwards
                for c in range(1, len(headers)):
                    if not headers[c] and below[c] and headers[c - 1] and (
                            field_for(headers[c - 1]) in (None, *QUARTER_FIELDS)):
                        headers[c] = headers[c - 1]
            headers = [(h + b) if (b and h != b) else (h or b) for h, b in zip(headers, below + [""] * len(headers),
                                                                                 strict=False)]
    return _layout(sheet, headers, header_rows, default_unit, mapping, header_rows[-1] + 1)


def _layout(sheet: Sheet, headers: list[str], header_rows: list[int], default_unit: Decimal,
            mapping: dict[str, str] | None, start: int) -> Layout:
    columns, by_user, mapped_by_user = [], set(), []
    for index, header in enumerate(headers):
        found = UNIT_IN_HEADER.search(header)
        multiplier = UNIT_FACTORS[found.group(1)] if found else default_unit
        letter = column_letter(index)
        explicit, name, factor = mapped_field(header, mapping, letter)
        if explicit:
            by_user.add(index)
            mapped_by_user.append(header if mapping and header in mapping else letter)
        columns.append(Column(index, header, name, factor or multiplier))
    # A field the user mapped is theirs; of the rest, later duplicates of a field (e.g. two
    # "完成" columns) are reported, not guessed.
    seen: set[str] = {c.field for c in columns if c.index in by_user and c.field}
    for column in columns:
        if column.index in by_user:
            continue
        if column.field in seen:
            column.field = None
        elif column.field:
            seen.add(column.field)
    return Layout(sheet.name, [r + 1 for r in header_rows], columns, sheet, start, mapped_by_user=mapped_by_user)


def _count(found: re.Match[str] | None) -> int | None:
    return int(found.group("count")) if found and found.group("count") else None


def _classify(rows: Sequence[list[Any]], start: int, layout: Layout) -> Iterator[Row]:
    mapped = layout.mapped
    section = ""
    # A total's label may sit in any column before the amounts (序号, 项目名称, 所在县区 …).
    lead = max(3, min((c.index for name, c in mapped.items() if name in AMOUNT_FIELDS), default=3))
    for i, raw in enumerate(islice(rows, start, None), start):
        cells = {name: (raw[c.index] if c.index < len(raw) else "") for name, c in mapped.items()}
        texts = list(map(text, raw[:3]))  # the rest only as far as the first filled cell
        first = next((t for t in chain(texts, map(text, raw[3:])) if t), None)
        number = i + 1
        if first is None:
            yield Row(number, "blank", cells, section)
            continue
        name = text(cells.get("name", ""))
        if not name:  # a total's label elsewhere before the amounts (a project's row has a name)
            texts += map(text, raw[3:lead])
        if FOOTNOTE.match(first) and not name.startswith(first):
            yield Row(number, "footnote", cells, section)
            continue
        leading = [SPACES.sub("", t) for t in texts if t] + ([SPACES.sub("", name)] if name else [])
        total = next((found for t in leading if (found := TOTAL.match(t))), None)
        if total:
            yield Row(number, "total", cells, section, total.group(0), _count(total))
            continue
        subtotal = next((t for t in leading if SUBTOTAL.search(t)), None)
        if subtotal:
            yield Row(number, "subtotal", cells, section, subtotal, _count(SUBTOTAL_COUNT.search(subtotal)))
            continue
        heading = SECTION.match(first) or SECTION.match(name)
        if heading and (not text(cells.get("seq", "")).isdigit()):
            section = COUNT_SUFFIX.sub("", heading.group(1)).strip()
            yield Row(number, "section", cells, section)
            continue
        yield Row(number, "data", cells, section)

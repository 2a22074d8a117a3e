"""Importing a ledger (台账): every row checked by the functions the services check one object
with (``core.validation.validate``, the funding rule, ``reporting.services.validate_report``)
and the same permission chokepoint, then written in bulk with a history row per change; the
whole file in one transaction — any invalid row and nothing is imported (unless
``skip_invalid``), with every problem reported at once by sheet, row, column and value."""

from __future__ import annotations

import calendar
import copy
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, Func, Value
from django.db.models.functions import Replace
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language

from keyprojects.accounts.models import Leader, Unit, department_kind
from keyprojects.core.bulk import Blank, WritesLater, chunks, save_in_bulk
from keyprojects.core.memory import without_cyclic_gc
from keyprojects.core.permissions import SYSTEM, Actor, nearby, refused, require_region
from keyprojects.core.validation import Checked, validate
from keyprojects.projects import services as project_services
from keyprojects.projects.models import (
    ZERO,
    AnnualPlan,
    Batch,
    FundingSource,
    Nature,
    PlanQuarter,
    Project,
    Sector,
    Stage,
    StageTransition,
    under_construction,
    validate_funding,
)
from keyprojects.regions.models import Region, RegionNotFound, simplify
from keyprojects.reporting import progress
from keyprojects.reporting import services as reporting_services
from keyprojects.reporting.models import ProgressReport, ReportingPeriod

from . import cells, choices, context, mapping, messages
from .layout import (
    AMOUNT_FIELDS,
    AMOUNT_LABELS,
    COLUMNS,
    QUARTER_FIELDS,
    Layout,
    Row,
    column_letter,
    detect,
    normalise_header,
)
from .models import city_of
from .reader import Sheet, read

LABELS = {name: label for name, _pattern, label in COLUMNS}
Named = TypeVar("Named", Unit, Leader)  # what a ledger names in its unit and leader columns
NEW_PROJECT = Blank(Project, project_type=Project.Type.INDUSTRY, level=Project.Level.CITY,
                    investment_nature=Project.InvestmentNature.ENTERPRISE)
NEW_PLAN = Blank(AnnualPlan)
NEW_QUARTER = Blank(PlanQuarter)
# How a roadmap's quarter amounts are meant: each quarter's own, or the year's so far by its end.
PER_QUARTER, CUMULATIVE = "per_quarter", "cumulative"
QUARTER_MODES = {PER_QUARTER: "当季数（逐季相加为季末累计）", CUMULATIVE: "季末累计数"}
QUARTER_WORDS = [(CUMULATIVE, re.compile(r"累计|截至|截止|季末|末")), (PER_QUARTER, re.compile(r"当季|本季|季度内"))]
CHUNK = 900  # rows looked up, validated and written together: each lookup one IN (...) (``chunks``)
REPORT_WRITES = ["progress", "completed_month", "completed_ytd", "completed_since_start", "started", "started_on", "status",
                 "late", "submitted_at", "submitted_by", "reviewed_at", "reviewed_by", "version", "updated_at"]
# What a new project or plan takes for a class the ledger leaves out and the user chose no default for.
MODEL_DEFAULTS: dict[str, str] = {"level": Project.Level.CITY, "project_type": Project.Type.INDUSTRY,
                                  "nature": Nature.NEW}  # (NEW_PROJECT's)
TEXT_FIELDS = ["name", "region", "sector", "scope", "responsible", "leader", "owner", "note", "annual_task", "progress",
               "facilitator", *choices.FIELDS]
NOT_STORED = {"note": "未导入：项目没有“备注”字段", "seq": "仅用于定位行"}  # recognised columns kept nowhere
PROGRESS_MONTH = re.compile(r"^(\d{1,2})月")
# Form field -> ledger column, to point a validation error at the column it came from.
FORM_TO_COLUMN = {"name": "name", "code": "code", "region": "region", "total_investment": "total",
                  "scope": "scope", "planned_investment": "annual_plan", "prior_completed": "since_start",
                  "started": "started", "started_on": "started_on", "nature": "nature", "planned_start": "planned_start",
                  "completed_ytd": "ytd", "completed_since_start": "since_start", "completed_month": "ytd"}


class ImportFailed(Exception):
    """Nothing was imported; ``result.problems`` says why."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__(f"{len(result.problems)} problems")
        self.result = result


@dataclass
class Problem:
    sheet: str
    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = self.sheet + (f" 第{self.row}行" if self.row else "") + (f" {self.column}" if self.column else "")
        shown = f"“{self.value}”" if self.value and f"“{self.value}”" not in self.message else ""
        return f"{where} {shown}：{self.message}".replace("  ", " ")


@dataclass
class ImportResult:
    rows_read: int = 0
    data_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    units_created: list[str] = field(default_factory=list)
    leaders_created: list[str] = field(default_factory=list)
    sectors_created: list[str] = field(default_factory=list)
    count: int = 0
    total_investment: Decimal = ZERO
    annual_plan: Decimal = ZERO
    completed: Decimal = ZERO
    mapping: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # imported as shown, but worth a look
    defaults_taken: dict[str, int] = field(default_factory=dict)
    context: list[str] = field(default_factory=list)
    # The first sheet's columns for the preview's mapping step: [letter, header, field or ""], and its header row.
    columns: list[list[str]] = field(default_factory=list)
    header_row: int | None = None
    sample: list[list[str]] = field(default_factory=list)  # its first rows, as text, to choose the header by  # year, region, as-of date and where each came from  # "项目级别取“市重点”（…）" -> rows
    as_of: date | None = None
    dry_run: bool = False
    # Per stored project the import changes: {"project", "code", "pk", "changes": [[field, old, new], ...]}.
    changes: list[dict[str, Any]] = field(default_factory=list)

    def groups(self) -> list[dict[str, Any]]:
        """The problems, then the warnings, each kind grouped by sheet, column and message."""
        return messages.grouped(self.problems) + messages.grouped(self.warnings, messages.WARNING)

    def table(self) -> list[list[Any]]:
        return messages.table(self.problems, self.warnings)


@dataclass
class LedgerRow:
    """One data row, read: values by field, the columns they came from."""

    sheet: str
    number: int
    section: str
    raw: dict[str, Any]
    layout: Layout
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def problem(self, column_field: str, message: str, value: Any = "") -> None:
        self.problems.append(self.problem_for(column_field, message, value))

    def problem_for(self, column_field: str, message: str, value: Any = "") -> Problem:
        column = self.layout.mapped.get(column_field)
        label = f"{column.letter}列（{column.header}）" if column else LABELS.get(column_field, column_field)
        return Problem(self.sheet, self.number, label, cells.text(value), message)


class Importer:
    def __init__(self, user: Actor | None, year: int | None, region: Region | None = None, as_of: date | None = None,
                 skip_invalid: bool = False, dry_run: bool = False, fix_encoding: bool = False,
                 progress: Callable[[int, int], None] | None = None, defaults: dict[str, str] | None = None,
                 quarters: str | None = None, columns: dict[str, str] | None = None,
                 header_row: int | None = None) -> None:
        self.user = user or SYSTEM
        self.year = year or 0  # 0: from the title (``_settle_context``)
        self.region, self.as_of = region, as_of
        self._chosen_region = region  # (``region`` may be narrowed by the title: ``_settle_region``)
        self._period_regions: dict[int, Region] = {}
        self._titles: list[str] = []
        self.skip_invalid, self.dry_run, self.fix_encoding = skip_invalid, dry_run, fix_encoding
        self.progress = progress
        self.defaults = defaults or {}  # field -> value chosen for the rows that do not say (choices.FIELDS)
        self._roadmap = False  # whether a sheet has quarter columns (``_settle_quarters``)
        self._quarter_mode: str | None = None  # how its quarter amounts are meant, once settled
        self.quarters = quarters  # PER_QUARTER or CUMULATIVE as the user says; None: from the headers or figures
        # The user's column mapping (header or letter -> "field[:unit]", ``mapping.parse``) and header row
        # (1-based, 0: none); neither given: a mapping the city saved for the file's header, if any.
        self.columns, self.header_row = columns, header_row
        self.result = ImportResult(dry_run=dry_run)
        self._regions: dict[str, Region | RegionNotFound] = {}
        self._ancestors: dict[int, list[Region]] = {}
        self._below: list[Region] | None = None
        self._registrable: dict[int, PermissionDenied | None] = {}
        self._periods: dict[tuple[int, int], ReportingPeriod] = {}
        # What the file names, looked up a chunk at a time for its rows (``_forget``: then let go).
        self._entries: dict[tuple, _Entry] = {}  # by ("code", code) and ("name", region id, name)
        self._named_units: dict[str, list[Unit]] = {}
        self._named_leaders: dict[str, list[Leader]] = {}
        self._nearby: set[tuple[type, int]] = set()  # units and leaders this user may assign
        self._units: dict[tuple[str, int], Unit | _New] = {}
        self._leader_cache: dict[tuple[str, int], Leader | _New] = {}
        self._new_leaders: dict[tuple[str, int], _New] = {}  # by name and the region they are created in
        self._sectors: dict[str, Sector | _New] | None = None
        self._created: list[_New] = []
        self._broken = False  # a written project fell out of the user's scope: undo everything
        self._approved_at: datetime  # when the file's figures stand approved: set once its date is known
        # What passed the models' rules so far (their new objects are copies of these blanks).
        self.checked = Checked(NEW_PROJECT, NEW_PLAN, reporting_services.NEW_REPORT, NEW_QUARTER)
        self._later = WritesLater()  # a chunk's history and roll-up rows, written while the next chunk is checked

    # --- reading ---------------------------------------------------------------------
    def run(self, path: str | Path, name: str | None = None) -> ImportResult:
        with without_cyclic_gc():
            return self._run(path, name)

    def _run(self, path: str | Path, name: str | None) -> ImportResult:
        projects_of: dict[str, set[str]] = {}  # sheet -> its projects, to tell a copy sheet
        sheets = []
        city = city_of(self.region or getattr(self.user, "region", None))
        found_in: set[str] = set()  # the user's mapped columns some sheet has
        for sheet in read(path, name):
            columns, header_row = self.columns, self.header_row
            if columns is None and header_row is None and city and (saved := mapping.saved_for(city, sheet.rows)):
                columns, header_row = saved.mapping, saved.header_row
                self.result.context.append(f"{sheet.name} 列对应关系：沿用{city.name} {timezone.localtime(saved.updated_at):%Y-%m-%d} "
                                           "保存的同样表头的对应关系（可在预览中修改）")
            layout = detect(sheet, columns, header_row)
            self._columns_for_mapping(sheet, layout)
            if layout is None:
                empty = not any(cells.text(v) for row in sheet.rows for v in row)
                self.result.warnings.append(Problem(sheet.name, 0, "", "", "空表，已跳过" if empty else
                                                    "没有找到表头（含“项目名称”的行），整张表已跳过：可在预览中指定表头行和"
                                                    "各列对应的字段，或用 --map “列名=字段” 指定"))
                continue
            found_in |= set(layout.mapped_by_user)
            if "name" not in layout.mapped and columns is not None:
                self.result.warnings.append(Problem(sheet.name, 0, "", "", "没有列对应到“项目名称”，整张表已跳过"))
            sheets.append((sheet, layout))
        for column in self.columns or {}:
            if column not in found_in:
                self.result.warnings.append(Problem(Path(name or path).name, 0, column, "", (
                    f"列对应关系中的列“{column}”在台账中没有找到，未使用")))
        self._settle_context(sheets, Path(name or path).name)
        importable: list[Layout] = []  # the sheets with a name column
        layouts: list[Layout] = []  # of those, the ones imported: not a copy of another
        for sheet, layout in sheets:
            self.result.rows_read += len(sheet.rows)
            self.result.mapping += [f"{sheet.name} {c.letter}列“{c.header}” → {LABELS[c.field]}"
                                    + (f"（×{format(c.multiplier.normalize(), 'f')} 折算为万元）" if c.multiplier != 1 else "")
                                    + (f"（{NOT_STORED[c.field]}）" if c.field in NOT_STORED else "")
                                    for c in layout.columns if c.field]
            self.result.ignored_columns += [f"{sheet.name} {c.letter}列“{c.header}”" for c in layout.unknown]
            if "name" not in layout.mapped:
                continue
            importable.append(layout)
        for layout in importable:
            if len(importable) > 1:  # a sheet's rows walked once more, to tell a copy before any is written
                keys = {_project_key(r) for r in self._ledger_rows(layout) if not r.values.get("_empty")}
                copied = next((other for other, theirs in projects_of.items() if keys and keys <= theirs), None)
                if copied is not None:
                    self.result.warnings.append(Problem(layout.sheet, 0, "", "", (
                        f"与工作表“{copied}”的项目相同（{len(keys)} 个），整张表已跳过，不重复导入或计数")))
                    continue
                projects_of[layout.sheet] = keys
            if self.as_of is None:
                self.as_of = self._as_of_from(layout)
                if self.as_of is not None:
                    self.result.context.append(f"统计日期 {self.as_of:%Y-%m-%d}：来自表头“{layout.mapped['ytd'].header}”")
            layouts.append(layout)
        if self.as_of is None:
            found = context.as_of_month(self._titles, self.year)
            self.as_of = found[0] if found else min(date.today(), date(self.year, 12, 31))
            self.result.context.append(f"统计日期 {self.as_of:%Y-%m-%d}：" + (
                f"来自标题“{found[1]}”" if found else "台账未写明，取今天（往年台账取年末）"))
        self.result.as_of = self.as_of
        self._approved_at = reporting_services.ledger_moment(self.as_of)  # the figures' reports: approved then
        self._settle_quarters(layouts)
        self._write(layouts, Path(name or path).name)
        if self.columns is not None and not self.dry_run and sheets and sheets[0][1].header_rows and city:
            sheet, layout = sheets[0]
            try:
                mapping.save(self.user, city, self.region or city, sheet.rows[layout.header_rows[0] - 1], self.columns,
                             self.header_row)
            except PermissionDenied as exc:
                self.result.context.append(str(exc))
            else:
                self.result.context.append(f"列对应关系已保存为{city.name}的对应关系：下次同样表头的台账将沿用")
        return self.result

    def _columns_for_mapping(self, sheet: Sheet, layout: Layout | None) -> None:
        """The first sheet with rows, as the preview's mapping step shows it: its columns, each
        with its header and field, and its first rows to choose the header row by."""
        if self.result.sample or not any(cells.text(v) for row in sheet.rows[:20] for v in row):
            return
        self.result.sample = [[cells.text(v)[:24] for v in row[:30]] for row in sheet.rows[:8]]
        if layout is not None:
            self.result.header_row = layout.header_rows[0] if layout.header_rows else 0
            units = {cells.WAN_PER_YI: "亿元", Decimal("0.0001"): "元"}  # as read, so that a new preview keeps them
            self.result.columns = [[c.letter, c.header if layout.header_rows else "", c.field or "",
                                    units.get(c.multiplier, "")] for c in layout.columns[:60]]
            return
        # No header found: the first row with a few filled cells, its columns unknown.
        guess = next((i for i, row in enumerate(sheet.rows[:20]) if sum(1 for v in row if cells.text(v)) >= 3), 0)
        self.result.header_row = guess + 1
        self.result.columns = [[column_letter(c), normalise_header(v), "", ""] for c, v in enumerate(sheet.rows[guess][:60])]

    def _settle_context(self, sheets: list[tuple[Sheet, Layout]], file_name: str) -> None:
        """The year, region and date the options leave open, from the first sheet's title;
        each noted with where it came from. No year at all: one problem, nothing read."""
        self._titles = context.titles(sheets[0][0].rows[:(sheets[0][1].header_rows or [1])[0] - 1]) if sheets else []
        found_year = context.year_in(self._titles)
        given = "命令行或表单"
        if self.year:
            self.result.context.append(f"计划年度 {self.year}：{given}")
            if found_year and found_year[0] != self.year:
                self.result.warnings.append(Problem(sheets[0][0].name, 0, "", "", (
                    f"标题“{found_year[1]}”写的是{found_year[0]}年，按指定的{self.year}年导入")))
        elif found_year:
            self.year = found_year[0]
            self.result.context.append(f"计划年度 {self.year}：来自标题“{found_year[1]}”")
        else:
            self.result.problems.append(Problem(file_name, 0, "", "", (
                "无法确定计划年度：标题中没有写“20XX年”，请在表单中填写或用 --year 指定")))
            raise ImportFailed(self.result)
        self._settle_region(given, sheets[0][0].name if sheets else file_name)
        if self.as_of is not None:
            self.result.context.append(f"统计日期 {self.as_of:%Y-%m-%d}：{given}")
        elif stated := context.as_of_stated(self._titles, self.year):
            self.as_of = stated[0]
            self.result.context.append(f"统计日期 {self.as_of:%Y-%m-%d}：来自标题“{stated[1]}”")

    def _settle_region(self, given: str, sheet_name: str) -> None:
        """The region chosen, or the title's; the title's when it lies within the one chosen (a
        county's ledger uploaded with the city preselected is that county's)."""
        found = self._region_in_title()
        if self.region is None:
            if found is not None:
                self.region = found[0]
                self.result.context.append(f"区划 {self.region.name}：来自标题“{found[1]}”")
        elif found is not None and found[0] != self.region and found[0].is_within(self.region):
            self.result.context.append(f"区划 {found[0].name}：来自标题“{found[1]}”（在所选的{self.region.name}之内）")
            self.region = found[0]
        else:
            self.result.context.append(f"区划 {self.region.name}：{given}")
            if found is not None and found[0] != self.region:
                self.result.warnings.append(Problem(sheet_name, 0, "", "", (
                    f"标题“{found[1]}”写的是{found[0].name}，按所选的{self.region.name}导入")))

    def _region_in_title(self) -> tuple[Region, str] | None:
        names = context.region_names_in(self._titles)
        if names is None:
            return None
        region = None
        for part in names[0]:
            try:
                region = Region.objects.find(part, within=region)
            except RegionNotFound:
                self.result.context.append(f"区划：标题“{names[1]}”中的“{part}”不是已知区划，未采用")
                return None
        assert region is not None
        return region, names[1]

    def _as_of_from(self, layout: Layout) -> date | None:
        """"1-5月完成投资" means the figures stand as of the end of May."""
        column = layout.mapped.get("ytd")
        found = re.search(r"\d+\s*[-—~至]\s*(\d+)\s*月", column.header) if column else None
        if found and 1 <= int(found.group(1)) <= 12:
            month = int(found.group(1))
            return date(self.year, month, calendar.monthrange(self.year, month)[1])
        return None

    def _ledger_rows(self, layout: Layout, sums: _Sums | None = None) -> Iterator[LedgerRow]:
        """The sheet's data rows, read as they are walked; its 合计 and 小计 rows to ``sums``."""
        for row in layout.rows:
            if row.kind != "data":
                if sums is not None:
                    sums.check(row)
                continue
            ledger_row = LedgerRow(layout.sheet, row.number, row.section, row.cells, layout)
            self._read_values(ledger_row)
            if sums is not None:
                sums.add(ledger_row)
            yield ledger_row

    def _read_values(self, row: LedgerRow) -> None:
        mapped = row.layout.mapped
        for name in TEXT_FIELDS + ["code"]:
            if name not in row.raw:  # a column the ledger lacks
                row.values[name] = ""
                continue
            raw = row.raw[name]
            # Judge damage on the text as stored: NFKC would alter Latin-1 mojibake beyond repair.
            fixed = cells.repaired(raw.strip()) if isinstance(raw, str) else None
            value = cells.text(raw)
            if fixed:
                if self.fix_encoding:
                    value = cells.text(fixed)
                else:
                    row.problem(name, f"疑似乱码（编码错误），原文可能是“{fixed}”；确认后可用 --fix-encoding 接受修复", value)
            row.values[name] = value
        for name in AMOUNT_FIELDS:
            if name in mapped:
                try:
                    row.values[name] = cells.amount(row.raw.get(name), mapped[name].multiplier)
                except cells.CellError as exc:
                    row.problem(name, str(exc), row.raw.get(name))
                    row.values[name] = None
        for name in QUARTER_FIELDS:
            if name not in mapped:
                continue
            if name.endswith("_work"):
                row.values[name] = cells.text(row.raw.get(name))
                continue
            try:
                row.values[name] = cells.amount(row.raw.get(name), mapped[name].multiplier)
            except cells.CellError as exc:
                row.problem(name, str(exc), row.raw.get(name))
        if "planned_start" in mapped:
            try:
                row.values["planned_start"] = cells.day(row.raw.get("planned_start"), self.year)
            except cells.CellError as exc:
                row.problem("planned_start", str(exc), row.raw.get("planned_start"))
        self._read_start(row)
        has_amount = any(row.values.get(n) for n in AMOUNT_FIELDS)
        if not row.values["name"]:
            if has_amount:
                row.problem("name", "有金额但没有项目名称")
            else:
                row.values["_empty"] = True

    def _read_start(self, row: LedgerRow) -> None:
        """Whether and when the project started, from 是否开工 and the date cell, which may hold
        words ("已开工", "未开工", "计划6月开工", "待定"). A start without a day is settled once the
        ledger's date is known (``_start_date``); words that contradict 是否开工 stop the row."""
        mapped, raw = row.layout.mapped, row.raw.get("started_on")
        start = cells.Start()
        if "started_on" in mapped:
            try:
                start = cells.start(raw, self.year)
            except cells.CellError as exc:
                row.problem("started_on", str(exc), raw)
        row.values["started_on"] = start.on
        row.values["planned_month"] = start.planned_month
        started = bool(start.started)
        if "started" in mapped:
            try:
                started = cells.yes_no(row.raw.get("started"))
            except cells.CellError as exc:
                row.problem("started", str(exc), row.raw.get("started"))
            if start.started is (not started) and start.planned_month is None and start.on is None:
                row.problem("started_on", f"是否开复工为“{cells.text(row.raw.get('started'))}”，开复工时间却写“{cells.text(raw)}”",
                            raw)
        row.values["started"] = started
        row.values["start_unknown"] = started and start.on is None

    def _compare(self, layout: Layout, row: Row, members: _Sum, what: str) -> None:
        """A 合计 or 小计 row against the sum of the rows it sums: otherwise the file contradicts itself."""
        if row.count is not None and row.count != members.projects:
            self.result.warnings.append(Problem(
                layout.sheet, row.number, "", row.label,
                f"{what}写明 {row.count} 个项目，明细有 {members.projects} 个"))
        for name in AMOUNT_FIELDS:
            column = layout.mapped.get(name)
            if column is None:
                continue
            try:
                stated = cells.amount(row.cells.get(name), column.multiplier)
            except cells.CellError:
                continue
            if stated is None:
                continue
            actual = members.amounts[name]
            tolerance = Decimal("0.01") * column.multiplier  # one cent of the column's unit, for rounding
            if abs(stated - actual) > tolerance:
                self.result.problems.append(Problem(
                    layout.sheet, row.number, f"{column.letter}列（{column.header}）", cells.text(row.cells.get(name)),
                    f"{what}{AMOUNT_LABELS[name]} {stated.normalize():f} 万元与明细合计 {actual.normalize():f} 万元不符，"
                    f"相差 {(stated - actual).normalize():f} 万元"))

    def _settle_quarters(self, layouts: list[Layout]) -> None:
        """A roadmap's quarter amounts as the year's so far by each quarter's end: the user says
        whether the ledger's are each quarter's own or already cumulative, else the amount
        headers' words (累计/季末, 当季), else the figures where they tell (each quarter's own
        that sum to the year's plan, cumulative ones whose fourth is it, or one that falls, which
        only each quarter's own may do). Nothing tells: one problem asking, never a guess.
        The mode is applied to each row as it is written (``_rows``)."""
        if not any(name in QUARTER_FIELDS for layout in layouts for name in layout.mapped):
            return
        layouts = [layout for layout in layouts if any(row.kind == "data" for row in layout.rows)]  # (as far as one)
        self._roadmap = any(name in QUARTER_FIELDS for layout in layouts for name in layout.mapped)
        if not self._roadmap:
            return
        columns = [c for layout in layouts for name, c in layout.mapped.items() if name.endswith("_amount")]
        if not columns:
            self._quarter_mode = CUMULATIVE  # (the work alone)
            return
        mode, how = self.quarters, "命令行或表单所选"
        if mode is None:
            said = {(m, c.header) for c in columns for m, words in QUARTER_WORDS if words.search(c.header)}
            if len({m for m, _h in said}) == 1:
                mode, header = next(iter(said))
                how = f"来自表头“{header}”"
        if mode is None:  # the rows walked once more, before any is written
            found = self._quarters_from_figures(row for layout in layouts for row in self._ledger_rows(layout))
            if found is not None:
                mode, how = found
        if mode is None:
            self.result.problems.append(Problem(layouts[0].sheet, 0, "", "", (
                "无法判断季度投资是当季数还是季末累计数（表头未写明，金额也看不出）：请在预览中选择“季度投资口径”，"
                "或用 --quarters 当季 / --quarters 累计 指定")))
            return
        self.result.context.append(f"季度投资按{QUARTER_MODES[mode]}：{how}")
        self._quarter_mode = mode

    def _quarters_from_figures(self, rows: Iterable[LedgerRow]) -> tuple[str, str] | None:
        per, cumulative = [], []  # the rows that tell, by what they tell
        for row in rows:
            given = [a for q in range(1, 5) if (a := row.values.get(f"q{q}_amount")) is not None]
            plan = row.values.get("annual_plan")
            if len(given) < 2:
                continue
            if any(b < a for a, b in zip(given, given[1:], strict=False)) or plan is not None and sum(given) == plan and given[-1] != plan:
                per.append(row.number)
            elif plan is not None and given[-1] == plan and sum(given) != plan:
                cumulative.append(row.number)
        if per and not cumulative:
            return PER_QUARTER, f"按金额判断：{len(per)} 行的季度投资逐季相加等于年度计划（或有季度少于上季）"
        if cumulative and not per:
            return CUMULATIVE, f"按金额判断：{len(cumulative)} 行的四季度投资等于年度计划"
        return None

    def _quarter_values(self, row: LedgerRow, mode: str) -> None:
        """``row.values["quarters"]``: quarter -> (work, the amount expected done by its end)."""
        quarters: dict[int, tuple[str, Decimal | None]] = {}
        running, last = ZERO, None
        for q in range(1, 5):
            work, amount = row.values.get(f"q{q}_work", ""), row.values.get(f"q{q}_amount")
            if amount is not None:
                if mode == PER_QUARTER:
                    running += amount
                    amount = running
                elif last is not None and amount < last:
                    row.problem(f"q{q}_amount", (
                        f"季末累计投资 {amount.normalize():f} 万元少于上一季度的 {last.normalize():f} 万元：累计数不应减少"),
                                row.raw.get(f"q{q}_amount"))
                last = amount
            if work or amount is not None:
                quarters[q] = (work, amount)
        if quarters:
            row.values["quarters"] = quarters

    # --- writing ---------------------------------------------------------------------
    # Rows are validated and written a chunk at a time: lookups for a whole chunk in a few
    # queries, every row through the models' own rules (``validate`` with the import's
    # ``Checked``, ``validate_funding``, ``validate_report``), then one bulk write per model,
    # with history.
    # A chunk written, what later rows need of it is in the database (``_forget``): the rows are
    # read, checked and written a chunk at a time, none kept, whatever the ledger's length.
    def _write(self, layouts: list[Layout], file_name: str) -> None:
        if self.progress:  # (the rows counted by a walk of their own: a fiftieth of the import's time)
            expected = sum(1 for layout in layouts for row in layout.rows if row.kind == "data")
            self.progress(0, expected)
        rows = self._rows(layouts)
        with transaction.atomic():
            while chunk := list(islice(rows, CHUNK)):
                self.result.data_rows += len(chunk)
                self._write_chunk([r for r in chunk if not r.values.get("_empty")])
                del chunk  # (its rows: gone before the next chunk is read)
                self._forget()
                if self.progress:
                    self.progress(self.result.data_rows, expected)
            if not self.result.data_rows and not self.result.problems:
                self.result.problems.append(Problem(file_name, 0, "", "", "没有找到含“项目名称”列的表头或数据行"))
            self._later.send()
            self._name_differences()
            failed = self.result.problems and (self._broken or not self.skip_invalid)
            if self.dry_run or failed:
                transaction.set_rollback(True)
        if failed:
            raise ImportFailed(self.result)

    def _rows(self, layouts: list[Layout]) -> Iterator[LedgerRow]:
        """The sheets' data rows, read as they are walked, each sheet's sums checked at its end."""
        for layout in layouts:
            sums = _Sums()
            for row in self._ledger_rows(layout, sums):
                if self._quarter_mode is not None:
                    self._quarter_values(row, self._quarter_mode)
                yield row
            for stated, members, what in sums.checks:
                self._compare(layout, stated, members, what)

    def _forget(self) -> None:
        """After a chunk is written, what its rows matched, named and made is in the database:
        a later row naming it again finds it there (``_prefetch``, ``_prefetch_names``), as it
        finds what the file did not make. Kept: what is not written (a unit no row imported)."""
        self._entries.clear()
        for cache in (self._named_units, self._named_leaders, self._units, self._leader_cache):
            cache.clear()
        self._nearby.clear()
        self.checked.forget()
        self._new_leaders = {key: new for key, new in self._new_leaders.items() if new.obj.pk is None}

    def _write_chunk(self, rows: list[LedgerRow]) -> None:
        for row in rows:
            if row.problems:
                self._skip(row)
        self._prefetch_names(rows)
        targets = [(row, target) for row in rows if not row.problems and (target := self._target(row))]
        self._prefetch(targets)
        written: dict[_Entry, None] = {}  # in row order, each once (a list's ``in`` scanned it for every row)
        with self._later.sent():  # the last chunk's: the database writes them while these rows are checked
            for row, target in targets:
                entry = self._apply(row, target)
                if entry is None:
                    self._skip(row)
                    continue
                for pending in target.pending:
                    pending.used = True
                written[entry] = None
        # Written even when the file has failed and will be rolled back: later rows find these
        # rows' projects, units and leaders in the database, not in memory (``_forget``).
        self._save(list(written))

    # --- a row's project, its region, units, leaders, sector ------------------------------
    def _target(self, row: LedgerRow) -> _Target | None:
        v = row.values
        region = self._region_of(row)
        if region is None:
            self._skip(row)
            return None
        target = _Target(region=region, classes={name: self._class_of(row, name) for name in choices.FIELDS})
        target.sector = self._sector(row, v.get("sector", ""), target)
        target.owner = self._unit(row, "owner", region, Unit.Kind.ENTERPRISE, target)
        home = self.region or region
        target.responsible = self._unit(row, "responsible", home, department_kind(home), target)
        target.facilitator = self._unit(row, "facilitator", home, department_kind(home), target)
        target.leaders = self._leaders(row, v.get("leader", ""), region, target)
        assert self.as_of is not None  # (settled by _run before a row is applied)
        if v.get("started") and v.get("started_on") and v["started_on"] > self.as_of:
            row.problem("started_on", f"开复工时间晚于台账统计日期 {self.as_of:%Y-%m-%d}，不能算作已开复工",
                        row.raw.get("started_on"))
        if v.get("ytd") is not None or v.get("since_start") is not None:
            period_region = self._period_region(region)
            month = self.as_of.month if self.as_of.year == self.year else 12
            key = (period_region.pk, month)
            if key not in self._periods:
                self._periods[key] = reporting_services.period_of_import(period_region, self.year, month)
            target.period = self._periods[key]
        if row.problems:
            self._skip(row)
            return None
        return target

    def _prefetch(self, targets: list[tuple[LedgerRow, _Target]]) -> None:
        """The stored projects the chunk's rows name, with their plans, funding, leaders and
        reports, and whether this user may change them: a few queries for the whole chunk."""
        codes = sorted({r.values["code"] for r, _t in targets if r.values.get("code")})
        names = sorted({r.values["name"] for r, _t in targets})
        regions = {t.region.pk for _r, t in targets}
        found: list[Project] = []
        for part in chunks(codes):
            found += Project.objects.filter(code__in=part).select_related("region")
        for part in chunks(names):
            found += Project.objects.filter(name__in=part, region__in=regions).select_related("region")
        by_pk: dict[int, _Entry] = {}
        for project in sorted(found, key=lambda p: p.pk):
            keys = [("name", project.region_id, project.name)] + ([("code", project.code)] if project.code else [])
            if project.pk in by_pk or any(k in self._entries for k in keys):
                continue
            by_pk[project.pk] = entry = _Entry(project)
            for key in keys:
                self._entries.setdefault(key, entry)
        if not by_pk:
            return
        fresh = list(by_pk.values())
        pks = list(by_pk)
        for pk, exc in refused(self.user, "edit", [e.project for e in fresh]).items():
            by_pk[pk].refused = exc
        for part in chunks(pks):
            for plan in AnnualPlan.objects.filter(project_id__in=part, year=self.year):
                by_pk[plan.project_id].plan = plan
            for quarter in PlanQuarter.objects.filter(plan__project_id__in=part, plan__year=self.year).select_related(
                    "plan") if self._roadmap else ():  # (a ledger without a roadmap changes none)
                by_pk[quarter.plan.project_id].quarters[quarter.quarter] = quarter
            for funding in FundingSource.objects.filter(project_id__in=part):
                by_pk[funding.project_id].funding[funding.kind] = funding.amount
            for project_id, leader_id in Project.leaders.through.objects.filter(project_id__in=part).values_list(
                    "project_id", "leader_id"):
                by_pk[project_id].leader_ids.add(leader_id)
        for period in {t.period for _r, t in targets if t.period is not None}:
            for report in period.reports.filter(project_id__in=pks):  # each with ``period`` set, no join
                by_pk[report.project_id].reports[period.pk] = report
            for project_id, report in reporting_services.previous_reports(pks, period).items():
                by_pk[project_id].previous[period.pk] = report

    def _region_of(self, row: LedgerRow) -> Region | None:
        for source, text in (("region", row.values.get("region")), ("section", row.section)):
            if not text:
                continue
            try:
                return self._find_region(text)
            except RegionNotFound:
                found = self._region_in_text(text)
                if found:
                    return found
                if source == "region":
                    where = f"“{self.region.name}”下" if self.region else ""
                    row.problem("region", f"在{where}找不到该区划", text)
                    return None
                if self.region is not None and self._region_elsewhere(text):
                    row.problem("region", f"分组“{text}”不在“{self.region.name}”范围内", text)
                    return None
        if self.region is not None:
            return self.region
        row.problem("region", "找不到项目所属区划：请在“所在县区”列或分组行写明，或用 --region 指定", row.values.get("region"))
        return None

    def _region_elsewhere(self, text: str) -> bool:
        """A section that names a real region outside the ledger's region (a county clerk's
        file with another county's section) must not land in the clerk's county."""
        if self.region is None:
            return False
        try:
            found = Region.objects.find(text)
        except RegionNotFound:
            return False
        return not found.is_within(self.region)

    def _region_in_text(self, text: str) -> Region | None:
        """An address like "绥中县前所镇" names its county: the longest region name it contains."""
        if self.region is None:
            return None
        if self._below is None:  # read once: this runs for every row whose address names no region
            self._below = list(Region.objects.within(self.region).exclude(pk=self.region.pk))
        hits = [r for r in self._below if r.name in text or (len(r.stem) >= 2 and r.stem in text)]
        return max(hits, key=lambda r: (len(r.name), r.depth)) if hits else None

    def _find_region(self, text: str) -> Region:
        """Region.objects.find, remembered: a ledger names the same few regions many times."""
        if text not in self._regions:
            try:
                self._regions[text] = Region.objects.find(text, within=self.region)
            except RegionNotFound as exc:
                self._regions[text] = exc
        found = self._regions[text]
        if isinstance(found, RegionNotFound):
            raise found
        return found

    def _may_register(self, region: Region) -> None:
        """``require_region``, once per region: a new project (or a unit, a leader) goes only
        where this user may register projects."""
        if region.pk not in self._registrable:
            try:
                require_region(self.user, region)
                self._registrable[region.pk] = None
            except PermissionDenied as exc:
                self._registrable[region.pk] = exc
        refusal = self._registrable[region.pk]
        if refusal is not None:
            raise refusal

    def _prefetch_names(self, rows: list[LedgerRow]) -> None:
        """Units and leaders named by the chunk, and which of them this user may assign."""
        units = {n for r in rows for cell in (r.values.get("owner"), r.values.get("responsible"), r.values.get("facilitator"))
                 for n in cells.unit_names(cell)} - set(self._named_units)
        leaders = {n for r in rows for n in cells.person_names(r.values.get("leader", ""))} - set(self._named_leaders)
        self._find_named(Unit, units, self._named_units)
        self._find_named(Leader, leaders, self._named_leaders)

    def _find_named(self, model: type[Named], names: set[str], named: dict[str, list[Named]]) -> None:
        """Stored objects by the ledger's names, ignoring spaces and width: the exact name first
        (indexed), then, for the names still missing, the stored names without their spaces."""
        for name in names:
            named[name] = []
        manager = model._default_manager
        for part in chunks(sorted(names)):
            self._named(model, manager.filter(name__in=part), named)
        missing = {name.replace(" ", ""): name for name in names if not named[name]}
        for part in chunks(sorted(missing)):
            self._named(model, manager.alias(spaceless=_spaceless("name")).filter(spaceless__in=part), named)

    def _named(self, model: type[Named], found: models.QuerySet[Named], named: dict[str, list[Named]]) -> None:
        found = found.select_related("region")
        self._nearby |= {(model, pk) for pk in nearby(self.user, found).values_list("pk", flat=True)}
        for obj in found:
            key = cells.name_key(obj.name)
            if key in named and obj not in named[key]:
                named[key].append(obj)

    def _one_unit(self, row: LedgerRow, column: str) -> str:
        """A project has one owner and one responsible unit: of several named, the first (the
        lead, as ledgers list them), said in a warning."""
        names = cells.unit_names(row.values.get(column, ""))
        if len(names) > 1:
            self.result.warnings.append(row.problem_for(
                column, f"列出了 {len(names)} 个单位，取第一个“{names[0]}”，其余未导入", row.values.get(column)))
        return names[0] if names else ""

    def _unit(self, row: LedgerRow, column: str, region: Region, kind: str, target: _Target) -> Unit | None:
        """The unit the row names in ``column`` (owner, responsible or facilitator)."""
        name = self._one_unit(row, column)
        if not name:
            return None
        key = (name, region.pk)
        if key not in self._units:
            # The same name in the project's region or above it (a city department) first, then
            # anywhere in the ledger's region (a county government named on a city's ledger).
            same_name = self._named_units.get(name, [])
            up = {r.pk for r in self._up(region)}
            above = [u for u in same_name if u.region_id in up]
            within = sorted((u for u in same_name if self.region and u.region.is_within(self.region)),
                            key=lambda u: (u.region.code, u.kind, u.name))
            if above:
                self._units[key] = max(above, key=lambda u: u.region.depth)
            elif within:
                self._units[key] = within[0]
            else:
                self._units[key] = self._new(Unit(name=name, region=region, kind=kind), "units_created")
        return self._claim(row, column, name, self._units[key], target)

    def _leaders(self, row: LedgerRow, names: str, region: Region, target: _Target) -> list[Leader]:
        leaders: list[Leader] = []
        for bare in cells.person_names(names):
            name = bare
            key = (bare, region.pk)
            if key not in self._leader_cache:
                up = {r.pk for r in self._up(region)}
                found = sorted((leader for leader in self._named_leaders.get(bare, []) if leader.region_id in up),
                               key=lambda leader: (leader.region.code, leader.order, leader.name))
                self._leader_cache[key] = found[0] if found else self._new_leader(bare, self.region or region)
            leader = self._claim(row, "leader", name, self._leader_cache[key], target)
            if leader is not None and leader not in leaders:  # one person named twice, or two ways
                leaders.append(leader)
        return leaders

    def _new_leader(self, name: str, region: Region) -> _New:
        """One new leader per name in the region they are created in, however many counties
        of the ledger name them (a second would break the unique name in a region)."""
        key = (name, region.pk)
        if key not in self._new_leaders:
            self._new_leaders[key] = self._new(Leader(name=name, region=region), "leaders_created")
        return self._new_leaders[key]

    def _sector(self, row: LedgerRow, name: str, target: _Target) -> Sector | None:
        if not name:
            return None
        if self._sectors is None:
            self._sectors = {sector.name: sector for sector in Sector.objects.all()}
        if name not in self._sectors:
            self._sectors[name] = self._new(Sector(name=name), "sectors_created")
        return self._claim(row, "sector", name, self._sectors[name], target)

    def _new(self, obj: Any, listed_in: str) -> _New:
        """A unit, leader or sector the ledger names and the database lacks: checked now,
        created only if a row that names it is imported."""
        new = _New(obj, listed_in)
        try:
            if getattr(obj, "region_id", None):
                self._may_register(obj.region)
            validate(obj, self.checked)
        except (PermissionDenied, ValidationError) as exc:
            new.error = exc
        self._created.append(new)
        return new

    def _claim(self, row: LedgerRow, column: str, name: str, found: Any, target: _Target) -> Any:
        if isinstance(found, _New):
            if isinstance(found.error, PermissionDenied):
                row.problem("region", str(found.error), row.values.get("region"))
            elif found.error is not None:
                row.problem(column, "；".join(found.error.messages), name)
            target.pending.append(found)
            return found.obj
        if not isinstance(found, Sector) and (type(found), found.pk) not in self._nearby:
            row.problem(column, str(forms.ModelChoiceField.default_error_messages["invalid_choice"]), name)
        return found

    def _period_region(self, region: Region) -> Region:
        """Whose monthly periods a row's figures go in: the nearest region up from the row's that
        has periods this year (葫芦岛市's for 连山区, 迁安市's own), else the region chosen, else the city."""
        if region.pk not in self._period_regions:
            chain = self._up(region)
            with_periods = set(ReportingPeriod.objects.filter(year=self.year, region__in=chain)
                               .values_list("region_id", flat=True))
            self._period_regions[region.pk] = next((r for r in reversed(chain) if r.pk in with_periods), None) \
                or self._chosen_region or next((r for r in chain if r.level == Region.Level.PREFECTURE), region)
        return self._period_regions[region.pk]

    def _up(self, region: Region) -> list[Region]:
        if region.pk not in self._ancestors:
            self._ancestors[region.pk] = [*region.ancestors(), region]
        return self._ancestors[region.pk]

    def _class_of(self, row: LedgerRow, name: str) -> str | None:
        """The level, type, 建设性质 or stage the row states; None when it states none."""
        try:
            return choices.value_of(name, row.values.get(name))
        except ValueError as exc:
            row.problem(name, str(exc), row.values.get(name))
            return None

    def _class(self, row: LedgerRow, target: _Target, name: str) -> str:
        """A new project's (or plan's) class where the row states none: the user's default, else
        the model's — a level column's blank cell is a county's project — counted by field."""
        stated = target.classes[name]
        if stated is not None:
            return stated
        if name in self.defaults:
            value, how = self.defaults[name], "所选默认值"
        elif name == "level" and name in row.layout.mapped:
            value, how = Project.Level.COUNTY, "空白视为县区重点"
        else:
            value, how = MODEL_DEFAULTS[name], "台账未写明，系统默认；可在预览中选择或用 --default 指定"
        target.defaults.append(choices.taken(name, value, how))
        return value

    # --- a row against what is stored: validated, not yet written -------------------------
    def _apply(self, row: LedgerRow, target: _Target) -> _Entry | None:
        v = row.values
        entry = self._entries.get(("code", v["code"])) if v.get("code") else None
        entry = entry or self._entries.get(("name", target.region.pk, v["name"]))
        try:
            if entry is not None and entry.refused is not None:
                raise entry.refused
            stored_plan = entry.plan if entry else None
            stored_report = entry.reports.get(target.period.pk) if entry and target.period else None
            stored_project = entry.project if entry else None
            target.nature = target.classes["nature"] or (
                stored_plan.nature if stored_plan else self._class(row, target, "nature"))
            project, fields = self._project(row, target, entry)
            leaders = self._leader_change(target, entry)
            plan, plan_changed = self._plan(row, target, entry, project, project_changed=bool(fields))
            report = self._report(row, target, entry, project, plan)
            quarters = self._quarters(row, entry, plan)
        except ValidationError as exc:
            self._service_problems(row, exc)
            return None
        except (PermissionDenied, Http404) as exc:
            row.problem("region", str(exc) or "超出您的权限范围", v.get("region"))
            return None
        created = entry is None
        for taken in target.defaults:
            self.result.defaults_taken[taken] = self.result.defaults_taken.get(taken, 0) + 1
        if entry is None:
            entry = _Entry(project, new=True)
        entry.project, entry.row = project, row
        entry.fields |= fields
        for key in [("name", project.region_id or target.region.pk, project.name)] + (
                [("code", project.code)] if project.code else []):
            self._entries.setdefault(key, entry)
        if leaders is not None:
            entry.leaders = leaders
        entry.plan = plan
        entry.plan_changed |= plan_changed
        if report is not None:
            entry.reports[report.period_id] = report
            entry.changed_reports.append(report)
        if not created:
            assert stored_project is not None
            self._differences(entry, stored_project, project, fields, leaders, stored_plan, plan if plan_changed else None,
                              stored_report, report, quarters)
        entry.changed_quarters += quarters
        outcome = "created" if created else (
            "updated" if fields or leaders is not None or plan_changed or report is not None or quarters
            else "unchanged")
        setattr(self.result, outcome, getattr(self.result, outcome) + 1)
        self.result.count += 1
        self.result.total_investment += v.get("total") or ZERO
        self.result.annual_plan += v.get("annual_plan") or ZERO
        self.result.completed += v.get("ytd") or ZERO
        return entry

    def _differences(self, entry: _Entry, stored: Project, project: Project, fields: set[str], leaders: list[Leader] | None,
                     old_plan: AnnualPlan | None, plan: AnnualPlan | None, old_report: ProgressReport | None,
                     report: ProgressReport | None, quarters: list[PlanQuarter]) -> None:
        """What importing the row changes in a stored project, field by field, old and new (a
        relation's old side by its pk, named once the whole file is read: ``_name_differences``)."""
        changes: list[list[Any]] = []
        for name in sorted(fields, key=PROJECT_DIFF_ORDER.index):
            model_field, label = _diff_field(Project, name, get_language())
            if isinstance(model_field, models.ForeignKey):
                changes.append([label, (model_field.related_model, getattr(stored, model_field.attname)),
                                str(getattr(project, name).name)])
            else:
                changes.append([label, _shown(model_field, getattr(stored, name)), _shown(model_field, getattr(project, name))])
        if leaders is not None:
            changes.append(["包抓领导", (Leader, sorted(entry.leader_ids)), "、".join(leader.name for leader in leaders)])
        if plan is not None:
            _lines(changes, AnnualPlan, PLAN_DIFF, old_plan, plan, f"{self.year}年 ")
        if report is not None:
            _lines(changes, ProgressReport, REPORT_DIFF, old_report, report, f"{report.period.month}月")
        for quarter in quarters:
            _lines(changes, PlanQuarter, QUARTER_DIFF, entry.quarters.get(quarter.quarter), quarter,
                   f"{'一二三四'[quarter.quarter - 1]}季度")
        if changes:
            self.result.changes.append({"project": project.name, "code": project.code or "", "pk": project.pk,
                                        "changes": changes})

    def _name_differences(self) -> None:
        """The old side of the relations that changed, by name: one query per model."""
        wanted: dict[Any, set[int]] = {}
        for change in self.result.changes:
            for line in change["changes"]:
                if isinstance(line[1], tuple):
                    model, pks = line[1]
                    wanted.setdefault(model, set()).update(pks if isinstance(pks, list) else [pks] if pks else [])
        names = {model: dict(model._default_manager.filter(pk__in=pks).values_list("pk", "name"))
                 for model, pks in wanted.items()}
        for change in self.result.changes:
            for line in change["changes"]:
                if isinstance(line[1], tuple):
                    model, pks = line[1]
                    line[1] = "、".join(names[model].get(pk, "") for pk in (pks if isinstance(pks, list) else [pks])
                                       if pk) or "—"

    def _project(self, row: LedgerRow, target: _Target, entry: _Entry | None) -> tuple[Project, set[str]]:
        v = row.values
        values: dict[str, Any] = {"name": v["name"], "region": target.region}
        optional = {
            "code": v.get("code") or None, "scope": v.get("scope"), "sector": target.sector,
            "total_investment": v.get("total"), "planned_start": v.get("planned_start"),
            "owner": target.owner, "responsible_unit": target.responsible, "facilitator": target.facilitator,
        }
        values.update({k: val for k, val in optional.items() if val is not None and val != ""})
        if entry is None:
            self._may_register(target.region)
            values["level"] = self._class(row, target, "level")
            values["project_type"] = self._class(row, target, "project_type")
            project = NEW_PROJECT(stage=self._stage(row, target), **values)
            fields = set(values)
        else:
            project = entry.project
            # A stated level or type changes a stored project; its stage changes only with a
            # dated transition (the project's page), so a ledger does not move it.
            values |= {name: target.classes[name] for name in ("level", "project_type") if target.classes[name]}
            if target.region.pk != project.region_id:
                self._may_register(target.region)
            fields = {name for name, value in values.items() if _differs(project, name, value)}
            if fields:
                project = copy.copy(project)  # the stored one stays as it is if the row fails
                for name in fields:
                    setattr(project, name, values[name])
        if entry is None or fields:  # (what is stored and stays as it is was checked when stored)
            validate(project, self.checked)
        holder = self._entries.get(("code", project.code)) if project.code else None
        if holder is not None and holder is not entry:
            raise ValidationError({"code": [project.unique_error_message(Project, ["code"])]})
        validate_funding(project.total_investment, entry.funding if entry else None)
        return project, fields

    def _stage(self, row: LedgerRow, target: _Target) -> str:
        """A new project's stage: stated, chosen, or — the one a ledger implies — 在建 when it is
        being built this year and 前期 otherwise, counted as such."""
        if target.classes["stage"] or "stage" in self.defaults:
            return self._class(row, target, "stage")
        assert target.nature is not None
        stage = Stage.CONSTRUCTION if under_construction(target.nature, bool(row.values.get("started"))) \
            else Stage.PREPARATION
        target.defaults.append(choices.taken("stage", stage, "台账未写明，按建设性质和是否开工推断"))
        return stage

    def _leader_change(self, target: _Target, entry: _Entry | None) -> list[Leader] | None:
        """The project's leaders when the row changes them (a row without leaders keeps them)."""
        if entry is None:
            return target.leaders or None
        wanted = {leader.pk for leader in target.leaders}
        if not target.leaders or (None not in wanted and wanted == entry.leader_ids):
            return None
        return target.leaders

    def _plan(self, row: LedgerRow, target: _Target, entry: _Entry | None,
              project: Project, project_changed: bool) -> tuple[AnnualPlan, bool]:
        v, mapped = row.values, row.layout.mapped
        nature = target.nature
        assert nature is not None
        stored = entry.plan if entry else None
        # The plan's start as the plan form sets it (checked by ``AnnualPlan.clean``); a ledger
        # without the start columns leaves a stored plan's start as it is, as any other column.
        unknown = False
        if stored is None or "started" in mapped or "started_on" in mapped:
            started, started_on = bool(v.get("started")), v.get("started_on")
            if v.get("start_unknown"):
                started_on, unknown = self._start_date(row, stored)
        else:
            started, started_on, unknown = stored.started, stored.started_on, stored.start_date_unknown
        prior = ZERO
        if nature != Nature.NEW and v.get("since_start") is not None and v.get("ytd") is not None:
            prior = max(v["since_start"] - v["ytd"], ZERO)
        # Only both columns tell the previous years' part; without 本年完成 the stored one stands.
        prior_told = "since_start" in mapped and "ytd" in mapped
        data = {
            "nature": nature,
            "planned_investment": v.get("annual_plan") if v.get("annual_plan") is not None else (
                stored.planned_investment if stored else ZERO),
            "prior_completed": stored.prior_completed if stored is not None and not prior_told else prior,
            "annual_task": v.get("annual_task", "") if "annual_task" in mapped else (
                stored.annual_task if stored else ""),
            # A batch the ledger cannot state: the plan form has a person choose it.
            "batch": stored.batch if stored and stored.batch else (
                Batch.CONSTRUCTION if under_construction(nature, started) else Batch.PREPARATION),
            "planned_start_month": v["planned_start"].month if v.get("planned_start") else (
                v.get("planned_month") or (stored.planned_start_month if stored else None)),
            "started": started, "started_on": started_on, "start_date_unknown": unknown,
        }
        if stored is None:
            plan, changed = NEW_PLAN(project=project, year=self.year, **data), True
        else:
            changed = any(getattr(stored, k) != value for k, value in data.items())
            plan = copy.copy(stored) if changed else stored
            if changed:
                for key, value in data.items():
                    setattr(plan, key, value)
            plan.project = project
        if changed or project_changed:  # a plan's rules look at its project's total too
            validate(plan, self.checked)
        if changed and stored is not None:
            plan.version += 1
        return plan, changed

    def _quarters(self, row: LedgerRow, entry: _Entry | None, plan: AnnualPlan) -> list[PlanQuarter]:
        """The plan's roadmap quarters the row adds or changes (a quarter it leaves blank stays)."""
        changed = []
        for q, (work, expected) in row.values.get("quarters", {}).items():
            stored = entry.quarters.get(q) if entry else None
            if stored is None:
                quarter = NEW_QUARTER(plan=plan, quarter=q, work=work, expected_investment=expected)
            elif stored.work == work and stored.expected_investment == expected:
                continue
            else:
                quarter = copy.copy(stored)
                quarter.work, quarter.expected_investment = work, expected
            quarter.plan = plan
            validate(quarter, self.checked)
            changed.append(quarter)
        return changed

    def _start_date(self, row: LedgerRow, stored: AnnualPlan | None) -> tuple[date, bool]:
        """The start of a project the ledger says started, without a day: the day already
        stored if it is no later than the ledger's date, else the ledger's date ("on or before"),
        marked unknown and said in a warning."""
        assert self.as_of is not None
        if stored is not None and stored.started and stored.started_on and stored.started_on <= self.as_of:
            return stored.started_on, stored.start_date_unknown
        self.result.warnings.append(row.problem_for(
            "started_on", f"开工日期未填：已开复工，记为统计日期 {self.as_of:%Y-%m-%d} 前开工", row.raw.get("started_on")))
        return self.as_of, True

    def _report(self, row: LedgerRow, target: _Target, entry: _Entry | None, project: Project,
                plan: AnnualPlan) -> ProgressReport | None:
        v, period = row.values, target.period
        if period is None:
            if v.get("progress"):  # a narrative belongs to a month's report, which needs its figures
                self.result.warnings.append(row.problem_for(
                    "progress", "没有本年或开累完成投资，无法形成当月报告：进展情况未导入", v["progress"]))
            return None
        stored = entry.reports.get(period.pk) if entry else None
        previous = entry.previous.get(period.pk) if entry else None
        if v.get("ytd") is None and not self._ytd_from_since_start(row, plan):
            return None
        # The report states the plan's start: an approved report's start is the plan's
        # (``reporting.services.start_from_report``), and here the plan took the row's.
        data = {"completed_ytd": v["ytd"], "started": plan.started, "started_on": plan.started_on,
                "completed_since_start": v["since_start"] if v.get("since_start") is not None
                else plan.prior_completed + v["ytd"]}
        progress = self._progress_text(row, period)
        if progress is not None:
            data["progress"] = progress
        report = reporting_services.ledger_report(self.user, project, period, self._approved_at, data, stored, previous)
        if report is None:
            return None
        reporting_services.validate_report(report, previous, plan, self.checked)
        return report

    def _ytd_from_since_start(self, row: LedgerRow, plan: AnnualPlan) -> bool:
        """开累完成 without 本年完成: this year's part is what the previous years' leaves — all of
        it for a project new this year, the rest over the stored plan's 截至上年底. A continuing
        project the library does not know yet cannot be split: a warning, no year's figure."""
        since = row.values["since_start"]
        if plan.nature == Nature.NEW:
            prior = ZERO
        elif plan.pk is not None:
            prior = plan.prior_completed
        else:
            self.result.warnings.append(row.problem_for("since_start", (
                f"只有开累完成 {since.normalize():f} 万元，没有本年完成，且库中没有该项目往年的完成额："
                "无法拆出本年完成，未计入"), row.raw.get("since_start")))
            return False
        if since < prior:
            self.result.warnings.append(row.problem_for("since_start", (
                f"开累完成 {since.normalize():f} 万元少于截至上年底已完成 {prior.normalize():f} 万元：未计入本年完成"),
                row.raw.get("since_start")))
            return False
        row.values["ytd"] = since - prior
        return True

    def _progress_text(self, row: LedgerRow, period: ReportingPeriod) -> str | None:
        """"5月进展情况" is May's narrative: kept in the report of the ledger's month when it is May's."""
        column = row.layout.mapped.get("progress")
        if column is None:
            return None
        month = PROGRESS_MONTH.match(column.header)
        if month and int(month.group(1)) != period.month:
            self.result.warnings.append(row.problem_for("progress", (
                f"{column.header}不是统计月份（{period.month}月）的进展，未导入"), row.raw.get("progress")))
            return None
        return row.values.get("progress", "")

    # --- the chunk's writes: a bulk write per model, each with its history rows ------------
    def _save(self, entries: list[_Entry]) -> None:
        self._save_named()
        now = timezone.now()
        created = [e for e in entries if e.new]
        changed = [e for e in entries if not e.new and (e.fields or e.leaders is not None)]
        for e in changed:
            e.project.version += 1
            e.project.updated_at = now
        save_in_bulk(Project, [e.project for e in created], [e.project for e in changed],
                     {f for e in changed for f in e.fields} | {"version", "updated_at"},
                     m2m={"leaders": [(e.project, [leader.pk for leader in e.leaders])
                                      for e in created + changed if e.leaders is not None]}, later=self._later)
        today = timezone.localdate()
        save_in_bulk(StageTransition, project_services.registrations(self.user, [e.project for e in created], today),
                     later=self._later)
        plans = [e.plan for e in entries if e.plan_changed and e.plan is not None]
        save_in_bulk(AnnualPlan, [p for p in plans if p.pk is None], [p for p in plans if p.pk is not None],
                     [*project_services.PLAN_FIELDS, "annual_task", "start_date_unknown", "version"], later=self._later)
        quarters = [q for e in entries for q in e.changed_quarters]
        save_in_bulk(PlanQuarter, [q for q in quarters if q.pk is None], [q for q in quarters if q.pk is not None],
                     ["work", "expected_investment"], later=self._later)
        reports = [r for e in entries for r in e.changed_reports]
        for report in reports:
            report.updated_at = now
        save_in_bulk(ProgressReport, [r for r in reports if r.pk is None], [r for r in reports if r.pk is not None],
                     REPORT_WRITES, later=self._later)
        # The roll-up: a new project's reports are all in hand; a stored one may have others.
        progress.add_first([(e.plan, e.changed_reports) for e in created if e.plan is not None])
        progress.refresh_later([e.plan for e in entries if not e.new and e.plan is not None
                                and (e.plan_changed or e.changed_reports)], self._later)
        refusals = refused(self.user, "edit", [e.project for e in entries])  # still in scope after the change
        for e in entries:
            if e.project.pk in refusals:
                row = e.row
                assert row is not None  # (an entry written was applied from a row)
                row.problem("region", str(refusals[e.project.pk]), row.values.get("region"))
                self.result.problems += row.problems
                self._broken = True
            if e.leaders is not None:
                e.leader_ids = {leader.pk for leader in e.leaders}
            for quarter in e.changed_quarters:
                e.quarters[quarter.quarter] = quarter
            e.new, e.fields, e.leaders, e.plan_changed, e.changed_reports = False, set(), None, False, []
            e.changed_quarters = []

    def _save_named(self) -> None:
        """The units and leaders this chunk's rows name first, written in bulk with their
        history rows (one ``save()`` each, with its history, took 4 ms: a ledger whose
        every project names its own owner company spent most of its time there)."""
        due = [new for new in self._created if new.used and new.obj.pk is None]
        for model in (Unit, Leader):
            objs = [new.obj for new in due if type(new.obj) is model]
            if model is Unit:
                for unit in objs:
                    unit.name = simplify(unit.name)  # as ``Unit.save`` does
            save_in_bulk(model, objs, later=self._later)
        for new in due:
            if isinstance(new.obj, Sector):  # (a few, and without history)
                new.obj.save()
        for new in due:
            getattr(self.result, new.listed_in).append(new.obj.name)
        self._created = [new for new in self._created if new.obj.pk is None]  # (scanned again each chunk)

    def _skip(self, row: LedgerRow) -> None:
        self.result.problems += row.problems
        self.result.skipped += 1

    def _service_problems(self, row: LedgerRow, exc: ValidationError) -> None:
        by_field = exc.error_dict if hasattr(exc, "error_dict") else {"": exc.error_list}
        for name, errors in by_field.items():
            column = FORM_TO_COLUMN.get(name, "")
            for error in errors:
                message = error.message % error.params if error.params else error.message
                row.problem(column, str(message), row.raw.get(column, "") if column else "")


@dataclass(eq=False)
class _New:
    """A unit, leader or sector to create if a row that names it is imported."""

    obj: Any
    listed_in: str
    error: PermissionDenied | ValidationError | None = None
    used: bool = False


@dataclass(eq=False)
class _Target:
    """What a row points at, resolved before it is compared with the library."""

    region: Region
    classes: dict[str, str | None]  # level, type, 建设性质, stage as the row states them
    nature: str | None = None  # the plan's, once the stored plan is known (``_apply``)
    defaults: list[str] = field(default_factory=list)  # the classes the row took by default
    sector: Sector | None = None
    owner: Unit | None = None
    responsible: Unit | None = None
    facilitator: Unit | None = None
    leaders: list[Leader] = field(default_factory=list)
    period: ReportingPeriod | None = None
    pending: list[_New] = field(default_factory=list)


@dataclass
class _Sum:
    """Rows a 合计 or 小计 sums: how many projects, and their amounts."""

    projects: int = 0
    amounts: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(AMOUNT_FIELDS, ZERO))

    def add(self, row: LedgerRow) -> None:
        if not row.values.get("_empty"):
            self.projects += 1
        for name in AMOUNT_FIELDS:
            self.amounts[name] += row.values.get(name) or ZERO


class _Sums:
    """A sheet's running sums, and the rows that state sums, to be checked once the sheet is
    read: a 合计 against the whole sheet, a section's row against its section, a 小计
    against its section's rows above it (the sums as they stand when it is read)."""

    def __init__(self) -> None:
        self.sheet = _Sum()
        self.sections: dict[str, _Sum] = {}
        self.checks: list[tuple[Row, _Sum, str]] = []

    def add(self, row: LedgerRow) -> None:
        self.sheet.add(row)
        self.sections.setdefault(row.section, _Sum()).add(row)

    def check(self, row: Row) -> None:
        if row.kind == "total":
            self.checks.append((row, self.sheet, "合计"))
        elif row.kind == "subtotal":
            above = self.sections.get(row.section, _Sum())
            self.checks.append((row, _Sum(above.projects, dict(above.amounts)), "小计"))
        elif row.kind == "section":
            self.checks.append((row, self.sections.setdefault(row.section, _Sum()), f"“{row.section}”小计"))


@dataclass(eq=False)
class _Entry:
    """A project of the ledger, as stored (or new), and what importing it changes."""

    project: Project
    new: bool = False
    refused: Exception | None = None
    row: LedgerRow | None = None
    funding: dict[str, Decimal] = field(default_factory=dict)
    leader_ids: set[int] = field(default_factory=set)
    plan: AnnualPlan | None = None
    reports: dict[int, ProgressReport] = field(default_factory=dict)
    previous: dict[int, ProgressReport] = field(default_factory=dict)
    fields: set[str] = field(default_factory=set)
    leaders: list[Leader] | None = None
    plan_changed: bool = False
    changed_reports: list[ProgressReport] = field(default_factory=list)
    quarters: dict[int, PlanQuarter] = field(default_factory=dict)  # the plan's roadmap, as stored
    changed_quarters: list[PlanQuarter] = field(default_factory=list)


PROJECT_DIFF_ORDER = ["name", "code", "region", "level", "project_type", "sector", "scope", "total_investment",
                      "planned_start", "owner", "responsible_unit", "facilitator"]
PLAN_DIFF = ["nature", "planned_investment", "prior_completed", "annual_task", "planned_start_month", "started",
             "started_on"]
REPORT_DIFF = ["completed_ytd", "completed_since_start", "progress"]
QUARTER_DIFF = ["work", "expected_investment"]


@functools.cache
def _diff_field(model: Any, name: str, language: str | None) -> tuple[Any, str]:
    """A field and its label in the language in use (asked once per import's rows, not per row)."""
    model_field = model._meta.get_field(name)
    return model_field, str(model_field.verbose_name)


def _lines(changes: list[list[Any]], model: Any, names: list[str], old: Any, new: Any, prefix: str) -> None:
    """The fields of ``new`` that differ from ``old`` (None: all of them, from "—"), as lines."""
    for name in names:
        value = getattr(new, name)
        if old is not None and getattr(old, name) == value:
            continue
        model_field, label = _diff_field(model, name, get_language())
        before, after = _shown(model_field, getattr(old, name)) if old is not None else "—", _shown(model_field, value)
        if before != after:
            changes.append([prefix + label, before, after])


def _shown(model_field: Any, value: Any) -> str:
    """A value as the re-import's differences show it: money in 万元, a choice by its label."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return f"{value.normalize():,f}"  # exact, to the yuan
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return str(value)


def _differs(project: Project, name: str, value: Any) -> bool:
    field_ = Project._meta.get_field(name)
    if isinstance(field_, models.Field) and field_.is_relation:
        return value.pk is None or getattr(project, field_.attname) != value.pk
    return getattr(project, name) != value


def _project_key(row: LedgerRow) -> str:
    """A row's project as sheets are compared: its code, else its name without spaces."""
    return row.values.get("code") or cells.name_key(row.values.get("name", ""))


def _spaceless(name: str) -> Func:
    """The column ``name`` without its spaces (ASCII, full-width, no-break), in SQL."""
    expression: Any = F(name)
    for space in (" ", "\u3000", "\u00a0"):
        expression = Replace(expression, Value(space), Value(""))
    return expression

def import_ledger(user: Actor | None, path: str | Path, year: int | None, **options: Any) -> ImportResult:
    name = options.pop("name", None)
    return Importer(user, year, **options).run(path, name)


"""Importing a ledger (台账): every row through the same forms and services as a person would
use, the whole file in one transaction — any invalid row and nothing is imported (unless
``skip_invalid``), with every problem reported at once by sheet, row, column and value."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.http import Http404

from keyprojects.accounts.models import Leader, Unit
from keyprojects.core.permissions import SYSTEM, require_region
from keyprojects.projects import services as project_services
from keyprojects.projects.forms import AnnualPlanForm, ProjectForm
from keyprojects.projects.models import ZERO, AnnualPlan, Batch, Nature, Project, Sector, Stage
from keyprojects.regions.models import Region, RegionNotFound
from keyprojects.reporting import services as reporting_services

from . import cells
from .layout import AMOUNT_FIELDS, AMOUNT_LABELS, COLUMNS, Layout, Row, detect
from .reader import read

LABELS = {name: label for name, _pattern, label in COLUMNS}
NATURES = {"新建": Nature.NEW, "新开工": Nature.NEW, "新开": Nature.NEW, "新": Nature.NEW, "续建": Nature.CONTINUING,
           "续": Nature.CONTINUING, "竣工": Nature.COMPLETING, "建成": Nature.COMPLETING, "投产": Nature.COMPLETING}
TEXT_FIELDS = ["name", "region", "sector", "scope", "responsible", "leader", "owner", "note", "nature"]
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
        where = f"{self.sheet} 第{self.row}行" + (f" {self.column}" if self.column else "")
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
    as_of: date | None = None
    dry_run: bool = False


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
        column = self.layout.mapped.get(column_field)
        label = f"{column.letter}列（{column.header}）" if column else LABELS.get(column_field, column_field)
        self.problems.append(Problem(self.sheet, self.number, label, cells.text(value), message))


class Importer:
    def __init__(self, user: Any, year: int, region: Region | None = None, as_of: date | None = None,
                 skip_invalid: bool = False, dry_run: bool = False, fix_encoding: bool = False,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.user = user or SYSTEM
        self.year, self.region, self.as_of = year, region, as_of
        self.skip_invalid, self.dry_run, self.fix_encoding = skip_invalid, dry_run, fix_encoding
        self.progress = progress
        self.result = ImportResult(dry_run=dry_run)
        self._regions: dict[str, Region | RegionNotFound] = {}
        self._ancestors: dict[int, list[Region]] = {}
        self._sectors: dict[str, Sector] = {}
        self._below: list[Region] | None = None

    # --- reading ---------------------------------------------------------------------
    def run(self, path: str | Path, name: str | None = None) -> ImportResult:
        rows: list[LedgerRow] = []
        for sheet in read(path, name):
            layout = detect(sheet)
            if layout is None:
                continue
            self.result.rows_read += len(sheet.rows)
            self.result.mapping += [f"{sheet.name} {c.letter}列“{c.header}” → {LABELS[c.field]}"
                                    + (f"（×{format(c.multiplier.normalize(), 'f')} 折算为万元）" if c.multiplier != 1 else "")
                                    for c in layout.columns if c.field]
            self.result.ignored_columns += [f"{sheet.name} {c.letter}列“{c.header}”" for c in layout.unknown]
            if "name" not in layout.mapped:
                continue
            if self.as_of is None:
                self.as_of = self._as_of_from(layout)
            rows += self._read_rows(layout)
            self._check_sums(layout, rows)
        self.result.as_of = self.as_of = self.as_of or min(date.today(), date(self.year, 12, 31))
        self.result.data_rows = len(rows)
        if not rows and not self.result.problems:
            self.result.problems.append(Problem(Path(name or path).name, 0, "", "", "没有找到含“项目名称”列的表头或数据行"))
        self._write(rows)
        return self.result

    def _as_of_from(self, layout: Layout) -> date | None:
        """"1-5月完成投资" means the figures stand as of the end of May."""
        column = layout.mapped.get("ytd")
        found = re.search(r"\d+\s*[-—~至]\s*(\d+)\s*月", column.header) if column else None
        if found and 1 <= int(found.group(1)) <= 12:
            month = int(found.group(1))
            return date(self.year, month, calendar.monthrange(self.year, month)[1])
        return None

    def _read_rows(self, layout: Layout) -> list[LedgerRow]:
        rows = []
        for row in layout.rows:
            if row.kind != "data":
                continue
            ledger_row = LedgerRow(layout.sheet, row.number, row.section, row.cells, layout)
            self._read_values(ledger_row)
            rows.append(ledger_row)
        return rows

    def _read_values(self, row: LedgerRow) -> None:
        mapped = row.layout.mapped
        for name in TEXT_FIELDS + ["code"]:
            raw = row.raw.get(name, "")
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
                if row.values[name] is not None and row.values[name] < 0:
                    row.problem(name, "金额不能为负数", row.raw.get(name))
        for name in ("started_on", "planned_start"):
            if name in mapped:
                try:
                    row.values[name] = cells.day(row.raw.get(name), self.year)
                except cells.CellError as exc:
                    row.problem(name, str(exc), row.raw.get(name))
        if "started" in mapped:
            try:
                row.values["started"] = cells.yes_no(row.raw.get("started"))
            except cells.CellError as exc:
                row.problem("started", str(exc), row.raw.get("started"))
        else:
            row.values["started"] = row.values.get("started_on") is not None
        has_amount = any(row.values.get(n) for n in AMOUNT_FIELDS)
        if not row.values["name"]:
            if has_amount:
                row.problem("name", "有金额但没有项目名称")
            else:
                row.values["_empty"] = True

    def _check_sums(self, layout: Layout, rows: list[LedgerRow]) -> None:
        """合计 and 小计 rows must equal the rows they sum: otherwise the file contradicts itself."""
        sheet_rows = [r for r in rows if r.sheet == layout.sheet]
        by_section: dict[str, list[LedgerRow]] = {}
        for r in sheet_rows:
            by_section.setdefault(r.section, []).append(r)
        for row in layout.rows:
            if row.kind == "total":
                self._compare(layout, row, sheet_rows, "合计")
            elif row.kind == "subtotal":
                members = [r for r in by_section.get(row.section, []) if r.number < row.number]
                self._compare(layout, row, members, "小计")
            elif row.kind == "section":
                self._compare(layout, row, by_section.get(row.section, []), f"“{row.section}”小计")

    def _compare(self, layout: Layout, row: Row, members: list[LedgerRow], what: str) -> None:
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
            actual = sum((r.values.get(name) or ZERO for r in members), ZERO)
            tolerance = Decimal("0.01") * column.multiplier  # one cent of the column's unit, for rounding
            if abs(stated - actual) > tolerance:
                self.result.problems.append(Problem(
                    layout.sheet, row.number, f"{column.letter}列（{column.header}）", cells.text(row.cells.get(name)),
                    f"{what}{AMOUNT_LABELS[name]} {stated.normalize():f} 万元与明细合计 {actual.normalize():f} 万元不符，"
                    f"相差 {(stated - actual).normalize():f} 万元"))

    # --- writing ---------------------------------------------------------------------
    def _write(self, rows: list[LedgerRow]) -> None:
        with transaction.atomic():
            for i, row in enumerate(rows):
                if not row.values.get("_empty"):
                    self._write_row(row)
                if self.progress:
                    self.progress(i + 1, len(rows))
            failed = self.result.problems
            if self.dry_run or (failed and not self.skip_invalid):
                transaction.set_rollback(True)
        if self.result.problems and not self.skip_invalid:
            raise ImportFailed(self.result)

    def _write_row(self, row: LedgerRow) -> None:
        if row.problems:
            self._skip(row)
            return
        try:
            with transaction.atomic():  # a savepoint: an invalid row leaves nothing behind
                created_before = (len(self.result.units_created), len(self.result.leaders_created),
                                  len(self.result.sectors_created))
                outcome = self._save(row)
                if row.problems:
                    del self.result.units_created[created_before[0]:]
                    del self.result.leaders_created[created_before[1]:]
                    del self.result.sectors_created[created_before[2]:]
                    raise _RowInvalid
        except _RowInvalid:
            self._sectors.clear()  # sectors this row created were rolled back with it
            self._skip(row)
            return
        except (PermissionDenied, Http404) as exc:
            row.problem("region", str(exc) or "超出您的权限范围", row.values.get("region"))
            self._skip(row)
            return
        setattr(self.result, outcome, getattr(self.result, outcome) + 1)
        self.result.count += 1
        self.result.total_investment += row.values.get("total") or ZERO
        self.result.annual_plan += row.values.get("annual_plan") or ZERO
        self.result.completed += row.values.get("ytd") or ZERO

    def _skip(self, row: LedgerRow) -> None:
        self.result.problems += row.problems
        self.result.skipped += 1

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
                if self._region_elsewhere(text):
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

    def _unit(self, name: str, region: Region, kind: str) -> Unit | None:
        if not name:
            return None
        # The same name in the project's region or above it (a city department) first, then
        # anywhere in the ledger's region (a county government named on a city's ledger).
        same_name = Unit.objects.filter(name=name)
        unit = same_name.filter(region__in=self._up(region)).order_by("-region__depth").first()
        if unit is None and self.region is not None:
            unit = same_name.filter(region__path__startswith=self.region.path).first()
        if unit is None:
            require_region(self.user, region)  # the chokepoint: only where this user may register projects
            unit = Unit(name=name, region=region, kind=kind)
            unit.full_clean()
            unit.save()
            self.result.units_created.append(name)
        return unit

    def _leaders(self, names: str, region: Region) -> list[Leader]:
        leaders = []
        for name in [n for n in re.split(r"[、，,;；/\s]+", names or "") if n]:
            bare = re.sub(r"[（(].*?[)）]", "", name)
            leader = Leader.objects.filter(name=bare, region__in=self._up(region)).first()
            if leader is None:
                require_region(self.user, self.region or region)
                leader = Leader(name=bare, region=self.region or region)
                leader.full_clean()
                leader.save()
                self.result.leaders_created.append(bare)
            leaders.append(leader)
        return leaders

    def _up(self, region: Region) -> list[Region]:
        if region.pk not in self._ancestors:
            self._ancestors[region.pk] = [*region.ancestors(), region]
        return self._ancestors[region.pk]

    def _save(self, row: LedgerRow) -> str:
        v = row.values
        region = self._region_of(row)
        if region is None:
            return "skipped"
        project = None
        if v.get("code"):
            project = Project.objects.filter(code=v["code"]).first()
        if project is None:
            project = Project.objects.filter(region=region, name=v["name"]).first()
        sector = self._sector(v.get("sector", ""))
        data = model_to_dict(project) if project else {
            "project_type": Project.Type.INDUSTRY, "investment_nature": Project.InvestmentNature.ENTERPRISE,
            "level": Project.Level.CITY}
        data.update({"name": v["name"], "region": region.pk})
        optional = {
            "code": v.get("code") or None, "scope": v.get("scope"), "sector": sector.pk if sector else None,
            "total_investment": v.get("total"), "planned_start": v.get("planned_start"),
            "owner": getattr(self._unit(v.get("owner", ""), region, Unit.Kind.ENTERPRISE), "pk", None),
            "responsible_unit": getattr(self._unit(v.get("responsible", ""), self.region or region,
                                                   Unit.Kind.DEPARTMENT), "pk", None),
        }
        data.update({k: val for k, val in optional.items() if val not in (None, "")})
        leaders = self._leaders(v.get("leader", ""), region)
        if leaders or not project:
            data["leaders"] = [leader.pk for leader in leaders]
        data["lists"] = [p.pk for p in project.lists.all()] if project else []
        if project:
            data["version"] = project.version
            for kind, amount in ((f.kind, f.amount) for f in project.funding.all()):
                data[f"funding_{kind}"] = amount
        nature = self._nature(row)
        data["stage"] = Stage.CONSTRUCTION if v.get("started") or nature != Nature.NEW else Stage.PREPARATION
        form = ProjectForm(data=_form_data(data), instance=project, user=self.user)
        if not form.is_valid():
            self._form_problems(row, form)
            return "skipped"
        outcome = "unchanged"
        try:
            if project is None:
                project = project_services.create_project(self.user, form.cleaned_data, form.funding(),
                                                          stage=data["stage"])
                outcome = "created"
            elif form.has_changed():
                project = project_services.update_project(self.user, project.pk, project.version,
                                                          form.cleaned_data, form.funding())
                outcome = "updated"
        except ValidationError as exc:
            self._service_problems(row, exc)
            return "skipped"
        if self._save_plan(row, project, nature) and outcome == "unchanged":
            outcome = "updated"
        if self._save_figures(row, project) and outcome == "unchanged":
            outcome = "updated"
        return outcome

    def _sector(self, name: str) -> Sector | None:
        if not name:
            return None
        cached = self._sectors.get(name)
        if cached is None:
            cached, made = Sector.objects.get_or_create(name=name)
            if made:
                self.result.sectors_created.append(name)
            self._sectors[name] = cached
        return cached

    def _nature(self, row: LedgerRow) -> str:
        text = re.sub(r"\s+", "", row.values.get("nature") or "")
        for word, nature in NATURES.items():
            if text.startswith(word):
                return nature
        if text:
            row.problem("nature", "建设性质应为 新建/新开工、续建 或 竣工", text)
        return Nature.NEW

    def _save_plan(self, row: LedgerRow, project: Project, nature: str) -> bool:
        v = row.values
        plan = AnnualPlan.objects.filter(project=project, year=self.year).first()
        prior = ZERO
        if nature != Nature.NEW and v.get("since_start") is not None and v.get("ytd") is not None:
            prior = max(v["since_start"] - v["ytd"], ZERO)
        data = {
            "year": self.year, "nature": nature,
            "planned_investment": v.get("annual_plan") if v.get("annual_plan") is not None else (
                plan.planned_investment if plan else ZERO),
            "prior_completed": prior if plan is None or "since_start" in row.layout.mapped else plan.prior_completed,
            "batch": plan.batch if plan and plan.batch else (
                Batch.CONSTRUCTION if v.get("started") or nature != Nature.NEW else Batch.PREPARATION),
            "planned_start_month": v["planned_start"].month if v.get("planned_start") else (
                plan.planned_start_month if plan else None),
            "started": bool(v.get("started")), "started_on": v.get("started_on"),
            "version": plan.version if plan else None,
        }
        form = AnnualPlanForm(data=_form_data(data), instance=plan, project=project)
        if not form.is_valid():
            self._form_problems(row, form)
            raise _RowInvalid
        if plan is not None and not form.has_changed():
            return False
        project_services.save_annual_plan(self.user, project.pk, self.year, form.cleaned_data,
                                          plan.version if plan else None)
        return True

    def _save_figures(self, row: LedgerRow, project: Project) -> bool:
        v = row.values
        if v.get("ytd") is None:
            return False
        period_region = self.region or next(
            (r for r in self._up(project.region) if r.level == Region.Level.PREFECTURE), project.region)
        month = self.as_of.month if self.as_of.year == self.year else 12
        period = reporting_services.period_of_import(period_region, self.year, month)
        plan = AnnualPlan.objects.get(project=project, year=self.year)
        data = {"completed_ytd": v["ytd"], "started": bool(v.get("started")), "started_on": v.get("started_on"),
                "completed_since_start": v["since_start"] if v.get("since_start") is not None
                else plan.prior_completed + v["ytd"]}
        try:
            return reporting_services.record_ledger_figures(self.user, project, period, self.as_of, data) is not None
        except ValidationError as exc:
            self._service_problems(row, exc)
            raise _RowInvalid from exc

    def _service_problems(self, row: LedgerRow, exc: ValidationError) -> None:
        by_field = exc.error_dict if hasattr(exc, "error_dict") else {"": exc.error_list}
        for name, errors in by_field.items():
            column = FORM_TO_COLUMN.get(name, "")
            for error in errors:
                message = error.message % error.params if error.params else error.message
                row.problem(column, str(message), row.raw.get(column, "") if column else "")

    def _form_problems(self, row: LedgerRow, form) -> None:
        for name, errors in form.errors.items():
            column = FORM_TO_COLUMN.get(name, name if name in row.layout.mapped else "")
            value = row.raw.get(column, "") if column else ""
            for error in errors:
                row.problem(column, error, value)


class _RowInvalid(Exception):
    pass


def _form_data(data: dict[str, Any]) -> dict[str, Any]:
    """Model values as a form would post them."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                out[key] = "on"
        elif isinstance(value, list):
            out[key] = [str(v.pk if hasattr(v, "pk") else v) for v in value]
        elif isinstance(value, Decimal):
            out[key] = format(value.normalize(), "f")
        elif isinstance(value, date):
            out[key] = value.isoformat()
        else:
            out[key] = str(value.pk) if hasattr(value, "pk") else str(value)
    return out


def import_ledger(user: Any, path: str | Path, year: int, **options: Any) -> ImportResult:
    name = options.pop("name", None)
    return Importer(user, year, **options).run(path, name)


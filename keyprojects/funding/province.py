"""The province's result for a round, imported from its .xlsx list (省级批复/下达名单).

Each row is matched to the round's applications by 项目代码 first, then by name as two hands
write it (``ledgers.cells.match_key``: Traditional as Simplified, width and spaces ignored).
A row matching nothing, or a name matching two projects, is listed as unmatched — never
guessed. ``preview`` reads and matches without writing; ``apply`` does the same and records
the result of every matched row through the service's own rules, in one transaction: a bad
cell anywhere (an amount that is not one, a date) is an error naming sheet, row and column,
and nothing is saved. Recommended applications absent from the list are marked 未获批.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from keyprojects.core.audit import acting_as
from keyprojects.core.permissions import Actor
from keyprojects.core.validation import validate
from keyprojects.ledgers import cells, reader
from keyprojects.projects.services import _check_version

from .models import Application, Round
from .services import _apply_result, require_round_admin

# The columns of the province's list, by the words their headers hold (the first that matches).
COLUMNS = {
    "code": ("项目代码",),
    "name": ("项目名称",),
    "approved": ("批复金额", "下达金额", "安排金额", "分配金额", "额度"),
    "approval_number": ("批复文号", "文号"),
    "approved_on": ("批复日期", "下达日期", "日期"),
}
REQUIRED = ("name", "approved")
HEADER_ROWS = 10  # a title and notes may stand above the header


@dataclass
class Matched:
    row: int
    application: Application
    by: str  # "code" or "name"
    approved: Decimal
    approval_number: str
    approved_on: date | None


@dataclass
class Unmatched:
    row: int
    code: str
    name: str
    reason: str


@dataclass
class Result:
    sheet: str
    matched: list[Matched] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    absent: list[Application] = field(default_factory=list)  # recommended, not on the list: 未获批

    @property
    def approved_total(self) -> Decimal:
        return sum((m.approved for m in self.matched), Decimal(0))


def _header(rows: Sequence[list[Any]], sheet: str) -> tuple[int, dict[str, int]]:
    for index, row in enumerate(rows[:HEADER_ROWS]):
        headers = [cells.match_key(cells.text(value)) for value in row]
        found: dict[str, int] = {}
        for key, words in COLUMNS.items():
            for word in words:
                column = next((i for i, h in enumerate(headers) if word in h and i not in found.values()), None)
                if column is not None:
                    found[key] = column
                    break
        if all(key in found for key in REQUIRED):
            return index, found
    raise ValidationError(_("工作表“%(sheet)s”：前 %(n)s 行中找不到表头（应有“项目名称”和“批复金额（万元）”列）")
                          % {"sheet": sheet, "n": HEADER_ROWS})


def _column_name(column: int) -> str:
    name = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        name = chr(65 + rest) + name
    return name


def read(round_: Round, path: str | Path, filename: str | None = None) -> Result:
    """Read and match the province's list against ``round_``'s applications; nothing written.
    Raises ValidationError (naming sheet, row and column) for a file or a cell it cannot read."""
    try:
        sheets = reader.read(path, filename)
    except (reader.LedgerFileError, ValueError) as exc:
        raise ValidationError(str(exc)) from exc
    sheet = next((s for s in sheets if any(any(cells.text(v) for v in row) for row in s.rows)), None)
    if sheet is None:
        raise ValidationError(_("文件中没有数据"))
    start, columns = _header(sheet.rows, sheet.name)
    applications = list(round_.applications.select_related("project", "project__region"))
    by_code = {a.project.code: a for a in applications if a.project.code}
    by_name: dict[str, list[Application]] = {}
    for a in applications:
        by_name.setdefault(cells.match_key(a.project.name), []).append(a)
    result, errors, seen = Result(sheet.name), [], set()

    def cell(row: list[Any], key: str) -> Any:
        column = columns.get(key)
        return row[column] if column is not None and column < len(row) else None

    def where(number: int, key: str) -> str:
        header = str(sheet.rows[start][columns[key]]).strip()  # as the sheet writes it
        return _("工作表“%(sheet)s”第 %(row)s 行 %(col)s 列“%(header)s”") % {
            "sheet": sheet.name, "row": number, "col": _column_name(columns[key]), "header": header}

    for index, row in enumerate(sheet.rows[start + 1:], start=start + 2):
        code, name = cells.text(cell(row, "code")), cells.text(cell(row, "name"))
        if not code and not name:
            continue
        try:
            approved = cells.amount(cell(row, "approved"))
        except cells.CellError as exc:
            errors.append(f"{where(index, 'approved')}：{exc}")
            continue
        if approved is None or approved < 0:
            errors.append(_("%(where)s：批复金额应为不小于 0 的数（万元）") % {"where": where(index, "approved")})
            continue
        approved_on = None
        if "approved_on" in columns and cells.text(cell(row, "approved_on")):
            try:
                approved_on = cells.day(cell(row, "approved_on"), round_.year)
            except cells.CellError as exc:
                errors.append(f"{where(index, 'approved_on')}：{exc}")
                continue
        application, by, reason = None, "", ""
        if code and code in by_code:
            application, by = by_code[code], "code"
        else:
            named = by_name.get(cells.match_key(name), []) if name else []
            if len(named) == 1:
                application, by = named[0], "name"
            elif len(named) > 1:
                reason = _("本批次有 %(n)s 个同名项目，无法确定") % {"n": len(named)}
            else:
                reason = _("项目代码和项目名称均未匹配到本批次的申报项目")
        if application is not None and application.pk in seen:
            application, reason = None, _("与前面的行匹配到同一项目")
        if application is None:
            result.unmatched.append(Unmatched(index, code, name, reason))
            continue
        seen.add(application.pk)
        result.matched.append(Matched(index, application, by, approved,
                                      cells.text(cell(row, "approval_number")), approved_on))
    if errors:
        raise ValidationError(errors)
    result.absent = [a for a in applications if a.pk not in seen and a.state == Application.State.RECOMMENDED]
    return result


@acting_as
@transaction.atomic
def apply(user: Actor, round_id: int, path: str | Path, filename: str | None = None,
          approved_on: date | None = None, expected_version: int | None = None) -> Result:
    """Record the province's list for the round (the commission's): each matched application
    approved with its amount, 批复文号 and date (the row's, else ``approved_on``), the round's
    recommended applications absent from it 未获批. All or nothing."""
    round_ = Round.objects.select_for_update().get(pk=round_id)
    require_round_admin(user, round_)
    _check_version(round_, expected_version)
    result = read(round_, path, filename)
    errors = []
    for m in result.matched:
        application = m.application
        on = m.approved_on or approved_on
        if on is None:
            errors.append(_("第 %(row)s 行：未填写批复日期，请在导入时填写统一的批复日期") % {"row": m.row})
            continue
        try:
            _apply_result(application, {"approved": m.approved, "approved_on": on,
                                        "approval_number": m.approval_number or application.approval_number})
            validate(application)
        except ValidationError as exc:
            errors.append(_("第 %(row)s 行（%(name)s）：%(error)s") % {
                "row": m.row, "name": application.project.name, "error": "；".join(exc.messages)})
            continue
        application.save()
    if errors:
        raise ValidationError(errors)
    for application in result.absent:
        _apply_result(application, {"rejected": True})
        validate(application)
        application.save()
    round_.version += 1
    round_.save()
    return result

"""Reading a list the province sent back, in its profile's layout, and comparing it with ours.

Rows are matched to the city's projects by 项目代码, then by name (``ledgers.cells.match_key``:
Traditional/Simplified, width and spaces ignored) — a match by name is *uncertain* and waits for
a person to confirm it. Each matched row's differences are listed field by field, compared as
the sheet shows them (an amount in the column's unit and places), so that a list exported and
sent back unchanged shows none.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError

from keyprojects.ledgers import cells, reader
from keyprojects.ledgers.reader import LedgerFileError
from keyprojects.projects.codes import normalized

from .models import ACCEPTABLE, AMOUNT_KEYS, UNITS, Profile
from .sheet import Sheet, header, in_unit

TOTAL_NAMES = {"合计", "总计", "小计"}
PROJECT_FIELDS = {"code", "name", "address", "total_investment"}  # else a plan's field (nature, annual plan)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _header_row(rows: Sequence[list[Any]], profile: Profile) -> tuple[int, dict[int, dict[str, Any]]] | None:
    """The row holding the profile's headers (among the first ten) and its columns by index (each
    with the header as the file writes it)."""
    import re

    patterns = [(c, re.compile("^" + re.escape(cells.text(c["header"])).replace(r"\{month\}", r"\d{1,2}") + "$"))
                for c in profile.columns]
    for r, row in enumerate(rows[:10]):
        found: dict[int, dict[str, Any]] = {}
        for i, value in enumerate(row):
            cell = cells.text(value)
            for column, pattern in patterns:
                if pattern.match(cell):
                    found[i] = {**column, "written": str(value).strip()}
                    break
        keys = {c["key"] for c in found.values()}
        if "name" in keys and len(found) >= len(patterns) // 2:
            return r, found
    return None


def read_rows(content: bytes, file_name: str, profile: Profile, year: int) -> list[dict[str, Any]]:
    """The province's rows: by column key the value read (amounts as Decimal 万元 text); a
    ValidationError naming row and column for every cell that cannot be read."""
    suffix = Path(file_name).suffix.lower() or ".xlsx"
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        handle.write(content)
        handle.flush()
        try:
            sheets = reader.read(handle.name, file_name)
        except (LedgerFileError, ValueError) as exc:
            raise ValidationError(str(exc)) from exc
    for found in sheets:
        located = _header_row(found.rows, profile)
        if located is not None:
            break
    else:
        names = "、".join(header(c, 1) for c in profile.columns if c["key"] in ("code", "name"))
        raise ValidationError(f"文件中找不到“{profile.name}”格式的表头（如{names}），请确认选择的格式")
    start, columns = located
    words = {kind: province_words(profile, kind) for kind in ("nature", "stage", "level", "batch")}
    rows, errors = [], []
    for r, raw in enumerate(found.rows[start + 1:], start=start + 2):
        values: dict[str, Any] = {}
        for i, column in columns.items():
            key = column["key"]
            cell = raw[i] if i < len(raw) else None
            where = f"第{r}行{column_letter(i)}列（{column['written']}）"
            try:
                values[key] = _value(key, cell, column, year, words)
            except (cells.CellError, ValueError) as exc:
                errors.append(f"{where}：{exc}")
        name = values.get("name") or ""
        if not name and not values.get("code"):
            continue  # an empty row
        if name in TOTAL_NAMES or cells.text(raw[0] if raw else "") in TOTAL_NAMES:
            continue
        if not name:
            errors.append(f"第{r}行：缺少项目名称")
        values["_row"] = r
        rows.append(values)
    if errors:
        raise ValidationError(errors)
    return rows


def province_words(profile: Profile, kind: str) -> dict[str, str]:
    """The province's words of a code list, as a cell reads (NFKC), to our value (the first of
    ours the word stands for, where it stands for several)."""
    return {cells.text(word): key for key, word in reversed(profile.code_list(kind).items())}


def _value(key: str, cell: Any, column: dict[str, Any], year: int, words: dict[str, dict[str, str]]) -> Any:
    if key in AMOUNT_KEYS:
        amount = cells.amount(cell, UNITS[column.get("unit", "万元")])
        return None if amount is None else str(amount)
    if key == "started_on":
        day = cells.day(cell, year)
        return day.isoformat() if day else None
    if key == "seq":
        return cells.text(cell)
    text = cells.text(cell)
    if key == "code":
        return normalized(text) or ""
    if key == "nature" and text and text not in words["nature"]:
        raise ValueError(f"“{text}”不是该格式的建设性质（可填：{'、'.join(words['nature'])}）")
    return text


def compare(rows: list[dict[str, Any]], ours: Sheet, candidates: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each province row with its match (``code``, ``name``: to confirm, ``ambiguous``, ``none``),
    the project it matched and its differences field by field. ``candidates``: the city's projects
    the user may change, as ``{id: {"code", "name", "version", "plan_version"}}``; ``ours``: the
    sheet as the city would send it now (its rows' values)."""
    by_code = {c["code"]: pk for pk, c in candidates.items() if c["code"]}
    by_key: dict[str, list[int]] = defaultdict(list)
    for pk, c in candidates.items():
        by_key[cells.match_key(c["name"])].append(pk)
    sheet_rows = {row.project_id: row for row in ours.rows}
    columns = {c["key"]: c for c in ours.profile.columns}
    result = []
    for values in rows:
        code, name = values.get("code") or "", values.get("name") or ""
        match, project_id, options = "none", None, []
        if code and code in by_code:
            match, project_id = "code", by_code[code]
        elif (found := by_key.get(cells.match_key(name), [])):
            if len(found) == 1:
                match, project_id = "name", found[0]
            else:
                match, options = "ambiguous", found
        row: dict[str, Any] = {"row": values["_row"], "code": code, "name": name, "match": match,
                               "project_id": project_id, "options": options, "diffs": []}
        if project_id is not None:
            row["version"] = candidates[project_id]["version"]
            row["plan_version"] = candidates[project_id]["plan_version"]
            if project_id in sheet_rows:
                row["diffs"] = _diffs(values, sheet_rows[project_id].values, columns, ours.month)
        result.append(row)
    return result


def _diffs(theirs: dict[str, Any], ours: dict[str, Any], columns: dict[str, dict[str, Any]],
           month: int) -> list[dict[str, Any]]:
    diffs = []
    for key, column in columns.items():
        if key == "seq" or key not in theirs:
            continue
        mine, value = ours.get(key), theirs[key]
        if key in AMOUNT_KEYS:
            shown_mine = in_unit(mine, column)
            shown_theirs = in_unit(Decimal(value), column) if value is not None else None
            if shown_mine == shown_theirs:
                continue
            unit = column.get("unit", "万元")
            diffs.append({"key": key, "header": header(column, month), "ours": f"{shown_mine} {unit}",
                          "theirs": f"{shown_theirs} {unit}" if value is not None else "",
                          "value": value, "acceptable": bool(column.get("accept")) and key in ACCEPTABLE
                          and value is not None})
            continue
        mine_text = mine.isoformat() if isinstance(mine, date) else cells.text(mine or "")
        if mine_text == (value or ""):
            continue
        diffs.append({"key": key, "header": header(column, month), "ours": mine_text, "theirs": value or "",
                      "value": value, "acceptable": bool(column.get("accept")) and key in ACCEPTABLE})
    return diffs

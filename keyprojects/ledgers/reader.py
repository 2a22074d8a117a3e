"""Reading a ledger file into sheets of rows: .xlsx/.xls through calamine, .csv in UTF-8
(with or without BOM), GBK or GB18030 — detected, not asked."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from . import extent


class LedgerFileError(ValueError):
    """The file cannot be read at all."""


@dataclass
class Sheet:
    name: str
    rows: list[list[Any]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    encoding: str = ""


def decode_csv(data: bytes) -> tuple[str, str]:
    """The text of a CSV and the encoding it was in."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):  # GB18030 is a superset of GBK and GB2312
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise LedgerFileError("无法识别文件编码（支持 UTF-8、GBK、GB18030）")
    return str(best), best.encoding


def read(path: str | Path, name: str | None = None) -> list[Sheet]:
    path = Path(path)
    suffix = Path(name or path.name).suffix.lower()
    if suffix == ".csv":
        content, encoding = decode_csv(path.read_bytes())
        extent.check_csv(content, Path(name or path.name).stem)
        return [Sheet(Path(name or path.name).stem, list(csv.reader(io.StringIO(content))), encoding=encoding)]
    if suffix not in (".xlsx", ".xlsm", ".xls", ".ods"):
        raise LedgerFileError(f"不支持的文件类型“{suffix or path.name}”：请使用 .xlsx、.xls 或 .csv")
    extent.check(path, suffix)  # before calamine loads a sheet: its extent is what calamine allocates
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise LedgerFileError(f"无法读取 Excel 文件：{exc}") from exc
    sheets = []
    for sheet_name in workbook.sheet_names:
        sheet = workbook.get_sheet_by_name(sheet_name)
        rows = sheet.to_python(skip_empty_area=False)
        sheets.append(Sheet(sheet_name, rows, list(sheet.merged_cell_ranges or [])))
    return sheets

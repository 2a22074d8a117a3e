"""Reading a ledger file into sheets of rows: .xlsx/.xls through calamine, .csv in UTF-8
(with or without BOM), GBK or GB18030 — detected, not asked."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, overload

from python_calamine import CalamineSheet, CalamineWorkbook

from . import extent


class LedgerFileError(ValueError):
    """The file cannot be read at all."""


@dataclass
class Sheet:
    name: str
    rows: Sequence[list[Any]]  # a list, or ``Rows`` read again each time they are walked
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    encoding: str = ""


HEAD = 40  # a sheet's first rows, kept: the header, the title and the preview's sample are among them
CHUNK = 1 << 20


class Rows(Sequence[list[Any]]):
    """A sheet's rows, read again each time they are walked (its first rows kept): the rows of a
    large ledger as lists of cells would take more memory than the rest of its import."""

    def __init__(self, walk: Callable[[], Iterator[list[Any]]], count: int) -> None:
        self.walk, self.length = walk, count
        self.head = list(islice(iter(self), HEAD))

    def __iter__(self) -> Iterator[list[Any]]:
        return self.walk()

    def __len__(self) -> int:
        return self.length

    @overload
    def __getitem__(self, index: int) -> list[Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[list[Any]]: ...

    def __getitem__(self, index: int | slice) -> list[Any] | list[list[Any]]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self.length)
            if step < 0:
                return list(self)[index]
            return self.head[start:stop:step] if stop <= HEAD else list(islice(self, start, stop, step))
        position = index + self.length if index < 0 else index
        if not 0 <= position < self.length:
            raise IndexError(index)
        return self.head[position] if position < HEAD else next(islice(self, position, None))


def csv_rows(path: Path, encoding: str, count: int) -> Rows:
    def walk() -> Iterator[list[Any]]:
        with path.open(encoding=encoding, newline="") as handle:
            yield from csv.reader(handle)

    return Rows(walk, count)


def sheet_rows(sheet: CalamineSheet) -> Rows:
    """A workbook sheet's rows from A1 (calamine keeps its cells; Python holds a row at a time).
    calamine's rows start at the sheet's first used column: the columns before it are put back."""
    if sheet.start is None:
        return Rows(lambda: iter([]), 0)
    left = [""] * sheet.start[1]
    assert sheet.end is not None
    return Rows(lambda: (left + row for row in sheet.iter_rows()), sheet.end[0] + 1)


def _decodes(path: Path, encoding: str) -> bool:
    """Whether the whole file decodes in ``encoding``: a megabyte at a time, none of it kept."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def csv_encoding(path: Path) -> str:
    """The encoding a CSV is in."""
    with path.open("rb") as handle:
        bom = handle.read(3) == b"\xef\xbb\xbf"
    for encoding in (["utf-8-sig"] if bom else []) + ["utf-8", "gb18030"]:  # GB18030: a superset of GBK and GB2312
        if _decodes(path, encoding):
            return encoding
    from charset_normalizer import from_path

    best = from_path(path).best()
    if best is None:
        raise LedgerFileError("无法识别文件编码（支持 UTF-8、GBK、GB18030）")
    return best.encoding


def read(path: str | Path, name: str | None = None) -> list[Sheet]:
    path = Path(path)
    suffix = Path(name or path.name).suffix.lower()
    if suffix == ".csv":
        encoding = csv_encoding(path)
        count = extent.check_csv(path, encoding, Path(name or path.name).stem)
        return [Sheet(Path(name or path.name).stem, csv_rows(path, encoding, count), encoding=encoding)]
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
        sheets.append(Sheet(sheet_name, sheet_rows(sheet), list(sheet.merged_cell_ranges or [])))
    return sheets

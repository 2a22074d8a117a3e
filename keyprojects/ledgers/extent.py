"""How big a ledger file's sheets are, found before they are read, in bounded memory.

calamine loads a sheet as one dense range from its first to its last cell: a 1.6 KB .xlsx with
a cell at ``XFD1048576`` asks it for 17 billion cells, and the process aborts. So a sheet's
extent is measured first — the ``<dimension>`` it declares and the cells it really holds, the
sheet's XML streamed a chunk at a time — and a file beyond what any real ledger reaches is
refused with a message saying so. A CSV is measured the same way (:func:`check_csv`). Both are
called by ``reader.read``, which the command line and the upload page's job use.
"""

from __future__ import annotations

import csv
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from . import reader  # (a module: reader imports this one too)

MAX_ROWS, MAX_COLUMNS = 200_000, 200
# The limit is on the area (what calamine allocates), so that a long, narrow ledger of 300,000
# rows × 20 columns still goes through, while a sheet reaching column XFD or row 1,048,576 does not.
MAX_CELLS = MAX_ROWS * MAX_COLUMNS
MAX_UNPACKED = 1 << 30  # bytes of XML a workbook may unpack to: beyond it, a zip bomb
MAX_ROW_BYTES = 16 << 20  # bytes of XML of one row: none of a real ledger's comes near
CHUNK = 1 << 20

DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\sref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")
CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\sr=\"[A-Z]{1,7}\d{1,10}\"")
# A cell with a value (or a formula): its tag is not self-closing and a <v>, <is> or <f> follows.
VALUED_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*?\sr=\"([A-Z]{1,7})(\d{1,10})\"[^>]*(?<!/)>\s*<(?:\w+:)?(?:v|is|f)\b")
ROW_REF = re.compile(rb"<(?:\w+:)?row\b[^>]*?\sr=\"(\d{1,10})\"")
ROOT = re.compile(rb"<(\w+:)?worksheet\b")
CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s/>]")
PREFIXED_CELL = re.compile(rb":c[\s/>]")  # a cell of a prefix the root tag did not use
TAG = re.compile(rb"<(?:\w+:)?(row|c)(?=[\s/>])[^>]*>")
REFERENCE = re.compile(rb"\sr=\"([A-Z]{0,7})(\d{1,10})\"")
WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
STRICT_WORKSHEET = "http://purl.oclc.org/ooxml/officeDocument/relationships/worksheet"


@dataclass
class Extent:
    """A sheet's rows and columns from A1 to its farthest cell, and how many cells it holds."""

    sheet: str
    rows: int = 0
    columns: int = 0
    cells: int = 0

    @property
    def area(self) -> int:
        return self.rows * self.columns

    def too_big(self) -> bool:
        return self.area > MAX_CELLS or self.cells > MAX_CELLS

    def refusal(self) -> reader.LedgerFileError:
        return reader.LedgerFileError(
            f"工作表“{self.sheet}”的范围达 {self.rows:,} 行 × {self.columns:,} 列，超过 {MAX_ROWS:,} 行 × "
            f"{MAX_COLUMNS} 列（{MAX_CELLS // 10000:,} 万个单元格）的上限，未读取：请删去表格以外的内容"
            f"（如远处的空白格式或零散单元格）后另存再导入")


def column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64  # "A" is 65
    return number


def check(path: Path, suffix: str) -> None:
    """Refuse the workbook at ``path`` (named ``*suffix``) if a sheet is beyond the limits: an
    Office Open XML workbook is known by its content (a zip archive), whatever its name."""
    with path.open("rb") as head:
        if head.read(4) != b"PK\x03\x04" or suffix == ".ods":  # .xls: at most 65,536 × 256 cells
            return
    for extent in xlsx_extents(path):
        if extent.too_big():
            raise extent.refusal()


def check_csv(path: Path, encoding: str, name: str) -> int:
    """Refuse the CSV if its rows × its widest row are beyond the limits: counted row by row,
    none kept, before any is used. Its number of rows."""
    extent = Extent(name)
    with path.open(encoding=encoding, newline="") as handle:
        for row in csv.reader(handle):
            extent.rows += 1
            extent.columns = max(extent.columns, len(row))
            extent.cells += len(row)
    if extent.too_big():
        raise extent.refusal()
    return extent.rows


def xlsx_extents(path: Path) -> Iterator[Extent]:
    """Each worksheet's declared dimension and the farthest cell it really holds."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise reader.LedgerFileError(f"无法读取 Excel 文件：{exc}") from exc
    with archive:
        unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED:
            raise reader.LedgerFileError(f"文件解压后达 {unpacked / (1 << 20):,.0f} MB，超过 {MAX_UNPACKED >> 20:,} MB "
                                  f"的上限，未读取：请确认这是一份台账")
        for name, member in _worksheets(archive):
            yield _measure(archive, member, name)


def _worksheets(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, member) of every worksheet: as the workbook's relationships name them, and
    any other member under ``worksheets/`` too (a file need not be honest about either)."""
    members = set(archive.namelist())
    found = {member: name for member, name in _named(archive).items() if member in members}
    for member in members:
        if "worksheets/" in member and member.endswith(".xml"):
            found.setdefault(member, posixpath.basename(member))
    return [(name, member) for member, name in sorted(found.items())]


def _named(archive: zipfile.ZipFile) -> dict[str, str]:
    """Member -> sheet name, as xl/workbook.xml and its relationships say (none if they cannot)."""
    try:
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels if r.get("Type") in (WORKSHEET, STRICT_WORKSHEET)}
    named = {}
    for sheet in workbook.iter():
        rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
        target = targets.get(rid) if sheet.tag.endswith("}sheet") else None
        if target:
            member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            named[member] = sheet.get("name", member)
    return named


def _measure(archive: zipfile.ZipFile, member: str, name: str) -> Extent:
    extent, scan = Extent(name), _Scan()
    declared = None
    carry = b""
    with archive.open(member) as stream:
        while chunk := stream.read(CHUNK):
            data = carry + chunk
            cut = data.rfind(b"</row>")  # whole rows only: the rest waits for the next chunk
            cut = cut + 6 if cut >= 0 else 0
            data, carry = data[:cut], data[cut:]
            if len(carry) > MAX_ROW_BYTES:
                raise reader.LedgerFileError(f"工作表“{name}”的一行内容超过 {MAX_ROW_BYTES >> 20} MB，结构异常，未读取")
            if declared is None:
                declared = DIMENSION.search(data or carry)
            scan.count(data, extent)
            if extent.too_big():
                break
        scan.count(carry, extent)  # (a sheet cut short, or a last row without its end tag)
    if declared is not None:
        first_col, first_row, last_col, last_row = declared.groups()
        extent.rows = max(extent.rows, int(last_row or first_row))
        extent.columns = max(extent.columns, column_number(last_col or first_col))
    return extent


class _Scan:
    """Where a sheet's tags put its cells — those with a value: calamine leaves out a cell that
    only carries a style, however far away. Every writer we know starts each cell's tag with its
    reference (``<c r="C7"``): the farthest is then found by one quick pattern, and looked at more
    closely (for values) only if it is too far. A reference may be left out, though (the cell then
    follows the one before it, the row the row before it): a sheet that does so is walked tag by
    tag, each cell counted as a value."""

    def __init__(self) -> None:
        self.row, self.column = 0, 0  # where the walk is: the last row and cell placed
        self.prefix: bytes | None = None  # the sheet's namespace prefix ("x:"), usually none

    def count(self, data: bytes, extent: Extent) -> None:
        if self.prefix is None:
            root = ROOT.search(data)
            if root is None:
                return  # (the root tag comes in a later chunk)
            self.prefix = root.group(1) or b""
        cell = b"<" + self.prefix + b"c"
        starts = data.count(cell + b' r="')
        # The quick way holds if every tag starting "<c" (<col> and <cfRule> too, outside the
        # cells: then the careful way, for this chunk) starts a cell with its reference.
        if data.count(cell) == starts and not (not self.prefix and PREFIXED_CELL.search(data)):
            extent.cells += starts
            if not starts:
                return
            rows = max(map(int, re.findall(re.escape(cell) + rb' r="[A-Z]{1,7}(\d{1,10})"', data)))
            columns = max(map(column_number, set(re.findall(re.escape(cell) + rb' r="([A-Z]{1,7})', data))))
            if rows * columns <= MAX_CELLS:
                extent.rows, extent.columns = max(extent.rows, rows), max(extent.columns, columns)
                self.row = rows  # (for a walk that may follow: where the chunk's last row is)
                return
            extent.cells -= starts  # a cell that far: is it a value, or only a style? Carefully:
        cells = len(CELL_TAG.findall(data))
        extent.cells += cells
        if len(CELL_REF.findall(data)) < cells:
            self._walk(data, extent)
            return
        refs = VALUED_CELL.findall(data)
        if refs:
            extent.rows = max(extent.rows, max(int(row) for _col, row in refs))
            extent.columns = max(extent.columns, max(column_number(col) for col in {col for col, _row in refs}))
        if row_refs := ROW_REF.findall(data[data.rfind(b"<" + self.prefix + b"row "):]):
            self.row = int(row_refs[-1])

    def _walk(self, data: bytes, extent: Extent) -> None:
        for tag in TAG.finditer(data):
            element, reference = tag.group(1), REFERENCE.search(tag.group(0))
            if element == b"row":
                self.row = int(reference.group(2)) if reference else self.row + 1
                self.column = 0
                continue
            if reference and reference.group(1):
                self.column = column_number(reference.group(1))
                self.row = int(reference.group(2))
            else:
                self.column += 1
            extent.rows, extent.columns = max(extent.rows, self.row), max(extent.columns, self.column)


"""Hostile and oversized ledger files: refused before they are read, in bounded memory, by the
command line and the upload page alike; the page's preview and import as background jobs; the
uploads deleted; SQLite's write-ahead log."""

import csv
import zipfile

import pytest
import xlsxwriter
from django.core.management import CommandError, call_command

from keyprojects.ledgers import extent
from keyprojects.ledgers.reader import LedgerFileError, read

pytestmark = pytest.mark.django_db

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
FAR = "1,048,576 行 × 16,384 列"


def workbook(path, sheet_xml, sheet_target="worksheets/sheet1.xml"):
    """A workbook of one sheet, ``sheet_xml``, zipped by hand: no library writes a hostile file."""
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
            '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            f'main+xml"/><Override PartName="/xl/{sheet_target}" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId1" Type="{relationships}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{relationships}"><sheets>'
            '<sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId1" Type="{relationships}/worksheet" '
            f'Target="{sheet_target}"/></Relationships>'),
        f"xl/{sheet_target}": sheet_xml,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def sheet(rows, dimension=None, prefix=""):
    """A worksheet's XML: ``rows`` is the XML of <sheetData>'s rows, the prefix-less tags given
    the namespace ``prefix`` if one is asked for."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    if prefix:
        rows = rows.replace("<", f"<{p}").replace(f"<{p}/", f"</{p}")
    declared = f'<{p}dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet {xmlns}>{declared}<{p}sheetData>{rows}'
            f'</{p}sheetData></{p}worksheet>')


TITLE = '<row r="1"><c r="A1" t="inlineStr"><is><t>项目名称</t></is></c></row>'


def refused(path, name=None):
    with pytest.raises(LedgerFileError) as caught:
        read(path, name)
    return str(caught.value)


def test_a_sheet_holding_a_value_at_xfd1048576_is_refused_before_calamine_reads_it(tmp_path):
    path = workbook(tmp_path / "far.xlsx", sheet(TITLE + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
                                                 dimension="A1"))
    assert path.stat().st_size < 2000  # what would ask calamine for 512 GiB
    message = refused(path)
    assert f"工作表“台账”的范围达 {FAR}" in message and "200,000 行 × 200 列" in message


def test_a_sheet_declaring_the_whole_grid_is_refused(tmp_path):
    path = workbook(tmp_path / "declared.xlsx", sheet(TITLE, dimension="A1:XFD1048576"))
    assert FAR in refused(path)


def test_the_cells_are_found_whatever_the_namespace_prefix_the_tags_or_the_sheets_path(tmp_path):
    far = TITLE + '<row r="1048576"><c s="1"\nr="XFD1048576"><v>1</v></c></row>'  # attributes in any order
    assert FAR in refused(workbook(tmp_path / "prefixed.xlsx", sheet(far, prefix="x")))
    assert FAR in refused(workbook(tmp_path / "elsewhere.xlsx", sheet(far), sheet_target="data/one.xml"))
    assert FAR in refused(workbook(tmp_path / "renamed.xls", sheet(far)))  # a zip is a workbook, whatever its name


def test_cells_without_references_are_placed_one_after_another(tmp_path):
    wide = "<row>" + "<c><v>1</v></c>" * 300 + "</row>"  # cells and rows may leave their place out
    small = workbook(tmp_path / "small.xlsx", sheet(wide + "<row><c><v>2</v></c></row>"))
    assert [(e.rows, e.columns, e.cells) for e in extent.xlsx_extents(small)] == [(2, 300, 301)]
    assert len(read(small)[0].rows[0]) == 300
    far = workbook(tmp_path / "far.xlsx", sheet(wide + '<row r="200000"><c><v>2</v></c></row>'))
    assert "200,000 行 × 300 列" in refused(far)


def test_a_far_cell_holding_only_a_style_is_no_reason_to_refuse(tmp_path):
    """calamine leaves out a cell without a value: formatting far away costs nothing."""
    styled = TITLE + '<row r="1048576"><c r="XFD1048576" s="1"/><c r="XFC1048576" s="1"></c></row>'
    path = workbook(tmp_path / "styled.xlsx", sheet(styled))
    assert [(e.rows, e.columns) for e in extent.xlsx_extents(path)] == [(1, 1)]
    assert read(path)[0].rows == [["项目名称"]]


def test_a_long_narrow_ledger_is_measured_exactly_and_read(tmp_path):
    path = tmp_path / "long.xlsx"
    book = xlsxwriter.Workbook(str(path))
    worksheet = book.add_worksheet("台账")
    worksheet.write_row(0, 0, ["序号", "项目名称", "总投资"])
    for r in range(1, 3000):
        worksheet.write_row(r, 0, [r, f"项目{r}", 1.5])
    book.close()
    assert [(e.sheet, e.rows, e.columns, e.cells) for e in extent.xlsx_extents(path)] == [("台账", 3000, 3, 9000)]
    assert len(read(path)[0].rows) == 3000


def test_a_workbook_unpacking_beyond_the_limit_is_refused(tmp_path, monkeypatch):
    path = workbook(tmp_path / "bomb.xlsx", sheet(TITLE + "<row><c><v>0</v></c></row>" * 5000))
    monkeypatch.setattr(extent, "MAX_UNPACKED", 100_000)  # (a real one of 1 GiB is slow to build)
    assert refused(path).startswith("文件解压后达")


def test_a_csv_beyond_the_limits_is_refused(tmp_path):
    path = tmp_path / "wide.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["项目名称"] + [""] * 16383)  # a row reaching column XFD
        writer.writerows([[f"项目{r}", "1"] for r in range(2500)])
    assert "工作表“wide”的范围达 2,501 行 × 16,384 列" in refused(path)


def test_the_command_line_refuses_a_hostile_file_with_the_same_message(cast, tmp_path):
    path = workbook(tmp_path / "far.xlsx", sheet(TITLE + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'))
    with pytest.raises(CommandError, match=FAR):
        call_command("import_ledger", str(path), year=2023, region="葫芦岛市")

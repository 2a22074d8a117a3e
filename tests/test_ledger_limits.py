"""Hostile and oversized ledger files: refused before they are read, in bounded memory, by the
command line and the upload page alike; the page's preview and import as background jobs; the
uploads deleted; SQLite's write-ahead log."""

import csv
import gc
import zipfile

import pytest
import xlsxwriter
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import ConnectionHandler
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from test_jobs import claimed, dead_pid, this_host
from test_ledgers import DATABASE_QUEUE, ledger_rows, write_csv, write_xlsx

from keyprojects.accounts.models import Leader, Unit
from keyprojects.core.audit import Source, audit_context
from keyprojects.ledgers import extent, importer
from keyprojects.ledgers.importer import Importer, ImportFailed, LedgerRow, import_ledger
from keyprojects.ledgers.reader import LedgerFileError, read
from keyprojects.projects.models import Project

pytestmark = pytest.mark.django_db

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
FAR = "1,048,576 行 × 16,384 列"
HOUSING = "连山区钢屯镇老旧小区改造工程"  # a project the test ledger creates


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
    assert list(read(path)[0].rows) == [["项目名称"]]


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


def test_the_upload_page_refuses_a_hostile_file_with_the_same_message(cast, client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = workbook(tmp_path / "far.xlsx", sheet(TITLE + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'))
    client.force_login(cast.admin)
    with path.open("rb") as f:
        response = client.post("/ledgers/import/", {"file": f, "year": 2023, "region": cast.city.pk})
    page = response.content.decode()
    assert "无法预览" in page and f"工作表“台账”的范围达 {FAR}" in page and not response.context["can_confirm"]
    assert not list((tmp_path / "media" / "ledger_uploads").iterdir())  # a refused upload is deleted at once


# --- the preview as a job; the uploads deleted ---------------------------------------------------
def uploads(tmp_path):
    return sorted(p.name for p in (tmp_path / "media" / "ledger_uploads").iterdir())


def preview(client, path, region):
    with path.open("rb") as f:
        return client.post("/ledgers/import/", {"file": f, "year": 2023, "region": region.pk})


def test_an_upload_is_kept_from_its_preview_to_its_import_and_deleted_after(cast, client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(cast.admin)
    response = preview(client, write_xlsx(tmp_path / "ledger.xlsx", ledger_rows()), cast.city)
    assert response.context["can_confirm"] and len(uploads(tmp_path)) == 1  # kept for the import
    page = client.post("/ledgers/import/", {"confirm": response.context["token"]})
    assert "新增 2 个、更新 1 个" in page.content.decode() and uploads(tmp_path) == []


def test_an_upload_whose_job_fails_is_deleted_too(cast, client, tmp_path, settings, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(cast.admin)
    ledger = write_xlsx(tmp_path / "ledger.xlsx", ledger_rows())

    def broken(self, path, name=None):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(Importer, "run", broken)
    response = preview(client, ledger, cast.city)
    assert "预览出错：磁盘已满" in response.content.decode() and not response.context["can_confirm"]
    assert uploads(tmp_path) == []
    monkeypatch.undo()

    response = preview(client, ledger, cast.city)
    monkeypatch.setattr(Importer, "run", broken)
    page = client.post("/ledgers/import/", {"confirm": response.context["token"]})
    assert "导入出错：磁盘已满" in page.content.decode() and ">重试</button>" not in page.content.decode()
    assert uploads(tmp_path) == [] and not Project.objects.filter(name=HOUSING).exists()


def test_only_the_latest_preview_may_be_confirmed_and_only_once(cast, client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(cast.admin)
    ledger = write_xlsx(tmp_path / "ledger.xlsx", ledger_rows())
    older, newer = preview(client, ledger, cast.city), preview(client, ledger, cast.city)
    stale = client.post("/ledgers/import/", {"confirm": older.context["token"]}).content.decode()
    assert "已有更新的预览" in stale and not Project.objects.filter(name=HOUSING).exists()
    assert "新增 2 个" in client.post("/ledgers/import/", {"confirm": newer.context["token"]}).content.decode()
    again = client.post("/ledgers/import/", {"confirm": newer.context["token"]}).content.decode()
    assert "已确认过" in again
    client.force_login(cast.lianshan_clerk)
    assert client.post("/ledgers/import/", {"confirm": newer.context["token"]}).status_code == 404  # not theirs
    assert client.get(f"/ledgers/import/previews/{newer.context['token']}/").status_code == 404


def test_a_preview_waits_for_the_worker_and_its_page_polls_until_it_ends(committed_db, cast, client, tmp_path,
                                                                      settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = DATABASE_QUEUE
    client.force_login(cast.admin)
    response = preview(client, write_xlsx(tmp_path / "ledger.xlsx", ledger_rows()), cast.city)
    token = response.context["token"]
    assert DBTaskResult.objects.get(id=token).status == TaskResultStatus.READY  # the request only enqueued
    card = client.get(f"/ledgers/import/previews/{token}/", headers={"HX-Request": "true"}).content.decode()
    assert "正在预览" in card and 'hx-trigger="every 1s"' in card and "确认导入" not in card
    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)
    card = client.get(f"/ledgers/import/previews/{token}/", headers={"HX-Request": "true"}).content.decode()
    assert "预览结果（尚未写入）" in card and "hx-trigger" not in card and f'value="{token}"' in card
    assert not Project.objects.filter(name=HOUSING).exists()


def test_a_preview_whose_worker_died_may_be_run_again_and_then_confirmed(committed_db, cast, client, tmp_path,
                                                                        settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = DATABASE_QUEUE
    client.force_login(cast.admin)
    dead = preview(client, write_xlsx(tmp_path / "ledger.xlsx", ledger_rows()), cast.city).context["token"]
    claimed(dead, this_host(dead_pid()))  # a worker took it, then was killed: its file is kept
    card = client.get(f"/ledgers/import/previews/{dead}/", headers={"HX-Request": "true"}).content.decode()
    assert "预览中断：处理任务的后台进程已停止，可重试" in card and ">重试</button>" in card
    response = client.post(f"/ledgers/import/jobs/{dead}/retry/")
    again = DBTaskResult.objects.exclude(id=dead).get()
    assert response["Location"] == f"/ledgers/import/previews/{again.id}/"
    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)
    assert client.get(response["Location"]).context["can_confirm"]
    assert "已有更新的预览" in client.post("/ledgers/import/", {"confirm": dead}).content.decode()
    client.post("/ledgers/import/", {"confirm": str(again.id)})
    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)
    assert Project.objects.filter(name=HOUSING).exists() and uploads(tmp_path) == []


# --- SQLite: readers go on while a long import writes -------------------------------------------
@pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3", reason="SQLite only")
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_a_writer_blocks_no_reader(tmp_path):
    """The settings' SQLite options, on a database file (the tests' own database is in memory,
    where there is no write-ahead log): two connections as Django opens them, one writing in a
    transaction begun as the settings begin it while the other reads."""
    handler = ConnectionHandler({"default": {**settings.DATABASES["default"], "NAME": str(tmp_path / "kp.sqlite3")}})
    backend = handler["default"]
    writer, reader = (backend.get_new_connection(backend.get_connection_params()) for _ in range(2))
    try:
        assert writer.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert writer.execute("PRAGMA busy_timeout").fetchone() == (20_000,)
        writer.execute("CREATE TABLE ledger (name TEXT)")
        writer.execute("INSERT INTO ledger VALUES ('葫芦岛连石化工')")
        writer.commit()
        reader.execute("BEGIN")
        assert reader.execute("SELECT name FROM ledger").fetchall() == [("葫芦岛连石化工",)]  # (a page, reading)
        writer.execute(f"BEGIN {backend.transaction_mode}")  # IMMEDIATE: the write lock, from the start
        writer.execute("INSERT INTO ledger VALUES ('绥中四方台风电')")
        writer.commit()  # without the log, this would wait for the reader, then fail: "database is locked"
        assert reader.execute("SELECT count(*) FROM ledger").fetchone() == (1,)  # the reader's snapshot
        reader.commit()
        assert reader.execute("SELECT count(*) FROM ledger").fetchone() == (2,)
    finally:
        writer.close()
        reader.close()


def test_a_new_leader_named_in_two_counties_is_created_once(cast, tmp_path):
    """(Found measuring a 300,000-row ledger: the second county's made a second leader of the
    same name in the city, and the import crashed on the unique name.)"""
    body = [[1, "连山区新官测试项目", "", "连山区", "新建", "新能源", "", 1, 100, 0, "", "否", "", "", "孙新官", "", ""],
            [2, "绥中县新官测试项目", "", "绥中县", "新建", "新能源", "", 1, 100, 0, "", "否", "", "", "孙新官", "", ""]]
    result = import_ledger(None, write_csv(tmp_path / "leaders.csv", body, "utf-8"), 2023, region=cast.city)
    assert result.created == 2 and result.leaders_created == ["孙新官"]
    leader = Leader.objects.get(name="孙新官")
    assert set(Project.objects.filter(leaders=leader).values_list("name", flat=True)) == {"连山区新官测试项目", "绥中县新官测试项目"}


def test_new_units_and_leaders_are_written_in_bulk_each_with_its_history_row(cast, tmp_path):
    body = [[1, "連山區新廠測試項目", "", "连山区", "新建", "新能源", "", 1, 100, 0, "", "否", "", "", "孙新官", "葫芦岛新廠實業有限公司", ""],
            [2, "绥中县新厂测试项目", "", "绥中县", "新建", "新能源", "", 1, 100, 0, "", "否", "", "", "孙新官", "绥中新厂有限公司", ""]]
    with audit_context(Source.IMPORT, user=cast.admin, detail="台账"):
        result = import_ledger(cast.admin, write_csv(tmp_path / "units.csv", body, "utf-8"), 2023, region=cast.city)
    assert result.units_created == ["葫芦岛新厂实业有限公司", "绥中新厂有限公司"]  # simplified, as Unit.save does
    for obj in [*Unit.objects.filter(name__in=result.units_created), Leader.objects.get(name="孙新官")]:
        record = obj.history.get()
        assert (record.history_type, record.history_source, record.history_user) == ("+", "import", cast.admin)
    owner = Project.objects.get(name="绥中县新厂测试项目").owner
    assert (owner.name, owner.region) == ("绥中新厂有限公司", cast.suizhong)


def project_row(n, county, total="1", plan=100, owner=""):
    return [n, f"{county}分块测试项目{n}", "", county, "新建", "新能源", "", total, plan, 0, "", "否", "", "", "", owner, ""]


def live_ledger_rows():
    return sum(1 for obj in gc.get_objects() if type(obj) is LedgerRow)  # (isinstance would wake lazy objects)


def test_a_written_chunk_of_rows_is_let_go_before_the_next_is_read(cast, tmp_path, monkeypatch):
    """(A 300,000-row ledger kept every row, its cells and its new project to the end: 2.4 GB.)"""
    monkeypatch.setattr(importer, "CHUNK", 2)
    body = [project_row(n, "连山区" if n % 2 else "绥中县", owner=f"分块第{n}实业有限公司") for n in range(1, 8)]
    alive = []
    result = import_ledger(None, write_csv(tmp_path / "chunks.csv", body, "utf-8"), 2023, region=cast.city,
                           progress=lambda done, total: alive.append((done, total, live_ledger_rows())))
    assert result.created == 7 and len(result.units_created) == 7 and Project.objects.filter(name__contains="分块").count() == 7
    # After each chunk of two rows: at most the one the reader stands on (the old importer held them all).
    assert max(n for _done, _total, n in alive) <= 1
    assert [(done, total) for done, total, _n in alive] == [(0, 7), (2, 7), (4, 7), (6, 7), (7, 7)]


def test_a_row_naming_a_project_of_an_earlier_chunk_finds_it_in_the_database(cast, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 2)
    body = [project_row(1, "连山区", owner="分块甲实业有限公司"), project_row(2, "连山区"), project_row(3, "连山区"),
            project_row(1, "连山区", total="2", owner="分块甲实业有限公司")]
    result = import_ledger(None, write_csv(tmp_path / "again.csv", body, "utf-8"), 2023, region=cast.city)
    assert (result.created, result.updated, result.units_created) == (3, 1, ["分块甲实业有限公司"])
    assert [(c["project"], c["changes"]) for c in result.changes] == [("连山区分块测试项目1", [["总投资（万元）", "10,000", "20,000"]])]
    project = Project.objects.get(name="连山区分块测试项目1")
    assert (project.total_investment, project.owner.name, Unit.objects.filter(name="分块甲实业有限公司").count()) == (20000, "分块甲实业有限公司", 1)


def test_a_total_is_checked_against_every_chunk_of_the_rows_it_sums(cast, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 2)
    rows = [project_row(n, "连山区") for n in range(1, 6)]
    total = ["", "合计", "", "", "", "", "", "5", 500, 0, "", "", "", "", "", "", ""]
    assert import_ledger(None, write_csv(tmp_path / "sum.csv", [total, *rows], "utf-8"), 2023, region=cast.city).created == 5
    total[8] = 400
    with pytest.raises(ImportFailed) as failed:
        import_ledger(None, write_csv(tmp_path / "wrong.csv", [total, *rows], "utf-8"), 2023, region=cast.city, dry_run=True)
    assert [(p.row, p.message) for p in failed.value.result.problems] == [
        (5, "合计年度计划投资 400 万元与明细合计 500 万元不符，相差 -100 万元")]


def test_a_csv_is_read_from_the_file_as_its_rows_are_walked(tmp_path):
    body = [project_row(n, "连山区") for n in range(1, 101)]
    rows = read(write_csv(tmp_path / "long.csv", body, "gb18030"))[0].rows
    assert not isinstance(rows, list) and len(rows) == 104
    everything = list(rows)
    assert everything == list(rows) and len(everything) == 104  # walked again, from the file
    assert (rows[0], rows[-1], rows[60], rows[2:5], rows[50:53]) == (
        everything[0], everything[-1], everything[60], everything[2:5], everything[50:53])
    assert rows[60][1] == "连山区分块测试项目57"


def test_a_workbooks_rows_are_read_from_calamine_as_they_are_walked_from_a1(tmp_path):
    """calamine keeps the sheet's cells; Python holds a row at a time. Its rows begin at the first
    used column: the columns left of it are put back, as a ledger's column letters count from A."""
    path = tmp_path / "offset.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("台账")
    sheet.write(2, 1, "连山区2023年重点项目")
    for n in range(1, 61):
        sheet.write_row(3 + n, 2, [n, f"连山区项目{n}", 1000 * n])
    book.close()
    rows = read(path)[0].rows
    assert not isinstance(rows, list) and len(rows) == 64
    everything = list(rows)
    assert everything == list(rows)  # walked again
    assert everything[2][:2] == ["", "连山区2023年重点项目"]
    assert rows[63][2:5] == [60, "连山区项目60", 60000] and rows[10][:2] == ["", ""]

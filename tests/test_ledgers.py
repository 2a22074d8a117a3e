"""Importing the ledgers people really keep: messy layouts, formats, encodings, every error."""

import json
import shutil
import uuid
from datetime import date
from decimal import Decimal
from urllib.parse import unquote

import pytest
import xlsxwriter
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from keyprojects.accounts.models import Leader, Unit
from keyprojects.core import jobs
from keyprojects.core.money import format_wan
from keyprojects.core.validation import validate
from keyprojects.ledgers import cells
from keyprojects.ledgers.importer import NEW_PROJECT, Importer, ImportFailed, import_ledger
from keyprojects.ledgers.tasks import import_upload, upload_path
from keyprojects.projects.models import AnnualPlan, Project
from keyprojects.regions.models import Region
from keyprojects.reporting.models import ProgressReport

pytestmark = pytest.mark.django_db

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # the jobs as in production

HEADER_TOP = ["序号", "项目名称", "项目代码", "所在县区", "建设性质", "行业领域", "建设内容及规模", "总投资（亿元）",
              "2023年度", "", "开累完成投资", "是否开复工", "开复工时间", "责任单位", "包抓领导", "业主单位", "备注"]
HEADER_SUB = ["", "", "", "", "", "", "", "", "计划投资", "1-5月完成投资", "", "", "", "", "", "", ""]
# rows: (seq, name, code, county, nature, sector, scope, total 亿元, plan 万元, ytd 万元, since 万元, started, date,
#        responsible, leader, owner, note)
LIANSHAN = [
    (1, "葫芦岛连石化工年产3.5万吨苯二胺项目", "2022-211402-26-03-000101", "", "续建", "精细化工", "苯二胺装置",
     1.2, 3000, "1,200", 9000, "是", "2023年3月15日", "葫芦岛市工业和信息化局", "王建国", "葫芦岛连石化工有限责任公司", ""),
    (2, "连山区钢屯镇老旧小区改造工程", "", "", "新开工", "社会民生", "改造 12 万平方米", "０.５", "2000", 500, 500, "√",
     "2023.4.1", "连山区人民政府", "", "", "注意"),
]
SUIZHONG = [
    (1, "绥中四方台风电项目", "2022-211421-44-01-000102", "", "新建", "新能源", "风机 20 台", 4, "1.5亿", "3000万元",
     "3000", "已开工", "4月20日", "", "李振华、王建国", "葫芦岛渤海风电有限公司", ""),
]


def ledger_rows(lianshan=LIANSHAN, suizhong=SUIZHONG):
    """The body of a messy ledger: sections (one in Traditional), a 合计 row, subtotals, spacers."""
    def total(rows, i):
        def value(cell):
            try:
                return cells.amount(cell) or 0
            except cells.CellError:
                return 0
        return sum(value(r[i]) * (10000 if i == 7 else 1) for r in rows)

    everything = lianshan + suizhong
    body = [["", "合计", "", "", "", "", "", float(total(everything, 7) / 10000), float(total(everything, 8)),
             float(total(everything, 9)), "", "", "", "", "", "", ""]]
    body.append(["一、連山區（2个）", "", "", "", "", "", "", float(total(lianshan, 7) / 10000), "", "", "", "", "", "",
                 "", "", ""])
    body += [list(r) for r in lianshan]
    body.append([""] * 17)
    body.append(["（二）绥中县", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""])
    body += [list(r) for r in suizhong]
    body.append(["", "小计", "", "", "", "", "", float(total(suizhong, 7) / 10000), float(total(suizhong, 8)), "", "", "",
                 "", "", "", "", ""])
    body.append(["注：本表金额除注明外单位为万元。", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""])
    return body


def write_xlsx(path, body, header=True):
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("2023年重点项目")
    sheet.merge_range(0, 0, 0, 16, "葫芦岛市2023年重点项目推进情况表")
    sheet.write(1, 0, "填报单位：葫芦岛市发展和改革委员会")
    sheet.write(1, 14, "单位：万元")
    if header:
        for c, value in enumerate(HEADER_TOP):
            if c in (8, 9):
                continue
            if HEADER_SUB[c] == "":
                sheet.merge_range(2, c, 3, c, value)
        sheet.merge_range(2, 8, 2, 9, "2023年度")
        sheet.write(3, 8, "计划投资")
        sheet.write(3, 9, "1-5月完成投资")
    for r, row in enumerate(body, start=4):
        for c, value in enumerate(row):
            if value != "":
                sheet.write(r, c, value)
    workbook.close()
    return path


def write_csv(path, body, encoding):
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["葫芦岛市2023年重点项目推进情况表"])
    writer.writerow(["单位：万元"])
    writer.writerow(HEADER_TOP)
    writer.writerow(HEADER_SUB)
    writer.writerows(body)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@pytest.fixture
def city(cast):
    return cast.city


def stats(region, as_of):
    from io import StringIO

    out = StringIO()
    call_command("stats", region=region, year=2023, as_of=as_of, json=True, stdout=out)
    return json.loads(out.getvalue())


def test_messy_xlsx_imports_exactly(cast, tmp_path, capsys):
    path = write_xlsx(tmp_path / "ledger.xlsx", ledger_rows())
    call_command("import_ledger", str(path), year=2023, region="葫芦岛市")
    out = capsys.readouterr().out
    assert "新增 2 个，更新 1 个" in out and "列对应关系" in out and "备注" in out  # 绥中四方台 was already in the library
    lianshan = Project.objects.get(name="葫芦岛连石化工年产3.5万吨苯二胺项目")
    assert lianshan.region == cast.lianshan and lianshan.total_investment == Decimal("12000")
    plan = AnnualPlan.objects.get(project=lianshan, year=2023)
    assert plan.nature == "continuing" and plan.planned_investment == 3000 and plan.prior_completed == Decimal("7800")
    assert plan.started and plan.started_on == date(2023, 3, 15)
    wind = Project.objects.get(name="绥中四方台风电项目")
    assert wind.region == cast.suizhong and wind.total_investment == Decimal("40000")
    assert AnnualPlan.objects.get(project=wind, year=2023).planned_investment == Decimal("15000")  # "1.5亿" in a 万元 column
    assert AnnualPlan.objects.get(project=wind, year=2023).started_on == date(2023, 4, 20)  # "4月20日" with --year
    assert {leader.name for leader in wind.leaders.all()} == {"李振华", "王建国"}
    assert Leader.objects.filter(name="李振华").exists()  # created, listed in the summary
    assert Unit.objects.filter(name="葫芦岛渤海风电有限公司").exists()
    # the ledger's year-to-date figures stand as approved reports as of the header's "1-5月"
    payload = stats("葫芦岛市", "2023-05-31")
    assert payload["plan"] == {"count": 3, "total_investment": "57000", "annual_plan": "20000"}
    assert payload["completed_investment"] == "4700"
    assert payload["started_or_resumed"]["count"] == 3
    assert payload["new_planned"]["count"] == 2 and payload["continuing_planned"]["count"] == 1
    # the summary's totals are the imported figures, exact, with thousands separators
    assert "导入合计：3 个项目，总投资 57,000 万元，年度计划 20,000 万元，本年完成 4,700 万元" in out


def test_second_import_of_the_same_file_changes_nothing(cast, tmp_path):
    path = write_xlsx(tmp_path / "ledger.xlsx", ledger_rows())
    import_ledger(None, path, 2023, region=Region.objects.find("葫芦岛市"))
    before = (Project.history.count(), AnnualPlan.history.count(), ProgressReport.history.count(),
              Unit.objects.count(), Leader.objects.count())
    result = import_ledger(None, path, 2023, region=Region.objects.find("葫芦岛市"))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    after = (Project.history.count(), AnnualPlan.history.count(), ProgressReport.history.count(),
             Unit.objects.count(), Leader.objects.count())
    assert after == before


def test_the_queries_of_an_import_do_not_grow_with_its_rows(cast, tmp_path, django_assert_num_queries):
    """Rows are looked up, validated and written a chunk at a time: a query per row (say a
    plan's project read back after the bulk write) would make a province's ledger crawl."""
    def ledger(n: int):
        template = LIANSHAN[1]
        rows = [(i + 1, f"连山区老旧小区改造工程（第{i + 1}批）", *template[2:]) for i in range(n)]
        return write_xlsx(tmp_path / f"ledger{n}.xlsx", ledger_rows(lianshan=rows, suizhong=[]))

    def queries(n: int) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert import_ledger(None, ledger(n), 2023, region=cast.city, dry_run=True).created == n
        return len(captured)

    assert queries(3) == queries(30)


def test_reimport_checks_an_unchanged_plan_against_its_changed_project(cast, tmp_path):
    """A plan the file leaves as it is is not checked again, unless its project changed: a
    total cut below the plan is refused on the second import."""
    import_ledger(None, write_xlsx(tmp_path / "ledger.xlsx", ledger_rows()), 2023, region=Region.objects.find("葫芦岛市"))
    problems = problems_of(tmp_path, ledger_rows(lianshan=rows_with(1, 7, "0.15")))
    assert len(problems) == 1 and "超过了剩余投资" in problems[0] and "第8行" in problems[0], problems
    assert Project.objects.get(name="连山区钢屯镇老旧小区改造工程").total_investment == 5000


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_any_chinese_encoding(cast, tmp_path, encoding):
    path = write_csv(tmp_path / "ledger.csv", ledger_rows(), encoding)
    result = import_ledger(None, path, 2023, region=Region.objects.find("葫芦岛市"))
    assert (result.created, result.updated) == (2, 1)
    assert Project.objects.get(name="绥中四方台风电项目", region=cast.suizhong).total_investment == 40000


def problems_of(tmp_path, body, **options):
    path = write_xlsx(tmp_path / "bad.xlsx", body)
    with pytest.raises(ImportFailed) as failed:
        import_ledger(None, path, 2023, region=Region.objects.find("葫芦岛市"), **options)
    return [str(p) for p in failed.value.result.problems]


def rows_with(index, column, value):
    rows = [list(r) for r in LIANSHAN]
    rows[index][column] = value
    return rows


@pytest.mark.parametrize(("column", "value", "message", "excel_row"), [
    (7, "待定", "不是金额", 7),
    (8, "20000", "超过了剩余投资", 7),
    (12, "2023年13月", "不是有效日期", 7),
    (11, "也许", "不是“是/否”", 7),
    (4, "改建", "建设性质应为", 7),
    (2, "2023-2114-1", "项目代码格式不正确", 7),
    (3, "不存在县", "找不到", 7),
])
def test_each_bad_cell_is_reported_with_row_and_column_and_nothing_saved(cast, tmp_path, column, value, message,
                                                                        excel_row):
    body = ledger_rows(lianshan=rows_with(0, column, value))
    if column == 7:  # keep the 合计/小计 rows out of it: only the bad cell is wrong
        body[0][7] = body[1][7] = ""
    problems = problems_of(tmp_path, body)
    assert any(message in p and f"第{excel_row}行" in p for p in problems), problems
    assert not Project.objects.filter(name="葫芦岛连石化工年产3.5万吨苯二胺项目").exists()
    assert Project.objects.count() == 3  # only the cast's own projects


def test_a_row_with_amounts_and_no_name(cast, tmp_path):
    rows = rows_with(1, 1, "")
    problems = problems_of(tmp_path, ledger_rows(lianshan=rows))
    assert any("有金额但没有项目名称" in p and "第8行" in p for p in problems)


def test_total_row_that_disagrees_says_by_how_much(cast, tmp_path):
    body = ledger_rows()
    body[0][8] = 99999.0  # 合计 annual plan
    problems = problems_of(tmp_path, body)
    assert any("合计年度计划投资 99999 万元与明细合计 20000 万元不符，相差 79999 万元" in p for p in problems), problems


def test_subtotal_that_disagrees(cast, tmp_path):
    body = ledger_rows()
    body[-2][8] = 1.0  # 小计 of 绥中县
    problems = problems_of(tmp_path, body)
    assert any("小计年度计划投资" in p and "第12行" in p for p in problems), problems


def test_error_on_the_last_row_leaves_the_database_as_it_was(cast, tmp_path):
    rows = [list(r) for r in SUIZHONG]
    rows[0][7] = "abc"
    body = ledger_rows(suizhong=rows)
    body[0][7] = ""
    body[-2][7] = ""
    before = Project.objects.count(), Unit.objects.count(), Leader.objects.count(), Project.history.count()
    problems_of(tmp_path, body)
    assert (Project.objects.count(), Unit.objects.count(), Leader.objects.count(), Project.history.count()) == before


def test_skip_invalid_imports_the_valid_rows(cast, tmp_path):
    rows = rows_with(1, 7, "待定")
    body = ledger_rows(lianshan=rows)
    body[0][7] = body[1][7] = ""
    path = write_xlsx(tmp_path / "bad.xlsx", body)
    result = import_ledger(None, path, 2023, region=Region.objects.find("葫芦岛市"), skip_invalid=True)
    assert (result.created + result.updated, result.skipped) == (2, 1)
    assert any("不是金额" in str(p) for p in result.problems)


def test_dry_run_writes_nothing(cast, tmp_path):
    path = write_xlsx(tmp_path / "ledger.xlsx", ledger_rows())
    result = import_ledger(None, path, 2023, region=Region.objects.find("葫芦岛市"), dry_run=True)
    assert result.created == 2 and result.dry_run
    assert not Project.objects.filter(name="连山区钢屯镇老旧小区改造工程").exists()
    assert Project.objects.get(name="绥中四方台风电项目").total_investment == 80000  # unchanged


def test_garbled_text_shows_the_likely_original(cast, tmp_path):
    rows = [list(r) for r in SUIZHONG]
    rows[0][1] = "绥中风电项目".encode().decode("gbk")  # UTF-8 read as GBK: 缁ヤ腑椋庣數椤圭洰
    problems = problems_of(tmp_path, ledger_rows(suizhong=rows))
    assert any("疑似乱码" in p and "“绥中风电项目”" in p and "第11行" in p for p in problems), problems


def test_fix_encoding_accepts_the_repair(cast, tmp_path):
    original = "连山区钢屯镇老旧小区改造工程"
    garbled = original.encode("utf-8").decode("latin-1")
    rows = rows_with(1, 1, garbled)
    path = write_xlsx(tmp_path / "ledger.xlsx", ledger_rows(lianshan=rows))
    import_ledger(None, path, 2023, region=Region.objects.find("葫芦岛市"), fix_encoding=True)
    assert Project.objects.filter(name=original).exists()


def test_command_exits_non_zero_and_lists_problems_in_english(cast, tmp_path, capsys):
    body = ledger_rows(lianshan=rows_with(0, 7, "待定"))
    body[0][7] = body[1][7] = ""
    path = write_xlsx(tmp_path / "bad.xlsx", body)
    with pytest.raises(CommandError):
        call_command("import_ledger", str(path), year=2023, region="葫芦岛市")
    assert "不是金额" in capsys.readouterr().out


@pytest.mark.parametrize(("value", "expected"), [
    ("１２０００", Decimal("12000")), ("12,000.5", Decimal("12000.5")), (" 3000万元 ", Decimal("3000")),
    ("1.2亿", Decimal("12000")), ("5000000元", Decimal("500")), (12000.0, Decimal("12000")), ("", None),
])
def test_amounts(value, expected):
    assert cells.amount(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2023年3月15日", date(2023, 3, 15)), ("2023年3月", date(2023, 3, 1)), ("2023.3.15", date(2023, 3, 15)),
    ("2023/03/15", date(2023, 3, 15)), ("3月15日", date(2023, 3, 15)), ("2023-03", date(2023, 3, 1)),
    (date(2023, 5, 2), date(2023, 5, 2)),
])
def test_dates(value, expected):
    assert cells.day(value, 2023) == expected


@pytest.mark.parametrize(("value", "expected"), [("是", True), ("√", True), ("已开复工", True), ("否", False),
                                                 ("×", False), ("未开工", False), ("", False)])
def test_yes_no(value, expected):
    assert cells.yes_no(value) is expected


def test_list_download_is_the_ledger_of_the_filtered_projects(cast, client, tmp_path):
    from keyprojects.ledgers.reader import read

    client.force_login(cast.admin)
    response = client.get("/projects/export.xlsx", {"year": 2022, "region": cast.suizhong.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    path = tmp_path / "download.xlsx"
    path.write_bytes(response.content)
    rows = read(path)[0].rows
    names = [r[1] for r in rows]
    assert "绥中四方台风电项目" in names and "连石化工年产3.5万吨苯二胺项目" not in names
    assert "合计" in names


def test_county_clerk_download_holds_only_the_county(cast, client, tmp_path):
    from keyprojects.ledgers.reader import read

    client.force_login(cast.lianshan_clerk)
    response = client.get("/projects/export.xlsx", {"year": 2022})
    path = tmp_path / "download.xlsx"
    path.write_bytes(response.content)
    names = [r[1] for r in read(path)[0].rows]
    assert "连石化工年产3.5万吨苯二胺项目" in names and "绥中四方台风电项目" not in names


def test_export_command_writes_ledger_and_indicator_table(cast, tmp_path):
    from keyprojects.ledgers.reader import read

    call_command("export_ledger", region="葫芦岛市", year=2022, as_of="2022-06-05", output=str(tmp_path / "l.xlsx"))
    call_command("export_ledger", region="葫芦岛市", year=2022, as_of="2022-06-05", output=str(tmp_path / "i.xlsx"),
                 indicators=True)
    ledger = read(tmp_path / "l.xlsx")[0].rows
    assert ledger[0][0] == "葫芦岛市2022年重点项目推进情况表" and ledger[4][1] == "合计"
    assert ledger[4][7] == 132000.0  # 连山 52000 + 绥中 80000 万元, written as numbers
    indicators = read(tmp_path / "i.xlsx")[0].rows
    assert {r[1] for r in indicators[2:4]} == {"绥中县", "连山区"}
    # the city's own row under the counties: its count and amounts their sums
    assert indicators[4][1] == "全市合计" and indicators[4][0] in ("", None)
    assert indicators[4][2] == indicators[2][2] + indicators[3][2]
    assert indicators[4][3] == indicators[2][3] + indicators[3][3]


def test_every_export_prints_landscape_with_its_header_on_each_page(cast, tmp_path):
    """Excel's print setup read back from the file: the paper by the table's width, the header
    rows repeated, one page wide, numbered pages (xl/workbook.xml's print titles, each sheet's
    pageSetup)."""
    import zipfile

    call_command("export_ledger", region="葫芦岛市", year=2022, as_of="2022-06-05", output=str(tmp_path / "l.xlsx"))
    call_command("export_ledger", region="葫芦岛市", year=2022, as_of="2022-06-05", output=str(tmp_path / "i.xlsx"),
                 indicators=True)
    for name, paper, titles in (("l.xlsx", 8, "$3:$4"), ("i.xlsx", 9, "$2:$2")):
        with zipfile.ZipFile(tmp_path / name) as book:
            workbook = book.read("xl/workbook.xml").decode()
            sheet = book.read("xl/worksheets/sheet1.xml").decode()
        assert "_xlnm.Print_Titles" in workbook and titles in workbook
        assert f'paperSize="{paper}"' in sheet and 'orientation="landscape"' in sheet
        assert 'fitToHeight="0"' in sheet
        assert '<pageSetUpPr fitToPage="1"/>' in sheet and "&amp;P" in sheet


def test_upload_page_previews_then_imports(committed_db, cast, client, tmp_path, settings):
    """Through the database's queue and a real worker (a test whose writes commit): the preview
    is a job too, and the request that uploads only stores the file and enqueues."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = DATABASE_QUEUE
    path = write_xlsx(tmp_path / "ledger.xlsx", ledger_rows())
    client.force_login(cast.admin)
    with path.open("rb") as f:
        response = client.post("/ledgers/import/", {"file": f, "year": 2023, "region": cast.city.pk})
    assert response.status_code == 200 and not response.context["can_confirm"]
    assert "排队中，等待后台任务进程开始预览" in response.content.decode()
    preview = f"/ledgers/import/previews/{response.context['token']}/"
    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)
    response = client.get(preview)
    assert response.status_code == 200 and response.context["can_confirm"]
    assert "预览结果" in response.content.decode()
    total = Decimal(response.context["result"]["total_investment"])  # 万元, shown with thousands separators
    shown = f"总投资 {format_wan(total)} 万元"
    assert total >= 1000 and "," in shown and shown in response.content.decode()
    assert not Project.objects.filter(name="连山区钢屯镇老旧小区改造工程").exists()  # a preview writes nothing
    page = client.post("/ledgers/import/", {"confirm": response.context["token"]})
    assert "正在导入" in page.content.decode() and 'hx-trigger="every 1s"' in page.content.decode()
    status = f"/ledgers/import/jobs/{page.context['token']}/"
    assert "正在导入" in client.get(status).content.decode()
    assert "排队中" in client.get(status).content.decode()  # no worker has taken it yet
    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)
    assert DBTaskResult.objects.get(id=page.context["token"]).status == TaskResultStatus.SUCCESSFUL
    card = client.get(status, headers={"HX-Request": "true"}).content.decode()
    assert "新增 2 个、更新 1 个" in card and "hx-trigger" not in card  # the result, and no more polling
    assert shown in card
    project = Project.objects.get(name="连山区钢屯镇老旧小区改造工程")
    record = project.history.earliest("history_date")
    assert record.history_source == "import" and record.history_user == cast.admin
    assert record.history_detail == "上传台账 ledger.xlsx"
    assert not list((tmp_path / "media" / "ledger_uploads").iterdir())  # the stashed upload is gone


def test_upload_page_imports_through_a_job_and_shows_its_result(cast, client, tmp_path, settings):
    """Jobs run at once in tests: the confirmed page shows the result, and so does the job's page."""
    settings.MEDIA_ROOT = tmp_path / "media"
    path = write_xlsx(tmp_path / "ledger.xlsx", ledger_rows())
    client.force_login(cast.admin)
    with path.open("rb") as f:
        preview = client.post("/ledgers/import/", {"file": f, "year": 2023, "region": cast.city.pk})
    assert preview.context["can_confirm"]
    page = client.post("/ledgers/import/", {"confirm": preview.context["token"]})
    assert "导入结果" in page.content.decode() and "新增 2 个、更新 1 个" in page.content.decode()
    card = client.get(f"/ledgers/import/jobs/{page.context['token']}/", headers={"HX-Request": "true"}).content.decode()
    assert "导入结果" in card and "新增 2 个、更新 1 个" in card and "hx-trigger" not in card
    project = Project.objects.get(name="连山区钢屯镇老旧小区改造工程")
    assert project.history.get().history_user == cast.admin
    assert not list((tmp_path / "media" / "ledger_uploads").iterdir())


def stored(path):
    """``path`` stored as the upload page stores a file between preview and import; its name there."""
    target = upload_path(f"{uuid.uuid4().hex}{path.suffix}")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, target)
    return target.name


def enqueue_import(user, stored_name, region, name="ledger.xlsx"):
    options = {"year": 2023, "region": region.pk, "skip_invalid": False, "fix_encoding": False, "as_of": ""}
    return import_upload.enqueue(user=user.pk, stored=stored_name, name=name, options=options)


def test_import_job_reports_rows_done_then_the_result(cast, client, tmp_path, settings, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = write_xlsx(tmp_path / "ledger.xlsx", ledger_rows())
    seen = []
    client.force_login(cast.admin)

    def card(token):
        return client.get(f"/ledgers/import/jobs/{token}/", headers={"HX-Request": "true"}).content.decode()

    real_progress = jobs.set_progress
    monkeypatch.setattr(jobs, "set_progress", lambda token, done, total: (real_progress(token, done, total),
                                                                         seen.append(card(token))))
    token = enqueue_import(cast.admin, stored(path), cast.city).id
    assert any("已处理 0 / 3 行" in c for c in seen)  # a determinate bar while it runs
    assert any("已处理 3 / 3 行（100%）" in c for c in seen)
    assert "新增 2 个" in card(token) and "导入结果" in card(token)


def test_a_failed_import_job_lists_the_problems(cast, client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    body = ledger_rows(lianshan=rows_with(0, 7, "待定"))
    body[0][7] = body[1][7] = ""
    path = write_xlsx(tmp_path / "bad.xlsx", body)
    token = enqueue_import(cast.admin, stored(path), cast.city, name="bad.xlsx").id
    client.force_login(cast.admin)
    card = client.get(f"/ledgers/import/jobs/{token}/", headers={"HX-Request": "true"}).content.decode()
    assert "导入失败，未写入任何数据" in card and "不是金额" in card
    assert "重试" not in card and not list((tmp_path / "media" / "ledger_uploads").iterdir())  # a refused file is done


def test_a_user_cannot_read_another_users_import_job(cast, client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    token = enqueue_import(cast.admin, "nosuchfile.xlsx", cast.city).id
    client.force_login(cast.lianshan_clerk)
    assert client.get(f"/ledgers/import/jobs/{token}/").status_code == 404
    client.force_login(cast.admin)
    assert client.get(f"/ledgers/import/jobs/{token}/").status_code == 200
    assert client.get("/ledgers/import/jobs/nosuchjob/").status_code == 404


def test_upload_page_reports_problems_and_offers_no_confirm(cast, client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    body = ledger_rows(lianshan=rows_with(0, 7, "待定"))
    body[0][7] = body[1][7] = ""
    path = write_xlsx(tmp_path / "bad.xlsx", body)
    client.force_login(cast.admin)
    with path.open("rb") as f:
        response = client.post("/ledgers/import/", {"file": f, "year": 2023, "region": cast.city.pk})
    assert not response.context["can_confirm"]
    assert "不是金额" in response.content.decode() and "第7行" in response.content.decode()


def test_county_clerk_cannot_import_another_countys_rows(cast, client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = write_xlsx(tmp_path / "ledger.xlsx", ledger_rows())
    client.force_login(cast.lianshan_clerk)
    with path.open("rb") as f:
        response = client.post("/ledgers/import/", {"file": f, "year": 2023, "region": cast.lianshan.pk})
    assert not response.context["can_confirm"]  # the 绥中县 section is outside the clerk's county
    client.force_login(cast.dept_clerk)
    assert client.get("/ledgers/import/").status_code == 403


def test_service_rule_broken_by_a_row_is_a_problem_not_a_crash(cast, tmp_path):
    from keyprojects.projects.models import FundingSource

    FundingSource.objects.create(project=cast.p_suizhong, kind="self_raised", amount=Decimal("80000"))
    problems = problems_of(tmp_path, ledger_rows())  # the ledger lowers its total to 4 亿 = 40,000 万元
    assert any("资金来源合计（80,000 万元）超过了总投资（40,000 万元）" in p and "第11行" in p for p in problems), problems


def write_xls(path, body):
    """The same ledger as a legacy .xls (Excel 97–2003), merged cells included."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("重点项目")
    sheet.write_merge(0, 0, 0, 16, "葫芦岛市2023年重点项目推进情况表")
    sheet.write(1, 14, "单位：万元")
    for c, value in enumerate(HEADER_TOP):
        if c not in (8, 9):
            sheet.write_merge(2, 3, c, c, value)
    sheet.write_merge(2, 2, 8, 9, "2023年度")
    sheet.write(3, 8, "计划投资")
    sheet.write(3, 9, "1-5月完成投资")
    for r, row in enumerate(body, start=4):
        for c, value in enumerate(row):
            if value != "":
                sheet.write(r, c, value)
    book.save(str(path))
    return path


def test_legacy_xls_imports_like_xlsx(cast, tmp_path):
    path = write_xls(tmp_path / "ledger.xls", ledger_rows())
    result = import_ledger(None, path, 2023, region=Region.objects.find("葫芦岛市"))
    assert (result.created, result.updated) == (2, 1)
    plan = AnnualPlan.objects.get(project__name="葫芦岛连石化工年产3.5万吨苯二胺项目", year=2023)
    assert plan.planned_investment == 3000 and plan.started_on == date(2023, 3, 15)
    assert result.completed == Decimal("4700")


def test_ledger_figures_go_through_the_report_checks(cast, tmp_path):
    rows = rows_with(0, 9, "5000")  # year to date 5,000 万元 against an annual plan of 3,000
    body = ledger_rows(lianshan=rows)
    body[0][9] = ""  # keep the 合计 out of it
    problems = problems_of(tmp_path, body)
    assert any("超过年度计划投资" in p and "第7行" in p for p in problems), problems


def test_bulk_import_writes_history_rows_as_the_importing_user(cast, tmp_path):
    from keyprojects.core.audit import Source, audit_context

    path = write_xlsx(tmp_path / "ledger.xlsx", ledger_rows())
    with audit_context(Source.IMPORT, user=cast.admin, detail="上传台账 ledger.xlsx"):
        import_ledger(cast.admin, path, 2023, region=Region.objects.find("葫芦岛市"))
    wind = Project.objects.get(name="绥中四方台风电项目")  # stored before: updated, version bumped
    assert wind.version == 2
    for model, obj in ((Project, wind), (AnnualPlan, AnnualPlan.objects.get(project=wind, year=2023)),
                       (ProgressReport, ProgressReport.objects.get(project=wind, period__month=5))):
        record = model.history.filter(id=obj.pk).latest("history_date")
        assert (record.history_source, record.history_user, record.history_detail) == (
            "import", cast.admin, "上传台账 ledger.xlsx"), model
    new = Project.objects.get(name="连山区钢屯镇老旧小区改造工程")
    assert new.history.get().history_type == "+" and new.stage_transitions.get().history.get().history_source == "import"
    # the history keeps the leaders as they stood, like a save() through the form
    assert {r.leader.name for r in wind.history.latest("history_date").leaders.all()} == {"李振华", "王建国"}


def test_the_roll_up_after_an_import_is_what_rebuilding_it_gives(cast, tmp_path):
    """The importer builds a new project's roll-up row from the reports it writes (they are
    all the project has) and re-reads a stored project's (it may have other months): either
    way the rows equal what ``progress.refresh`` rebuilds from every report."""
    from keyprojects.reporting import progress
    from keyprojects.reporting.models import PlanProgress

    def snapshot():
        return list(PlanProgress.objects.order_by("plan_id").values_list())

    path = write_xlsx(tmp_path / "ledger.xlsx", ledger_rows())
    city = Region.objects.find("葫芦岛市")
    import_ledger(None, path, 2023, region=city, as_of=date(2023, 4, 30))  # two new projects, one stored
    april = snapshot()
    progress.refresh()
    assert len(april) == 3 and april == snapshot()
    import_ledger(None, path, 2023, region=city, as_of=date(2023, 5, 31))  # May beside April: re-read
    may = snapshot()
    progress.refresh()
    assert may == snapshot()
    rows = PlanProgress.objects.all()
    assert len(rows) == 3 and all(row.ytd_04 is not None and row.ytd_05 is not None for row in rows)
    assert sum(row.ytd_05 for row in rows) == Decimal("4700")


def test_an_amount_equal_to_one_that_passed_but_with_more_places_is_checked_again(cast):
    """The importer checks a value once per field and import: an amount is known by its digits
    and exponent, not its value (1 == 1.00000, but five places break the four-places rule)."""
    from django.core.exceptions import ValidationError

    importer = Importer(None, 2023)
    project = Project(name="连山区测试项目", region=cast.lianshan, total_investment=Decimal("1"))
    validate(project, importer.checked)
    project.total_investment = Decimal("1.00000")
    with pytest.raises(ValidationError) as refused:
        validate(project, importer.checked)
    assert list(refused.value.error_dict) == ["total_investment"]
    project.total_investment = Decimal("-1")
    with pytest.raises(ValidationError):
        validate(project, importer.checked)
    project.total_investment = Decimal("1.0000")
    validate(project, importer.checked)


def test_new_projects_share_nothing_but_their_defaults(cast, tmp_path):
    """Each new project starts from the same blank one (Project's defaults): what one row sets
    is not carried to the next row's project, nor left on the blank."""
    importer = Importer(None, 2023, region=Region.objects.find("葫芦岛市"))
    importer.run(write_xlsx(tmp_path / "ledger.xlsx", ledger_rows()))
    first, second = (Project.objects.get(name=row[1]) for row in LIANSHAN)
    assert first.code and first.owner_id and first.stage == "construction"
    assert (second.code, second.owner_id, second.scope) == (None, None, "改造 12 万平方米")
    assert (second.project_type, second.level, second.investment_nature, second.version) == (
        "industry", "city", "enterprise", 1)
    blank = NEW_PROJECT.values
    assert (blank["id"], blank["name"], blank["region_id"], blank["owner_id"], blank["code"]) == (
        None, "", None, None, None)


def test_a_new_objects_fields_still_holding_the_blanks_values_are_checked_only_where_those_pass(cast):
    """The importer skips a field whose value is the blank's own, which passed its rules when
    the blank was made; a blank value that does not pass (a blank name) is checked every time."""
    importer = Importer(None, 2023)
    region = Region.objects.find("连山区")
    checked = importer.checked
    validate(NEW_PROJECT(name="新项目", region=region, total_investment=Decimal("100")), checked)
    with pytest.raises(ValidationError) as caught:
        validate(NEW_PROJECT(region=region, total_investment=Decimal("100")), checked)
    assert set(caught.value.error_dict) == {"name"}
    with pytest.raises(ValidationError) as caught:
        validate(NEW_PROJECT(name="新项目", region=region, total_investment=Decimal("100"),
                             stage="没有这个阶段"), checked)
    assert set(caught.value.error_dict) == {"stage"}


def test_rows_are_told_apart_by_their_first_filled_cell_wherever_it_is():
    """A row's kind goes by its first filled cell even past the first three columns: a footnote
    or an amount alone in the last column is not a blank row."""
    from keyprojects.ledgers.layout import detect
    from keyprojects.ledgers.reader import Sheet

    sheet = Sheet("表", [["序号", "项目名称", "所在县区", "总投资"], ["", "", "", ""], [1, "甲项目", "连山区", 100],
                         ["", "", "", "注：数据截至5月底"], ["", "", "", 100], ["", "合 计", "", 100]])
    assert [row.kind for row in detect(sheet).rows] == ["blank", "data", "footnote", "data", "total"]


def test_a_value_that_passed_one_field_is_checked_again_in_another(cast):
    """What passed is remembered by field: a text that passed as a name is still refused as a
    code; a value its field's cleaning changed (text to a number) is not remembered."""
    from django.core.exceptions import ValidationError

    importer = Importer(None, 2023)
    project = Project(name="连山区测试项目", region=cast.lianshan, total_investment=Decimal("1"))
    validate(project, importer.checked)
    project.code = "连山区测试项目"
    with pytest.raises(ValidationError) as refused:
        validate(project, importer.checked)
    assert list(refused.value.error_dict) == ["code"]
    plan = AnnualPlan(year=2023, nature="new", planned_investment=Decimal("1"), project=project,
                      planned_start_month="3")  # text: cleaned to the number 3
    validate(plan, importer.checked)
    assert plan.planned_start_month == 3
    assert ("planned_start_month", str, "3") not in importer.checked.passed[AnnualPlan]


def test_reimport_bumps_no_version(cast, tmp_path):
    path = write_xlsx(tmp_path / "ledger.xlsx", ledger_rows())
    import_ledger(None, path, 2023, region=Region.objects.find("葫芦岛市"))
    versions = sorted(Project.objects.values_list("pk", "version")), sorted(AnnualPlan.objects.values_list("pk", "version"))
    import_ledger(None, path, 2023, region=Region.objects.find("葫芦岛市"))
    assert (sorted(Project.objects.values_list("pk", "version")),
            sorted(AnnualPlan.objects.values_list("pk", "version"))) == versions


def test_error_on_the_last_of_many_rows_leaves_the_database_as_it_was(cast, tmp_path):
    from keyprojects.ledgers import importer

    rows = [(i + 1, f"连山区测试项目{i:04d}", "", "连山区", "新建", "新能源", "", 1, 1000, 0, "", "否", "", "", "", "", "")
            for i in range(importer.CHUNK + 5)]  # more than a chunk: the first chunk is written before the error
    rows[-1] = (*rows[-1][:7], "abc", *rows[-1][8:])
    body = [list(r) for r in rows]
    before = (Project.objects.count(), Project.history.count(), AnnualPlan.history.count(),
              ProgressReport.history.count())
    problems = problems_of(tmp_path, body)
    assert len(problems) == 1 and "不是金额" in problems[0] and f"第{len(rows) + 4}行" in problems[0]
    assert (Project.objects.count(), Project.history.count(), AnnualPlan.history.count(),
            ProgressReport.history.count()) == before


def test_a_ledger_of_many_chunks_gets_a_history_row_per_change_as_it_was(cast, tmp_path):
    """A chunk's history rows are written while the next chunk is checked: each still copies its
    row as that chunk left it, and the last chunk's are written before the import ends."""
    from keyprojects.ledgers import importer

    def ledger(total, leader=""):
        rows = [[i + 1, f"连山区测试项目{i:04d}", "", "连山区", "新建", "新能源", "", total, 1000, 100, "", "是",
                 "2023年3月1日", "", leader, "", ""] for i in range(importer.CHUNK + 5)]
        return write_xlsx(tmp_path / f"ledger-{total}.xlsx", rows)

    city = Region.objects.find("葫芦岛市")
    import_ledger(None, ledger(1), 2023, region=city)
    import_ledger(None, ledger(2, leader="王建国"), 2023, region=city)
    projects = Project.objects.filter(name__startswith="连山区测试项目")
    assert projects.count() == importer.CHUNK + 5
    history = Project.history.filter(id__in=projects.values("pk"))
    created, changed = history.filter(history_type="+"), history.filter(history_type="~")
    assert (created.count(), set(created.values_list("total_investment", flat=True))) == (importer.CHUNK + 5, {10000})
    assert (changed.count(), set(changed.values_list("total_investment", flat=True))) == (importer.CHUNK + 5, {20000})
    last = changed.latest("history_id")
    assert [r.leader.name for r in last.leaders.all()] == ["王建国"]
    assert ProgressReport.history.filter(project__in=projects).count() == importer.CHUNK + 5


def test_bench_import_prints_each_run_as_the_bench_table_reads_it(db):
    """``make bench`` puts ``bench_import``'s runs in its table by the patterns at the top of the
    command: each run must print as they read it, and import every row of its own ledger."""
    from io import StringIO

    from keyprojects.bench.management.commands import bench_import

    out = StringIO()
    call_command("bench_import", "--rows", "60", stdout=out)
    printed = out.getvalue()
    runs = {found["label"]: found.group(0) for found in bench_import.RUN.finditer(printed)}
    assert set(bench_import.MEDIANS) < set(runs) and len(runs) == 4
    assert bench_import.READ_ALONE.search(printed)
    assert "created 60, updated 0, unchanged 0, problems 0" in printed.split("import (committed)")[1].splitlines()[0]
    assert "created 0, updated 60, unchanged 0, problems 0" in printed.split("the next month's ledger")[1].splitlines()[0]
    assert Project.objects.filter(name__contains="测试项目").count() == 60


def test_a_superusers_download_is_named_after_the_province_its_projects_lie_in(cast, client):
    """The test regions hold two provinces (河北 sorts first); the cast's projects are in 辽宁."""
    client.force_login(cast.superuser)
    response = client.get("/projects/export.xlsx", {"year": 2022})
    assert "辽宁省" in unquote(response["Content-Disposition"])

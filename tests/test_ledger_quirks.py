"""Ledgers as counties really keep them (issue 17): each quirk in a workbook of our own."""

import csv
import io
from datetime import date
from decimal import Decimal
from urllib.parse import unquote

import pytest
import xlsxwriter
from django.core.management import CommandError, call_command

from keyprojects.accounts.models import Leader, Unit
from keyprojects.ledgers import cells, messages
from keyprojects.ledgers.importer import ImportFailed, import_ledger
from keyprojects.ledgers.tasks import import_upload, upload_path
from keyprojects.projects.models import AnnualPlan, Project
from keyprojects.reporting.models import ProgressReport

pytestmark = pytest.mark.django_db

HEADER = ["序号", "项目名称", "所在县区", "建设内容", "总投资", "年度计划投资", "是否开工", "包抓领导", "责任单位"]


def workbook(path, *sheets):
    """An .xlsx of ``(title, rows, merges)`` sheets, written cell by cell as a county would (a
    merge is ``"A5:B5"``: its first cell keeps the value, the others are blank, as in Excel)."""
    book = xlsxwriter.Workbook(str(path))
    for title, rows, merges in sheets:
        sheet = book.add_worksheet(title)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value not in ("", None):
                    sheet.write(r, c, value)
        for merge in merges:
            first = merge.split(":")[0]
            row, col = xlsxwriter.utility.xl_cell_to_rowcol(first)
            sheet.merge_range(merge, rows[row][col] if col < len(rows[row]) else "")
    book.close()
    return path


def import_rows(tmp_path, rows, city, header=HEADER, **options):
    path = workbook(tmp_path / "ledger.xlsx", ("项目", [header, *rows], []))
    return import_ledger(None, path, 2023, region=city, **options)


def refused(tmp_path, rows, city, header=HEADER, **options):
    with pytest.raises(ImportFailed) as failed:
        import_rows(tmp_path, rows, city, header=header, **options)
    return failed.value.result


# --- 11. a CSV with a one-row header ------------------------------------------------------

def test_a_csv_with_a_one_row_header_loses_no_data_row(cast, tmp_path):
    """The first project's scope ("6月完成路基") reads like a "N月完成" header and its figures
    are text: it is still a project, not a second header row."""
    path = tmp_path / "ledger.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER[:7])
        writer.writerow(["1", "连山区兴工街道路工程", "连山区", "6月完成路基", "5000", "1000", "否"])
        writer.writerow(["2", "连山区供水管网工程", "连山区", "管网 3 公里", "3000", "800", "否"])
    result = import_ledger(None, path, 2023, region=cast.city)
    assert result.data_rows == 2 and result.created == 2
    assert Project.objects.get(name="连山区兴工街道路工程").total_investment == Decimal("5000")


def test_a_sub_header_row_under_a_group_header_is_still_a_header(cast, tmp_path):
    path = tmp_path / "ledger.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["序号", "项目名称", "所在县区", "总投资", "2023年", ""])
        writer.writerow(["", "", "", "", "计划投资", "1-5月完成投资"])
        writer.writerow(["1", "连山区兴工街道路工程", "连山区", "5000", "1000", "300"])
    result = import_ledger(None, path, 2023, region=cast.city)
    assert result.data_rows == 1 and result.completed == Decimal("300")


# --- 1. names padded and stacked --------------------------------------------------------

@pytest.mark.parametrize(("cell", "names"), [
    ("李  明", ["李明"]),
    ("周\u00a0\u00a0\u00a0强", ["周强"]),
    ("陈\u3000静", ["陈静"]),
    ("王建国    刘志华", ["王建国", "刘志华"]),
    ("赵德胜\n刘志华", ["赵德胜", "刘志华"]),
    ("周   强    王建国", ["周强", "王建国"]),
    ("王建国（副市长）、李  明，王建国/陈　静", ["王建国", "李明", "陈静"]),
])
def test_each_person_in_a_cell_comes_out_once_and_whole(cell, names):
    assert cells.person_names(cell) == names


@pytest.mark.parametrize(("a", "b"), [
    ("葫蘆島市連山區供水工程", "葫芦岛市连山区供水工程"),
    ("ＡＢＣ能源 光伏项目", "ABC能源光伏项目"),
    ("兴工街道　道路工程", "兴工街道道路工程"),
])
def test_names_from_two_hands_match_across_script_width_and_spaces(a, b):
    assert cells.match_key(a) == cells.match_key(b)
    assert cells.match_key(a) != cells.match_key(b + "二期")


def test_padded_and_stacked_leaders_and_units_are_matched_whole(cast, tmp_path):
    Leader.objects.create(name="李 明", region=cast.city)  # stored with a space of its own
    rows = [
        [1, "连山区兴工街道路工程", "连山区", "", 5000, 1000, "否", "李  明\n王建国", "葫芦岛市　工业和信息化局"],
        [2, "连山区供水管网工程", "连山区", "", 3000, 800, "否", "周\u00a0\u00a0\u00a0强    王建国（副市长）",
         "连山区 发展和改革局、连山区住建局"],
    ]
    result = import_rows(tmp_path, rows, cast.city, dry_run=True)
    assert result.leaders_created == ["周强"]  # the preview lists who would be created
    assert result.units_created == []
    assert any("取第一个“连山区发展和改革局”" in str(w) and "第3行" in str(w) for w in result.warnings)

    import_rows(tmp_path, rows, cast.city)
    road = Project.objects.get(name="连山区兴工街道路工程")
    assert sorted(leader.name for leader in road.leaders.all()) == ["李 明", "王建国"]
    assert road.responsible_unit == cast.gxj
    pipes = Project.objects.get(name="连山区供水管网工程")
    assert sorted(leader.name for leader in pipes.leaders.all()) == ["周强", "王建国"]
    assert pipes.responsible_unit == cast.lianshan_fgj
    assert not Leader.objects.filter(name__in=["李", "明", "周", "强"]).exists()
    assert Leader.objects.filter(name__contains="王建国").count() == 1
    assert not Unit.objects.filter(name__contains="住建局").exists()


# --- 3. totals anywhere -------------------------------------------------------------------

ROAD = [1, "连山区兴工街道路工程", "连山区", "", 5000, 1000, "否", "", ""]
PIPES = [2, "连山区供水管网工程", "连山区", "", 3000, 800, "否", "", ""]


@pytest.mark.parametrize(("total_row", "merges"), [
    (["合计（2个）", "", "", "", 8000, 1800], ["A2:B2"]),  # in 序号, merged across 项目名称
    (["", "", "", "总  计", 8000, 1800], []),  # in 建设内容, spaced out
    (["全县合计：2个项目", "", "", "", 8000, 1800], []),
])
def test_a_total_row_is_recognised_wherever_its_label_sits(cast, tmp_path, total_row, merges):
    path = workbook(tmp_path / "ledger.xlsx", ("项目", [HEADER, total_row, ROAD, PIPES], merges))
    result = import_ledger(None, path, 2023, region=cast.city)
    assert result.created == 2 and result.data_rows == 2 and not result.warnings


def test_a_total_that_disagrees_is_checked_not_taken_for_a_nameless_row(cast, tmp_path):
    path = workbook(tmp_path / "ledger.xlsx",
                    ("项目", [HEADER, ROAD, PIPES, ["合计（3个）", "", "", "", 9000, 1800]], ["A4:B4"]))
    with pytest.raises(ImportFailed) as failed:
        import_ledger(None, path, 2023, region=cast.city)
    problems = [str(p) for p in failed.value.result.problems]
    assert len(problems) == 1 and "第4行" in problems[0] and "相差 1000 万元" in problems[0], problems
    assert not any("没有项目名称" in p for p in problems)
    warnings = [str(w) for w in failed.value.result.warnings]
    assert any("写明 3 个项目，明细有 2 个" in w for w in warnings), warnings


# --- 2. started, but no date -----------------------------------------------------------------

START_HEADER = ["序号", "项目名称", "所在县区", "总投资", "年度计划投资", "是否开工", "开工时间"]
MAY_31 = date(2023, 5, 31)


def test_started_without_a_date_column_counts_as_started_by_the_ledgers_date(cast, tmp_path):
    rows = [[1, "连山区兴工街道路工程", "连山区", 5000, 1000, "是"]]
    result = import_rows(tmp_path, rows, cast.city, header=START_HEADER[:6], as_of=MAY_31)
    plan = AnnualPlan.objects.get(project__name="连山区兴工街道路工程", year=2023)
    assert plan.started and plan.started_on == MAY_31 and plan.start_date_unknown
    assert [w.row for w in result.warnings if "开工日期未填" in w.message] == [2]


def test_words_in_the_date_cell_are_understood(cast, tmp_path):
    rows = [
        [1, "连山区兴工街道路工程", "连山区", 5000, 1000, "是", "已开工"],
        [2, "连山区供水管网工程", "连山区", 3000, 800, "否", "未开工"],
        [3, "连山区污水处理厂", "连山区", 3000, 800, "否", "计划6月开工"],
        [4, "连山区垃圾转运站", "连山区", 3000, 800, "否", "待定"],
        [5, "连山区体育馆", "连山区", 3000, 800, "是", "2023年4月2日"],
    ]
    result = import_rows(tmp_path, rows, cast.city, header=START_HEADER, as_of=MAY_31)
    plans = {p.project.name[3:]: p for p in AnnualPlan.objects.filter(year=2023).select_related("project")}
    assert (plans["兴工街道路工程"].started_on, plans["兴工街道路工程"].start_date_unknown) == (MAY_31, True)
    assert not plans["供水管网工程"].started and not plans["垃圾转运站"].started
    assert plans["污水处理厂"].planned_start_month == 6 and not plans["污水处理厂"].started
    assert (plans["体育馆"].started_on, plans["体育馆"].start_date_unknown) == (date(2023, 4, 2), False)
    assert [w.row for w in result.warnings] == [2]


def test_a_date_column_alone_says_started_when_it_says_so_in_words(cast, tmp_path):
    rows = [[1, "连山区兴工街道路工程", "连山区", 5000, 1000, "已开工"], [2, "连山区供水管网工程", "连山区", 3000, 800, "未开工"]]
    import_rows(tmp_path, rows, cast.city, header=[*START_HEADER[:5], "开工时间"], as_of=MAY_31)
    assert list(AnnualPlan.objects.filter(year=2023).order_by("project__name").values_list(
        "project__name", "started", "start_date_unknown")) == [("连山区供水管网工程", False, False),
                                                              ("连山区兴工街道路工程", True, True)]


@pytest.mark.parametrize(("started", "cell", "message"), [
    ("是", "未开工", "开复工时间却写“未开工”"),
    ("否", "已开工", "开复工时间却写“已开工”"),
    ("是", "2023年7月1日", "晚于台账统计日期 2023-05-31"),
])
def test_a_start_that_contradicts_itself_stops_the_row(cast, tmp_path, started, cell, message):
    rows = [[1, "连山区兴工街道路工程", "连山区", 5000, 1000, started, cell]]
    result = refused(tmp_path, rows, cast.city, header=START_HEADER, as_of=MAY_31)
    assert [p.row for p in result.problems if message in p.message] == [2], [str(p) for p in result.problems]
    assert not Project.objects.filter(name="连山区兴工街道路工程").exists()


def test_a_later_ledger_without_the_date_keeps_the_day_already_known(cast, tmp_path):
    rows = [[1, "连山区兴工街道路工程", "连山区", 5000, 1000, "是", "2023年4月2日"]]
    import_rows(tmp_path, rows, cast.city, header=START_HEADER, as_of=MAY_31)
    result = import_rows(tmp_path, [rows[0][:6]], cast.city, header=START_HEADER[:6], as_of=date(2023, 6, 30))
    plan = AnnualPlan.objects.get(project__name="连山区兴工街道路工程", year=2023)
    assert (plan.started_on, plan.start_date_unknown) == (date(2023, 4, 2), False) and not result.warnings


# --- 10. messages grouped -------------------------------------------------------------------

def test_row_lists_are_written_as_runs():
    assert messages.row_ranges([7, *range(8, 42), *range(43, 119)]) == "第7–41、43–118行"
    assert messages.row_ranges([5]) == "第5行" and messages.row_ranges([0]) == ""


def many_bad_rows():
    """48 rows whose 总投资 is "待定" (rows 2–41 and 43–50) and one good row between them."""
    rows = [[i, f"连山区道路工程{i}", "连山区", "", "待定", 100, "否"] for i in range(1, 50)]
    rows[40][4] = 5000
    return rows


def test_a_hundred_rows_with_one_problem_are_one_message(cast, tmp_path):
    result = refused(tmp_path, many_bad_rows(), cast.city)
    assert len(result.problems) == 48
    [group] = result.groups()
    assert group["count"] == 48 and "第2–41、43–50行" in group["text"] and "不是金额" in group["text"]
    assert len(group["first"]) == messages.FIRST and "第2行" in group["first"][0]


def test_the_page_shows_the_first_rows_of_each_group_and_downloads_them_all(cast, client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = workbook(tmp_path / "bad.xlsx", ("项目", [HEADER, *many_bad_rows()], []))
    client.force_login(cast.admin)
    with path.open("rb") as f:
        page = client.post("/ledgers/import/", {"file": f, "year": 2023, "region": cast.city.pk}).content.decode()
    assert "第2–41、43–50行" in page and "共 48 处" in page
    assert "第6行" in page and "第7行" not in page  # the first five rows of the group, not all
    preview = client.session["ledger_upload"]["preview"]  # the preview job's own download
    download = client.get(f"/ledgers/import/jobs/{preview}/problems.xlsx")
    assert download.status_code == 200 and "bad_" in unquote(download["Content-Disposition"])
    rows = xlsx_rows(download.content)
    assert rows[0] == messages.TABLE_HEADER and len(rows) == 49
    assert rows[1][:3] == ["错误", "项目", 2] and "不是金额" in rows[1][5]


def test_a_finished_job_groups_its_problems_and_downloads_them(cast, client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = workbook(tmp_path / "bad.xlsx", ("项目", [HEADER, *many_bad_rows()], []))
    stored = upload_path(f"job{path.suffix}")
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(path.read_bytes())
    options = {"year": 2023, "region": cast.city.pk, "skip_invalid": False, "fix_encoding": False, "as_of": ""}
    token = import_upload.enqueue(user=cast.admin.pk, stored=stored.name, name="bad.xlsx", options=options).id
    client.force_login(cast.admin)
    card = client.get(f"/ledgers/import/jobs/{token}/", headers={"HX-Request": "true"}).content.decode()
    assert "第2–41、43–50行" in card and card.count("不是金额") == 1 + messages.FIRST
    assert len(xlsx_rows(client.get(f"/ledgers/import/jobs/{token}/problems.xlsx").content)) == 49
    client.force_login(cast.lianshan_clerk)  # another user's job: nothing to download
    assert client.get(f"/ledgers/import/jobs/{token}/problems.xlsx").status_code == 404


def xlsx_rows(content):
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
    return [[int(v) if isinstance(v, float) else v for v in row] for row in sheet.to_python()]


# --- 5. classes the file leaves out: defaults chosen, counted ----------------------------------

def test_missing_classes_take_the_chosen_default_and_are_counted(cast, tmp_path):
    rows = [ROAD[:7], PIPES[:7]]
    result = import_rows(tmp_path, rows, cast.city, header=HEADER[:7], defaults={"level": "provincial"})
    assert result.defaults_taken == {
        "项目级别取“省重点”（所选默认值）": 2,
        "项目类型取“产业项目”（台账未写明，系统默认；可在预览中选择或用 --default 指定）": 2,
        "建设性质取“新开工”（台账未写明，系统默认；可在预览中选择或用 --default 指定）": 2,
        "建设阶段取“前期”（台账未写明，按建设性质和是否开工推断）": 2,
    }
    assert set(Project.objects.filter(name__in=[ROAD[1], PIPES[1]]).values_list("level", flat=True)) == {"provincial"}


def test_the_usual_headers_for_level_type_nature_and_stage_are_read(cast, tmp_path):
    header = [*HEADER[:7], "层次", "项目类型", "建设性质", "建设阶段"]
    rows = [[*ROAD[:7], "省重点", "基础设施", "续建", "在建"], [*PIPES[:7], "", "社会民生", "新建", "前期"]]
    result = import_rows(tmp_path, rows, cast.city, header=header)
    road, pipes = (Project.objects.get(name=r[1]) for r in rows)
    assert (road.level, road.project_type, road.stage) == ("provincial", "infrastructure", "construction")
    assert (pipes.level, pipes.project_type, pipes.stage) == ("county", "social", "preparation")  # blank 层次
    assert AnnualPlan.objects.get(project=road, year=2023).nature == "continuing"
    assert result.defaults_taken == {"项目级别取“县重点”（空白视为县区重点）": 1}


def test_command_line_default(cast, tmp_path, capsys):
    path = workbook(tmp_path / "ledger.xlsx", ("项目", [HEADER[:7], ROAD[:7]], []))
    call_command("import_ledger", str(path), year=2023, region="葫芦岛市", default=["级别=市重点", "性质=续建"])
    out = capsys.readouterr().out
    assert "项目级别取“市重点”（所选默认值）：1 行" in out and "建设性质取“续建”（所选默认值）：1 行" in out
    assert AnnualPlan.objects.get(project__name=ROAD[1], year=2023).nature == "continuing"
    with pytest.raises(CommandError, match="可设默认值的是"):
        call_command("import_ledger", str(path), year=2023, region="葫芦岛市", default=["颜色=红"])


def test_a_reimport_without_the_nature_column_keeps_the_plans_nature(cast, tmp_path):
    header = [*HEADER[:7], "建设性质"]
    import_rows(tmp_path, [[*ROAD[:7], "续建"]], cast.city, header=header)
    result = import_rows(tmp_path, [ROAD[:7]], cast.city, header=HEADER[:7])
    assert AnnualPlan.objects.get(project__name=ROAD[1], year=2023).nature == "continuing"
    assert result.unchanged == 1 and not result.defaults_taken


def test_the_preview_form_passes_the_chosen_defaults(cast, client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = workbook(tmp_path / "ledger.xlsx", ("项目", [HEADER[:7], ROAD[:7]], []))
    client.force_login(cast.admin)
    with path.open("rb") as f:
        page = client.post("/ledgers/import/", {"file": f, "year": 2023, "region": cast.city.pk,
                                                "default_level": "county"}).content.decode()
    assert "项目级别取“县重点”（所选默认值）：1" in page


# --- 4. copies and scratch sheets -----------------------------------------------------------

def test_a_copy_sheet_is_imported_once_and_a_sheet_without_header_is_named(cast, tmp_path):
    title = ["某某区2023年重点项目推进表"]
    path = workbook(
        tmp_path / "ledger.xlsx",
        ("项目表", [title, HEADER, ROAD, PIPES], []),
        ("项目表 (2)", [HEADER, [*PIPES[:1], "连山区  供水管网工程", *PIPES[2:]], ROAD], []),  # a copy, reordered
        ("草稿", [[1200, 3400], ["", 55.5]], []),
        ("Sheet3", [], []),
    )
    result = import_ledger(None, path, 2023, region=cast.city)
    assert (result.created, result.count, result.data_rows) == (2, 2, 2)
    assert result.total_investment == Decimal("8000")
    skipped = {w.sheet: w.message for w in result.warnings}
    assert "与工作表“项目表”的项目相同（2 个）" in skipped["项目表 (2)"]
    assert "没有找到表头" in skipped["草稿"] and "空表" in skipped["Sheet3"]


def test_sheets_with_different_projects_are_all_imported(cast, tmp_path):
    path = workbook(tmp_path / "ledger.xlsx", ("连山区", [HEADER, ROAD], []), ("绥中县", [HEADER, PIPES], []))
    result = import_ledger(None, path, 2023, region=cast.city)
    assert result.created == 2 and not result.warnings


# --- 8. context from the title ----------------------------------------------------------------

def test_year_region_and_date_come_from_the_title_and_say_so(cast, tmp_path):
    title = [["葫芦岛市连山区2023年重点项目投资路线图及6月进展情况表"], ["截至5月31日"]]
    path = workbook(tmp_path / "ledger.xlsx", ("项目", [*title, HEADER[:7], [*ROAD[:2], "", *ROAD[3:7]]], []))
    result = import_ledger(None, path, None)
    assert result.as_of == date(2023, 5, 31)
    project = Project.objects.get(name=ROAD[1])
    assert project.region == cast.lianshan and AnnualPlan.objects.filter(project=project, year=2023).exists()
    assert result.context == [
        "计划年度 2023：来自标题“葫芦岛市连山区2023年重点项目投资路线图及6月进展情况表”",
        "区划 连山区：来自标题“葫芦岛市连山区2023年重点项目投资路线图及6月进展情况表”",
        "统计日期 2023-05-31：来自标题“截至5月31日”",
    ]


def test_a_month_in_the_title_is_the_date_when_nothing_else_says(cast, tmp_path):
    title = [["某某区2023年重点项目6月进展情况表"]]
    path = workbook(tmp_path / "ledger.xlsx", ("项目", [*title, HEADER[:7], ROAD[:7]], []))
    result = import_ledger(None, path, None, region=cast.city)
    assert result.as_of == date(2023, 6, 30) and "统计日期 2023-06-30：来自标题“某某区2023年重点项目6月进展情况表”" in result.context
    assert "区划 葫芦岛市：命令行或表单" in result.context


def test_the_options_win_over_the_title_which_is_still_noted(cast, tmp_path):
    path = workbook(tmp_path / "ledger.xlsx", ("项目", [["连山区2021年重点项目"], HEADER[:7], ROAD[:7]], []))
    result = import_ledger(None, path, 2023, region=cast.city, as_of=date(2023, 4, 30))
    assert result.as_of == date(2023, 4, 30) and AnnualPlan.objects.filter(year=2023).exists()
    assert any("写的是2021年，按指定的2023年导入" in w.message for w in result.warnings)


def test_a_county_named_by_the_title_within_the_chosen_city_is_the_ledgers_region(cast, tmp_path):
    """The upload form preselects the user's city: a county's ledger still updates the county's
    projects instead of registering them again at the city."""
    Project.objects.create(name=ROAD[1], region=cast.lianshan, total_investment=Decimal("1000"))
    header, road, pipes = ([*row[:2], *row[3:7]] for row in (HEADER, ROAD, PIPES))  # no county column
    path = workbook(tmp_path / "ledger.xlsx", ("项目", [["连山区2023年重点项目"], header, road], []))
    result = import_ledger(None, path, 2023, region=cast.city)
    assert (result.created, result.updated) == (0, 1)
    assert "区划 连山区：来自标题“连山区2023年重点项目”（在所选的葫芦岛市之内）" in result.context
    other = workbook(tmp_path / "other.xlsx", ("项目", [["绥中县2023年重点项目"], header, pipes], []))
    result = import_ledger(None, other, 2023, region=cast.lianshan)
    assert "区划 连山区：命令行或表单" in result.context
    assert any(w.message == "标题“绥中县2023年重点项目”写的是绥中县，按所选的连山区导入" for w in result.warnings)


def test_a_countys_figures_go_in_the_citys_period_of_the_month(cast, tmp_path):
    from keyprojects.reporting import services as reporting
    from keyprojects.reporting.models import ProgressReport, ReportingPeriod

    may = reporting.create_period(cast.admin, cast.city, 2023, 5, date(2023, 5, 20), date(2023, 5, 25))
    header = [*HEADER[:2], *HEADER[3:7], "1-5月完成投资"]
    path = workbook(tmp_path / "ledger.xlsx", ("项目", [["连山区2023年重点项目"], header,
                                                        [*ROAD[:2], *ROAD[3:6], "是", 300]], []))
    import_ledger(cast.lianshan_clerk, path, 2023, region=cast.lianshan, as_of=date(2023, 5, 31))
    assert ReportingPeriod.objects.filter(year=2023, month=5).get() == may
    assert ProgressReport.objects.get(project__name=ROAD[1]).period == may


def test_without_a_year_anywhere_one_problem_says_so(cast, tmp_path):
    rows = [[*r[:7]] for r in (ROAD, PIPES)]
    path = workbook(tmp_path / "ledger.xlsx", ("项目", [HEADER[:7], *rows], []))
    with pytest.raises(ImportFailed) as failed:
        import_ledger(None, path, None, region=cast.city)
    assert [p.message for p in failed.value.result.problems] == [
        "无法确定计划年度：标题中没有写“20XX年”，请在表单中填写或用 --year 指定"]


def test_the_command_line_takes_the_year_from_the_title(cast, tmp_path, capsys):
    path = workbook(tmp_path / "ledger.xlsx", ("项目", [["连山区2023年重点项目"], HEADER[:7], ROAD[:7]], []))
    call_command("import_ledger", str(path), region="葫芦岛市", as_of="2023-05-31")
    assert "计划年度 2023：来自标题“连山区2023年重点项目”" in capsys.readouterr().out


# --- 6. nothing dropped -------------------------------------------------------------------------

SIX_HEADER = ["序号", "项目名称", "所在县区", "总投资", "年度计划投资", "建设性质", "累计完成投资", "年度建设任务",
              "5月进展情况", "手续代办单位", "备注"]


def test_since_start_without_this_year_and_the_text_columns_are_all_kept(cast, tmp_path):
    rows = [[1, "连山区兴工街道路工程", "连山区", 5000, 1000, "新建", 600, "完成路基 3 公里", "路基施工中", "连山区政务服务中心", "重点"]]
    result = import_rows(tmp_path, rows, cast.city, header=SIX_HEADER, as_of=MAY_31)
    plan = AnnualPlan.objects.get(project__name="连山区兴工街道路工程", year=2023)
    assert plan.annual_task == "完成路基 3 公里" and plan.project.facilitator.name == "连山区政务服务中心"
    report = ProgressReport.objects.get(project=plan.project)
    assert (report.completed_ytd, report.completed_since_start, report.progress) == (600, 600, "路基施工中")
    assert report.period.month == 5 and result.completed == 600
    assert any("备注" in m and "未导入" in m for m in result.mapping)


def test_since_start_of_a_continuing_project_is_split_with_the_stored_previous_years(cast, tmp_path):
    header = ["序号", "项目名称", "所在县区", "总投资", "年度计划投资", "建设性质", "开累完成投资", "1-4月完成投资"]
    import_rows(tmp_path, [[1, "连山区兴工街道路工程", "连山区", 5000, 1000, "续建", 2500, 300]], cast.city, header=header,
                as_of=date(2023, 4, 30))
    assert AnnualPlan.objects.get(year=2023).prior_completed == 2200
    result = import_rows(tmp_path, [[1, "连山区兴工街道路工程", "连山区", 5000, 1000, "续建", 2900]], cast.city,
                         header=header[:7], as_of=MAY_31)
    assert AnnualPlan.objects.get(year=2023).prior_completed == 2200  # kept: this file cannot tell it
    may = ProgressReport.objects.get(period__month=5)
    assert (may.completed_ytd, may.completed_since_start, may.completed_month) == (700, 2900, 400)
    assert not result.warnings


def test_since_start_that_cannot_be_split_is_a_warning_not_silence(cast, tmp_path):
    rows = [[1, "连山区兴工街道路工程", "连山区", 5000, 1000, "续建", 2900, "", "路基施工中"]]
    result = import_rows(tmp_path, rows, cast.city, header=SIX_HEADER[:9], as_of=MAY_31)
    assert not ProgressReport.objects.exists() and result.completed == 0
    assert [w.message for w in result.warnings if "无法拆出本年完成" in w.message]


def test_progress_of_another_month_is_said_not_stored(cast, tmp_path):
    rows = [[1, "连山区兴工街道路工程", "连山区", 5000, 1000, "新建", 600, "", "路基施工中"]]
    result = import_rows(tmp_path, rows, cast.city, header=SIX_HEADER[:9], as_of=date(2023, 6, 30))
    assert ProgressReport.objects.get().progress == ""
    assert any("5月进展情况不是统计月份（6月）的进展" in w.message for w in result.warnings)


def test_the_preview_form_left_without_a_year_takes_the_titles(cast, client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(cast.admin)
    titled = workbook(tmp_path / "titled.xlsx", ("项目", [["连山区2023年重点项目"], HEADER[:7], ROAD[:7]], []))
    with titled.open("rb") as f:
        response = client.post("/ledgers/import/", {"file": f, "region": cast.city.pk})
    assert response.context["can_confirm"] and "计划年度 2023：来自标题“连山区2023年重点项目”" in response.content.decode()
    bare = workbook(tmp_path / "bare.xlsx", ("项目", [HEADER[:7], ROAD[:7], PIPES[:7]], []))
    with bare.open("rb") as f:
        page = client.post("/ledgers/import/", {"file": f, "region": cast.city.pk}).content.decode()
    assert page.count("无法确定计划年度") == 1

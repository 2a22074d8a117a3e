"""Issue 17, cases 7, 9 and 12: quarterly roadmaps, headers the importer does not know, and what
a re-import changes — each in a workbook of our own."""

from datetime import date
from decimal import Decimal

import pytest

from keyprojects.ledgers.importer import ImportFailed, import_ledger
from keyprojects.projects.models import AnnualPlan, PlanQuarter, quarter_target
from tests.test_ledger_quirks import workbook

pytestmark = pytest.mark.django_db

TITLE = ["连山区2023年重点项目投资路线图"]
# Two header rows: each quarter a merged group over its work and its amount.
TOP = ["序号", "项目名称", "所在县区", "总投资", "年度计划投资", "一季度", "", "二季度", "", "三季度", "", "四季度", ""]
SUB = ["", "", "", "", "", *["工作内容及形象进度", "投资"] * 4]
MERGES = ["A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:E3", "F2:G2", "H2:I2", "J2:K2", "L2:M2"]


def roadmap(tmp_path, rows, top=TOP, name="roadmap.xlsx"):
    return workbook(tmp_path / name, ("路线图", [TITLE, top, SUB, *rows], MERGES))


def road(q_amounts, plan=1000, works=("征地拆迁", "路基施工", "路面铺设", "完工验收")):
    cells = [x for work, amount in zip(works, q_amounts, strict=True) for x in (work, amount)]
    return [1, "连山区兴工街道路工程", "连山区", 5000, plan, *cells]


def quarters_of(name="连山区兴工街道路工程"):
    plan = AnnualPlan.objects.get(project__name=name, year=2023)
    return plan, {q.quarter: (q.work, q.expected_investment) for q in plan.quarters.all()}


# --- 7. quarterly roadmaps ------------------------------------------------------------------

def test_merged_quarter_headers_become_the_plans_quarterly_targets(cast, tmp_path):
    """Each quarter's own amounts (they sum to the year's plan): stored as the year's so far."""
    result = import_ledger(None, roadmap(tmp_path, [road([100, 300, 400, 200])]), None, region=cast.city)
    assert result.created == 1
    assert any("一季度工作内容及形象进度" in m and "一季度工作内容" in m for m in result.mapping)
    assert any("当季数" in line and "按金额判断：1 行" in line for line in result.context)
    plan, quarters = quarters_of()
    assert quarters == {1: ("征地拆迁", Decimal(100)), 2: ("路基施工", Decimal(400)),
                        3: ("路面铺设", Decimal(800)), 4: ("完工验收", Decimal(1000))}
    assert PlanQuarter.history.filter(plan=plan).count() == 4  # audited, as every bulk write
    assert quarter_target(plan, date(2023, 5, 20)) == Decimal(400)
    assert quarter_target(plan, date(2023, 3, 31)) == Decimal(100)
    assert quarter_target(plan, date(2024, 2, 1)) == Decimal(1000)
    assert quarter_target(plan, date(2022, 12, 31)) is None


def test_cumulative_quarter_amounts_are_told_by_the_fourth_equal_to_the_plan(cast, tmp_path):
    result = import_ledger(None, roadmap(tmp_path, [road([100, 400, 800, 1000])]), 2023, region=cast.city)
    assert any("季末累计数" in line and "四季度投资等于年度计划" in line for line in result.context)
    assert quarters_of()[1][4] == ("完工验收", Decimal(1000))


def test_the_headers_words_say_cumulative(cast, tmp_path):
    top = [*TOP[:5], "一季度末累计", "", "二季度末累计", "", "三季度末累计", "", "四季度末累计", ""]
    sub = [*SUB[:5], *["工作计划", "累计投资"] * 4]
    path = workbook(tmp_path / "r.xlsx", ("路线图", [TITLE, top, sub, road([100, 100, 500, 900])], MERGES))
    result = import_ledger(None, path, 2023, region=cast.city)
    assert any("季末累计数：来自表头" in line for line in result.context)
    assert quarters_of()[1][3][1] == Decimal(500)


def test_amounts_that_do_not_tell_are_asked_about_once_never_guessed(cast, tmp_path):
    rows = [road([200, 300, 300, 300]), [2, "连山区供水管网工程", "连山区", 3000, 800, "", 100, "", 200, "", 300, "", 400]]
    with pytest.raises(ImportFailed) as failed:
        import_ledger(None, roadmap(tmp_path, rows), 2023, region=cast.city)
    [problem] = failed.value.result.problems
    assert "无法判断季度投资是当季数还是季末累计数" in problem.message and "--quarters" in problem.message
    result = import_ledger(None, roadmap(tmp_path, rows), 2023, region=cast.city, quarters="cumulative")
    assert any("季末累计数：命令行或表单所选" in line for line in result.context)
    assert quarters_of("连山区供水管网工程")[1][4] == ("", Decimal(400))


def test_a_cumulative_amount_that_falls_stops_the_row(cast, tmp_path):
    with pytest.raises(ImportFailed) as failed:
        import_ledger(None, roadmap(tmp_path, [road([100, 400, 300, 1000])]), 2023, region=cast.city,
                      quarters="cumulative")
    [problem] = failed.value.result.problems
    assert problem.row == 4 and "三季度投资" in problem.column and "累计数不应减少" in problem.message


def test_a_reimport_changes_only_the_quarters_that_changed(cast, tmp_path):
    import_ledger(None, roadmap(tmp_path, [road([100, 400, 800, 1000])]), 2023, region=cast.city)
    plan, _ = quarters_of()
    again = import_ledger(None, roadmap(tmp_path, [road([100, 400, 800, 1000])]), 2023, region=cast.city)
    assert again.unchanged == 1 and PlanQuarter.history.filter(plan=plan).count() == 4
    changed = import_ledger(None, roadmap(tmp_path, [road([100, 500, 800, 1000], works=(
        "征地拆迁", "路基完成", "路面铺设", "完工验收"))]), 2023, region=cast.city)
    assert changed.updated == 1
    assert quarters_of()[1][2] == ("路基完成", Decimal(500))
    assert PlanQuarter.history.filter(plan=plan, history_type="~").count() == 1


def test_a_csv_roadmap_without_merges_carries_the_quarter_rightwards(cast, tmp_path):
    import csv
    path = tmp_path / "roadmap.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(TOP)
        writer.writerow(SUB)
        writer.writerow(road([100, 300, 400, 200]))
    result = import_ledger(None, path, 2023, region=cast.city, quarters="per_quarter")
    assert result.created == 1 and quarters_of()[1][4] == ("完工验收", Decimal(1000))


def test_the_project_page_shows_the_roadmap_with_the_approved_completion(cast, client, tmp_path):
    top = [*TOP[:5], "1-5月完成投资", *TOP[5:]]
    sub = [*SUB[:5], "", *SUB[5:]]
    merges = ["A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:E3", "F2:F3", "G2:H2", "I2:J2", "K2:L2", "M2:N2"]
    row = road([100, 400, 800, 1000])
    path = workbook(tmp_path / "r.xlsx", ("路线图", [TITLE, top, sub, [*row[:5], 350, *row[5:]]], merges))
    import_ledger(None, path, 2023, region=cast.city)
    plan, _ = quarters_of()
    client.force_login(cast.admin)
    page = client.get(f"/projects/{plan.project_id}/").content.decode()
    assert "2023年投资路线图" in page and "路基施工" in page
    roadmap = page[page.index('id="roadmap"'):]
    assert "1,000" in roadmap
    assert "350" in roadmap and "截至5月" in roadmap  # Q2's actual: May's, the quarter's last approved month


# --- 9. headers the importer does not know ---------------------------------------------------

API_HEADER = ["projectName", "county", "totalInvestment", "planInvestment", "remark"]
API_ROWS = [["连山区兴工街道路工程", "连山区", 0.5, 1000, "x"], ["连山区供水管网工程", "连山区", 0.3, 800, ""]]
API_MAP = ["projectName=项目名称", "county=所在县区", "totalInvestment=总投资（亿元）", "planInvestment=年度计划投资",
           "remark=忽略"]


def test_english_api_headers_are_mapped_with_their_unit_and_the_mapping_is_saved(cast, tmp_path, capsys):
    from django.core.management import call_command

    from keyprojects.ledgers.models import ColumnMapping
    from keyprojects.projects.models import Project

    path = workbook(tmp_path / "api.xlsx", ("data", [API_HEADER, *API_ROWS], []))
    with pytest.raises(ImportFailed) as failed:  # unknown headers: nothing found, and said how to map
        import_ledger(None, path, 2023, region=cast.city)
    assert any("--map" in w.message for w in failed.value.result.warnings)
    call_command("import_ledger", str(path), year=2023, region="葫芦岛市", columns=API_MAP)
    out = capsys.readouterr().out
    assert "totalInvestment" in out and "×10000 折算为万元" in out and "已保存" in out
    assert Project.objects.get(name="连山区兴工街道路工程").total_investment == Decimal(5000)
    saved = ColumnMapping.objects.get(region=cast.city)
    assert saved.mapping["totalInvestment"] == "total:亿元" and saved.history.count() == 1
    # The next file of the same shape (another month, another title) takes the saved mapping.
    again = workbook(tmp_path / "api2.xlsx", ("data", [API_HEADER, [API_ROWS[0][0], "连山区", 0.6, 1000, ""]], []))
    result = import_ledger(None, again, 2023, region=cast.city)
    assert any("沿用葫芦岛市" in line for line in result.context) and result.updated == 1
    assert Project.objects.get(name="连山区兴工街道路工程").total_investment == Decimal(6000)


@pytest.mark.parametrize(("specs", "message"), [
    (["projectName=颜色"], "列“projectName”对应的字段“颜色”不存在"),
    (["projectName=项目名称", "title=项目名称"], "列“projectName”和列“title”都对应到“项目名称”"),
    (["projectName"], "格式应为“列名=字段”"),
])
def test_a_bad_mapping_is_a_clear_message_naming_the_column(cast, tmp_path, specs, message):
    from django.core.management import CommandError, call_command

    path = workbook(tmp_path / "api.xlsx", ("data", [API_HEADER, *API_ROWS], []))
    with pytest.raises(CommandError, match=message):
        call_command("import_ledger", str(path), year=2023, region="葫芦岛市", columns=specs)


def test_a_file_without_header_is_mapped_by_column_letter(cast, tmp_path):
    from keyprojects.ledgers import mapping
    from keyprojects.projects.models import Project

    path = workbook(tmp_path / "bare.xlsx", ("data", API_ROWS, []))
    result = import_ledger(None, path, 2023, region=cast.city, header_row=0,
                           columns=mapping.parse(["A=项目名称", "B=所在县区", "C=总投资:亿元", "D=年度计划投资"]))
    assert result.created == 2 and result.data_rows == 2  # the first row is a project, not a header
    assert Project.objects.get(name="连山区供水管网工程").total_investment == Decimal(3000)


def test_a_mapping_overrides_a_recognised_column_and_names_what_it_did_not_find(cast, tmp_path):
    from keyprojects.ledgers import mapping
    from keyprojects.projects.models import Project

    header = ["项目名称", "所在县区", "总投资", "投资额（亿元）"]
    path = workbook(tmp_path / "l.xlsx", ("项目", [header, ["连山区兴工街道路工程", "连山区", 9999, 0.5]], []))
    result = import_ledger(None, path, 2023, region=cast.city, columns=mapping.parse(
        ["投资额（亿元）=总投资", "总投资=忽略", "计划=年度计划投资"]))
    assert Project.objects.get(name="连山区兴工街道路工程").total_investment == Decimal(5000)
    assert any("“计划”在台账中没有找到" in w.message for w in result.warnings)


# --- 12. a re-import shows what changes ------------------------------------------------------

def test_a_reimport_lists_per_project_the_fields_that_change_old_and_new(cast, tmp_path):
    from tests.test_ledger_quirks import HEADER, import_rows

    road_row = [1, "连山区兴工街道路工程", "连山区", "路基", 5000, 1000, "否", "", "连山区住建局"]
    pipes = [2, "连山区供水管网工程", "连山区", "管网", 3000, 800, "否", "", ""]
    import_rows(tmp_path, [road_row, pipes], cast.city, header=HEADER)
    changed = [1, "连山区兴工街道路工程", "连山区", "路基、路面", 5200, 1200, "否", "", "连山区交通局"]
    result = import_rows(tmp_path, [changed, pipes], cast.city, header=HEADER, dry_run=True)
    assert result.updated == 1 and result.unchanged == 1  # the unchanged one counted, not listed
    [diff] = result.changes
    assert diff["project"] == "连山区兴工街道路工程"
    lines = {line[0]: line[1:] for line in diff["changes"]}
    assert lines["总投资（万元）"] == ["5,000", "5,200"]
    assert lines["建设内容及规模"] == ["路基", "路基、路面"]
    assert [v for k, v in lines.items() if "责任单位" in k] == [["连山区住建局", "连山区交通局"]]
    assert lines["2023年 年度计划投资（万元）"] == ["1,000", "1,200"]


def test_the_preview_page_caps_the_differences_and_downloads_them_all(cast, client, tmp_path, settings):
    from keyprojects.ledgers import messages
    from tests.test_ledger_quirks import HEADER, import_rows, xlsx_rows

    settings.MEDIA_ROOT = tmp_path / "media"
    rows = [[i, f"连山区道路工程{i:02d}", "连山区", "", 5000, 1000, "否", "", ""] for i in range(1, 31)]
    import_rows(tmp_path, rows, cast.city, header=HEADER)
    path = workbook(tmp_path / "again.xlsx", ("项目", [HEADER, *[[*r[:4], 6000, *r[5:]] for r in rows[:25]],
                                                      *rows[25:]], []))
    client.force_login(cast.admin)
    with path.open("rb") as f:
        page = client.post("/ledgers/import/", {"file": f, "year": 2023, "region": cast.city.pk}).content.decode()
    assert "将变更 25 个已有项目" in page and "未变化 5 个" in page
    assert "连山区道路工程20" in page and "连山区道路工程21" not in page  # the first 20 listed
    preview = client.session["ledger_upload"]["preview"]
    download = client.get(f"/ledgers/import/jobs/{preview}/changes.xlsx")
    table = xlsx_rows(download.content)
    assert table[0] == messages.CHANGES_HEADER and len(table) == 26
    assert table[-1][:2] == ["连山区道路工程25", ""] and table[-1][3:] == ["5,000", "6,000"]


def test_the_preview_mapping_step_previews_again_with_the_users_columns(cast, client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = workbook(tmp_path / "api.xlsx", ("data", [API_HEADER, *API_ROWS], []))
    client.force_login(cast.admin)
    with path.open("rb") as f:
        page = client.post("/ledgers/import/", {"file": f, "year": 2023, "region": cast.city.pk}).content.decode()
    assert 'id="mapping"' in page and "A列“projectName”" in page
    token = client.session["ledger_upload"]["preview"]
    bad = client.post(f"/ledgers/import/previews/{token}/remap/", {"map_A": "name", "map_B": "name"}).content.decode()
    assert "列“A”和列“B”都对应到“项目名称”" in bad
    again = client.post(f"/ledgers/import/previews/{token}/remap/", {
        "map_A": "name", "map_B": "region", "map_C": "total", "unit_C": "亿元", "map_D": "annual_plan", "map_E": "",
        "header_row": "1"}, follow=True).content.decode()
    assert "新增 2 个" in again and "×10000 折算为万元" in again and "<option selected>亿元</option>" in again
    new_token = client.session["ledger_upload"]["preview"]
    done = client.post("/ledgers/import/", {"confirm": new_token}).content.decode()
    assert "新增 2 个" in done
    from keyprojects.ledgers.models import ColumnMapping
    assert ColumnMapping.objects.get(region=cast.city).mapping["C"] == "total:亿元"


def test_a_county_clerk_saves_the_mapping_for_the_city(cast, tmp_path):
    from keyprojects.ledgers import mapping
    from keyprojects.ledgers.models import ColumnMapping

    path = workbook(tmp_path / "api.xlsx", ("data", [API_HEADER, *API_ROWS], []))
    import_ledger(cast.lianshan_clerk, path, 2023, region=cast.lianshan, columns=mapping.parse(API_MAP))
    saved = ColumnMapping.objects.get()
    assert saved.region == cast.city and saved.updated_by == cast.lianshan_clerk
    assert saved.history.get().history_user == cast.lianshan_clerk

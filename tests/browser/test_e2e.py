"""End to end in headless chromium: a county files the month, the city returns and approves it,
a dashboard figure opens the projects behind it, a ledger is uploaded and imported.

Each step leaves a full-page screenshot in var/artifacts/browser/<test>/ (see conftest.py).
"""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import xlsxwriter
from conftest import PASSWORD
from django.utils import timezone
from playwright.sync_api import expect

from keyprojects.core.audit import Source, audit_context
from keyprojects.demo.common import DEMO_PASSWORD
from keyprojects.demo.huludao import HuludaoDemo
from keyprojects.projects.models import AnnualPlan, Nature, Project
from keyprojects.reporting import services
from keyprojects.reporting.models import ProgressReport, ReportingPeriod

Status = ProgressReport.Status
HOUSING = "连山区钢屯镇老旧小区改造工程"


@pytest.fixture
def month_open(cast) -> ReportingPeriod:
    """This month open for filing (set by the city admin); two 连山区 projects and one 绥中县
    project in this year's plan."""
    today = timezone.localdate()
    with audit_context(Source.SYSTEM, detail="browser test fixture"):
        housing = Project.objects.create(name=HOUSING, region=cast.lianshan, total_investment=Decimal("5000"),
                                         sector=cast.sector)
        AnnualPlan.objects.create(project=housing, year=today.year, nature=Nature.NEW,
                                  planned_investment=Decimal("2000"))
        AnnualPlan.objects.create(project=cast.p_lianshan, year=today.year, nature=Nature.CONTINUING,
                                  planned_investment=Decimal("12000"), prior_completed=Decimal("20000"))
        AnnualPlan.objects.create(project=cast.p_suizhong, year=today.year, nature=Nature.CONTINUING,
                                  planned_investment=Decimal("18000"), prior_completed=Decimal("20000"))
    return services.create_period(cast.admin, cast.city, today.year, today.month,
                                  opens_on=today - timedelta(days=3), closes_on=today + timedelta(days=7))


def first_day(period: ReportingPeriod) -> date:
    """A start date inside the period's month (and so inside the plan's year)."""
    return date(period.year, period.month, 1)


def fill_row(page, project_name: str):
    return page.locator("table.fill-table tbody tr", has_text=project_name)


def test_county_clerk_fills_saves_and_submits_the_month(visitor, cast, month_open):
    clerk = visitor()
    page = clerk.page
    clerk.log_in("lianshan", PASSWORD)
    page.get_by_role("link", name="月报", exact=True).click()
    expect(page.get_by_role("heading", name="月报填报期")).to_be_visible()
    clerk.shot("periods")

    page.get_by_role("link", name="填报", exact=True).click()
    expect(page.get_by_text("本期还没有月报")).to_be_visible()
    page.get_by_role("button", name="从上月带入（2 个待建）").click()
    expect(page.get_by_text("已从上月带入 2 个项目的月报草稿")).to_be_visible()
    expect(page.get_by_text(cast.p_suizhong.name)).to_have_count(0)  # another county's project
    clerk.shot("drafts-created")

    chemicals = fill_row(page, cast.p_lianshan.name)
    chemicals.locator("input[name$='-completed_month']").fill("800")
    # the screen adds this month to last month's cumulative figures as the clerk types
    expect(chemicals.locator("input[name$='-completed_ytd']")).to_have_value("800")
    expect(chemicals.locator("input[name$='-completed_since_start']")).to_have_value("20800")
    chemicals.get_by_label("已开复工").check()
    chemicals.locator("input[name$='-started_on']").fill(first_day(month_open).isoformat())
    chemicals.locator("textarea[name$='-progress']").fill("苯二胺装置主体结构施工")
    fill_row(page, HOUSING).locator("textarea[name$='-progress']").fill("办理施工许可")
    clerk.shot("figures-typed")

    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("已保存 2 个项目的月报草稿")).to_be_visible()
    report = ProgressReport.objects.get(project=cast.p_lianshan, period=month_open)
    assert (report.status, report.completed_month, report.completed_ytd) == (Status.DRAFT, 800, 800)
    assert report.completed_since_start == 20800 and report.started_on == first_day(month_open)
    clerk.shot("draft-saved")

    page.get_by_role("button", name="保存并报送全部").click()
    expect(page.get_by_text("已报送 2 个项目的月报")).to_be_visible()
    expect(page.locator("table.fill-table .badge", has_text="已报送")).to_have_count(2)
    reports = ProgressReport.objects.filter(period=month_open)
    assert {(r.project_id, r.status, r.submitted_by_id, r.late) for r in reports} == {
        (cast.p_lianshan.pk, Status.SUBMITTED, cast.lianshan_clerk.pk, False),
        (Project.objects.get(name=HOUSING).pk, Status.SUBMITTED, cast.lianshan_clerk.pk, False),
    }
    clerk.shot("submitted")


@pytest.fixture
def submitted(cast, month_open) -> ProgressReport:
    """连山区's report of this month, filed and submitted by its clerk."""
    clerk = cast.lianshan_clerk
    report = services.save_draft(clerk, cast.p_lianshan.pk, month_open.pk, {
        "completed_month": Decimal("3000"), "completed_ytd": Decimal("3000"),
        "completed_since_start": Decimal("23000"), "started": True, "started_on": first_day(month_open),
        "progress": "苯二胺装置主体结构施工"})
    return services.submit_report(clerk, report.pk, report.version)


def test_city_returns_a_report_and_approves_it_once_resubmitted(visitor, cast, month_open, submitted):
    reviewer = visitor()
    page = reviewer.page
    reviewer.log_in("admin", PASSWORD)
    page.get_by_role("link", name="月报", exact=True).click()
    page.get_by_role("link", name="审核", exact=True).click()
    expect(page.get_by_role("heading", name="月报审核")).to_be_visible()
    review_url = page.url
    row = page.locator("tbody tr", has_text=cast.p_lianshan.name)
    expect(row).to_contain_text("lianshan")  # who submitted it
    reviewer.shot("review-list")

    row.get_by_role("link", name="退回").click()
    reason = "本月完成投资与工程形象进度不符，请核实后重报"
    page.get_by_label("退回原因").fill(reason)
    page.get_by_role("button", name="退回修改").click()
    expect(page.get_by_text("月报已退回")).to_be_visible()
    expect(page.locator(".page-title .badge")).to_have_text("已退回")
    submitted.refresh_from_db()
    assert (submitted.status, submitted.return_reason, submitted.reviewed_by) == (Status.RETURNED, reason, cast.admin)
    reviewer.shot("returned")

    clerk = visitor()
    clerk.log_in("lianshan", PASSWORD)
    clerk.page.get_by_role("link", name="月报", exact=True).click()
    clerk.page.get_by_role("link", name="填报", exact=True).click()
    row = fill_row(clerk.page, cast.p_lianshan.name)
    expect(row.locator(".badge")).to_have_text("已退回")
    expect(row).to_contain_text(f"退回原因：{reason}")
    clerk.shot("clerk-sees-returned")
    row.locator("input[name$='-completed_month']").fill("1800")
    expect(row.locator("input[name$='-completed_ytd']")).to_have_value("1800")
    clerk.page.get_by_role("button", name="保存并报送全部").click()
    expect(clerk.page.get_by_text("已报送 1 个项目的月报")).to_be_visible()
    expect(row.locator(".badge")).to_have_text("已报送")
    submitted.refresh_from_db()
    assert (submitted.status, submitted.completed_month, submitted.completed_since_start) == (
        Status.SUBMITTED, 1800, 21800)
    clerk.shot("resubmitted")

    page.goto(review_url)
    page.locator("tbody tr", has_text=cast.p_lianshan.name).get_by_role("button", name="通过").click()
    expect(page.get_by_text("月报已审核通过")).to_be_visible()
    expect(page.get_by_text("没有该状态的月报")).to_be_visible()  # back on the list of reports to review
    page.get_by_role("link", name=re.compile(r"^已审核 \d+$")).click()  # the tab carries its count
    expect(page.locator("tbody tr", has_text=cast.p_lianshan.name)).to_be_visible()
    submitted.refresh_from_db()
    assert (submitted.status, submitted.reviewed_by, submitted.return_reason) == (Status.APPROVED, cast.admin, "")
    plan = AnnualPlan.objects.get(project=cast.p_lianshan, year=month_open.year)
    assert plan.started and plan.started_on == first_day(month_open)  # the approved start is the plan's record
    reviewer.shot("approved")

    clerk.page.reload()
    expect(fill_row(clerk.page, cast.p_lianshan.name).locator(".badge")).to_have_text("已审核")
    expect(fill_row(clerk.page, cast.p_lianshan.name).locator("input[name$='-completed_month']")).to_have_count(0)
    clerk.shot("clerk-sees-approved")


@pytest.fixture
def huludao(transactional_db) -> None:
    """The Huludao demo (500 projects, reports January–May 2022; ~12 s): the dashboard as people see it."""
    with audit_context(Source.SYSTEM, detail="browser test: Huludao demo"):
        HuludaoDemo().load()


def test_dashboard_figures_open_the_projects_behind_them(visitor, huludao):
    admin = visitor()
    page = admin.page
    admin.log_in("admin", DEMO_PASSWORD)
    admin.open("/dashboard/?as_of=2022-06-05")
    expect(page.get_by_role("heading", name="葫芦岛市 2022年重点项目驾驶舱")).to_be_visible()
    expect(page.locator("#chart-monthly canvas")).to_have_count(1)
    page.wait_for_timeout(1000)  # let ECharts finish its entry animation before the screenshot
    admin.shot("dashboard")
    dashboard = page.url

    # a headline card: 已开复工 N 个
    started = page.locator(".card-body", has=page.locator(".subheader", has_text="开复工率")).locator("a").first
    figure = started.inner_text()
    assert figure == "329"  # the published figure the demo reproduces
    started.click()
    expect(page).to_have_url(re.compile(r"/projects/\?"))
    expect(page.locator("[data-total=count]")).to_have_text(figure)
    admin.shot("started-projects")

    # a county-table figure: 连山区's 本年完成 (亿元)
    page.goto(dashboard)
    county = page.locator("tr", has=page.get_by_role("link", name="连山区", exact=True))
    completed = county.locator("td").nth(6).locator("a")
    figure = completed.inner_text()
    assert Decimal(figure) > 0
    completed.click()
    expect(page).to_have_url(re.compile(r"/projects/\?"))
    expect(page.locator("[data-total=completed]")).to_have_text(figure)
    admin.shot("lianshan-completed-projects")


LEDGER_HEADER = ["序号", "项目名称", "所在县区", "建设性质", "行业领域", "建设内容及规模", "总投资（万元）",
                 "2023年计划投资（万元）", "1-5月完成投资（万元）", "开累完成投资（万元）", "是否开复工", "开复工时间",
                 "责任单位"]
LEDGER = [
    (1, "连山区塔山乡供热管网改造工程", "连山区", "新开工", "基础设施", "新建供热管网 18 公里", 8600, 3000, 1200, 1200,
     "是", "2023年4月10日", "连山区住房和城乡建设局"),
    (2, "连山区寺儿堡镇农村道路提升工程", "连山区", "新开工", "基础设施", "改造农村公路 26 公里", 5000, 2000, 0, 0,
     "否", "", "连山区交通运输局"),
    (3, "绥中县前所镇污水处理厂提标改造工程", "绥中县", "续建", "生态环保", "日处理 2 万吨，提标至一级A", 12000, 4000,
     1500, 7500, "是", "2023年3月1日", "绥中县住房和城乡建设局"),
]


def write_ledger(path):
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("2023年重点项目")
    sheet.merge_range(0, 0, 0, len(LEDGER_HEADER) - 1, "葫芦岛市2023年重点项目推进情况表")
    sheet.write_row(1, 0, LEDGER_HEADER)
    for r, row in enumerate(LEDGER, start=2):
        sheet.write_row(r, 0, row)
    workbook.close()
    return path


def test_city_admin_uploads_previews_and_imports_a_ledger(visitor, cast, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    ledger = write_ledger(tmp_path / "葫芦岛市2023年重点项目推进情况表.xlsx")
    admin = visitor()
    page = admin.page
    admin.log_in("admin", PASSWORD)
    admin.open("/ledgers/import/")
    page.get_by_label("台账文件").set_input_files(ledger)
    page.get_by_label("计划年度").fill("2023")
    expect(page.get_by_label("所属区划")).to_have_value(str(cast.city.pk))
    admin.shot("upload-form")

    page.get_by_role("button", name="预览（不写入）").click()
    expect(page.get_by_role("heading", name="预览结果（尚未写入）")).to_be_visible()
    expect(page.get_by_text("新增 3 个、更新 0 个、未变化 0 个、跳过 0 个项目。")).to_be_visible()
    assert not Project.objects.filter(name__in=[row[1] for row in LEDGER]).exists()  # a preview writes nothing
    admin.shot("preview")

    page.get_by_role("button", name="确认导入").click()
    # a background job: run at once in the tests (tests/conftest.py), by the worker in production,
    # while the page polls with a progress bar: wait for the summary
    expect(page.get_by_role("heading", name="导入结果")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("新增 3 个、更新 0 个、未变化 0 个、跳过 0 个项目。")).to_be_visible()
    admin.shot("imported")

    imported = {p.name: p for p in Project.objects.filter(name__in=[row[1] for row in LEDGER])}
    assert {name: p.region for name, p in imported.items()} == {
        LEDGER[0][1]: cast.lianshan, LEDGER[1][1]: cast.lianshan, LEDGER[2][1]: cast.suizhong}
    plans = {p.project.name: p for p in AnnualPlan.objects.filter(year=2023, project__in=imported.values())}
    assert plans[LEDGER[2][1]].planned_investment == 4000 and plans[LEDGER[2][1]].prior_completed == 6000

    admin.open("/projects/?year=2023")
    expect(page.locator("[data-total=count]")).to_have_text("3")
    for row in LEDGER:
        expect(page.get_by_role("link", name=row[1])).to_be_visible()
    admin.shot("project-list")

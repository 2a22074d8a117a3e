"""In headless chromium: the filing screen warns before unsaved edits are thrown away and saves
only the rows changed or ticked; the review screen questions a started project that reported 0
for the month and leaves it out of "approve the clean ones"."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from conftest import PASSWORD
from django.utils import timezone
from playwright.sync_api import expect

from keyprojects.core.audit import Source, audit_context
from keyprojects.projects.models import AnnualPlan, Nature, Project
from keyprojects.reporting import services, views
from keyprojects.reporting.models import ProgressReport, ReportingPeriod

Status = ProgressReport.Status
HOUSING, ROAD = "连山区钢屯镇老旧小区改造工程", "连山区塔山路改造工程"


@pytest.fixture
def month(cast) -> ReportingPeriod:
    """This month open for filing, three 连山区 projects in this year's plan, their drafts made."""
    today = timezone.localdate()
    with audit_context(Source.SYSTEM, detail="browser test fixture"):
        for name in (HOUSING, ROAD):
            project = Project.objects.create(name=name, region=cast.lianshan, total_investment=Decimal("5000"),
                                             sector=cast.sector)
            AnnualPlan.objects.create(project=project, year=today.year, nature=Nature.NEW,
                                      planned_investment=Decimal("2000"))
        AnnualPlan.objects.create(project=cast.p_lianshan, year=today.year, nature=Nature.CONTINUING,
                                  planned_investment=Decimal("12000"), prior_completed=Decimal("20000"))
    period = services.create_period(cast.admin, cast.city, today.year, today.month,
                                    opens_on=today - timedelta(days=3), closes_on=today + timedelta(days=7))
    assert services.prefill_period(cast.lianshan_clerk, period.pk) == 3
    return period


def row(page, name: str):
    return page.locator("table.fill-table tbody tr", has_text=name)


def test_the_filing_screen_warns_before_unsaved_edits_are_lost_and_saves_only_touched_rows(
        visitor, cast, month, monkeypatch):
    monkeypatch.setattr(views, "FILL_PAGE", 2)  # two pages: the first holds 连山区's two first projects
    clerk = visitor()
    page = clerk.page
    clerk.log_in("lianshan", PASSWORD)
    clerk.open(f"/reporting/periods/{month.pk}/fill/")
    first, second = (r.project.name for r in ProgressReport.objects.filter(period=month).order_by(
        "project__region__code", "project__name", "pk").select_related("project")[:2])
    expect(page.locator("#fill-status")).to_have_text("本页尚未修改")
    row(page, first).locator("input[name$='-completed_month']").fill("300")
    expect(page.locator("#fill-status")).to_contain_text("已修改 1 个项目")
    clerk.shot("edited")

    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("link", name="下一页").click()
    expect(page).to_have_url(f"{clerk.base_url}/reporting/periods/{month.pk}/fill/")  # stayed
    assert asked == ["本页有修改尚未保存，离开本页将丢失这些修改。确定离开吗？"]
    expect(row(page, first).locator("input[name$='-completed_month']")).to_have_value("300")

    # saving leaves without a question, and saves the changed row only
    before = ProgressReport.objects.get(project__name=second, period=month).version
    page.on("dialog", lambda dialog: pytest.fail(f"asked on saving: {dialog.message}"))
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("已保存 1 个项目的月报草稿；本页另有 1 个项目未修改也未勾选“已核对”，未动")).to_be_visible()
    saved, untouched = (ProgressReport.objects.get(project__name=n, period=month) for n in (first, second))
    assert (saved.completed_month, saved.status) == (300, Status.DRAFT)
    assert untouched.version == before and untouched.completed_month == 0

    # submitting: the saved draft and the row ticked 已核对; nothing asked when moving on unchanged
    row(page, second).get_by_label(f"已核对 — {second}").check()
    expect(page.locator("#fill-status")).to_contain_text("报送将报送 2 个")
    page.get_by_role("button", name="保存并报送本页").click()
    expect(page.get_by_text("已报送 2 个项目的月报")).to_be_visible()
    assert set(ProgressReport.objects.filter(period=month).values_list("project__name", "status")) == {
        (first, Status.SUBMITTED), (second, Status.SUBMITTED),
        (next(n for n in (HOUSING, ROAD, cast.p_lianshan.name) if n not in (first, second)), Status.DRAFT)}
    page.get_by_role("link", name="下一页").click()
    expect(page).to_have_url(f"{clerk.base_url}/reporting/periods/{month.pk}/fill/?&page=2")
    clerk.shot("page-2")


def test_the_filing_screen_is_a_card_per_project_on_a_phone(visitor, cast, month):
    clerk = visitor()
    page = clerk.page
    page.set_viewport_size({"width": 390, "height": 844})
    clerk.log_in("lianshan", PASSWORD)
    clerk.open(f"/reporting/periods/{month.pk}/fill/")
    # nothing wider than the screen: no sideways scrolling, in the page or in the table's card
    widths = page.evaluate("() => [document.documentElement.scrollWidth,"
                           " document.querySelector('.table-responsive').scrollWidth]")
    assert max(widths) <= 390, widths
    expect(row(page, HOUSING).locator("td[data-label='本月完成']")).to_be_visible()
    clerk.shot("phone")


def test_review_questions_a_started_project_with_nothing_done_and_skips_it(visitor, cast, month):
    clerk, first = cast.lianshan_clerk, date(month.year, month.month, 1)
    for name, done in ((HOUSING, Decimal("0")), (ROAD, Decimal("300"))):
        report = ProgressReport.objects.get(project__name=name, period=month)
        services.save_draft(clerk, report.project_id, month.pk, {
            "completed_month": done, "completed_ytd": done, "completed_since_start": done,
            "started": True, "started_on": first, "progress": "主体施工"}, report.version, submit=True)
    city = visitor()
    page = city.page
    city.log_in("admin", PASSWORD)
    city.open(f"/reporting/periods/{month.pk}/review/")
    idle = page.locator("tbody tr", has_text=HOUSING)
    expect(idle).to_contain_text("？待核实")
    expect(idle).to_contain_text("已开复工，本月完成投资却为 0")
    expect(page.locator("tbody tr", has_text=ROAD)).to_contain_text("✓")
    expect(page.locator("#review-skipped")).to_contain_text("跳过本页 1 份有疑问")
    city.shot("review")

    page.get_by_role("button", name="通过本页 1 份无问题的月报").click()
    expect(page.get_by_text("已通过 1 份月报；跳过 1 份有疑问的月报，请逐份查看后通过或退回")).to_be_visible()
    assert dict(ProgressReport.objects.filter(period=month, project__name__in=[HOUSING, ROAD])
                .values_list("project__name", "status")) == {HOUSING: Status.SUBMITTED, ROAD: Status.APPROVED}

"""End to end in headless chromium: a dispatch meeting's decision becomes a problem assigned to a
county, the county replies, the city signs it off, and the dashboard's 问题协调 card counts it.

Each step leaves a full-page screenshot in var/artifacts/browser/<test>/ (see conftest.py).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from conftest import PASSWORD
from django.utils import timezone
from playwright.sync_api import expect

from keyprojects.core.audit import Source, audit_context
from keyprojects.dispatch import services
from keyprojects.dispatch.models import Meeting
from keyprojects.projects.models import AnnualPlan, Nature

DECISION = "连石化工项目施工用电负荷不足，由连山区发展和改革局协调供电公司本月内完成临时用电增容"


@pytest.fixture
def meeting(cast) -> Meeting:
    """Today's concentrated dispatch of 葫芦岛市, with 连石化工 on its agenda and one decision; the
    project is in this year's plan (so the dashboard shows this year)."""
    with audit_context(Source.SYSTEM, detail="browser test fixture"):
        AnnualPlan.objects.create(project=cast.p_lianshan, year=timezone.localdate().year, nature=Nature.CONTINUING,
                                  planned_investment=Decimal("12000"), prior_completed=Decimal("20000"))
    return services.save_meeting(cast.admin, None, None, {
        "kind": "concentrated", "title": "全市重点项目集中调度会", "region": cast.city, "date": timezone.localdate(),
        "chair": cast.leader, "projects": [cast.p_lianshan]}, [(None, DECISION)])


def card_figure(page, label: str) -> str:
    card = page.locator("#dispatch-card")
    return card.locator(".col-3", has=page.locator(".subheader", has_text=label)).locator("a").inner_text()


def test_a_decision_becomes_a_problem_the_county_solves_and_the_city_signs_off(visitor, cast, meeting):
    today = timezone.localdate()
    dashboard = f"/dashboard/?year={today.year}&as_of={today.isoformat()}"
    city = visitor()
    page = city.page
    city.log_in("admin", PASSWORD)
    city.open(dashboard)
    assert (card_figure(page, "提出"), card_figure(page, "已销号"), card_figure(page, "未销号")) == ("0", "0", "0")

    # the meeting's decision, turned into a problem assigned to 连山区's commission in one step
    city.open(f"/dispatch/meetings/{meeting.pk}/")
    city.shot("meeting")
    page.get_by_role("link", name="转为问题交办").click()
    expect(page.get_by_label("问题摘要")).not_to_be_empty()
    page.get_by_label("牵头单位").select_option(label=f"{cast.lianshan_fgj.name}")
    page.get_by_label("办理时限").fill((today + timedelta(days=10)).isoformat())
    city.shot("problem-form")
    page.get_by_role("button", name="提出").click()
    expect(page.locator("body")).to_contain_text("办理中")
    problem_url = page.url
    city.shot("problem-assigned")
    city.open(f"/dispatch/meetings/{meeting.pk}/")
    expect(page.locator("body")).to_contain_text("办理中")  # the meeting lists what came of its decision

    # the county finds it in its to-do and replies that it is solved
    county = visitor()
    county.log_in("lianshan", PASSWORD)
    county.open("/dispatch/todo/")
    expect(county.page.locator("[data-count=in_hand]")).to_have_text("1")
    county.page.get_by_role("link", name=DECISION[:10]).first.click()
    county.page.get_by_label("答复内容").fill("已协调供电公司完成临时用电增容，现场已通电施工。")
    county.page.get_by_role("button", name="提交答复").click()
    expect(county.page.locator("body")).to_contain_text("已办结")
    county.shot("replied")

    # the city, which raised it, signs it off; the card counts it raised, solved, on time
    page.goto(problem_url)
    page.get_by_label("销号意见").fill("经现场核实，问题已解决。")
    page.get_by_role("button", name="确认解决，销号").click()
    expect(page.locator("body")).to_contain_text("已销号")
    city.shot("signed-off")
    city.open(dashboard)
    assert (card_figure(page, "提出"), card_figure(page, "已销号"), card_figure(page, "未销号")) == ("1", "1", "0")
    expect(page.locator("#dispatch-card")).to_contain_text("100.0%")
    city.shot("dashboard-counts-it")
    page.locator("#dispatch-card .col-3", has=page.locator(".subheader", has_text="已销号")).locator("a").click()
    expect(page.locator("body")).to_contain_text(DECISION[:10])

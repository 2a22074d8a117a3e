"""End to end in headless chromium: a county clerk fills a late approval item, the daily warning
job runs, the project's red warning is gone and the dashboard's red count drops by one.

Each step leaves a full-page screenshot in var/artifacts/browser/<test>/ (see conftest.py).
"""

from datetime import timedelta

import pytest
from conftest import PASSWORD
from django.utils import timezone
from playwright.sync_api import expect

from keyprojects.alerts import services as alert_services
from keyprojects.alerts import tasks
from keyprojects.alerts.models import Colour, Kind, Warning
from keyprojects.approvals.models import ApprovalItem, ProjectApproval
from keyprojects.core.audit import Source, audit_context

NUMBER = "葫建施〔2026〕17号"


@pytest.fixture
def late_permit(cast) -> ProjectApproval:
    """连石化工's construction permit, due 40 days ago and not obtained: red under the city's
    default rules (30 days late); 绥中's project has a late start (red) that stays."""
    today = timezone.localdate()
    alert_services.create_default_rules(cast.admin, cast.city)
    with audit_context(Source.SYSTEM, detail="browser test fixture"):
        item = ApprovalItem.objects.create(region=cast.city, code="permit", name="施工许可证",
                                           issuer_name="住房和城乡建设局", duration=20, validity_months=3)
        permit = ProjectApproval.objects.create(project=cast.p_lianshan, item=item, issuer=None,
                                                planned_from=today - timedelta(days=70),
                                                planned_on=today - timedelta(days=40))
        other = ProjectApproval.objects.create(project=cast.p_suizhong, item=item,
                                               planned_from=today - timedelta(days=90),
                                               planned_on=today - timedelta(days=60))
    tasks.evaluate_warnings.call()  # the daily job, as the schedule runs it (today)
    assert Warning.objects.get(project=cast.p_lianshan, kind=Kind.APPROVAL_LATE).colour == Colour.RED
    assert Warning.objects.get(project=cast.p_suizhong, kind=Kind.APPROVAL_LATE, key=f"approval:{other.pk}").is_open
    return permit


def red_count(page) -> int:
    card = page.locator("#warnings-card")
    return int(card.locator(".col-6", has=page.locator(".subheader", has_text="红色预警")).locator("a").inner_text())


def test_the_county_fills_a_late_item_and_the_red_warning_and_its_count_go(visitor, cast, late_permit):
    today = timezone.localdate()
    city_dashboard = f"/dashboard/?year={today.year}&as_of={today.isoformat()}"
    city = visitor()
    city.log_in("admin", PASSWORD)
    city.open(city_dashboard)
    assert red_count(city.page) == 2  # 连山 and 绥中, one late permit each
    city.shot("city-dashboard-before")

    clerk = visitor()
    page = clerk.page
    clerk.log_in("lianshan", PASSWORD)
    clerk.open(f"/dashboard/?year={today.year}&as_of={today.isoformat()}")
    assert red_count(page) == 1  # the county sees its own
    clerk.open(f"/projects/{cast.p_lianshan.pk}/")
    badge = page.locator(".page-title .badge.bg-red")
    expect(badge).to_have_text("红1")
    clerk.shot("project-red")

    # from the project to its approvals, to the late item, and fill it
    page.locator("#approvals").get_by_role("link", name="倒排计划与办理情况").click()
    page.get_by_role("link", name="施工许可证").first.click()
    expect(page.locator(".page-title")).to_contain_text("施工许可证")
    page.get_by_label("实际办结日期").fill(today.isoformat())
    page.get_by_label("批复文号").fill(NUMBER)
    clerk.shot("item-form")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("body")).to_contain_text(NUMBER)
    clerk.shot("item-filled")
    late_permit.refresh_from_db()
    assert late_permit.obtained_on == today and late_permit.number == NUMBER

    # the warning stays until the job looks again (it is the job's to close, with its history)
    clerk.open(f"/projects/{cast.p_lianshan.pk}/")
    expect(badge).to_have_text("红1")
    assert tasks.evaluate_warnings.call()["closed"] == 1
    page.reload()
    expect(page.locator(".page-title .badge")).to_have_count(0)
    clerk.shot("project-no-warning")
    clerk.open(f"/dashboard/?year={today.year}&as_of={today.isoformat()}")
    assert red_count(page) == 0
    clerk.shot("county-dashboard-after")

    city.open(city_dashboard)
    assert red_count(city.page) == 1
    city.shot("city-dashboard-after")
    city.page.locator("#warnings-card .col-6", has=city.page.locator(".subheader", has_text="红色预警")).locator("a").click()
    expect(city.page.locator("body")).to_contain_text(cast.p_suizhong.name)
    expect(city.page.locator("body")).not_to_contain_text(cast.p_lianshan.name)

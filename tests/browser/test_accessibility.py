"""WCAG 2.1 AA in headless chromium: axe-core (vendored in tests/browser/vendor/, not served by
the app) finds no serious or critical violation on the main pages; every page has a skip link, a
<main> and one <h1>; the grouped top nav works by keyboard and on a phone."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import PASSWORD
from django.utils import timezone
from playwright.sync_api import Page, expect

from keyprojects.core.audit import Source, audit_context
from keyprojects.projects.models import AnnualPlan, Nature, Stage
from keyprojects.reporting import services
from keyprojects.reporting.models import ReportingPeriod

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page: Page) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it stands."""
    page.evaluate(AXE.read_text(encoding="utf-8"))  # (evaluated, not a <script>: the CSP allows no inline one)
    found = page.evaluate("""async (tags) => {
        const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
        return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' — ' + n.failureSummary).join(' | '));
    }""", WCAG_AA)
    return [f"{page.url} {v}" for v in found]


def structure(page: Page) -> list[str]:
    """What every page needs besides axe's rules: a skip link to a <main>, one <h1>."""
    problems = []
    if page.locator("h1").count() != 1:
        problems.append(f"{page.url}: {page.locator('h1').count()} <h1>")
    if page.locator("main").count() != 1:
        problems.append(f"{page.url}: no single <main>")
    return problems


@pytest.fixture
def month(cast) -> ReportingPeriod:
    """This month open, 连山区's project in this year's plan with its draft; a project in 在建."""
    today = timezone.localdate()
    with audit_context(Source.SYSTEM, detail="browser test fixture"):
        AnnualPlan.objects.create(project=cast.p_lianshan, year=today.year, nature=Nature.CONTINUING,
                                  planned_investment=Decimal("12000"), prior_completed=Decimal("20000"))
        cast.p_suizhong.stage = Stage.CONSTRUCTION
        cast.p_suizhong.save()
    period = services.create_period(cast.admin, cast.city, today.year, today.month,
                                    opens_on=today - timedelta(days=3), closes_on=today + timedelta(days=7))
    services.prefill_period(cast.lianshan_clerk, period.pk)
    return period


def test_the_main_pages_have_no_serious_or_critical_axe_violation(visitor, cast, month):
    person = visitor()
    page = person.page
    person.open("/login/")
    found = violations(page)
    person.log_in("admin", PASSWORD)
    pages = ["/dashboard/", "/projects/", f"/projects/{cast.p_lianshan.pk}/", f"/projects/{cast.p_lianshan.pk}/edit/",
             "/reporting/", f"/reporting/periods/{month.pk}/fill/", f"/reporting/periods/{month.pk}/review/?status=draft",
             "/ledgers/import/", "/people/", "/map/"]
    for path in pages:
        person.open(path)
        page.wait_for_load_state("networkidle")
        found += violations(page) + structure(page)
    clerk = visitor()
    clerk.log_in("lianshan", PASSWORD)
    clerk.open(f"/reporting/periods/{month.pk}/fill/")
    found += violations(clerk.page) + structure(clerk.page)
    assert found == []


def test_the_skip_link_is_the_first_tab_stop_and_leads_to_the_page(visitor, cast, month):
    clerk = visitor()
    page = clerk.page
    clerk.log_in("lianshan", PASSWORD)
    clerk.open(f"/reporting/periods/{month.pk}/fill/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到正文")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    # from the page's start, the filing actions are a few presses away, not behind every row
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "保存草稿":
            break
    expect(page.get_by_role("button", name="保存草稿")).to_be_focused()


def test_the_grouped_nav_opens_by_keyboard_and_on_a_phone(visitor, cast):
    admin = visitor()
    page = admin.page
    admin.log_in("admin", PASSWORD)
    admin.open("/dashboard/")
    group = page.get_by_role("button", name="调度", exact=True)
    expect(group).to_have_attribute("aria-expanded", "false")
    group.focus()
    page.keyboard.press("Enter")
    expect(group).to_have_attribute("aria-expanded", "true")
    problems = page.get_by_role("link", name="问题台账")
    expect(problems).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name="调度会")).to_be_focused()
    admin.shot("nav-open")
    page.keyboard.press("Escape")
    expect(group).to_have_attribute("aria-expanded", "false")
    expect(problems).to_be_hidden()
    # the nav fits one line at 1440 px: every top item on the bar's first row
    tops = page.evaluate("() => [...document.querySelectorAll('#navbar-menu > .navbar-nav > .nav-item')]"
                         ".map(li => li.getBoundingClientRect().top)")
    assert len(set(tops)) == 1, tops

    # the current page is marked in its group
    admin.open("/dispatch/problems/")
    expect(page.get_by_role("button", name="调度", exact=True).locator("xpath=..")).to_have_class("nav-item dropdown active")

    page.set_viewport_size({"width": 390, "height": 844})
    admin.open("/dashboard/")
    page.get_by_role("button", name="菜单").click()
    # the menu has finished unfolding (Bootstrap's "collapsing", then "show") before a group is opened in it
    expect(page.locator("#navbar-menu")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    page.get_by_role("button", name="管理", exact=True).click()
    people = page.get_by_role("link", name="单位与人员")
    expect(people).to_be_visible()
    admin.shot("nav-phone")
    people.click()
    expect(page).to_have_url(f"{admin.base_url}/people/")

"""The project's page tells its story (项目画像): the plan against completion month by month, the
report history, its open warnings and the meetings that dispatched it, each in the user's scope."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from keyprojects.alerts.models import Kind, Warning, WarningRule
from keyprojects.dispatch.models import Meeting
from keyprojects.reporting import services as reporting

pytestmark = pytest.mark.django_db


def filed(cast, month: int, done: str, ytd: str, approve: bool = True):
    period = reporting.create_period(cast.admin, cast.city, 2022, month, date(2022, month, 20), date(2022, month, 25))
    report = reporting.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, period.pk, {
        "completed_month": Decimal(done), "completed_ytd": Decimal(ytd), "completed_since_start": Decimal(ytd),
        "started": True, "started_on": date(2022, 3, 1), "progress": f"{month}月主体施工"})
    report = reporting.submit_report(cast.lianshan_clerk, report.pk)
    return reporting.approve_report(cast.admin, report.pk) if approve else report


def test_the_page_charts_the_approved_months_against_the_plan_and_lists_the_reports(cast, login):
    filed(cast, 3, "1000", "1000")
    filed(cast, 4, "2500", "3500")
    filed(cast, 5, "700", "4200", approve=False)  # submitted, not approved: listed, not charted
    response = login(cast.admin).get(reverse("projects:detail", args=[cast.p_lianshan.pk]))
    assert response.status_code == 200
    chart = response.context["chart"]
    assert chart["completed"][2:5] == [1000.0, 2500.0, 0.0]
    assert chart["cumulative"][:5] == [None, None, 1000.0, 3500.0, None]
    assert chart["planned"][11] == 13000.0  # the plan of 2022 (52,000 / 4)
    months = [r.period.month for r in response.context["reports"]]
    assert months == [5, 4, 3]
    page = response.content.decode()
    assert "月报记录" in page and "5月主体施工" in page and "2022年计划与逐月完成" in page


def test_the_page_shows_the_projects_open_warnings_and_its_meetings_to_those_who_see_them(cast, login):
    rule = WarningRule.objects.create(region=cast.city, kind=Kind.NO_PROGRESS, yellow=1, red=2)
    Warning.objects.create(rule=rule, kind=rule.kind, colour="red", project=cast.p_lianshan, region=cast.lianshan,
                           key=f"p{cast.p_lianshan.pk}", reason="连续 2 个月本月完成投资为 0", opened_on=date(2022, 5, 1))
    meeting = Meeting.objects.create(kind="concentrated", title="5月项目调度会", region=cast.city, date=date(2022, 5, 10))
    meeting.projects.add(cast.p_lianshan)
    page = login(cast.admin).get(reverse("projects:detail", args=[cast.p_lianshan.pk])).content.decode()
    assert "连续 2 个月本月完成投资为 0" in page and "5月项目调度会" in page
    project = login(cast.suizhong_clerk).get(reverse("projects:detail", args=[cast.p_suizhong.pk])).content.decode()
    assert "连续 2 个月本月完成投资为 0" not in project and "尚无月报" in project

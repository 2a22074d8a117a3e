"""The roll-up of approved reports (``PlanProgress``) gives the same figures as the reports.

The indicators read a plan's completed investment and its monthly figures from the roll-up
where it holds as of the date, and from the reports elsewhere. These tests check the roll-up is
rebuilt by every kind of write and that a later approval does not change an earlier date's
figures; ``test_demo_stats`` compares the roll-up's figures on the demo with the same figures
computed from the reports in Python (a module may use the demo or the cast, not both).
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from keyprojects.core.audit import Source, audit_context
from keyprojects.indicators.engine import monthly_series, plan_stats, plans_in
from keyprojects.projects import services as project_services
from keyprojects.projects.models import AnnualPlan
from keyprojects.reporting import progress, services
from keyprojects.reporting.models import PlanProgress, ProgressReport

pytestmark = pytest.mark.django_db
Status = ProgressReport.Status


def snapshot() -> list[tuple]:
    return list(PlanProgress.objects.order_by("plan_id").values_list())


def rebuilt() -> list[tuple]:
    progress.refresh()
    return snapshot()


def test_a_later_approval_does_not_leak_into_an_earlier_date(cast):
    """As of a day before June was approved, only May counts, in the figures and the chart."""
    plan = AnnualPlan.objects.get(project=cast.p_lianshan, year=2022)
    may = services.create_period(cast.admin, cast.city, 2022, 5, date(2022, 5, 20), date(2022, 5, 25))
    june = services.create_period(cast.admin, cast.city, 2022, 6, date(2022, 6, 20), date(2022, 6, 25))
    approve(cast, may.pk, month=Decimal("1000"), ytd=Decimal("1000"))
    first = ProgressReport.objects.get(period=may).reviewed_at
    approve(cast, june.pk, month=Decimal("500"), ytd=Decimal("1500"))
    row = PlanProgress.objects.get(plan=plan)
    assert (row.ytd_05, row.done_05, row.ytd_06, row.done_06, row.at_07) == (1000, 1000, 1500, 500, None)
    between = timezone.localtime(first).date()
    ProgressReport.objects.filter(period=june).update(reviewed_at=first + timedelta(days=3))  # approved later
    progress.refresh([plan.pk])
    plans = plans_in(2022, cast.lianshan)
    assert plan_stats(plans, between)["completed_investment"] == Decimal("1000")
    assert plan_stats(plans, between + timedelta(days=3))["completed_investment"] == Decimal("1500")
    assert [s["cumulative"] for s in monthly_series(2022, between, cast.lianshan)][3:6] == [None, Decimal("1000"), None]


def approve(cast, period_id: int, month: Decimal, ytd: Decimal, started_on: date = date(2022, 4, 10)) -> ProgressReport:
    services.prefill_period(cast.lianshan_clerk, period_id)
    report = services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, period_id, {
        "completed_month": month, "completed_ytd": ytd, "completed_since_start": ytd,
        "started": True, "started_on": started_on, "progress": "主体施工"})
    report = services.submit_report(cast.lianshan_clerk, report.pk)
    return services.approve_report(cast.admin, report.pk)


def test_every_write_keeps_the_roll_up_in_step(cast):
    may = services.create_period(cast.admin, cast.city, 2022, 5, date(2022, 5, 20), date(2022, 5, 25))
    june = services.create_period(cast.admin, cast.city, 2022, 6, date(2022, 6, 20), date(2022, 6, 25))
    assert snapshot() == []
    approve(cast, may.pk, Decimal("1000"), Decimal("1000"))
    report = approve(cast, june.pk, Decimal("500"), Decimal("1500"))
    assert len(snapshot()) == 1 and snapshot() == rebuilt()

    services.correct_report(cast.admin, report.pk, {"completed_month": Decimal("700"),
                                                    "completed_ytd": Decimal("1700"),
                                                    "completed_since_start": Decimal("1700")}, "统计口径更正")
    assert PlanProgress.objects.get().ytd_06 == Decimal("1700")
    assert snapshot() == rebuilt()

    # no service takes a report out of "approved" today; any save that does refreshes the row
    report.refresh_from_db()
    with audit_context(Source.SYSTEM, detail="test"):
        report.status = Status.RETURNED
        report.save()
    row = PlanProgress.objects.get()
    assert (row.ytd_05, row.ytd_06, row.at_06) == (Decimal("1000"), None, None)
    assert snapshot() == rebuilt()

    project_services.delete_project(cast.admin, cast.p_lianshan.pk, None)
    assert snapshot() == [] == rebuilt()


def test_a_plan_added_after_its_reports_picks_them_up(cast):
    plan = AnnualPlan.objects.get(project=cast.p_lianshan, year=2022)
    may = services.create_period(cast.admin, cast.city, 2022, 5, date(2022, 5, 20), date(2022, 5, 25))
    approve(cast, may.pk, Decimal("1000"), Decimal("1000"))
    fields = {f.name: getattr(plan, f.name) for f in AnnualPlan._meta.concrete_fields if f.name not in ("id",)}
    plan.delete()
    assert snapshot() == []
    AnnualPlan.objects.create(**fields)
    assert PlanProgress.objects.get().ytd_05 == Decimal("1000")


def test_refresh_progress_command_rebuilds_every_row(cast, capsys):
    may = services.create_period(cast.admin, cast.city, 2022, 5, date(2022, 5, 20), date(2022, 5, 25))
    approve(cast, may.pk, Decimal("1000"), Decimal("1000"))
    before = snapshot()
    PlanProgress.objects.all().delete()
    call_command("refresh_progress")
    assert snapshot() == before
    assert "1" in capsys.readouterr().out


@pytest.mark.parametrize("zone", [False, True], ids=["counties", "with a zone"])
def test_the_dashboards_overview_keeps_to_its_year_and_region(cast, zone):
    """The dashboard's one query equals the figures computed one at a time, with plans and
    approved reports of the year before beside it. A development zone (code "…K01", not six
    digits) makes the region breakdown match paths one by one instead of by their start."""
    from keyprojects.core.permissions import SYSTEM
    from keyprojects.indicators import figures
    from keyprojects.regions.services import add_zone

    if zone:
        with audit_context(Source.SYSTEM, detail="test"):
            site = add_zone(cast.admin, cast.city, "葫芦岛高新技术产业开发区")
            cast.project("高新区新材料产业园项目", site, Decimal("30000"))
    project_services.save_annual_plan(cast.admin, cast.p_lianshan.pk, 2021, {
        "nature": "new", "planned_investment": Decimal("3000"), "batch": "construction",
        "started": True, "started_on": date(2021, 4, 1)})
    last = services.create_period(cast.admin, cast.city, 2021, 5, date(2021, 5, 20), date(2021, 5, 25))
    now = services.create_period(cast.admin, cast.city, 2022, 5, date(2022, 5, 20), date(2022, 5, 25))
    approve(cast, last.pk, Decimal("800"), Decimal("800"), started_on=date(2021, 4, 1))
    approve(cast, now.pk, Decimal("1000"), Decimal("1000"))
    for period in (last, now):  # approved when the period closed, not today
        ProgressReport.objects.filter(period=period).update(reviewed_at=timezone.make_aware(
            datetime.combine(period.closes_on, time(12))))
    progress.refresh()

    assert figures.year_figures(SYSTEM, 2021, date(2021, 6, 5), cast.city)["completed_investment"] == Decimal("800")
    day = date(2022, 6, 5)
    dims = ("region", "sector", "batch")
    whole = figures.overview(SYSTEM, 2022, day, cast.city, by=dims)
    assert whole["stats"] == figures.year_figures(SYSTEM, 2022, day, cast.city)
    assert whole["stats"]["completed_investment"] == Decimal("1000")
    assert whole["series"] == monthly_series(2022, day, cast.city)
    for by in dims:
        assert whole[by] == figures.breakdown(SYSTEM, 2022, day, by, cast.city), by
    labels = {r["key"]: r["label"] for r in whole["region"]}
    assert labels[cast.lianshan.code] == "连山区"
    if zone:
        assert labels[site.code] == site.name

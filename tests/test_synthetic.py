"""The synthetic province (keyprojects generate_synthetic): a small slice of Liaoning."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from keyprojects.accounts.models import User
from keyprojects.core.permissions import SYSTEM
from keyprojects.dispatch.models import Meeting, Problem
from keyprojects.indicators import figures
from keyprojects.projects.models import AnnualPlan, Nature, Project, StageTransition
from keyprojects.regions.models import Region
from keyprojects.reporting.checks import check_report
from keyprojects.reporting.models import ProgressReport, ReportingPeriod

UNTIL = "2026-10"
MONTHS = [(2026, 8), (2026, 9), (2026, 10)]
AS_OF = date(2026, 10, 31)


@pytest.fixture(scope="module")
def province(django_db_setup, django_db_blocker):
    """300 projects, August–October 2026, generated once for the module and rolled back after."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("generate_synthetic", province="辽宁省", projects=300, months=3, until=UNTIL, seed=7,
                         verbosity=0)
            yield Region.objects.get(code="210000")
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def liaoning(province, db):
    return province


def in_province(model, path: str, province: Region):
    return model.objects.filter(**{f"{path}__path__startswith": province.path})


def test_every_city_has_a_period_for_every_month_and_every_project_a_county(liaoning):
    cities = Region.objects.filter(parent=liaoning, level=Region.Level.PREFECTURE)
    assert cities.count() == 14
    periods = ReportingPeriod.objects.filter(region__in=cities)
    assert periods.count() == 14 * len(MONTHS)
    assert set(periods.values_list("year", "month")) == set(MONTHS)
    assert periods.get(region__name="沈阳市", year=2026, month=10).state == ReportingPeriod.State.OPEN
    projects = in_province(Project, "region", liaoning)
    assert projects.count() == 300
    assert set(projects.values_list("region__level", flat=True)) == {Region.Level.COUNTY}
    assert projects.filter(code__isnull=False).count() > 250
    for project in projects.exclude(code=None)[:50]:
        project.full_clean()  # the code matches the 项目代码 format, dates are in order


def test_every_plan_project_reports_every_month_of_its_plan_year(liaoning):
    plans = in_province(AnnualPlan, "project__region", liaoning)
    reports = in_province(ProgressReport, "project__region", liaoning)
    expected = sum(len([m for y, m in MONTHS if y == plan.year]) for plan in plans)
    assert 0 < expected == reports.count()
    assert not reports.exclude(period__year__in=[y for y, _ in MONTHS]).exists()
    last = reports.filter(period__month=10)
    statuses = set(last.values_list("status", flat=True))
    assert statuses == {"approved", "submitted", "draft", "returned"}
    assert not reports.filter(period__month__lt=10).exclude(status="approved").exists()
    assert last.filter(status="approved").count() > last.count() / 2


def test_every_row_has_its_history_from_the_command(liaoning):
    for model, path in ((Project, "region"), (AnnualPlan, "project__region"), (ProgressReport, "project__region"),
                        (StageTransition, "project__region")):
        ids = set(in_province(model, path, liaoning).values_list("pk", flat=True))
        created = model.history.filter(id__in=ids, history_type="+")
        assert created.count() == len(ids), model
        assert set(created.values_list("history_source", "history_detail")) == {("command", "generate_synthetic")}


def test_every_report_passes_model_validation_and_only_returned_ones_break_a_rule(liaoning):
    reports = list(in_province(ProgressReport, "project__region", liaoning).select_related("project", "period"))
    plans = {(p.project_id, p.year): p for p in in_province(AnnualPlan, "project__region", liaoning)}
    by_project = defaultdict(list)
    for report in sorted(reports, key=lambda r: (r.period.year, r.period.month)):
        by_project[report.project_id].append(report)
    for series in by_project.values():
        previous = None
        for report in series:
            report.full_clean()
            plan = plans[(report.project_id, report.period.year)]
            assert report.completed_since_start == plan.prior_completed + report.completed_ytd
            findings = check_report(report, previous, plan)
            if report.status != "returned":
                assert [f for f in findings if f.is_blocker] == [], (report.pk, findings)
            if previous is not None and report.status != "returned":
                assert report.completed_ytd >= previous.completed_ytd
            previous = report


def test_plans_never_exceed_what_remains_and_natures_fit_the_start(liaoning):
    for plan in in_province(AnnualPlan, "project__region", liaoning).select_related("project"):
        plan.full_clean()  # planned ≤ total − prior; started ⇔ started_on in the year
        if plan.nature == Nature.NEW:
            assert plan.prior_completed == 0


def test_stats_add_up_from_the_rows_and_by_county(liaoning):
    stats = figures.year_figures(SYSTEM, 2026, AS_OF, liaoning)
    plans = list(in_province(AnnualPlan, "project__region", liaoning).filter(year=2026).select_related("project"))
    assert stats["plan"]["count"] == len(plans)
    assert stats["plan"]["total_investment"] == sum((p.project.total_investment for p in plans), Decimal(0))
    assert stats["plan"]["annual_plan"] == sum((p.planned_investment for p in plans), Decimal(0))
    started = [p for p in plans if p.started and p.started_on <= AS_OF]
    assert stats["started_or_resumed"]["count"] == len(started)
    latest = {}
    end = timezone.make_aware(datetime.combine(AS_OF + timedelta(days=1), time.min))
    for r in ProgressReport.objects.filter(project__in=[p.project_id for p in plans], period__year=2026,
                                           status="approved", reviewed_at__lt=end).order_by("period__month"):
        latest[r.project_id] = r.completed_ytd
    assert stats["completed_investment"] == sum(latest.values(), Decimal(0))
    assert 60 <= stats["rates"]["start_or_resume_rate"] <= 100
    assert 0 < stats["rates"]["completion_rate"] <= 100
    cities = figures.breakdown(SYSTEM, 2026, AS_OF, "region", liaoning)
    assert sum(r["plan"]["count"] for r in cities) == stats["plan"]["count"]
    assert sum(r["completed_investment"] for r in cities) == stats["completed_investment"]


def test_every_city_holds_a_meeting_a_week_and_problems_come_at_a_realistic_rate(liaoning):
    cities = Region.objects.filter(parent=liaoning, level=Region.Level.PREFECTURE)
    meetings = in_province(Meeting, "region", liaoning)
    weeks = len({(day - timedelta(days=day.weekday())) for day in meetings.values_list("date", flat=True)})
    assert 13 <= weeks <= 14 and meetings.count() == cities.count() * weeks
    assert set(meetings.values_list("kind", flat=True)) == set(Meeting.Kind.values)
    assert meetings.filter(projects__isnull=False).exists() and not meetings.filter(decisions__isnull=True).exists()
    problems = in_province(Problem, "project__region", liaoning)
    projects = in_province(AnnualPlan, "project__region", liaoning).values("project").distinct().count()
    assert 0.02 <= problems.count() / projects <= 0.2  # ~0.3 a project a year, over three months
    states = set(problems.values_list("state", flat=True))
    assert {"closed", "in_progress"} <= states
    for problem in problems.select_related("report__project"):
        problem.full_clean()
        events = list(problem.events.order_by("date", "pk").values_list("kind", "state"))
        assert events[0] == ("raised", "new") and events[-1][1] == problem.state
        assert problem.region.level == Region.Level.COUNTY and problem.raiser_unit_id is not None
    closed = problems.filter(state="closed")
    assert not closed.filter(signed_off_at__isnull=True).exists()
    assert not problems.filter(overdue_since__isnull=False).exclude(deadline__lt=AS_OF).exists()
    created = Problem.history.filter(id__in=problems.values("pk"), history_type="+")
    assert created.count() == problems.count()
    assert set(created.values_list("history_source", "history_detail")) == {("command", "generate_synthetic")}


def test_a_second_run_is_refused_unless_replace(liaoning):
    with pytest.raises(CommandError, match="已有合成数据"):
        call_command("generate_synthetic", province="辽宁省", projects=300, months=3, until=UNTIL, verbosity=0)
    before = set(in_province(Project, "region", liaoning).values_list("pk", flat=True))
    from keyprojects.attraction.models import Lead
    from keyprojects.funding.models import Application

    meetings = set(in_province(Meeting, "region", liaoning).values_list("pk", flat=True))
    problems = set(in_province(Problem, "region", liaoning).values_list("pk", flat=True))
    leads = set(in_province(Lead, "region", liaoning).values_list("pk", flat=True))
    applications = set(in_province(Application, "project__region", liaoning).values_list("pk", flat=True))
    call_command("generate_synthetic", province="辽宁省", projects=300, months=3, until=UNTIL, seed=7,
                 replace=True, verbosity=0)
    after = set(in_province(Project, "region", liaoning).values_list("pk", flat=True))
    assert len(after) == 300 and not before & after
    deleted = Project.history.filter(id__in=before, history_type="-")
    assert deleted.count() == len(before)
    for model, path, first in ((Meeting, "region", meetings), (Problem, "region", problems), (Lead, "region", leads),
                               (Application, "project__region", applications)):
        now = set(in_province(model, path, liaoning).values_list("pk", flat=True))
        assert len(now) == len(first) and not now & first, model  # the first run's rows deleted, as many made


@pytest.mark.django_db
def test_postgresql_prices_an_index_read_for_ssd():
    """A county's reports are found through the projects' region index, not by reading the
    province's every project (settings: random_page_cost)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL planner setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"


def test_new_projects_are_scheduled_back_from_their_start_and_the_figure_equals_the_list(liaoning):
    from keyprojects.approvals.filters import ApprovalFilter, totals
    from keyprojects.approvals.models import ApprovalItem, ApprovalSchedule, ProjectApproval, late_q

    cities = Region.objects.filter(parent=liaoning, level=Region.Level.PREFECTURE)
    items = ApprovalItem.objects.filter(region__in=cities)
    assert items.count() == 14 * 14 and not items.filter(region__name="沈阳市", code="permit", issuer=None).exists()
    assert items.get(region__name="沈阳市", code="permit").depends_on.count() == 4
    new = in_province(AnnualPlan, "project__region", liaoning).filter(nature=Nature.NEW)
    schedules = in_province(ApprovalSchedule, "project__region", liaoning)
    assert schedules.count() == new.values("project").distinct().count() > 0
    approvals = in_province(ProjectApproval, "project__region", liaoning)
    assert approvals.count() >= 5 * schedules.count()
    for schedule in schedules.select_related("project"):
        plan = new.filter(project=schedule.project).order_by("-year").first()
        mine = list(approvals.filter(project=schedule.project_id))
        assert schedule.target_start == (plan.started_on or date(plan.year, plan.planned_start_month, 15))
        assert all(a.planned_on < schedule.target_start and a.item.region_id == schedule.project.region.parent_id
                   for a in mine)
        if plan.started_on:  # a project that started had everything before its start
            assert all(a.obtained_on and a.obtained_on < plan.started_on for a in mine), schedule.project_id
    created = ProjectApproval.history.filter(id__in=approvals.values("pk"), history_type="+")
    assert created.count() == approvals.count()
    assert set(created.values_list("history_source", "history_detail")) == {("command", "generate_synthetic")}
    card = figures.approvals(SYSTEM, 2026, AS_OF, liaoning)
    root = User.objects.create(username="synthetic_root", is_superuser=True)
    listed = ApprovalFilter({"year": 2026, "as_of": AS_OF, "region": liaoning.pk},
                            queryset=ProjectApproval.objects.visible_to(root), user=root)
    line = totals(listed.qs, AS_OF)
    assert (card["required"], card["obtained"], card["late"]) == (line["required"], line["obtained"], line["late"])
    assert 0 < card["late"] <= card["required"] - card["obtained"]  # the rest: not due yet
    assert 50 <= card["completion_rate"] < 100
    assert sum(r["required"] for r in card["by_region"]) == card["required"]
    assert approvals.filter(late_q(AS_OF)).exists()


def test_every_city_has_the_default_rules_and_the_daily_job_s_warnings_on_the_day_after(liaoning):
    from keyprojects.alerts import services
    from keyprojects.alerts.models import Kind, StartTarget, Warning, WarningRule

    cities = Region.objects.filter(parent=liaoning, level=Region.Level.PREFECTURE)
    rules = WarningRule.objects.filter(region__in=cities)
    assert rules.count() == 14 * len(Kind.values)
    targets = StartTarget.objects.filter(region__in=cities)
    assert set(targets.values_list("by_date", "rate")) == {(date(2026, 2, 28), 60), (date(2026, 4, 30), 100)}
    assert targets.count() == 28
    day = date(2026, 11, 15)
    warnings = Warning.objects.filter(region__path__startswith=liaoning.path)
    assert warnings.exists() and set(warnings.values_list("opened_on", flat=True)) == {day}
    kinds = set(warnings.values_list("kind", flat=True))
    assert {Kind.LATE_START, Kind.APPROVAL_LATE} <= kinds, kinds
    assert not warnings.filter(project__isnull=False).exclude(project__region__path__startswith=liaoning.path).exists()
    created = Warning.history.filter(id__in=warnings.values("pk"), history_type="+")
    assert created.count() == warnings.count()
    assert services.evaluate(day, liaoning) == {"opened": 0, "changed": 0, "closed": 0, "turned_red": 0}
    card = figures.warnings(SYSTEM, day, liaoning)
    assert card["red"] + card["yellow"] == warnings.count()


def test_half_the_last_years_plans_keep_a_quarterly_roadmap(liaoning):
    from keyprojects.projects.models import PlanQuarter, quarter_target

    quarters = in_province(PlanQuarter, "plan__project__region", liaoning).select_related("plan")
    plans = {q.plan for q in quarters}
    last_year = max(p.year for p in in_province(AnnualPlan, "project__region", liaoning))
    assert plans and {p.year for p in plans} == {last_year} and quarters.count() == 4 * len(plans)
    for quarter in quarters:
        quarter.full_clean()
    plan = min(plans, key=lambda p: p.pk)
    assert quarter_target(plan, date(last_year, 12, 31)) == plan.planned_investment.quantize(Decimal("0.01"))
    created = PlanQuarter.history.filter(id__in=[q.pk for q in quarters], history_type="+")
    assert created.count() == quarters.count()


def test_every_city_has_events_and_leads_through_the_stages_and_landed_leads_are_library_projects(liaoning):
    from keyprojects.attraction.models import (
        Agreement,
        Event,
        FundsReport,
        Lead,
        LeadStage,
        Package,
        PackageItem,
    )

    cities = Region.objects.filter(parent=liaoning, level=Region.Level.PREFECTURE)
    events, leads = in_province(Event, "region", liaoning), in_province(Lead, "region", liaoning)
    per_city = round(300 * (3 / 12 + 182 / 365))  # the span and the half year before it
    assert events.count() == 14 * round(75 * 3 / 12) and leads.count() == 14 * per_city
    for city in cities:  # every city has its share, in the city and its counties
        assert leads.filter(region__path__startswith=city.path).count() == per_city
    assert {"clue", "talks", "intention", "framework", "signed", "dead"} <= set(leads.values_list("stage", flat=True))
    first, last = date(2026, 8, 1), AS_OF
    assert not events.exclude(date__range=(first, last)).exists()
    assert not leads.exclude(found_on__range=(first - timedelta(days=182), last)).exists()
    for lead in leads.prefetch_related("stages", "agreements"):
        steps = [s.to_stage for s in lead.stages.all()]
        assert steps[0] == "clue" and steps[-1] == lead.stage, lead.pk
        days = [s.date for s in lead.stages.all()]
        assert days == sorted(days) and days[-1] <= last
        kinds = {a.kind for a in lead.agreements.all()}
        assert kinds == {k for k, step in (("intention", "intention"), ("framework", "framework"),
                                           ("contract", "signed")) if step in steps}
        if lead.stage == "dead":
            lead.full_clean()  # a reason given
    landed = leads.filter(landed_on__isnull=False).select_related("project")
    for lead in landed:
        assert lead.project is not None and lead.project.region_id == lead.region_id and lead.name == lead.project.name
        funds = FundsReport.objects.filter(lead=lead)
        assert funds.exists() and sum(f.amount for f in funds) <= lead.amount
    assert not leads.filter(landed_on__isnull=True, project__isnull=False).exists()
    assert Project.objects.filter(attraction_lead__in=landed).count() == landed.count()  # each project once
    stats = figures.attraction(SYSTEM, 2026, AS_OF, liaoning)
    assert stats["events"] == events.count()
    assert stats["intentions"] == leads.filter(intention_on__isnull=False).count() > 0
    assert stats["framework_agreements"] == Agreement.objects.filter(lead__in=leads, kind="framework").count() > 0
    # the packages of the last year: one per city leader, holding projects, enterprises and leads
    packages = in_province(Package, "region", liaoning)
    assert packages.count() == 14 * 10 and set(packages.values_list("year", flat=True)) == {2026}
    kinds = set(PackageItem.objects.filter(package__in=packages).values_list("kind", flat=True))
    assert {"enterprise", "lead"} <= kinds and kinds & {"project", "prework"}
    for model, rows in ((Event, events), (Lead, leads), (LeadStage, LeadStage.objects.filter(lead__in=leads)),
                        (Package, packages)):
        created = model.history.filter(id__in=rows.values("pk"), history_type="+")
        assert created.count() == rows.count(), model
        assert set(created.values_list("history_source", "history_detail")) == {("command", "generate_synthetic")}
    # scoped: a county's clerk sees their county's leads only, the city admin the city's
    county = Region.objects.filter(parent__name="沈阳市", attraction_leads__isnull=False).order_by("code").first()
    clerk, admin = User.objects.get(username=f"syn{county.code}"), User.objects.get(username="syn210100")
    mine = Lead.objects.visible_to(clerk)
    assert mine.exists() and set(mine.values_list("region", flat=True)) == {county.pk}
    shenyang = leads.filter(region__path__startswith=county.parent.path)
    assert set(Lead.objects.visible_to(admin).values_list("pk", flat=True)) >= set(shenyang.values_list("pk", flat=True))
    assert not Lead.objects.visible_to(admin).exclude(region__path__startswith=county.parent.path).exists()


def test_every_city_opens_funding_rounds_and_its_counties_apply_with_results_and_issuance(liaoning):
    from keyprojects.funding.models import Application, Round

    rounds = in_province(Round, "region", liaoning)
    applications = in_province(Application, "project__region", liaoning)
    assert rounds.exists() and set(rounds.values_list("region__level", flat=True)) == {Region.Level.PREFECTURE}
    per = rounds.values("region", "kind").annotate(n=Count("id"))
    assert {r["kind"] for r in per} == {"special_bonds", "central_budget", "provincial_subsidy"}
    assert all(1 <= r["n"] <= 4 for r in per)
    plans = in_province(AnnualPlan, "project__region", liaoning)
    for round_ in rounds.filter(deadline__lte=AS_OF):  # every county with plan projects applied (tens each at scale)
        counties = set(plans.filter(year=round_.year, project__region__parent=round_.region_id)
                       .values_list("project__region", flat=True))
        assert set(applications.filter(round=round_).values_list("project__region", flat=True)) == counties, round_
    states = set(applications.values_list("state", flat=True))
    assert {"recommended", "not_recommended", "approved", "rejected"} <= states
    assert applications.filter(issued__isnull=False).exists() and applications.filter(spent__isnull=False).exists()
    for a in applications.select_related("round", "project")[:300]:
        a.full_clean()  # amounts and dates in order, approved ≤ requested is the service's; here ≤ issued ≤ approved
        assert a.project.region.parent_id == a.round.region_id and a.proposed_on <= AS_OF
        assert a.requested <= a.project.total_investment
    created = Application.history.filter(id__in=applications.values("pk"), history_type="+")
    assert created.count() == applications.count()
    stats = figures.funding(SYSTEM, 2026, AS_OF, liaoning)
    assert stats["applied"] == applications.filter(round__year=2026).count()
    assert stats["issued"] == sum(a.issued for a in applications.filter(round__year=2026, issued__isnull=False))
    # scoped: a county's clerk sees their county's applications and their city's rounds
    county = Region.objects.filter(parent__name="沈阳市").order_by("code").first()
    clerk = User.objects.get(username=f"syn{county.code}")
    mine = Application.objects.visible_to(clerk)
    assert mine.exists() and set(mine.values_list("project__region", flat=True)) == {county.pk}
    assert set(Round.objects.visible_to(clerk).filter(region__path__startswith=liaoning.path)
               .values_list("region__name", flat=True)) == {"沈阳市"}

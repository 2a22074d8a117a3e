"""The demo reproduces the published Huludao figures through `keyprojects stats`."""

import json
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Min
from django.urls import reverse
from django.utils import timezone

from keyprojects.core.permissions import SYSTEM
from keyprojects.dispatch import cadence
from keyprojects.indicators import figures
from keyprojects.indicators.engine import monthly_series, percent, plan_stats, plans_in
from keyprojects.projects.models import AnnualPlan, Nature, Stage, StageTransition
from keyprojects.regions.models import Region
from keyprojects.reporting import progress
from keyprojects.reporting.models import PlanProgress, ProgressReport

pytestmark = pytest.mark.django_db


def test_stats_reproduces_the_huludao_article(demo, capsys):
    call_command("stats", region="葫芦岛市", year=2022, as_of="2022-06-05", json=True)
    payload = json.loads(capsys.readouterr().out)
    expected = {
        "plan": (500, "26198000", "3251000"),
        "started_or_resumed": (329, "16118900", "2013800"),
        "new_started": (117, "1401600", "508000"),
        "continuing_resumed": (212, "14717300", "1505800"),
        "new_planned": (268, None, None),
        "continuing_planned": (232, None, None),
    }
    for key, (count, total, annual) in expected.items():
        assert payload[key]["count"] == count, key
        if total:
            assert (payload[key]["total_investment"], payload[key]["annual_plan"]) == (total, annual), key
    rates = payload["rates"]
    assert (rates["start_or_resume_rate"], rates["new_start_rate"], rates["continuing_resume_rate"]) == (
        "65.8", "43.7", "91.4")


def test_project_list_totals_equal_the_plan(demo, client):
    from keyprojects.accounts.models import User

    client.force_login(User.objects.get(username="admin"))
    response = client.get(reverse("projects:list"), {"year": 2022})
    totals = response.context["totals"]
    assert totals["count"] == 500
    assert str(totals["total_investment"].normalize()) == "2.6198E+7"
    page = response.content.decode()
    assert "2,619.80" in page and "325.10" in page
    assert '<td class="d-none d-md-table-cell text-nowrap">在建</td>' in page  # a row's stage, by its label
    started = client.get(reverse("projects:list"), {"year": 2022, "started": "yes", "as_of": "2022-06-05"})
    assert started.context["totals"]["count"] == 329
    assert "1,611.89" in started.content.decode() and "201.38" in started.content.decode()
    packaged = client.get(reverse("projects:list"), {"year": 2022, "packaged": "yes"})
    assert packaged.context["totals"]["count"] == 73


def test_the_lists_plan_filters_count_as_the_plans_do_and_join_the_plan_once(demo, client):
    from django.db import connection
    from django.db.models import Q
    from django.test.utils import CaptureQueriesContext

    from keyprojects.accounts.models import User
    from keyprojects.projects.models import CONTINUING_NATURES, Batch

    client.force_login(User.objects.get(username="admin"))
    city = Region.objects.get(name="葫芦岛市")
    plans = AnnualPlan.objects.filter(year=2022, project__region__path__startswith=city.path)
    started = Q(started=True, started_on__lte=date(2022, 6, 5))
    cases = {
        "started=no": plans.exclude(started),
        "nature=new&started=yes": plans.filter(started, nature=Nature.NEW),
        "nature=continuing_all&batch=construction&started=no":
            plans.exclude(started).filter(nature__in=CONTINUING_NATURES, batch=Batch.CONSTRUCTION),
    }
    for query, expected in cases.items():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("projects:list") + f"?year=2022&as_of=2022-06-05&{query}")
        assert 0 < response.context["totals"]["count"] == expected.count(), query
        [keys] = [q["sql"] for q in captured if 'AS "pk"' in q["sql"] and "LIMIT" in q["sql"]]
        assert keys.count('JOIN "projects_annualplan"') == 1, query  # the year's plan, once


def test_stats_reproduces_the_qianan_article(demo, capsys):
    call_command("stats", region="迁安市", year=2022, as_of="2022-07-15", json=True)
    payload = json.loads(capsys.readouterr().out)
    assert payload["plan"] == {"count": 284, "total_investment": "14101000", "annual_plan": "2676000"}
    assert payload["completed_investment"] == "1572000"
    assert payload["rates"]["completion_rate"] == "58.7"
    assert payload["rates"]["time_progress"] == "50.0"
    # "集中调度会7次、单体项目调度会10次、现场调度数23次，协调解决各类问题54个"
    assert payload["dispatch"] == {
        "meetings": {"concentrated": 7, "single_project": 10, "on_site": 23, "cloud": 0},
        "problems": {"raised": 62, "solved": 54, "open": 8, "overdue": 2, "on_time_rate": "77.8"}}
    # a week earlier the June reports were not yet approved: May's figures count
    call_command("stats", region="迁安市", year=2022, as_of="2022-07-07", json=True)
    earlier = json.loads(capsys.readouterr().out)
    assert 0 < int(earlier["completed_investment"]) < 1572000


def test_stats_reproduces_the_dingxi_article(demo, capsys):
    """定西日报 2022-04-24: 737 projects, 2611.6 亿元, 766.7 亿元 planned; on 2022-04-20 开复工率
    99 %, 20 points above the same day of 2021."""
    call_command("stats", region="定西市", year=2022, as_of="2022-04-20", json=True)
    payload = json.loads(capsys.readouterr().out)
    assert payload["plan"] == {"count": 737, "total_investment": "26116000", "annual_plan": "7667000"}
    assert payload["started_or_resumed"]["count"] == 730
    rate, change = Decimal(payload["rates"]["start_or_resume_rate"]), payload["year_on_year"]["start_or_resume_rate"]
    assert (rate, round(rate)) == (Decimal("99.1"), 99)
    assert (change, round(Decimal(change))) == ("20.3", 20)
    call_command("stats", region="定西市", year=2021, as_of="2021-04-20", json=True)
    last_year = json.loads(capsys.readouterr().out)
    assert (last_year["plan"]["count"], last_year["started_or_resumed"]["count"]) == (612, 482)
    assert last_year["rates"]["start_or_resume_rate"] == "78.8"
    for key in payload["rates"]:  # each rate's change, in points
        change = payload["year_on_year"].get(key)
        if change is not None:
            assert Decimal(change) == Decimal(payload["rates"][key]) - Decimal(last_year["rates"][key]), key
    assert 0 < Decimal(payload["rates"]["completion_rate"]) < Decimal(payload["rates"]["time_progress"])


def test_stats_gives_zhangye_s_task_list_and_first_quarter(demo, capsys):
    """张掖市融媒体中心 2023-04-07: 14 areas, 43 tasks; 临泽县 115 key projects, 230.6 亿元, 120.2 亿元
    for the year, 20 started; 肃南县 20 key projects, 56.43 亿元, 15.97 亿元, 13 started in the first
    quarter with 8842 万元 completed (张掖日报 2022-04-22)."""
    call_command("stats", region="张掖市", year=2023, as_of="2023-04-07", json=True)
    payload = json.loads(capsys.readouterr().out)
    assert payload["tasks"] == {"areas": 14, "tasks": 43, "done": 8, "done_on_time": 7, "overdue": 3}
    assert payload["plan"]["count"] == 365
    expected = {"临泽县": ({"count": 115, "total_investment": "2306000", "annual_plan": "1202000"}, 20, None),
                "肃南裕固族自治县": ({"count": 20, "total_investment": "564300", "annual_plan": "159700"}, 13, "8842")}
    for county, (plan, started, completed) in expected.items():
        call_command("stats", region=county, year=2023, as_of="2023-04-07", json=True)
        found = json.loads(capsys.readouterr().out)
        assert (found["plan"], found["started_or_resumed"]["count"]) == (plan, started), county
        if completed:
            assert found["completed_investment"] == completed
    call_command("stats", region="肃南裕固族自治县", year=2023, as_of="2023-03-31", json=True)
    assert json.loads(capsys.readouterr().out)["started_or_resumed"]["count"] == 13  # all in the first quarter


def test_zhangye_s_county_sees_the_tasks_its_units_help_with(demo, client):
    from keyprojects.accounts.models import User
    from keyprojects.tasklists.models import Task

    sunan, gxj = User.objects.get(username="sunan"), User.objects.get(username="zy_gxj")
    seen = Task.objects.visible_to(sunan)
    assert 0 < seen.count() < 43
    assert all(t.lead_unit.region.name == "肃南裕固族自治县" or any(
        u.region.name == "肃南裕固族自治县" for u in t.co_units.all()) for t in seen)
    led = Task.objects.filter(lead_unit=gxj.unit)
    assert led.count() == 4 and set(led) <= set(Task.objects.visible_to(gxj))
    client.force_login(User.objects.get(username="zhangye"))
    listing = client.get(reverse("tasklists:list"), {"year": 2023, "as_of": "2023-04-07", "state": "overdue"})
    assert listing.context["totals"]["count"] == 3


def test_stats_reproduces_dingxi_s_approvals_99_percent_42_points_above_2021(demo, capsys):
    """"前期手续审批完成率达到99%，比去年同期提高42个百分点" (2022-04-20)."""
    call_command("stats", region="定西市", year=2022, as_of="2022-04-20", json=True)
    payload = json.loads(capsys.readouterr().out)
    approvals = payload["approvals"]
    assert approvals["completion_rate"] == "99.0"
    assert percent(approvals["obtained"], approvals["required"]) == Decimal("99.0")
    assert payload["year_on_year"]["approvals_completion_rate"] == "42.0"
    call_command("stats", region="定西市", year=2021, as_of="2021-04-20", json=True)
    assert json.loads(capsys.readouterr().out)["approvals"]["completion_rate"] == "57.0"
    # The rate's items are those of the approvals list for the year, on the day.
    from keyprojects.accounts.models import User
    from keyprojects.approvals.filters import ApprovalFilter, totals
    from keyprojects.approvals.models import ProjectApproval

    dingxi = User.objects.get(username="dingxi")
    found = ApprovalFilter({"year": "2022", "as_of": "2022-04-20"}, user=dingxi,
                           queryset=ProjectApproval.objects.visible_to(dingxi))
    listed = totals(found.qs, found.day)
    assert (listed["required"], listed["obtained"]) == (approvals["required"], approvals["obtained"])


def test_the_dingxi_lists_of_the_library_hold_the_published_counts_and_totals(demo):
    from keyprojects.accounts.models import User
    from keyprojects.projects.models import ProjectList

    dingxi = User.objects.get(username="dingxi")
    published = {  # (name, year): (projects, total investment 万元)
        ("投资项目清单", 2022): (737, 26116000),
        ("地方政府专项债券项目", 2022): (257, 5680000),
        ("“十四五”重大带动性基础设施项目清单", None): (561, 69860000),
        ("初步谋划项目", 2023): (163, 10170000),
    }
    found = {}
    for key in published:
        listing = figures.project_list(dingxi, {"list": ProjectList.objects.get(name=key[0], year=key[1]).pk},
                                       latest_year=False)
        found[key] = (listing.totals["count"], listing.totals["total_investment"])
    assert found == published
    packaged = figures.project_list(dingxi, {"packaged": "yes"}, latest_year=False).projects
    assert {stage: packaged.filter(stage=stage).count() for stage in (Stage.CONSTRUCTION, Stage.PREPARATION)} == {
        Stage.CONSTRUCTION: 49, Stage.PREPARATION: 26}


def test_the_dingxi_plans_share_their_projects_from_one_year_to_the_next(demo):
    city = Region.objects.get(name="定西市")
    plans = {year: dict(plans_in(year, city).values_list("project_id", "nature")) for year in (2021, 2022)}
    continuing = {pid for pid, nature in plans[2022].items() if nature != Nature.NEW}
    assert continuing <= set(plans[2021])  # 2022's continuing projects were in 2021's plan
    left = set(plans[2021]) - set(plans[2022])  # completed in 2021
    from keyprojects.projects.models import Project

    assert set(Project.objects.filter(pk__in=left).values_list("stage", flat=True)) == {Stage.COMPLETED}


def test_demo_is_safe_to_load_twice_and_audited(demo):
    from keyprojects.projects.models import Project
    from keyprojects.reporting.models import ProgressReport

    counts = Project.objects.count(), ProgressReport.objects.count()
    call_command("load_demo", verbosity=0)
    assert (Project.objects.count(), ProgressReport.objects.count()) == counts
    record = Project.history.filter(name="徐大堡核电3、4号机组工程").first()
    assert record.history_source == "command" and record.history_detail == "load_demo"


def test_demo_logins_have_their_roles(demo, client):
    from keyprojects.accounts.models import User

    roles = dict(User.objects.values_list("username", "role"))
    assert {k: roles[k] for k in ("admin", "lianshan", "suizhong", "fgw", "leader", "owner", "viewer")} == {
        "admin": "city_admin", "lianshan": "county_clerk", "suizhong": "county_clerk", "fgw": "department_clerk",
        "leader": "leader", "owner": "owner", "viewer": "viewer"}
    assert client.login(username="lianshan", password="demo12345")
    assert User.objects.get(username="leader").leader.projects.exists()
    fgw = User.objects.get(username="fgw")
    from keyprojects.projects.models import Project

    assert Project.objects.visible_to(fgw).count() > 0



def test_export_then_import_into_an_empty_library_reproduces_the_figures(demo, tmp_path, capsys):
    from datetime import date

    from keyprojects.ledgers.export import ledger_workbook
    from keyprojects.ledgers.importer import import_ledger
    from keyprojects.projects.models import Project
    from keyprojects.regions.models import Region
    from keyprojects.reporting.models import ReportingPeriod

    city = Region.objects.find("葫芦岛市")
    call_command("stats", region="葫芦岛市", year=2022, as_of="2022-06-05", json=True)
    before = json.loads(capsys.readouterr().out)
    path = tmp_path / "huludao.xlsx"
    path.write_bytes(ledger_workbook(figures.ledger(SYSTEM, {"year": "2022", "as_of": "2022-06-05"}, city)))
    Project.objects.filter(region__path__startswith=city.path).delete()
    ReportingPeriod.objects.filter(region=city).delete()
    result = import_ledger(None, path, 2022, region=city, as_of=date(2022, 6, 5))
    assert (result.created, result.units_created) == (500, [])
    call_command("stats", region="葫芦岛市", year=2022, as_of="2022-06-05", json=True)
    after = json.loads(capsys.readouterr().out)
    for figures_of in (before, after):  # a ledger carries no approvals: they went with the projects
        figures_of.pop("approvals")
        figures_of["year_on_year"].pop("approvals_completion_rate")
    # (the warnings went with the projects; the ledger carries no filing windows or reports' states
    # for the daily job to find them again from)
    assert after.pop("warnings") == {"red": 0, "yellow": 0} and before.pop("warnings")["red"] > 0
    assert after == before


def from_reports(region: Region, year: int, as_of: date) -> tuple[Decimal, dict[int, Decimal]]:
    """Completed investment and the month-by-month sums, read from the reports alone."""
    projects = set(plans_in(year, region).values_list("project_id", flat=True))
    latest: dict[int, tuple[int, Decimal]] = {}
    months: dict[int, Decimal] = {}
    end = timezone.make_aware(datetime.combine(as_of + timedelta(days=1), time.min))  # approved by the end of the day
    reports = ProgressReport.objects.filter(status=ProgressReport.Status.APPROVED, reviewed_at__lt=end, period__year=year,
                                            project_id__in=projects)
    for project, month, ytd, done in reports.values_list("project_id", "period__month", "completed_ytd",
                                                         "completed_month"):
        if project not in latest or latest[project][0] < month:
            latest[project] = (month, ytd)
        months[month] = months.get(month, Decimal(0)) + done
    return sum((ytd for _, ytd in latest.values()), Decimal(0)), months


@pytest.mark.parametrize(("name", "year", "dates"), [
    ("迁安市", 2022, ["2022-03-31", "2022-06-08", "2022-07-07", "2022-07-15", "2022-12-31", "2023-06-01"]),
    ("葫芦岛市", 2022, ["2022-02-15", "2022-06-05", "2022-09-30"]),
    ("定西市", 2022, ["2022-03-07", "2022-04-20", "2022-12-31"]),
    ("定西市", 2021, ["2021-02-28", "2021-04-20"]),
])
def test_demo_figures_from_the_roll_up_equal_the_reports(demo, name, year, dates):
    region = Region.objects.get(name=name)
    for day in map(date.fromisoformat, dates):
        completed, months = from_reports(region, year, day)
        assert plan_stats(plans_in(year, region), day)["completed_investment"] == completed, day
        series = monthly_series(year, day, region)
        assert {s["month"]: s["completed"] for s in series if s["cumulative"] is not None} == months, day
    stored = list(PlanProgress.objects.order_by("plan_id").values_list())
    progress.refresh()
    assert list(PlanProgress.objects.order_by("plan_id").values_list()) == stored




@pytest.mark.parametrize(("name", "as_of"), [("葫芦岛市", "2022-06-05"), ("迁安市", "2022-07-07"), ("辽宁省", "2022-12-31")])
def test_the_dashboards_one_query_overview_equals_the_figures_one_by_one(demo, name, as_of):
    from keyprojects.core.permissions import SYSTEM
    from keyprojects.indicators import figures

    region, day = Region.objects.get(name=name), date.fromisoformat(as_of)
    dims = ("region", "sector", "batch", "level", "nature")
    whole = figures.overview(SYSTEM, 2022, day, region, by=dims)
    assert whole["stats"] == figures.year_figures(SYSTEM, 2022, day, region)
    assert whole["series"] == monthly_series(2022, day, region)
    for by in dims:
        assert whole[by] == figures.breakdown(SYSTEM, 2022, day, by, region), by


def _under_construction_since() -> dict[int, date]:
    """Each demo project's first change to 在建, by project id."""
    return dict(StageTransition.objects.filter(to_stage=Stage.CONSTRUCTION).values("project_id")
                .annotate(on=Min("date")).values_list("project_id", "on"))


def test_no_demo_plan_starts_before_its_project_went_under_construction(demo):
    since = _under_construction_since()
    started = list(AnnualPlan.objects.filter(started_on__isnull=False).values_list("project__name", "project_id",
                                                                                 "started_on"))
    assert len(started) > 600
    assert [(name, on, since.get(pid)) for name, pid, on in started if pid not in since or on < since[pid]] == []


def test_demo_continuing_projects_were_under_construction_before_their_plan_year(demo):
    since = _under_construction_since()
    plans = AnnualPlan.objects.exclude(nature=Nature.NEW).values_list("project__name", "project__actual_start",
                                                                      "project_id", "year")
    assert [(name, start, since.get(pid)) for name, start, pid, year in plans
            if not (start and start.year < year and pid in since and since[pid].year < year)] == []


def test_demo_stage_changes_of_each_project_run_forward_in_time(demo):
    steps: dict[int, list[date]] = {}
    for project_id, on in StageTransition.objects.order_by("project_id", "id").values_list("project_id", "date"):
        steps.setdefault(project_id, []).append(on)
    assert [pid for pid, days in steps.items() if days != sorted(days)] == []


def test_load_demo_prints_the_dashboards_that_show_the_articles_figures(demo, client, capsys):
    """The dashboard opens on today's figures (a past year's at its end); the demo says which
    addresses show the articles' own: 开复工率 65.8% in Huludao, 投资完成率 58.7% in Qian'an,
    开复工率 99.1% in Dingxi."""
    call_command("load_demo")
    out = capsys.readouterr().out
    shown = {}
    for login, rate in (("admin", "65.8%"), ("qianan", "58.7%"), ("dingxi", "99.1%")):
        address = re.search(rf"(/dashboard/\?as_of=[\d-]+)（{login}）", out).group(1)
        client.login(username=login, password="demo12345")
        shown[login] = rate in client.get(address).content.decode()
    assert shown == {"admin": True, "qianan": True, "dingxi": True}


def test_dingxi_dashboard_shows_the_start_rate_twenty_points_above_last_year(demo, client):
    client.login(username="dingxi", password="demo12345")
    page = client.get(reverse("dashboard"), {"as_of": "2022-04-20"}).content.decode()
    assert "99.1%" in page and "同比 20.3 个百分点" in page


def test_dingxi_logins_see_their_city_and_their_county(demo):
    from keyprojects.accounts.models import User
    from keyprojects.projects.models import Project

    dingxi, anding = User.objects.get(username="dingxi"), User.objects.get(username="anding")
    assert (dingxi.role, str(dingxi.unit)) == ("city_admin", "定西市发展和改革委员会")
    city, county = Region.objects.get(name="定西市"), Region.objects.get(name="安定区")
    assert set(Project.objects.visible_to(dingxi)) == set(Project.objects.filter(region__path__startswith=city.path))
    mine = Project.objects.visible_to(anding)
    assert mine.exists() and not mine.exclude(region__path__startswith=county.path).exists()


# --- dispatch ---------------------------------------------------------------------------------

def _city(name):
    return Region.objects.get(name=name)


def test_qianan_held_7_concentrated_10_single_project_and_23_on_site_dispatches_by_july_15(demo):
    from django.db.models import Count

    from keyprojects.dispatch.models import Meeting

    meetings = Meeting.objects.filter(region__path__startswith=_city("迁安市").path,
                                      date__range=(date(2022, 1, 1), date(2022, 7, 15)))
    by_kind = dict(meetings.values_list("kind").annotate(n=Count("pk")).order_by())
    assert by_kind == {"concentrated": 7, "single_project": 10, "on_site": 23}


def test_qianan_signed_off_54_problems_in_2022_by_july_15_and_keeps_open_and_overdue_ones(demo):
    from keyprojects.dispatch.models import OPEN, Problem, ProblemEvent, overdue_q

    city = _city("迁安市")
    problems = Problem.objects.filter(region__path__startswith=city.path)
    signed_off = ProblemEvent.objects.filter(problem__in=problems, kind=ProblemEvent.Kind.SIGNED_OFF,
                                             date__range=(date(2022, 1, 1), date(2022, 7, 15)))
    assert signed_off.count() == 54
    assert problems.filter(state=Problem.State.CLOSED).count() == 54
    assert 6 <= problems.filter(state__in=OPEN).count() <= 9
    assert 2 <= problems.filter(overdue_q(date(2022, 7, 15))).count() <= 3
    # a plausible spread: several categories, sources and lead units, replies that differ
    assert problems.values("category").distinct().count() >= 6
    assert problems.values("source").distinct().count() >= 3
    assert problems.values("lead_unit").distinct().count() >= 6
    replies = ProblemEvent.objects.filter(problem__in=problems, kind=ProblemEvent.Kind.REPLIED)
    assert replies.values("text").distinct().count() >= 20


@pytest.mark.parametrize("city_name, as_of", [("迁安市", date(2022, 7, 15)), ("定西市", date(2022, 4, 20)),
                                              ("葫芦岛市", date(2022, 6, 5))])
def test_every_demo_city_has_dispatch_and_nothing_is_dated_after_its_as_of_date(demo, city_name, as_of):
    from keyprojects.dispatch.models import Meeting, Problem, ProblemEvent

    city = _city(city_name)
    meetings = Meeting.objects.filter(region__path__startswith=city.path)
    problems = Problem.objects.filter(region__path__startswith=city.path)
    assert meetings.count() >= 10 and problems.count() >= 20
    assert not meetings.filter(date__gt=as_of).exists()
    assert not problems.filter(raised_on__gt=as_of).exists()
    assert not ProblemEvent.objects.filter(problem__in=problems, date__gt=as_of).exists()
    assert not problems.filter(signed_off_at__date__gt=as_of).exists()
    assert problems.filter(state=Problem.State.CLOSED).exists() and problems.filter(
        state=Problem.State.IN_PROGRESS).exists()


def test_every_demo_problems_timeline_is_in_order(demo):
    """Raised first, then assigned the same day; each event no earlier than the one written
    before it; a reply only after assignment, a sign-off only after a reply; a decision's
    problem raised on its meeting's day."""
    from keyprojects.dispatch.models import Problem, ProblemEvent

    Kind = ProblemEvent.Kind
    for problem in Problem.objects.prefetch_related("events").select_related("meeting"):
        events = sorted(problem.events.all(), key=lambda e: e.pk)
        kinds = [e.kind for e in events]
        assert kinds[0] == Kind.RAISED and events[0].date == problem.raised_on, problem
        assert [e.date for e in events] == sorted(e.date for e in events), problem
        if Kind.REPLIED in kinds:
            assert Kind.ASSIGNED in kinds[:kinds.index(Kind.REPLIED)], problem
        if problem.state == Problem.State.CLOSED:
            assert kinds[-1] == Kind.SIGNED_OFF and kinds[-2] == Kind.REPLIED, problem
            assert problem.signed_off_at.date() == events[-1].date
        if problem.meeting_id:
            assert problem.raised_on == problem.meeting.date, problem
        if problem.deadline:
            assert problem.deadline >= problem.raised_on


def test_dingxi_runs_its_3246_cadence_from_january(demo):
    from keyprojects.dispatch.models import CadenceRule

    rules = CadenceRule.objects.filter(region=_city("定西市")).select_related("chair")
    assert sorted((r.chair.title, r.every, r.interval) for r in rules) == [
        ("市委书记", 6, "weeks"), ("市长", 4, "weeks"), ("常务副市长", 2, "weeks")]
    as_of = date(2022, 4, 20)
    for rule in rules:
        assert rule.chair.region.name == "定西市"
        assert rule.starts_on.year == 2022 and rule.starts_on.month == 1
        days = list(rule.meetings.order_by("date").values_list("date", flat=True))
        assert [occurrence.state for occurrence in cadence.calendar([rule], rule.meetings.all(), rule.starts_on, as_of,
                                                                     as_of)] == ["held"] * len(days), rule.name
        assert all(day.isoweekday() <= 5 for day in days)
        assert len(days) == (as_of - rule.starts_on).days // (7 * rule.every) + 1
        assert all(m.chair_id == rule.chair_id for m in rule.meetings.all())
    # decisions of the cadence meetings became problems, the others stayed directions
    from keyprojects.dispatch.models import Decision

    decisions = Decision.objects.filter(meeting__cadence_rule__in=rules)
    assert decisions.filter(problem__isnull=False).exists() and decisions.filter(problem__isnull=True).exists()


def test_stats_counts_the_warnings_of_qianan_on_its_date(demo, capsys):
    """The default rules evaluated on Qian'an's date (load_demo): red 35 late starts, 50 approval
    items late, 17 about to lapse, 2 overdue problems; yellow 8, 50 and 11 of the first three."""
    call_command("stats", region="迁安市", year=2022, as_of="2022-07-15", json=True)
    assert json.loads(capsys.readouterr().out)["warnings"] == {"red": 104, "yellow": 69}


def test_stats_reproduces_the_attraction_and_package_figures_of_the_articles(demo, capsys, client):
    """Zhangye 2023-04-07: 招商活动75次，达成合作意向56项，签订框架协议31项，签约金额234.48亿元;
    Qian'an 2022: 42 newly signed projects; Dingxi 2022 "1+1托4": 30 city leaders, 75 departments,
    49 projects, 72 enterprises, 82 attraction projects, 26 pre-work projects."""
    call_command("stats", region="张掖市", year=2023, as_of="2023-04-07", json=True)
    zhangye = json.loads(capsys.readouterr().out)["attraction"]
    assert {k: zhangye[k] for k in ("events", "intentions", "framework_agreements", "signed_amount")} == {
        "events": 75, "intentions": 56, "framework_agreements": 31, "signed_amount": "2344800"}
    call_command("stats", region="迁安市", year=2022, as_of="2022-07-15", json=True)
    assert json.loads(capsys.readouterr().out)["attraction"]["signed_projects"] == 42
    call_command("stats", region="定西市", year=2022, as_of="2022-04-20", json=True)
    assert json.loads(capsys.readouterr().out)["packages"] == {
        "leaders": 30, "departments": 75, "projects": 49, "prework_projects": 26, "enterprises": 72,
        "attraction_projects": 82}
    # the demo's landed leads are library projects of the city's own demo, linked, not new ones
    from keyprojects.attraction.models import Lead

    landed = Lead.objects.filter(landed_on__isnull=False)
    assert landed.exists() and not landed.filter(project__isnull=True).exists()
    assert all(lead.project.name == lead.name for lead in landed.select_related("project"))
    # the ledger's totals behind Zhangye's signed amount equal it
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="zhangye"))
    page = client.get("/attraction/", {"year": 2023, "as_of": "2023-04-07", "reached": "signed_amount"})
    assert 'data-total="signed_amount">234.48<' in page.content.decode()


def test_stats_reproduces_dingxi_s_special_bonds(demo, capsys, client):
    """Dingxi 2022: 专项债券项目257项、总投资568亿元…一季度共发行专项债券资金25.17亿元、项目85个、总投资170.5亿元."""
    call_command("stats", region="定西市", year=2022, as_of="2022-04-20", json=True)
    bonds = json.loads(capsys.readouterr().out)["funding"]["special_bonds"]
    assert {k: bonds[k] for k in ("projects", "total_investment", "issued", "issued_projects",
                                  "issued_total_investment")} == {
        "projects": 257, "total_investment": "5680000", "issued": "251700", "issued_projects": 85,
        "issued_total_investment": "1705000"}
    # the application list behind the issued figure adds up to it
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="dingxi"))
    rounds = client.get("/funding/", {"year": 2022, "as_of": "2022-04-20"})
    assert rounds.status_code == 200 and "25.17" in rounds.content.decode()


DEMO_YEARS = {"葫芦岛市": 2022, "迁安市": 2022, "定西市": 2022, "张掖市": 2023}


def _after_the_year(year: int) -> datetime:
    """The end of a data year and a month's margin: a report of December is approved in January."""
    return timezone.make_aware(datetime.combine(date(year + 1, 1, 31), time(23, 59)))


def test_the_demo_is_dated_in_the_years_it_tells_of_and_its_audit_chain_verifies(demo):
    """Issue 21 #10: the demo's history rows and workflow times fall in each city's data year (and
    a month), not on the day load_demo ran; an approved report's history row is dated with its
    approval; and the audit chain sealed over those rows verifies."""
    from django.apps import apps
    from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Max

    from keyprojects.core import chain
    from keyprojects.dispatch.models import Problem
    from keyprojects.projects.models import Project

    latest = _after_the_year(max(DEMO_YEARS.values()))
    for history in chain.history_models():  # every row load_demo wrote, of every audited model
        written = history._base_manager.filter(history_detail="load_demo")
        assert not written.filter(history_date__gt=latest).exists(), history._meta.label
    for model in apps.get_models():  # the domain's own times (submitted, reviewed, taken, created …)
        if model._meta.app_label not in {"accounts", "projects", "reporting", "dispatch", "approvals", "alerts",
                                         "assessment", "tasklists", "attraction", "funding", "opendata", "notices"} \
                or model in chain.history_models():
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, DateTimeField):
                last = model._base_manager.aggregate(last=Max(field.name))["last"]
                assert last is None or last <= latest, f"{model._meta.label}.{field.name}: {last}"
    for name, year in DEMO_YEARS.items():  # and each city in its own year
        path, limit = Region.objects.get(name=name).path, _after_the_year(year)
        for rows in (Project.history.filter(region__path__startswith=path),
                     ProgressReport.history.filter(project__region__path__startswith=path),
                     Problem.history.filter(project__region__path__startswith=path)):
            first, last = rows.aggregate(first=Min("history_date"), last=Max("history_date")).values()
            assert first is None or timezone.make_aware(datetime(year - 1, 1, 1)) <= first <= last <= limit, (name, last)
        assert Project.history.filter(region__path__startswith=path, history_date__year=year).exists()
    approved = ProgressReport.history.filter(history_detail="load_demo", status=ProgressReport.Status.APPROVED)
    after_review = ExpressionWrapper(F("history_date") - F("reviewed_at"), output_field=DurationField())
    assert approved.exists()
    assert not approved.annotate(after_review=after_review).exclude(
        after_review__gte=timedelta(0), after_review__lt=timedelta(hours=1)).exists()
    # (the fixture's load never commits, so nothing was sealed: seal it as the commit would)
    chain.seal_unsealed()
    checked, findings = chain.verify()
    from keyprojects.core.models import SignIn

    assert findings == []
    assert checked == sum(h._base_manager.count() for h in chain.history_models()) + SignIn.objects.count()

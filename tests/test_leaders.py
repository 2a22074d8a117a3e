"""Leaders (包抓): a leader's package and the ranking of every leader's package — the figures,
their drill-down rule (every count equals the total of the list it links to), scope, and the
pages."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keyprojects.accounts.models import Leader
from keyprojects.core.audit import Source, audit_context
from keyprojects.core.permissions import SYSTEM
from keyprojects.dispatch import services as dispatch_services
from keyprojects.indicators import figures
from keyprojects.projects import services as project_services
from keyprojects.reporting import progress
from keyprojects.reporting import services as reporting_services
from keyprojects.reporting.models import ProgressReport

pytestmark = pytest.mark.django_db

YEAR = 2022
AS_OF = date(YEAR, 6, 30)  # six months elapsed: time progress 50.0 %
QUERY = {"year": YEAR, "as_of": AS_OF.isoformat()}


class Package:
    """王建国's package in the cast: four projects, as of 2022-06-30.
    - on pace: 连山区's 苯二胺 project (plan 13,000 万元), started in April, 7,000 done (53.8 %);
    - behind: a 连山区 logistics park (plan 10,000), started in March, 2,000 done (20.0 %);
    - late start: a 绥中县 water plant (plan 5,000) due to start in March, not started;
    - not due: a 绥中县 school (plan 2,000) due to start in September, not started.
    The behind project has an overdue problem and a problem signed off; a meeting he chairs is
    ahead."""

    def __init__(self, cast) -> None:
        self.cast, admin = cast, cast.admin
        self.leader = cast.leader
        self.on_pace = cast.p_lianshan
        with audit_context(Source.SYSTEM, detail="test"):
            self.behind = cast.project("连山区现代物流园项目", cast.lianshan, Decimal("40000"))
            self.late = cast.project("绥中县第二水厂项目", cast.suizhong, Decimal("20000"))
            self.not_due = cast.project("绥中县实验学校项目", cast.suizhong, Decimal("8000"))
            for project in (self.behind, self.late, self.not_due):
                project.leaders.add(self.leader)
        project_services.save_annual_plan(admin, self.late.pk, YEAR, {"planned_start_month": 3})
        project_services.save_annual_plan(admin, self.not_due.pk, YEAR, {"planned_start_month": 9})
        may = reporting_services.create_period(admin, cast.city, YEAR, 5, date(YEAR, 5, 20), date(YEAR, 5, 25))
        self.report(cast.lianshan_clerk, self.on_pace, may.pk, Decimal("7000"), date(YEAR, 4, 10))
        self.report(cast.lianshan_clerk, self.behind, may.pk, Decimal("2000"), date(YEAR, 3, 1))
        # approved on 2022-06-28: within the week before the date, and counted as of it
        ProgressReport.objects.filter(period=may).update(
            reviewed_at=timezone.make_aware(datetime(YEAR, 6, 28, 10)))
        progress.refresh()
        self.overdue = dispatch_services.raise_problem(cast.lianshan_clerk, {
            "project": self.behind, "source": "meeting", "category": "land", "title": "用地报批滞后",
            "lead_unit": cast.lianshan_fgj, "deadline": date(YEAR, 6, 10)}, on=date(YEAR, 6, 1))
        solved = dispatch_services.raise_problem(cast.lianshan_clerk, {
            "project": self.behind, "source": "meeting", "category": "utilities", "title": "临时用电",
            "lead_unit": cast.lianshan_fgj, "deadline": date(YEAR, 6, 20)}, on=date(YEAR, 6, 2))
        dispatch_services.reply(cast.lianshan_clerk, solved.pk, None, "已接通", on=date(YEAR, 6, 25))
        dispatch_services.sign_off(cast.lianshan_clerk, solved.pk, None, on=date(YEAR, 6, 26))
        self.meeting = dispatch_services.save_meeting(admin, None, None, {
            "kind": "concentrated", "title": "包抓项目集中调度会", "region": cast.city,
            "date": timezone.localdate() + timedelta(days=3), "chair": self.leader, "projects": [self.behind]}, [])

    def report(self, filer, project, period_id, ytd: Decimal, started_on: date) -> None:
        report = reporting_services.save_draft(filer, project.pk, period_id, {
            "completed_month": ytd, "completed_ytd": ytd, "completed_since_start": ytd,
            "started": True, "started_on": started_on, "progress": "主体施工"}, submit=True)
        reporting_services.approve_report(self.cast.admin, report.pk)


@pytest.fixture
def package(cast) -> Package:
    return Package(cast)


def lines_by_name(found) -> dict[str, dict]:
    return {line["name"]: line for line in found["projects"]}


def test_a_package_tells_projects_on_pace_behind_late_and_not_yet_due(package):
    found = figures.leader_package(package.cast.admin, package.leader, YEAR, AS_OF)
    lines = lines_by_name(found)
    assert {name: line["standing"] for name, line in lines.items()} == {
        package.on_pace.name: "on_pace", package.behind.name: "behind",
        package.late.name: "late_start", package.not_due.name: "not_due"}
    on_pace, behind = lines[package.on_pace.name], lines[package.behind.name]
    assert (on_pace["annual_plan"], on_pace["completed"], on_pace["completion_rate"], on_pace["progress_gap"]) == (
        Decimal("13000"), Decimal("7000"), Decimal("53.8"), Decimal("3.8"))
    assert (behind["completion_rate"], behind["progress_gap"], behind["open"], behind["overdue"]) == (
        Decimal("20.0"), Decimal("-30.0"), 1, 1)
    assert [lines[p.name]["on_time"] for p in (package.on_pace, package.behind, package.late, package.not_due)] == [
        True, False, False, True]


def test_a_packages_totals_are_the_sums_of_its_lines(package):
    found = figures.leader_package(package.cast.admin, package.leader, YEAR, AS_OF)
    lines, totals = found["projects"], found["totals"]
    assert totals["count"] == len(lines) == 4
    assert totals["annual_plan"] == sum(line["annual_plan"] for line in lines) == Decimal("30000")
    assert totals["completed"] == sum(line["completed"] for line in lines) == Decimal("9000")
    assert (totals["on_time"], totals["behind"], totals["started"]) == (2, 2, 2)
    assert (totals["open"], totals["overdue"]) == (sum(x["open"] for x in lines), sum(x["overdue"] for x in lines)) == (1, 1)
    assert (totals["completion_rate"], totals["time_progress"], totals["progress_gap"], totals["on_time_share"]) == (
        Decimal("30.0"), Decimal("50.0"), Decimal("-20.0"), Decimal("50.0"))


def test_the_ranking_row_of_a_leader_equals_their_package(package):
    cast = package.cast
    with audit_context(Source.SYSTEM, detail="test"):
        idle = Leader.objects.create(name="李四", title="副市长", region=cast.city)
        ahead = Leader.objects.create(name="张三", title="副市长", region=cast.city)
        ahead.projects.add(package.on_pace)
    rows = figures.leader_ranking(cast.admin, cast.city, YEAR, AS_OF)
    assert [(row["leader"], row["rank"]) for row in rows] == [(ahead, 1), (package.leader, 2), (idle, None)]
    mine = next(row for row in rows if row["leader"] == package.leader)
    totals = figures.leader_package(cast.admin, package.leader, YEAR, AS_OF)["totals"]
    assert {key: mine[key] for key in totals} == totals
    assert rows[0]["on_time_share"] == Decimal("100.0") and rows[2]["count"] == 0


def test_a_county_clerk_counts_only_the_county_in_the_ranking(package):
    cast = package.cast
    with audit_context(Source.SYSTEM, detail="test"):
        county_leader = Leader.objects.create(name="赵六", title="区长", region=cast.lianshan)
        county_leader.projects.add(package.behind, package.late)  # 绥中's project: not 连山区's figure
    rows = figures.leader_ranking(cast.lianshan_clerk, cast.lianshan, YEAR, AS_OF)
    assert [(row["leader"], row["count"], row["on_time"], row["overdue"]) for row in rows] == [(county_leader, 1, 0, 1)]


def figures_on(page: str) -> dict[str, tuple[str, str]]:
    """The counts the page marks (``data-figure``) with their links."""
    return {name: (url.replace("&amp;", "&"), value)
            for url, name, value in re.findall(r'<a href="([^"]+)" data-figure="(\w+)"[^>]*>(\d+)</a>', page)}


def list_total(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["totals"]["count"]


def test_every_count_of_the_package_page_equals_its_list_total(package, client):
    client.force_login(package.cast.leader_user)
    response = client.get(reverse("leaders:me"), QUERY)
    assert response.status_code == 200
    shown = figures_on(response.content.decode())
    assert set(shown) == {"count", "started", "on_time", "behind", "open", "overdue"}
    for name, (url, value) in shown.items():
        assert list_total(client, url) == int(value), name
    assert {name: int(value) for name, (_url, value) in shown.items()} == {
        "count": 4, "started": 2, "on_time": 2, "behind": 2, "open": 1, "overdue": 1}
    # each project's problems link to the ledger filtered to that project
    for line in response.context["projects"]:
        assert list_total(client, line["problem_links"]["open"]) == line["open"]
        assert list_total(client, line["problem_links"]["overdue"]) == line["overdue"]


def test_the_leader_pages_show_sums_in_yi_and_a_projects_amounts_in_wan(package, client):
    """The amount rule (core.money.format_amount): the package's and each leader's sums in 亿元,
    a project's row in 万元, each unit said once."""
    client.force_login(package.cast.leader_user)
    page = client.get(reverse("leaders:me"), QUERY).content.decode()
    assert '3.00 <span class="fs-5 text-secondary">亿元</span>' in page  # plans 13,000 + 10,000 + 5,000 + 2,000
    assert "单位：万元" in page and '<td class="num">13,000</td>' in page
    assert "金额单位：万元" not in page and "30,000 / " not in page  # no second line of the sums in 万元
    client.force_login(package.cast.admin)
    ranking = client.get(reverse("leaders:ranking"), QUERY).content.decode()
    assert "金额单位：亿元" in ranking and '<td class="num">3.00</td>' in ranking


def test_every_count_of_the_ranking_equals_its_list_total(package, client):
    client.force_login(package.cast.admin)
    response = client.get(reverse("leaders:ranking"), QUERY)
    assert response.status_code == 200
    for row in response.context["rows"]:
        for key, url in row["links"].items():
            assert list_total(client, url) == row[key], (row["leader"], key)


def test_the_project_lists_on_time_filter_selects_the_packages_on_time_projects(package, client):
    client.force_login(package.cast.admin)
    response = client.get(reverse("projects:list"), {**QUERY, "leader": package.leader.pk, "on_time": "yes"})
    assert {p.name for p in response.context["page"]} == {package.on_pace.name, package.not_due.name}


def test_the_package_page_shows_the_week_and_the_meetings_ahead(package, client):
    client.force_login(package.cast.leader_user)
    response = client.get(reverse("leaders:me"), QUERY)
    week = response.context["week"]
    assert len(week["reports"]) == 2
    assert {(e.problem.title, e.kind) for e in week["problems"]} == {("临时用电", "replied"), ("临时用电", "signed_off")}
    assert response.context["meetings"] == [package.meeting]
    page = response.content.decode()
    assert "13,000" in page and "万元" in page and "慢于时间进度" in page and "未按期开工" in page
    assert "按期推进口径" in page


def test_the_package_page_lists_the_meetings_the_leaders_cadence_makes_due(package, client):
    cast, today = package.cast, timezone.localdate()
    rule = dispatch_services.save_cadence_rule(cast.admin, None, {
        "name": "常务副市长调度会", "region": cast.city, "chair": cast.leader, "kind": "concentrated", "every": 14,
        "interval": "days", "weekday": None, "starts_on": today - timedelta(days=3), "reminder_days": 2})
    dispatch_services.save_cadence_rule(cast.admin, None, {  # another leader's rule is not theirs
        "name": "市长调度会", "region": cast.city, "chair": Leader.objects.create(name="李市长", title="市长",
                                                                               region=cast.city),
        "kind": "concentrated", "every": 7, "interval": "days", "weekday": None, "starts_on": today,
        "reminder_days": 2})
    client.force_login(cast.leader_user)
    due = client.get(reverse("leaders:me"), QUERY).context["due"]
    assert [item.rule for item, _url in due] == [rule] * 3  # in 11, 25 and 39 days
    assert all(f"rule={rule.pk}" in url for _item, url in due)


def test_the_dashboard_card_shows_amounts_with_units_rate_and_gap(package, client):
    client.force_login(package.cast.leader_user)
    response = client.get(reverse("dashboard"), QUERY)
    card = response.content.decode().split('id="my-package"')[1].split('class="card"')[0]
    assert "13,000 万元" in card and "53.8%" in card and "+3.8" in card and reverse("leaders:me") in card


def test_a_county_clerk_cannot_open_a_leader_of_another_county(package, client):
    cast = package.cast
    with audit_context(Source.SYSTEM, detail="test"):
        suizhong_leader = Leader.objects.create(name="钱七", title="县长", region=cast.suizhong)
        lianshan_leader = Leader.objects.create(name="孙八", title="区长", region=cast.lianshan)
    client.force_login(cast.lianshan_clerk)
    assert client.get(reverse("leaders:package", args=[suizhong_leader.pk])).status_code == 404
    assert client.get(reverse("leaders:package", args=[cast.leader.pk])).status_code == 404  # the city's
    assert client.get(reverse("leaders:package", args=[lianshan_leader.pk])).status_code == 200
    assert client.get(reverse("leaders:me")).status_code == 404  # not a leader


def test_who_may_see_the_ranking(package, client):
    cast = package.cast
    for user, status in [(cast.admin, 200), (cast.viewer, 200), (cast.leader_user, 200), (cast.lianshan_clerk, 200),
                         (cast.superuser, 200), (cast.dept_clerk, 403), (cast.owner, 403)]:
        client.force_login(user)
        assert client.get(reverse("leaders:ranking"), QUERY).status_code == status, user
    client.force_login(cast.outsider)  # 锦州's admin: another city's leader is not found
    assert client.get(reverse("leaders:package", args=[cast.leader.pk])).status_code == 404
    client.force_login(cast.dept_clerk)
    assert client.get(reverse("leaders:package", args=[cast.leader.pk])).status_code == 404


def test_the_system_actor_reads_any_package(package):
    assert figures.leader_package(SYSTEM, package.leader, YEAR, AS_OF)["totals"]["count"] == 4


def queries_of(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, QUERY).status_code == 200
    return len(captured.captured_queries)


def test_the_pages_take_a_bounded_number_of_queries(package, client):
    """(19 on the package page: the session, the user, the leader, the user's unit and region, the
    plan year, the data versions and the plan years (3) for the cache, the package's rows and
    problem counts, the meetings, the cadence's rules and their meetings, the week's three lists,
    the header's unread messages; 5 more for 我的预警: its data versions, its parts' versions, the
    counties twice and the counts; the ranking takes the leaders, their rows and problem counts
    instead of the week; 1 more for the leader's 1+1托4 packages.)"""
    cast = package.cast
    client.force_login(cast.leader_user)
    package_page = queries_of(client, reverse("leaders:me"))
    client.force_login(cast.admin)
    ranking_page = queries_of(client, reverse("leaders:ranking"))
    assert package_page <= 25 and ranking_page <= 12, (package_page, ranking_page)
    # more projects, leaders and problems cost no more queries
    with audit_context(Source.SYSTEM, detail="test"):
        for n in range(5):
            leader = Leader.objects.create(name=f"领导{n}", region=cast.city)
            project = cast.project(f"连山区新增包抓项目{n}", cast.lianshan, Decimal("1000"))
            project.leaders.add(cast.leader, leader)
    dispatch_services.raise_problem(cast.lianshan_clerk, {
        "project": project, "source": "meeting", "category": "land", "title": "新问题"}, on=date(YEAR, 6, 29))
    assert queries_of(client, reverse("leaders:ranking")) == ranking_page
    client.force_login(cast.leader_user)
    assert queries_of(client, reverse("leaders:me")) == package_page


def test_links_keep_the_year_date_and_region(package, client):
    client.force_login(package.cast.admin)
    response = client.get(reverse("leaders:package", args=[package.leader.pk]), QUERY)
    url = response.context["links"]["on_time"]
    assert parse_qs(urlparse(url).query) == {
        "year": [str(YEAR)], "as_of": [AS_OF.isoformat()], "region": [str(package.cast.city.pk)],
        "leader": [str(package.leader.pk)], "on_time": ["yes"]}

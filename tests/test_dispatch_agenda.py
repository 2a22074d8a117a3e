"""The agenda that suggests itself: on recording a meeting, the key projects of its region (of
its rule's lists) behind time progress, not started past their planned month (their standing as
the indicator 按期推进 defines it), or with open or overdue problems, each with its reasons; a
project on time with no problem is not suggested.

The meeting is on 15 July 2022: six months of the year behind it, a time progress of 50 %."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keyprojects.core.audit import Source, audit_context
from keyprojects.dispatch import agenda, services
from keyprojects.dispatch.agenda import Reason
from keyprojects.projects.models import AnnualPlan, Project, ProjectList
from keyprojects.reporting.models import PlanProgress

pytestmark = pytest.mark.django_db

DAY = date(2022, 7, 15)


def completed_by_june(project: Project, share: str) -> None:
    """An approved June report of ``share`` of the year's plan, as the roll-up keeps it (approved
    on 30 June 2022, so that it counts as of the meeting's day)."""
    plan = project.plans.get(year=2022)
    PlanProgress.objects.update_or_create(plan=plan, defaults={
        "ytd_06": plan.planned_investment * Decimal(share), "done_06": plan.planned_investment * Decimal(share),
        "at_06": timezone.make_aware(datetime(2022, 6, 30, 12))})


def started(project: Project, on: date, planned_month: int | None = None) -> None:
    plan = AnnualPlan.objects.get(project=project, year=2022)
    plan.started, plan.started_on, plan.planned_start_month = True, on, planned_month
    plan.save()


@pytest.fixture
def projects(cast) -> dict[str, Project]:
    with audit_context(Source.SYSTEM, detail="test"):
        made = {
            "behind": cast.p_lianshan,  # started, 20 % done
            "not_started": cast.p_suizhong,  # planned for March, not started
            "fine": cast.project("连山区城市更新项目", cast.lianshan, Decimal("30000")),
            "problem": cast.project("连山区污水处理厂项目", cast.lianshan, Decimal("20000")),
        }
        started(made["behind"], date(2022, 4, 1))
        completed_by_june(made["behind"], "0.2")
        plan = AnnualPlan.objects.get(project=made["not_started"], year=2022)
        plan.planned_start_month = 3
        plan.save()
        for name in ("fine", "problem"):
            started(made[name], date(2022, 4, 1), planned_month=4)
            completed_by_june(made[name], "0.6")
    services.raise_problem(cast.lianshan_clerk, {
        "project": made["problem"], "source": "report", "category": "land", "title": "用地指标未落实",
        "lead_unit": cast.gxj, "deadline": date(2022, 7, 10)}, on=date(2022, 7, 1))
    return made


def reasons(suggestions: list[agenda.Suggestion]) -> dict[str, list[str]]:
    return {s.project.name: [code for code, _text in s.reasons] for s in suggestions}


def test_each_project_is_suggested_for_its_reasons_and_the_one_on_time_is_not(cast, projects):
    found = agenda.suggest(cast.admin, cast.city, DAY)
    assert reasons(found) == {
        "连山区污水处理厂项目": [Reason.OVERDUE_PROBLEMS, Reason.OPEN_PROBLEMS],
        "绥中四方台风电项目": [Reason.NOT_STARTED],  # (one standing each, as 按期推进 defines it)
        "连石化工年产3.5万吨苯二胺项目": [Reason.BEHIND],
    }  # most pressing first; 锦州's project is another city's
    texts = {s.project.name: [text for _code, text in s.reasons] for s in found}
    assert texts["连石化工年产3.5万吨苯二胺项目"] == ["完成20.0%，时间进度50.0%"]
    assert texts["绥中四方台风电项目"][0] == "计划3月开工，尚未开工"
    assert texts["连山区污水处理厂项目"] == ["1个问题逾期", "1个问题未销号"]


def test_an_open_problem_not_yet_overdue_is_a_reason_of_its_own(cast, projects):
    assert reasons(agenda.suggest(cast.admin, cast.city, date(2022, 7, 8)))["连山区污水处理厂项目"] == [
        Reason.OPEN_PROBLEMS]


def test_a_start_is_late_once_its_planned_month_has_ended(cast, projects):
    assert "绥中四方台风电项目" not in reasons(agenda.suggest(cast.admin, cast.city, date(2022, 3, 30)))
    assert reasons(agenda.suggest(cast.admin, cast.city, date(2022, 3, 31)))["绥中四方台风电项目"] == [Reason.NOT_STARTED]


def test_a_rules_lists_narrow_the_suggestion_and_a_county_clerk_gets_their_countys(cast, projects):
    listed = ProjectList.objects.create(name="省列重大项目", year=2022)
    projects["behind"].lists.add(listed)
    assert list(reasons(agenda.suggest(cast.admin, cast.city, DAY, [listed]))) == ["连石化工年产3.5万吨苯二胺项目"]
    assert set(reasons(agenda.suggest(cast.lianshan_clerk, cast.lianshan, DAY))) == {
        "连山区污水处理厂项目", "连石化工年产3.5万吨苯二胺项目"}


def test_recording_a_meeting_for_a_rule_preselects_the_suggestion_with_its_reasons(cast, login, projects):
    rule = services.save_cadence_rule(cast.admin, None, {
        "name": "常务副市长调度会", "region": cast.city, "chair": cast.leader, "kind": "concentrated", "every": 2,
        "interval": "weeks", "weekday": 5, "starts_on": DAY})
    client = login(cast.admin)
    response = client.get(reverse("dispatch:meeting_create"), {"rule": rule.pk, "date": DAY.isoformat()})
    html = response.content.decode()
    for project in (projects["behind"], projects["not_started"], projects["problem"]):
        assert f'name="projects" value="{project.pk}" id="agenda-{project.pk}" checked' in html
    assert f'value="{projects["fine"].pk}" id="agenda-' not in html
    assert 'data-reason="overdue_problems">1个问题逾期<' in html
    # the secretariat unticks one and adds the one on time: what is posted is saved
    response = client.post(reverse("dispatch:meeting_create"), {
        "kind": "concentrated", "title": "常务副市长调度会", "region": cast.city.pk, "chair": cast.leader.pk,
        "date": DAY.isoformat(), "cadence_rule": rule.pk,
        "projects": [projects["behind"].pk, projects["problem"].pk, projects["fine"].pk],
        "decisions-TOTAL_FORMS": "0", "decisions-INITIAL_FORMS": "0"})
    assert response.status_code == 302
    meeting = rule.meetings.get()
    assert set(meeting.projects.values_list("name", flat=True)) == {
        "连石化工年产3.5万吨苯二胺项目", "连山区污水处理厂项目", "连山区城市更新项目"}


def test_the_suggestion_costs_as_many_queries_for_many_projects_as_for_a_few(cast, login, projects):
    client = login(cast.admin)
    url = reverse("dispatch:meeting_create") + f"?date={DAY.isoformat()}"
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    with audit_context(Source.SYSTEM, detail="test"):
        for i in range(20):
            project = cast.project(f"连山区产业园配套项目{i}", cast.lianshan, Decimal("8000"))
            services.raise_problem(cast.lianshan_clerk, {
                "project": project, "source": "report", "category": "funding", "title": "资金未到位"},
                on=date(2022, 7, 1))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["suggestions"]) == 23
    assert len(many) == len(few) <= 20


def test_a_red_warning_is_a_reason_and_comes_first(cast, projects):
    from keyprojects.alerts import services as alert_services

    alert_services.create_default_rules(cast.admin, cast.city)
    alert_services.evaluate(date(2022, 5, 1))  # 绥中: planned for March, 31 days late: red
    found = agenda.suggest(cast.admin, cast.city, DAY)
    red = [Reason.RED_WARNING in s.codes for s in found]
    assert red == sorted(red, reverse=True) and red[0]  # those with a red warning first
    by_name = {s.project.name: s for s in found}
    assert by_name["绥中四方台风电项目"].reasons[0] == (Reason.RED_WARNING, "计划3月开工，截至5月1日未开工")
    assert Reason.RED_WARNING not in reasons(agenda.suggest(cast.admin, cast.city, date(2022, 4, 30)))[
        "绥中四方台风电项目"]

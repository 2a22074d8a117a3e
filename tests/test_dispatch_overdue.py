"""The daily 督办 job with a frozen date: problems past their deadline are marked overdue, a 督办
notice goes on their timeline and to their lead unit and leader, and those overdue longer than
their category's rule (data, in working days) are escalated; running it twice the same day
changes nothing more."""

from __future__ import annotations

from datetime import date

import pytest

from keyprojects.core.schedule import SCHEDULE
from keyprojects.core.workdays import add_working_days, working_days_between
from keyprojects.dispatch import services, tasks
from keyprojects.dispatch.models import EscalationRule, Problem, ProblemEvent

pytestmark = pytest.mark.django_db

State, Event = Problem.State, ProblemEvent.Kind
RAISED, DEADLINE = date(2022, 7, 1), date(2022, 7, 15)  # a Friday


@pytest.fixture
def overdue_problem(cast) -> Problem:
    EscalationRule.objects.all().delete()
    EscalationRule.objects.create(category="", after_days=5, deadline_days=10)
    return services.raise_problem(cast.lianshan_clerk, {
        "project": cast.p_lianshan, "source": Problem.Source.MEETING, "category": Problem.Category.LAND,
        "title": "用地指标未落实", "lead_unit": cast.gxj, "leader": cast.leader, "deadline": DEADLINE}, on=RAISED)


def state_of(problem: Problem) -> tuple:
    problem.refresh_from_db()
    return problem.state, problem.overdue_since, problem.escalated_to_id, problem.events.count(), problem.version


def test_nothing_is_overdue_on_the_deadline_itself(overdue_problem, notices):
    before = state_of(overdue_problem)
    assert services.chase_overdue(DEADLINE) == {"supervised": 0, "escalated": 0}
    assert state_of(overdue_problem) == before and notices.sent == []


def test_the_day_after_the_deadline_the_problem_is_marked_and_its_unit_and_leader_notified_once(
        cast, overdue_problem, notices):
    day = date(2022, 7, 16)
    assert services.chase_overdue(day) == {"supervised": 1, "escalated": 0}
    overdue_problem.refresh_from_db()
    assert overdue_problem.overdue_since == day and overdue_problem.state == State.IN_PROGRESS
    notice = overdue_problem.events.get(kind=Event.SUPERVISED)
    assert (notice.date, notice.actor, notice.text) == (
        day, None, "已超过办理时限（2022-07-15），请葫芦岛市工业和信息化局抓紧办理")
    key = f"problem:{overdue_problem.pk}:overdue:2022-07-16"
    assert sorted(notices.sent, key=str) == sorted([(key, cast.gxj), (key, frozenset([cast.leader_user]))], key=str)
    after = state_of(overdue_problem)
    assert services.chase_overdue(day) == {"supervised": 0, "escalated": 0}  # the same day again
    assert state_of(overdue_problem) == after and len(notices.sent) == 2


def test_a_run_missed_for_days_marks_the_problem_overdue_from_the_day_after_its_deadline(overdue_problem):
    services.chase_overdue(date(2022, 7, 19))
    overdue_problem.refresh_from_db()
    assert overdue_problem.overdue_since == date(2022, 7, 16)
    assert overdue_problem.events.get(kind=Event.SUPERVISED).date == date(2022, 7, 19)


def test_escalated_after_the_rules_working_days_with_a_deadline_in_working_days(cast, overdue_problem, notices):
    services.chase_overdue(date(2022, 7, 16))  # overdue since Saturday 16 July
    assert working_days_between(date(2022, 7, 16), date(2022, 7, 22)) == 5
    assert services.chase_overdue(date(2022, 7, 21)) == {"supervised": 0, "escalated": 0}  # 4 working days
    assert services.chase_overdue(date(2022, 7, 22)) == {"supervised": 0, "escalated": 1}
    overdue_problem.refresh_from_db()
    assert (overdue_problem.state, overdue_problem.escalated_to, overdue_problem.overdue_since) == (
        State.ESCALATED, cast.city, None)
    assert overdue_problem.escalation_deadline == add_working_days(date(2022, 7, 22), 10) == date(2022, 8, 5)
    escalation = overdue_problem.events.get(kind=Event.ESCALATED)
    assert escalation.actor is None and "逾期 5 个工作日未办结，按提级规则自动提级" in escalation.text
    assert (f"problem:{overdue_problem.pk}:escalated:{escalation.pk}", frozenset([cast.admin])) in notices.sent
    after = state_of(overdue_problem)
    assert services.chase_overdue(date(2022, 7, 22)) == {"supervised": 0, "escalated": 0}
    assert state_of(overdue_problem) == after


def test_a_categorys_own_rule_comes_before_the_default_and_no_rule_never_escalates(overdue_problem):
    EscalationRule.objects.create(category=Problem.Category.LAND, after_days=20, deadline_days=10)
    services.chase_overdue(date(2022, 7, 16))
    assert services.chase_overdue(date(2022, 7, 29))["escalated"] == 0  # 10 working days: the default's 5 would
    EscalationRule.objects.all().delete()
    assert services.chase_overdue(date(2022, 12, 30))["escalated"] == 0
    assert Problem.objects.get(pk=overdue_problem.pk).state == State.IN_PROGRESS


def test_a_replied_or_closed_problem_is_not_chased(cast, overdue_problem):
    services.reply(cast.dept_clerk, overdue_problem.pk, None, "已办结", on=date(2022, 7, 14))
    assert services.chase_overdue(date(2022, 8, 30)) == {"supervised": 0, "escalated": 0}
    services.return_problem(cast.lianshan_clerk, overdue_problem.pk, None, "未解决", on=date(2022, 8, 30))
    assert services.chase_overdue(date(2022, 8, 31)) == {"supervised": 1, "escalated": 1}  # long past: both


def test_the_job_runs_the_chase_as_the_system_on_the_date_given(overdue_problem):
    result = tasks.chase_overdue.enqueue("2022-07-16")
    assert result.return_value == {"supervised": 1, "escalated": 0}
    record = Problem.history.filter(id=overdue_problem.pk).latest("history_date")
    assert (record.history_source, record.history_detail, record.history_user) == ("system", "chase_overdue", None)


def test_the_schedule_runs_the_chase_every_morning():
    job = next(job for job in SCHEDULE if job.name == "chase_overdue_problems")
    assert job.cron == "30 6 * * *" and job.task is tasks.chase_overdue


def test_working_days_skip_weekends():
    assert working_days_between(date(2022, 7, 15), date(2022, 7, 18)) == 1  # Friday to Monday
    assert add_working_days(date(2022, 7, 15), 1) == date(2022, 7, 18)
    assert working_days_between(date(2022, 7, 18), date(2022, 7, 18)) == 0


def test_working_days_know_the_public_holidays_and_the_weekends_worked_in_their_place():
    # 2022's National Day: 1–7 October off; Saturday 8 and Sunday 9 October worked (调休).
    assert add_working_days(date(2022, 9, 30), 1) == date(2022, 10, 8)
    assert working_days_between(date(2022, 9, 30), date(2022, 10, 10)) == 3
    # A year the calendar does not know yet: Monday to Friday.
    assert add_working_days(date(2031, 1, 3), 1) == date(2031, 1, 6)

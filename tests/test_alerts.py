"""Early warnings (预警) with frozen dates: each rule opens its warning, turns it red and closes
it when its cause is gone; the evaluation is idempotent for a day, tells the units its rule
names once, keeps the history; acknowledging keeps the warning visible to the city."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from keyprojects.alerts import services, tasks
from keyprojects.alerts.models import Colour, Kind, StartTarget, Warning, WarningRule
from keyprojects.approvals.models import ApprovalItem, ProjectApproval
from keyprojects.core.audit import Source
from keyprojects.core.schedule import SCHEDULE
from keyprojects.dispatch import services as dispatch_services
from keyprojects.notices.models import Message
from keyprojects.projects.models import AnnualPlan, Nature
from keyprojects.reporting.models import ProgressReport, ReportingPeriod

pytestmark = pytest.mark.django_db

YEAR = 2022


@pytest.fixture
def rules(cast) -> dict[str, WarningRule]:
    created = services.create_default_rules(cast.admin, cast.city)
    return {rule.kind: rule for rule in created}


def plan_of(project) -> AnnualPlan:
    return project.plans.get(year=YEAR)


def set_plan(project, **fields) -> AnnualPlan:
    plan = plan_of(project)
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.save()
    return plan


def start(project, on: date) -> None:
    set_plan(project, started=True, started_on=on)


def warnings_of(project, kind: str) -> list[Warning]:
    return list(Warning.objects.filter(project=project, kind=kind).order_by("pk"))


def only(project, kind: str) -> Warning:
    found = warnings_of(project, kind)
    assert len(found) == 1, found
    return found[0]


def test_the_schedule_evaluates_the_warnings_every_morning_at_a_quarter_to_seven():
    job = next(s for s in SCHEDULE if s.name == "evaluate_warnings")
    assert job.cron == "45 6 * * *" and job.task is tasks.evaluate_warnings


def test_a_city_gets_the_default_rule_set_once(cast, rules):
    assert set(rules) == set(Kind.values)
    assert rules[Kind.BEHIND_PROGRESS].yellow == Decimal(10) and rules[Kind.BEHIND_PROGRESS].red == Decimal(20)
    assert services.create_default_rules(cast.admin, cast.city) == []
    with pytest.raises(Exception):  # noqa: B017 (a county clerk is not an admin: PermissionDenied)
        services.create_default_rules(cast.lianshan_clerk, cast.city)


def test_late_start_opens_yellow_turns_red_and_closes_when_the_project_starts(cast, rules):
    set_plan(cast.p_lianshan, planned_start_month=3)
    services.evaluate(date(YEAR, 3, 30))
    assert warnings_of(cast.p_lianshan, Kind.LATE_START) == []
    services.evaluate(date(YEAR, 4, 20))
    warning = only(cast.p_lianshan, Kind.LATE_START)
    assert (warning.colour, warning.reason, warning.opened_on) == (Colour.YELLOW, "计划3月开工，截至4月20日未开工",
                                                                  date(YEAR, 4, 20))
    assert warning.figures == {"year": YEAR, "planned_month": 3, "days": 20}
    assert warning.region == cast.lianshan and warning.key == "plan:2022"
    services.evaluate(date(YEAR, 5, 1))
    warning.refresh_from_db()
    assert warning.colour == Colour.RED and warning.reason == "计划3月开工，截至5月1日未开工"
    start(cast.p_lianshan, date(YEAR, 5, 2))
    assert services.evaluate(date(YEAR, 5, 3))["closed"] >= 1
    warning.refresh_from_db()
    assert warning.closed_on == date(YEAR, 5, 3)
    # the history keeps the opening, the turn to red and the close
    assert [(h.colour, h.closed_on, h.history_source) for h in warning.history.order_by("history_id")] == [
        (Colour.YELLOW, None, Source.SYSTEM), (Colour.RED, None, Source.SYSTEM),
        (Colour.RED, date(YEAR, 5, 3), Source.SYSTEM)]


def test_a_continuing_project_without_a_planned_month_is_due_to_resume_from_january(cast, rules):
    set_plan(cast.p_suizhong, nature=Nature.CONTINUING)
    services.evaluate(date(YEAR, 2, 10))
    assert only(cast.p_suizhong, Kind.LATE_START).reason == "应于1月起复工，截至2月10日未复工"


def test_evaluating_twice_the_same_day_changes_nothing_more(cast, rules):
    set_plan(cast.p_lianshan, planned_start_month=3)
    first = services.evaluate(date(YEAR, 4, 20))
    assert first["opened"] >= 1
    histories = Warning.history.count()
    messages = Message.objects.count()
    assert services.evaluate(date(YEAR, 4, 20)) == {"opened": 0, "changed": 0, "closed": 0, "turned_red": 0}
    assert Warning.history.count() == histories and Message.objects.count() == messages
    # the next day the count of days grows, but the colour and the facts stand: nothing rewritten
    assert services.evaluate(date(YEAR, 4, 21)) == {"opened": 0, "changed": 0, "closed": 0, "turned_red": 0}


def test_the_units_the_rule_names_are_told_once_when_opened_and_once_when_turned_red(cast, rules):
    set_plan(cast.p_lianshan, planned_start_month=3)
    services.evaluate(date(YEAR, 4, 20))
    warning = only(cast.p_lianshan, Kind.LATE_START)
    opened = Message.objects.filter(event=f"warning:{warning.pk}:opened")
    # the responsible unit (工信局), the county's clerk, the project's leader (late starts tell leaders)
    assert {m.recipient for m in opened} == {cast.dept_clerk, cast.lianshan_clerk, cast.leader_user}
    assert opened.first().subject == "【黄色预警】连石化工年产3.5万吨苯二胺项目：计划开工月已过未开工"
    services.evaluate(date(YEAR, 5, 1))
    services.evaluate(date(YEAR, 5, 2))
    assert Message.objects.filter(event=f"warning:{warning.pk}:red").count() == 3
    assert Message.objects.filter(event__startswith=f"warning:{warning.pk}:").count() == 6


def test_a_rule_switched_off_closes_its_warnings(cast, rules):
    set_plan(cast.p_lianshan, planned_start_month=3)
    services.evaluate(date(YEAR, 4, 20))
    services.save_rule(cast.admin, rules[Kind.LATE_START].pk, {"active": False})
    services.evaluate(date(YEAR, 4, 21))
    assert only(cast.p_lianshan, Kind.LATE_START).closed_on == date(YEAR, 4, 21)


@pytest.fixture
def permit(cast) -> ProjectApproval:
    item = ApprovalItem.objects.create(region=cast.city, code="sgxk", name="施工许可证", issuer_name="住房和城乡建设局",
                                       duration=20, validity_months=3)
    return ProjectApproval.objects.create(project=cast.p_lianshan, item=item, planned_on=date(YEAR, 3, 10))


def test_an_approval_late_against_its_backward_schedule_warns_until_obtained(cast, rules, permit):
    services.evaluate(date(YEAR, 3, 10))
    assert warnings_of(cast.p_lianshan, Kind.APPROVAL_LATE) == []
    services.evaluate(date(YEAR, 3, 11))
    warning = only(cast.p_lianshan, Kind.APPROVAL_LATE)
    assert (warning.colour, warning.reason, warning.key) == (
        Colour.YELLOW, "施工许可证计划3月10日前办结，截至3月11日未办结", f"approval:{permit.pk}")
    services.evaluate(date(YEAR, 4, 9))
    warning.refresh_from_db()
    assert warning.colour == Colour.RED
    permit.obtained_on, permit.valid_until = date(YEAR, 4, 12), date(YEAR, 7, 12)
    permit.save()
    services.evaluate(date(YEAR, 4, 13))
    warning.refresh_from_db()
    assert warning.closed_on == date(YEAR, 4, 13)


def test_a_validity_about_to_lapse_warns_until_the_project_starts(cast, rules, permit):
    permit.obtained_on, permit.valid_until = date(YEAR, 4, 12), date(YEAR, 7, 12)
    permit.save()
    set_plan(cast.p_lianshan, planned_start_month=9)  # (no late start in the way)
    services.evaluate(date(YEAR, 6, 11))
    assert warnings_of(cast.p_lianshan, Kind.APPROVAL_LAPSING) == []
    services.evaluate(date(YEAR, 6, 12))
    warning = only(cast.p_lianshan, Kind.APPROVAL_LAPSING)
    assert (warning.colour, warning.reason) == (Colour.YELLOW, "施工许可证有效期至7月12日，截至6月12日项目未开工")
    services.evaluate(date(YEAR, 7, 13))
    warning.refresh_from_db()
    assert (warning.colour, warning.reason) == (Colour.RED, "施工许可证已于7月12日届满，项目仍未开工")
    start(cast.p_lianshan, date(YEAR, 7, 14))
    services.evaluate(date(YEAR, 7, 14))
    warning.refresh_from_db()
    assert warning.closed_on == date(YEAR, 7, 14)


def period(cast, month: int) -> ReportingPeriod:
    return ReportingPeriod.objects.create(region=cast.city, year=YEAR, month=month, opens_on=date(YEAR, month, 20),
                                          closes_on=date(YEAR, month, 25))


def report(project, of: ReportingPeriod, done: Decimal, ytd: Decimal, status=ProgressReport.Status.APPROVED):
    return ProgressReport.objects.create(
        project=project, period=of, completed_month=done, completed_ytd=ytd, completed_since_start=ytd,
        started=True, started_on=plan_of(project).started_on, status=status,
        reviewed_at=timezone.make_aware(datetime(YEAR, of.month, 26, 10)) if status == "approved" else None)


def test_behind_time_progress_by_ten_points_is_yellow_by_twenty_red(cast, rules):
    start(cast.p_lianshan, date(YEAR, 3, 1))  # annual plan 13,000 万元
    may = period(cast, 5)
    report(cast.p_lianshan, may, Decimal("3000"), Decimal("3000"))  # 23.1 % against 41.7 %: 18.6 behind
    services.evaluate(date(YEAR, 5, 31))
    warning = only(cast.p_lianshan, Kind.BEHIND_PROGRESS)
    assert (warning.colour, warning.reason) == (
        Colour.YELLOW, "截至5月31日投资完成率23.1%，时间进度41.7%，落后18.6个百分点")
    services.evaluate(date(YEAR, 6, 30))  # 50.0 % now: 26.9 behind
    warning.refresh_from_db()
    assert warning.colour == Colour.RED and warning.figures["time_progress"] == "50.0"
    june = period(cast, 6)
    report(cast.p_lianshan, june, Decimal("4000"), Decimal("7000"))  # 53.8 %
    services.evaluate(date(YEAR, 6, 30))
    warning.refresh_from_db()
    assert warning.closed_on == date(YEAR, 6, 30)


def test_no_progress_for_two_closed_months_is_yellow_three_red(cast, rules):
    start(cast.p_lianshan, date(YEAR, 2, 15))
    periods = {m: period(cast, m) for m in (2, 3, 4, 5)}
    report(cast.p_lianshan, periods[2], Decimal("500"), Decimal("500"))
    report(cast.p_lianshan, periods[3], Decimal("0"), Decimal("500"))
    services.evaluate(date(YEAR, 4, 20))  # through March: one month without
    assert warnings_of(cast.p_lianshan, Kind.NO_PROGRESS) == []
    services.evaluate(date(YEAR, 4, 26))  # through April (nothing filed): two months
    warning = only(cast.p_lianshan, Kind.NO_PROGRESS)
    assert (warning.colour, warning.reason) == (
        Colour.YELLOW, "截至2022年4月填报期，连续2个月无投资进展（最近一次有投资进展为2月）")
    services.evaluate(date(YEAR, 5, 26))
    warning.refresh_from_db()
    assert warning.colour == Colour.RED and warning.figures["months"] == 3
    report(cast.p_lianshan, periods[5], Decimal("800"), Decimal("1300"), status=ProgressReport.Status.SUBMITTED)
    services.evaluate(date(YEAR, 5, 27))
    warning.refresh_from_db()
    assert warning.closed_on == date(YEAR, 5, 27)


def test_an_unfiled_report_warns_after_the_close_until_filed(cast, rules):
    april = period(cast, 4)
    services.evaluate(date(YEAR, 4, 25))
    assert warnings_of(cast.p_lianshan, Kind.REPORT_MISSING) == []
    services.evaluate(date(YEAR, 4, 26))
    warning = only(cast.p_lianshan, Kind.REPORT_MISSING)
    assert (warning.colour, warning.reason) == (Colour.YELLOW, "2022年4月月报应于4月25日前报送，截至4月26日未报送")
    assert warning.key == f"period:{april.pk}"
    assert only(cast.p_suizhong, Kind.REPORT_MISSING).colour == Colour.YELLOW
    assert warnings_of(cast.p_jinzhou, Kind.REPORT_MISSING) == []  # another city's project
    services.evaluate(date(YEAR, 4, 30))
    warning.refresh_from_db()
    assert warning.colour == Colour.RED
    report(cast.p_lianshan, april, Decimal("0"), Decimal("0"), status=ProgressReport.Status.SUBMITTED)
    services.evaluate(date(YEAR, 5, 1))
    warning.refresh_from_db()
    assert warning.closed_on == date(YEAR, 5, 1)
    assert only(cast.p_suizhong, Kind.REPORT_MISSING).closed_on is None


def test_an_overdue_problem_warns_until_replied(cast, rules):
    problem = dispatch_services.raise_problem(cast.lianshan_clerk, {
        "project": cast.p_lianshan, "source": "meeting", "category": "land", "title": "用地指标未落实",
        "lead_unit": cast.gxj, "deadline": date(YEAR, 6, 10)}, on=date(YEAR, 6, 1))
    services.evaluate(date(YEAR, 6, 10))
    assert warnings_of(cast.p_lianshan, Kind.PROBLEM_OVERDUE) == []
    services.evaluate(date(YEAR, 6, 11))
    warning = only(cast.p_lianshan, Kind.PROBLEM_OVERDUE)
    assert warning.reason == "问题“用地指标未落实”办理时限6月10日，截至6月11日未办结"
    services.evaluate(date(YEAR, 6, 25))
    warning.refresh_from_db()
    assert warning.colour == Colour.RED
    dispatch_services.reply(cast.dept_clerk, problem.pk, None, "已落实", on=date(YEAR, 6, 26))
    services.evaluate(date(YEAR, 6, 26))
    warning.refresh_from_db()
    assert warning.closed_on == date(YEAR, 6, 26)


def test_a_dated_start_target_at_risk_warns_the_city_and_closes_when_reached(cast, rules):
    target = StartTarget.objects.create(region=cast.city, year=YEAR, by_date=date(YEAR, 2, 28), rate=Decimal(60))
    services.evaluate(date(YEAR, 1, 20))  # 39 days ahead: not yet
    assert not Warning.objects.filter(kind=Kind.START_TARGET).exists()
    services.evaluate(date(YEAR, 2, 1))
    warning = Warning.objects.get(kind=Kind.START_TARGET)
    assert (warning.project, warning.region, warning.colour) == (None, cast.city, Colour.YELLOW)
    assert warning.reason == "目标2月28日前开复工60.0%，截至2月1日开复工率0.0%（0/2），尚差2个项目"
    assert Message.objects.filter(event=f"warning:{warning.pk}:opened", recipient=cast.admin).exists()
    services.evaluate(date(YEAR, 2, 20))
    warning.refresh_from_db()
    assert warning.colour == Colour.RED
    start(cast.p_lianshan, date(YEAR, 2, 21))
    start(cast.p_suizhong, date(YEAR, 2, 21))
    services.evaluate(date(YEAR, 2, 21))
    warning.refresh_from_db()
    assert warning.closed_on == date(YEAR, 2, 21) and warning.key == f"target:{target.pk}"


def test_thresholds_are_checked_in_their_direction(cast, rules):
    with pytest.raises(ValidationError) as caught:
        services.save_rule(cast.admin, rules[Kind.BEHIND_PROGRESS].pk, {"yellow": Decimal(20), "red": Decimal(10)})
    assert "red" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.save_rule(cast.admin, rules[Kind.APPROVAL_LAPSING].pk, {"yellow": Decimal(7), "red": Decimal(30)})
    with pytest.raises(Http404):
        services.save_rule(cast.outsider, rules[Kind.LATE_START].pk, {"yellow": Decimal(5)})


def test_acknowledging_needs_a_note_and_keeps_the_warning_open_and_visible(cast, rules):
    set_plan(cast.p_lianshan, planned_start_month=3)
    services.evaluate(date(YEAR, 4, 20))
    warning = only(cast.p_lianshan, Kind.LATE_START)
    with pytest.raises(ValidationError):
        services.acknowledge(cast.lianshan_clerk, warning.pk, "  ")
    with pytest.raises(Http404):
        services.acknowledge(cast.suizhong_clerk, warning.pk, "已协调")
    with pytest.raises(Exception):  # noqa: B017 (a leader reads: PermissionDenied)
        services.acknowledge(cast.leader_user, warning.pk, "已协调")
    services.acknowledge(cast.lianshan_clerk, warning.pk, "施工单位已进场，5月初开工")
    warning.refresh_from_db()
    assert warning.acknowledged_by == cast.lianshan_clerk and warning.closed_on is None
    assert Warning.objects.visible_to(cast.admin).filter(pk=warning.pk).exists()
    assert warning.history.first().history_user == cast.lianshan_clerk


def test_a_county_sees_its_warnings_only(cast, rules):
    services.evaluate(date(YEAR, 2, 10))  # both plans have no month: due from January
    assert set(Warning.objects.visible_to(cast.lianshan_clerk).values_list("project", flat=True)) == {cast.p_lianshan.pk}
    assert set(Warning.objects.visible_to(cast.suizhong_clerk).values_list("project", flat=True)) == {cast.p_suizhong.pk}
    assert set(Warning.objects.visible_to(cast.dept_clerk).values_list("project", flat=True)) == {cast.p_lianshan.pk}
    assert not Warning.objects.visible_to(cast.outsider).exists()
    assert Warning.objects.visible_to(cast.admin).count() == 2


def test_the_job_evaluates_on_the_day_given(cast, rules):
    result = tasks.evaluate_warnings.call(day="2022-02-10")
    assert result["opened"] == 2

"""The problem ledger's workflow through its services: raise, assign (交办), reply, sign off (销号),
return (退回), escalate (提级) — every transition audited, version-checked and on the timeline,
every illegal one refused with a Chinese message, and the units concerned notified once per event."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from keyprojects.core.audit import Source, audit_context
from keyprojects.dispatch import services
from keyprojects.dispatch.models import Decision, Meeting, Problem, ProblemEvent
from keyprojects.projects.services import EditConflict

pytestmark = pytest.mark.django_db

DAY = date(2022, 7, 1)
State, Event = Problem.State, ProblemEvent.Kind


def raised(cast, by=None, **extra) -> Problem:
    """A problem of 连山区's project raised by the county (待交办 unless ``extra`` assigns it)."""
    data = {"project": cast.p_lianshan, "source": Problem.Source.REPORT, "category": Problem.Category.LAND,
            "title": "用地指标未落实", "description": "项目二期用地指标尚未落实"} | extra
    return services.raise_problem(by or cast.lianshan_clerk, data, on=DAY)


def assigned(cast, **extra) -> Problem:
    return raised(cast, lead_unit=cast.gxj, deadline=date(2022, 7, 15), **extra)


def timeline(problem: Problem) -> list[tuple[str, str]]:
    return list(problem.events.order_by("date", "pk").values_list("kind", "state"))


def test_a_problem_goes_from_raised_to_signed_off_with_its_whole_timeline(cast, notices):
    problem = raised(cast)
    assert (problem.state, problem.region, problem.raiser_unit, problem.raised_by) == (
        State.NEW, cast.lianshan, cast.lianshan_fgj, cast.lianshan_clerk)
    services.assign(cast.lianshan_clerk, problem.pk, problem.version, {
        "lead_unit": cast.gxj, "co_units": [cast.fgw], "leader": cast.leader, "deadline": date(2022, 7, 15),
        "text": "请于月中前落实"}, on=DAY)
    problem.refresh_from_db()
    assert (problem.state, problem.lead_unit, list(problem.co_units.all()), problem.deadline) == (
        State.IN_PROGRESS, cast.gxj, [cast.fgw], date(2022, 7, 15))
    services.reply(cast.dept_clerk, problem.pk, problem.version, "已协调自然资源局调剂指标", on=date(2022, 7, 10))
    problem.refresh_from_db()
    assert problem.state == State.REPLIED
    services.sign_off(cast.lianshan_clerk, problem.pk, problem.version, "已落实", on=date(2022, 7, 12))
    problem.refresh_from_db()
    assert (problem.state, problem.signed_off_by, problem.signed_off_at.date(), problem.version) == (
        State.CLOSED, cast.lianshan_clerk, date(2022, 7, 12), 4)
    assert timeline(problem) == [(Event.RAISED, State.NEW), (Event.ASSIGNED, State.IN_PROGRESS),
                                 (Event.REPLIED, State.REPLIED), (Event.SIGNED_OFF, State.CLOSED)]
    assigning = problem.events.get(kind=Event.ASSIGNED)
    assert "牵头单位：葫芦岛市工业和信息化局" in assigning.text and "请于月中前落实" in assigning.text
    assert problem.events.get(kind=Event.REPLIED).unit == cast.gxj
    # notified once per event: the units assigned and the leader, then the raiser, then the units again
    key = f"problem:{problem.pk}"
    expected = {(f"{key}:assigned:{assigning.pk}", cast.gxj), (f"{key}:assigned:{assigning.pk}", cast.fgw),
                (f"{key}:assigned:{assigning.pk}", frozenset([cast.leader_user])),
                (f"{key}:replied:{problem.events.get(kind=Event.REPLIED).pk}", cast.lianshan_fgj),
                (f"{key}:signed_off:{problem.events.get(kind=Event.SIGNED_OFF).pk}", cast.gxj),
                (f"{key}:signed_off:{problem.events.get(kind=Event.SIGNED_OFF).pk}", cast.fgw)}
    assert set(notices.sent) == expected and len(notices.sent) == len(expected)


def test_every_change_is_audited_with_its_user_and_source(cast):
    with audit_context(Source.API, detail="/api/problems/"):
        problem = assigned(cast)
        services.reply(cast.dept_clerk, problem.pk, None, "已办结", on=DAY)
    rows = list(Problem.history.filter(id=problem.pk).order_by("history_date", "history_id")
                .values_list("state", "history_user__username", "history_source"))
    assert rows == [("new", "lianshan", "api"), ("in_progress", "lianshan", "api"), ("replied", "gxj", "api")]
    assert set(ProblemEvent.history.filter(problem_id=problem.pk).values_list("history_type", flat=True)) == {"+"}


def test_raising_with_a_lead_unit_and_a_deadline_assigns_at_once(cast, notices):
    problem = assigned(cast)
    assert problem.state == State.IN_PROGRESS and problem.version == 2
    assert timeline(problem) == [(Event.RAISED, State.NEW), (Event.ASSIGNED, State.IN_PROGRESS)]
    assert (f"problem:{problem.pk}:assigned:{problem.events.get(kind=Event.ASSIGNED).pk}", cast.gxj) in notices.sent


def test_a_lead_unit_without_a_deadline_is_refused_and_nothing_is_saved(cast):
    with pytest.raises(ValidationError) as refused:
        raised(cast, lead_unit=cast.gxj)
    assert refused.value.message_dict == {"deadline": ["交办时必须填写办理时限"]}
    assert not Problem.objects.exists() and not ProblemEvent.objects.exists()


def test_the_raiser_returns_a_reply_with_its_reason_and_the_unit_replies_again(cast, notices):
    problem = assigned(cast)
    services.reply(cast.dept_clerk, problem.pk, None, "已办结", on=DAY)
    with pytest.raises(ValidationError, match="退回时必须填写原因"):
        services.return_problem(cast.lianshan_clerk, problem.pk, None, "  ", on=DAY)
    services.return_problem(cast.lianshan_clerk, problem.pk, None, "指标仍未下达", on=DAY)
    problem.refresh_from_db()
    assert problem.state == State.IN_PROGRESS
    returned = problem.events.get(kind=Event.RETURNED)
    assert returned.text == "指标仍未下达" and returned.unit == cast.lianshan_fgj
    assert (f"problem:{problem.pk}:returned:{returned.pk}", cast.gxj) in notices.sent
    services.reply(cast.dept_clerk, problem.pk, None, "指标已下达", on=DAY)
    assert Problem.objects.get(pk=problem.pk).state == State.REPLIED


@pytest.mark.parametrize(("state_after", "action", "message"), [
    ("new", "sign_off", "该问题当前为“待交办”，不能销号"),
    ("new", "return", "该问题当前为“待交办”，不能退回"),
    ("in_progress", "sign_off", "该问题当前为“办理中”，不能销号"),
    ("in_progress", "return", "该问题当前为“办理中”，不能退回"),
    ("in_progress", "edit", "该问题当前为“办理中”，不能修改"),
    ("replied", "reply", "该问题当前为“已办结”，不能办结答复"),
    ("closed", "assign", "该问题当前为“已销号”，不能交办"),
    ("closed", "escalate", "该问题当前为“已销号”，不能提级"),
    ("closed", "return", "该问题当前为“已销号”，不能退回"),
])
def test_an_illegal_transition_is_refused_with_a_chinese_message(cast, state_after, action, message):
    problem = raised(cast) if state_after == "new" else assigned(cast)
    if state_after in ("replied", "closed"):
        services.reply(cast.dept_clerk, problem.pk, None, "已办结", on=DAY)
    if state_after == "closed":
        services.sign_off(cast.lianshan_clerk, problem.pk, None, on=DAY)
    problem.refresh_from_db()
    actor = cast.dept_clerk if action == "reply" else cast.lianshan_clerk
    calls = {
        "sign_off": lambda: services.sign_off(actor, problem.pk, None, on=DAY),
        "reply": lambda: services.reply(actor, problem.pk, None, "好了", on=DAY),
        "return": lambda: services.return_problem(actor, problem.pk, None, "不行", on=DAY),
        "edit": lambda: services.update_problem(actor, problem.pk, None, {"title": "改"}, on=DAY),
        "assign": lambda: services.assign(actor, problem.pk, None, {"lead_unit": cast.gxj,
                                                                    "deadline": date(2022, 8, 1)}, on=DAY),
        "escalate": lambda: services.escalate(actor, problem.pk, None, "无法解决", date(2022, 8, 1), on=DAY),
    }
    before = (problem.state, problem.version, problem.events.count())
    with pytest.raises(ValidationError) as refused:
        calls[action]()
    assert refused.value.messages == [message]
    problem.refresh_from_db()
    assert (problem.state, problem.version, problem.events.count()) == before


def test_a_stale_version_is_an_edit_conflict_and_changes_nothing(cast):
    problem = assigned(cast)
    services.reply(cast.dept_clerk, problem.pk, problem.version, "进展", done=False, on=DAY)
    with pytest.raises(EditConflict):
        services.reply(cast.dept_clerk, problem.pk, problem.version, "已办结", on=DAY)
    assert Problem.objects.get(pk=problem.pk).state == State.IN_PROGRESS


def test_a_co_unit_reports_progress_but_only_the_lead_unit_replies_that_it_is_solved(cast):
    problem = raised(cast, lead_unit=cast.fgw, co_units=[cast.gxj], deadline=date(2022, 7, 20))
    services.reply(cast.dept_clerk, problem.pk, None, "已提供技术资料", done=False, on=DAY)
    with pytest.raises(PermissionDenied, match="只有牵头单位可以办结答复"):
        services.reply(cast.dept_clerk, problem.pk, None, "已办结", on=DAY)
    problem.refresh_from_db()
    assert problem.state == State.IN_PROGRESS
    assert timeline(problem)[-1] == (Event.PROGRESS, State.IN_PROGRESS)


def test_a_county_problem_escalates_to_the_city_which_assigns_it_to_its_own_department(cast, notices):
    problem = assigned(cast)
    services.escalate(cast.lianshan_clerk, problem.pk, None, "涉及市级用地指标，县级无法解决", date(2022, 7, 30),
                      on=DAY)
    problem.refresh_from_db()
    assert (problem.state, problem.escalated_to, problem.escalation_deadline, problem.level) == (
        State.ESCALATED, cast.city, date(2022, 7, 30), cast.city)
    escalation = problem.events.get(kind=Event.ESCALATED)
    assert escalation.text == "提级至葫芦岛市，办理时限 2022-07-30。涉及市级用地指标，县级无法解决"
    key = f"problem:{problem.pk}:escalated:{escalation.pk}"
    assert (key, frozenset([cast.admin])) in notices.sent and (key, cast.gxj) in notices.sent
    # at the city: the county that raised it no longer assigns it; the city's dispatchers do
    with pytest.raises(PermissionDenied, match="已提级的问题由上级调度部门交办"):
        services.assign(cast.lianshan_clerk, problem.pk, None, {"lead_unit": cast.fgw, "deadline": date(2022, 7, 25)},
                        on=DAY)
    services.assign(cast.admin, problem.pk, None, {"lead_unit": cast.fgw, "deadline": date(2022, 7, 25)}, on=DAY)
    problem.refresh_from_db()
    assert (problem.state, problem.lead_unit, problem.due, problem.deadline) == (
        State.IN_PROGRESS, cast.fgw, date(2022, 7, 25), date(2022, 7, 15))
    # the raiser still signs it off
    services.reply(cast.admin, problem.pk, None, "市级调剂指标已下达", on=DAY)
    services.sign_off(cast.lianshan_clerk, problem.pk, None, on=DAY)
    assert Problem.objects.get(pk=problem.pk).state == State.CLOSED


def test_escalation_stops_at_the_top_and_needs_a_reason_and_a_deadline(cast):
    problem = raised(cast, by=cast.admin)
    with pytest.raises(ValidationError, match="必须填写上级的办理时限"):
        services.escalate(cast.admin, problem.pk, None, "无法解决", None, on=DAY)
    with pytest.raises(ValidationError, match="不能早于今天"):
        services.escalate(cast.admin, problem.pk, None, "无法解决", date(2022, 6, 1), on=DAY)
    services.escalate(cast.admin, problem.pk, None, "无法解决", date(2022, 7, 20), on=DAY)  # → 葫芦岛市
    services.escalate(cast.superuser, problem.pk, None, "市级无法解决", date(2022, 7, 30), on=DAY)  # → 辽宁省
    problem.refresh_from_db()
    assert problem.escalated_to.name == "辽宁省"
    with pytest.raises(ValidationError, match="“辽宁省”已是最高层级，不能再提级"):
        services.escalate(cast.superuser, problem.pk, None, "无法解决", date(2022, 8, 30), on=DAY)


def test_a_general_problem_is_raised_only_in_a_region_the_user_holds(cast):
    data = {"region": cast.suizhong, "source": Problem.Source.PUBLIC, "category": Problem.Category.UTILITIES,
            "title": "园区道路未通"}
    with pytest.raises(PermissionDenied, match="不能在“绥中县”提出"):
        services.raise_problem(cast.lianshan_clerk, data, on=DAY)
    with pytest.raises(PermissionDenied):
        services.raise_problem(cast.dept_clerk, data, on=DAY)
    with pytest.raises(ValidationError, match="须选择所属区划"):
        services.raise_problem(cast.admin, {**data, "region": None}, on=DAY)
    problem = services.raise_problem(cast.suizhong_clerk, data, on=DAY)
    assert (problem.project, problem.region) == (None, cast.suizhong)


def test_readers_raise_nothing_and_a_deadline_cannot_precede_the_problem(cast):
    for reader in (cast.leader_user, cast.viewer):
        with pytest.raises(PermissionDenied, match="只能查看"):
            raised(cast, by=reader)
    with pytest.raises(ValidationError) as refused:
        raised(cast, lead_unit=cast.gxj, deadline=date(2022, 6, 30))
    assert refused.value.message_dict == {"deadline": ["办理时限不能早于今天（2022-07-01）"]}
    assert not Problem.objects.exists()


def test_a_decision_becomes_one_problem_that_keeps_the_decision_and_its_meeting(cast):
    meeting = services.save_meeting(cast.admin, None, None, {
        "kind": Meeting.Kind.CONCENTRATED, "title": "2022年第7次重点项目集中调度会", "region": cast.city,
        "chair": cast.leader, "date": date(2022, 7, 1), "units": [cast.gxj, cast.lianshan_fgj],
        "projects": [cast.p_lianshan]}, [(None, "市工信局牵头协调连石化工项目供电接入"), (None, "绥中风电项目加快环评")])
    decision = meeting.decisions.get(order=1)
    problem = services.raise_problem(cast.admin, {
        **services.decision_data(decision), "lead_unit": cast.gxj, "deadline": date(2022, 7, 20)}, on=DAY)
    assert (problem.decision, problem.meeting, problem.project, problem.source, problem.category) == (
        decision, meeting, cast.p_lianshan, Problem.Source.MEETING, Problem.Category.UTILITIES)
    assert problem.state == State.IN_PROGRESS
    with pytest.raises(ValidationError, match="该议定事项已转为问题"):
        services.raise_problem(cast.admin, {**services.decision_data(decision)}, on=DAY)
    with pytest.raises(ValidationError, match="已转为问题，不能删除"):
        services.save_meeting(cast.admin, meeting.pk, meeting.version, {}, [(None, "只剩一项")])
    assert list(Decision.objects.filter(meeting=meeting).values_list("text", flat=True)) == [
        "市工信局牵头协调连石化工项目供电接入", "绥中风电项目加快环评"]


def test_the_category_is_guessed_from_the_words_of_a_blocker():
    guess = services.guess_category
    assert guess("环评手续待批复") == Problem.Category.ENVIRONMENT
    assert guess("征地拆迁进度慢") == Problem.Category.DEMOLITION
    assert guess("用地指标紧张") == Problem.Category.LAND
    assert guess("资金到位滞后") == Problem.Category.FUNDING
    assert guess("电力接入待协调") == Problem.Category.UTILITIES
    assert guess("施工许可未办理") == Problem.Category.APPROVAL
    assert guess("业主方内部调整") == Problem.Category.OTHER
    assert services.summary("\n1. 用地指标紧张；\n2. 资金不足") == "用地指标紧张；"


def test_an_owners_problem_is_assigned_by_the_citys_dispatchers_and_keeps_its_leader(cast):
    data = {"project": cast.p_lianshan, "source": "site_visit", "category": "utilities", "title": "供电接入慢",
            "leader": cast.leader}
    with pytest.raises(PermissionDenied, match="只有提出方或调度部门可以交办问题"):
        services.raise_problem(cast.owner, {**data, "lead_unit": cast.gxj, "deadline": date(2022, 7, 15)}, on=DAY)
    assert not Problem.objects.exists()
    problem = services.raise_problem(cast.owner, data, on=DAY)
    assert (problem.state, problem.leader, problem.raiser_unit) == (State.NEW, cast.leader, cast.company)
    with pytest.raises(PermissionDenied):
        services.escalate(cast.owner, problem.pk, None, "无法解决", date(2022, 7, 30), on=DAY)
    services.update_problem(cast.owner, problem.pk, None, {"title": "110千伏供电接入慢"}, on=DAY)  # its own words
    services.assign(cast.admin, problem.pk, None, {"lead_unit": cast.gxj, "deadline": date(2022, 7, 15)}, on=DAY)
    services.reply(cast.dept_clerk, problem.pk, None, "已接入", on=DAY)
    services.sign_off(cast.owner, problem.pk, None, on=DAY)  # the raiser signs it off
    assert Problem.objects.get(pk=problem.pk).state == State.CLOSED

"""The dispatch pages: the ledger (filters, totals, urgency, queries), a problem's page and its
actions, raising from a project, from a report's 存在问题 in one click (and the next report
showing the problem's state), from a meeting's decision; meetings with their decisions;
attachments judged by their content; the to-do."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from keyprojects.dispatch import services
from keyprojects.dispatch.models import Meeting, MeetingAttachment, Problem, ProblemAttachment
from keyprojects.reporting import services as reporting_services

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LATER = TODAY + timedelta(days=30)
State = Problem.State

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def docx() -> bytes:
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return content.getvalue()


def raise_one(cast, title: str, by=None, on: date = TODAY, **extra) -> Problem:
    data = {"project": cast.p_lianshan, "source": "meeting", "category": "land", "title": title} | extra
    return services.raise_problem(by or cast.lianshan_clerk, data, on=on)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def ledger(cast) -> dict[str, Problem]:
    """Problems in every state, one of them overdue, on 连山区's and 绥中县's projects."""
    past = TODAY - timedelta(days=20)
    made = {
        "new": raise_one(cast, "配套资金未到位", category="funding"),
        "overdue": raise_one(cast, "用地预审未批复", on=past, lead_unit=cast.gxj, deadline=past + timedelta(days=5)),
        "soon": raise_one(cast, "供电接入未完成", category="utilities", lead_unit=cast.gxj,
                          deadline=TODAY + timedelta(days=3)),
        "later": services.raise_problem(cast.suizhong_clerk, {
            "project": cast.p_suizhong, "source": "report", "category": "environment", "title": "环评批复滞后",
            "lead_unit": cast.fgw, "deadline": TODAY + timedelta(days=40)}, on=TODAY),
        "replied": raise_one(cast, "施工许可未办理", category="approval", lead_unit=cast.gxj, deadline=LATER),
        "closed": raise_one(cast, "征地拆迁进度慢", category="demolition", lead_unit=cast.gxj, deadline=LATER),
    }
    for name in ("replied", "closed"):
        services.reply(cast.dept_clerk, made[name].pk, None, "已办结")
    services.sign_off(cast.lianshan_clerk, made["closed"].pk, None)
    return {name: Problem.objects.get(pk=p.pk) for name, p in made.items()}


def listed(client, **params) -> list[str]:
    response = client.get(reverse("dispatch:problems"), params)
    assert response.status_code == 200
    page = [p.title for p in response.context["page"]]
    assert response.context["totals"]["count"] == len(page)
    return page


def test_the_ledger_is_sorted_by_urgency_with_a_totals_line_by_state(cast, client, ledger):
    client.force_login(cast.admin)
    response = client.get(reverse("dispatch:problems"))
    assert [p.title for p in response.context["page"]] == [
        "用地预审未批复", "供电接入未完成", "环评批复滞后", "施工许可未办理", "配套资金未到位", "征地拆迁进度慢"]
    assert response.context["totals"] == {"count": 6, "overdue": 1, "new": 1, "in_progress": 3, "replied": 1,
                                          "closed": 1, "escalated": 0}
    html = response.content.decode()
    assert 'data-total="count">6<' in html and 'data-total="overdue">1<' in html and 'data-total="in_progress">3<' in html


def test_the_ledger_filters_each_total_equal_to_its_rows(cast, client, ledger):
    client.force_login(cast.admin)
    assert listed(client, state="in_progress") == ["用地预审未批复", "供电接入未完成", "环评批复滞后"]
    assert listed(client, overdue="yes") == ["用地预审未批复"]
    assert "用地预审未批复" not in listed(client, overdue="no")
    assert listed(client, category="approval") == ["施工许可未办理"]
    assert listed(client, source="report") == ["环评批复滞后"]
    assert listed(client, lead_unit=cast.fgw.pk) == ["环评批复滞后"]
    assert listed(client, region=cast.suizhong.pk) == ["环评批复滞后"]
    assert listed(client, project=cast.p_suizhong.pk) == ["环评批复滞后"]
    assert listed(client, q="供电") == ["供电接入未完成"]
    assert listed(client, q="四方台") == ["环评批复滞后"]  # the project's name
    window = {"deadline_from": TODAY.isoformat(), "deadline_to": (TODAY + timedelta(days=7)).isoformat()}
    assert listed(client, **window) == ["供电接入未完成"]
    assert client.get(reverse("dispatch:problems"), {"state": "nonsense"}).status_code == 200


def test_the_ledger_takes_the_same_queries_however_many_problems(cast, client, ledger, django_assert_max_num_queries):
    for i in range(30):
        raise_one(cast, f"问题{i}", lead_unit=cast.gxj, co_units=[cast.fgw], deadline=LATER)
    client.force_login(cast.admin)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("dispatch:problems")).status_code == 200


def test_a_problems_page_shows_its_timeline_and_only_the_actions_its_user_may_take(cast, client, ledger):
    problem = ledger["replied"]
    expected = {"lianshan_clerk": {"sign_off", "return", "escalate"}, "dept_clerk": set(), "admin": {"escalate"},
                "leader_user": set()}
    for who, actions in expected.items():
        client.force_login(getattr(cast, who))
        response = client.get(reverse("dispatch:problem", args=[problem.pk]))
        assert set(response.context["forms"]) == actions, who
    html = response.content.decode()
    assert "提出" in html and "交办" in html and "办结答复" in html and "牵头单位：葫芦岛市工业和信息化局" in html


def test_an_action_refused_by_its_form_names_the_field_and_keeps_what_was_typed(cast, client, ledger):
    problem = ledger["soon"]
    client.force_login(cast.lianshan_clerk)
    response = client.post(reverse("dispatch:problem_escalate", args=[problem.pk]),
                           {"version": problem.version, "reason": "县级无法协调", "deadline": "2000-01-01"})
    assert response.status_code == 200
    assert response.context["forms"]["escalate"].errors == {"deadline": [f"办理时限不能早于今天（{TODAY}）"]}
    assert "县级无法协调" in response.content.decode()
    assert Problem.objects.get(pk=problem.pk).state == State.IN_PROGRESS
    stale = client.post(reverse("dispatch:problem_escalate", args=[problem.pk]),
                        {"version": problem.version - 1, "reason": "县级无法协调", "deadline": LATER.isoformat()})
    assert "保存失败：该记录已被" in stale.content.decode()
    assert Problem.objects.get(pk=problem.pk).state == State.IN_PROGRESS


def test_raising_from_a_project_page_fills_in_the_project_and_its_leader(cast, client):
    client.force_login(cast.lianshan_clerk)
    project_page = client.get(reverse("projects:detail", args=[cast.p_lianshan.pk])).content.decode()
    assert f'{reverse("dispatch:problem_create")}?project={cast.p_lianshan.pk}' in project_page
    form = client.get(reverse("dispatch:problem_create"), {"project": cast.p_lianshan.pk}).context["form"]
    assert form.initial == {"project": cast.p_lianshan.pk, "leader": cast.leader.pk}
    response = client.post(reverse("dispatch:problem_create"), {
        "project": cast.p_lianshan.pk, "source": "site_visit", "category": "funding", "title": "配套资金未到位",
        "lead_unit": cast.gxj.pk})
    assert response.status_code == 200
    assert response.context["form"].errors == {"deadline": ["交办须同时指定牵头单位和办理时限"]}
    response = client.post(reverse("dispatch:problem_create"), {
        "project": cast.p_lianshan.pk, "source": "site_visit", "category": "funding", "title": "配套资金未到位",
        "co_units": [cast.fgw.pk]})
    assert response.context["form"].errors == {"co_units": ["配合单位随交办一并指定，请同时选择牵头单位和办理时限"]}
    assert not Problem.objects.exists()
    response = client.post(reverse("dispatch:problem_create"), {
        "project": cast.p_lianshan.pk, "source": "site_visit", "category": "funding", "title": "配套资金未到位",
        "lead_unit": cast.gxj.pk, "deadline": LATER.isoformat(), "leader": cast.leader.pk})
    problem = Problem.objects.get()
    assert response.url == reverse("dispatch:problem", args=[problem.pk])
    assert (problem.state, problem.leader, problem.raised_by) == (State.IN_PROGRESS, cast.leader, cast.lianshan_clerk)
    page = client.get(reverse("projects:detail", args=[cast.p_lianshan.pk])).content.decode()
    assert "配套资金未到位" in page and "办理中" in page


def test_a_reports_problems_become_a_problem_in_one_click_and_the_next_report_shows_its_state(cast, client):
    figures = {"completed_month": Decimal("1000"), "completed_ytd": Decimal("1000"),
               "completed_since_start": Decimal("1000"), "progress": "主体施工"}
    may = reporting_services.create_period(cast.admin, cast.city, 2022, 5, date(2022, 5, 20), date(2022, 5, 25))
    report = reporting_services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, may.pk, {
        **figures, "problems": "1. 电力接入待协调，110千伏线路未架设\n2. 施工用水不足"}, submit=True)
    client.force_login(cast.lianshan_clerk)
    page = client.get(reverse("reporting:report", args=[report.pk]))
    assert page.context["raise_problem"] and "将“存在问题”转为问题台账" in page.content.decode()
    response = client.post(reverse("dispatch:problem_from_report", args=[report.pk]))
    problem = Problem.objects.get()
    assert response.url == reverse("dispatch:problem", args=[problem.pk])
    assert (problem.report, problem.project, problem.source, problem.category, problem.title, problem.state) == (
        report, cast.p_lianshan, "report", "utilities", "电力接入待协调，110千伏线路未架设", State.NEW)
    assert problem.description == report.problems
    again = client.post(reverse("dispatch:problem_from_report", args=[report.pk]), follow=True)
    assert "已转为问题“电力接入待协调，110千伏线路未架设”" in again.content.decode() and Problem.objects.count() == 1
    assert not client.get(reverse("reporting:report", args=[report.pk])).context["raise_problem"]
    services.assign(cast.lianshan_clerk, problem.pk, None, {"lead_unit": cast.gxj, "deadline": LATER})
    # the next month's report and filing screen show what became of it
    june = reporting_services.create_period(cast.admin, cast.city, 2022, 6, date(2022, 6, 20), date(2022, 6, 25))
    nxt = reporting_services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, june.pk, {
        **figures, "completed_ytd": Decimal("2000"), "completed_since_start": Decimal("2000")})
    page = client.get(reverse("reporting:report", args=[nxt.pk]))
    assert [p.pk for p in page.context["problems"]] == [problem.pk]
    html = page.content.decode()
    assert "电力接入待协调" in html and "办理中" in html and "2022年5月月报提出" in html
    fill = client.get(reverse("reporting:fill", args=[june.pk]))
    assert [p.pk for p in fill.context["rows"][0]["problems"]] == [problem.pk]
    # a month after it was signed off, it is no longer shown
    services.reply(cast.dept_clerk, problem.pk, None, "已架设", on=date(2022, 6, 10))
    services.sign_off(cast.lianshan_clerk, problem.pk, None, on=date(2022, 6, 12))
    july = reporting_services.create_period(cast.admin, cast.city, 2022, 7, date(2022, 7, 20), date(2022, 7, 25))
    after = reporting_services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, july.pk, {
        **figures, "completed_ytd": Decimal("3000"), "completed_since_start": Decimal("3000")})
    assert client.get(reverse("reporting:report", args=[after.pk])).context["problems"] == []
    assert [p.pk for p in client.get(reverse("reporting:report", args=[nxt.pk])).context["problems"]] == [problem.pk]


def test_a_report_without_problems_offers_nothing_to_raise(cast, client):
    may = reporting_services.create_period(cast.admin, cast.city, 2022, 5, date(2022, 5, 20), date(2022, 5, 25))
    report = reporting_services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, may.pk, {
        "completed_month": Decimal("1"), "completed_ytd": Decimal("1"), "completed_since_start": Decimal("1")})
    client.force_login(cast.lianshan_clerk)
    assert not client.get(reverse("reporting:report", args=[report.pk])).context["raise_problem"]
    response = client.post(reverse("dispatch:problem_from_report", args=[report.pk]), follow=True)
    assert "该月报没有填写存在问题" in response.content.decode() and not Problem.objects.exists()
    client.force_login(cast.leader_user)
    assert client.post(reverse("dispatch:problem_from_report", args=[report.pk])).status_code == 403


def test_a_meeting_is_recorded_with_its_decisions_and_a_decision_becomes_a_problem_in_one_step(cast, client):
    client.force_login(cast.admin)
    form = {"kind": "concentrated", "title": "第7次重点项目集中调度会", "region": cast.city.pk, "chair": cast.leader.pk,
            "date": "2022-07-01", "place": "市政府第一会议室", "units": [cast.gxj.pk, cast.lianshan_fgj.pk],
            "projects": [cast.p_lianshan.pk], "minutes": "研究解决项目建设中的问题",
            "decisions-TOTAL_FORMS": 3, "decisions-INITIAL_FORMS": 0,
            "decisions-0-text": "市工信局协调供电接入", "decisions-1-text": "", "decisions-2-text": "加快环评审批"}
    response = client.post(reverse("dispatch:meeting_create"), form)
    meeting = Meeting.objects.get()
    assert response.url == reverse("dispatch:meeting", args=[meeting.pk])
    assert list(meeting.decisions.values_list("order", "text")) == [(1, "市工信局协调供电接入"), (2, "加快环评审批")]
    assert set(meeting.units.all()) == {cast.gxj, cast.lianshan_fgj} and meeting.created_by == cast.admin
    first = meeting.decisions.get(order=1)
    prefilled = client.get(reverse("dispatch:problem_create"), {"decision": first.pk}).context["form"]
    assert {key: prefilled.initial[key] for key in ("decision", "project", "source", "category", "title")} == {
        "decision": first.pk, "project": cast.p_lianshan.pk, "source": "meeting", "category": "utilities",
        "title": "市工信局协调供电接入"}
    client.post(reverse("dispatch:problem_create"), {
        "decision": first.pk, "project": cast.p_lianshan.pk, "source": "meeting", "category": "utilities",
        "title": "市工信局协调供电接入", "lead_unit": cast.gxj.pk, "deadline": LATER.isoformat()})
    problem = Problem.objects.get()
    assert (problem.decision, problem.meeting, problem.state) == (first, meeting, State.IN_PROGRESS)
    page = client.get(reverse("dispatch:meeting", args=[meeting.pk]))
    assert page.context["decisions"] == [(first, problem), (meeting.decisions.get(order=2), None)]
    assert reverse("dispatch:problem", args=[problem.pk]) in page.content.decode()
    # edited: the second decision reworded, a third added; a stale version is refused
    edit = {**form, "version": meeting.version, "decisions-TOTAL_FORMS": 3, "decisions-INITIAL_FORMS": 2,
            "decisions-0-id": first.pk, "decisions-0-text": first.text,
            "decisions-1-id": meeting.decisions.get(order=2).pk, "decisions-1-text": "加快环评和能评审批",
            "decisions-2-text": "下次调度会前完成供电接入"}
    assert client.post(reverse("dispatch:meeting_edit", args=[meeting.pk]), edit).status_code == 302
    assert list(meeting.decisions.values_list("text", flat=True)) == [
        "市工信局协调供电接入", "加快环评和能评审批", "下次调度会前完成供电接入"]
    stale = client.post(reverse("dispatch:meeting_edit", args=[meeting.pk]), {**edit, "title": "改名"})
    assert stale.status_code == 200 and "保存失败" in stale.content.decode()
    # a decision that became a problem is not deleted
    gone = client.post(reverse("dispatch:meeting_edit", args=[meeting.pk]), {
        **edit, "version": meeting.version + 1, "decisions-0-DELETE": "on"})
    assert "已转为问题，不能删除" in gone.content.decode() and meeting.decisions.count() == 3


@pytest.mark.parametrize(("name", "content", "accepted"), [
    ("纪要.pdf", PDF, True),
    ("纪要.docx", docx(), True),
    ("现场.png", PNG, True),
    ("现场.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32, True),
    ("纪要.pdf", b"MZ\x90\x00 an executable renamed", False),
    ("纪要.docx", b"PK\x03\x04 not really a zip", False),
    ("表格.xlsx", b"PK\x03\x04", False),
])
def test_meeting_attachments_are_judged_by_their_content(cast, client, media, name, content, accepted):
    meeting = services.save_meeting(cast.admin, None, None, {
        "kind": "on_site", "title": "现场调度", "region": cast.city, "date": date(2022, 7, 1)})
    client.force_login(cast.admin)
    response = client.post(reverse("dispatch:meeting_attachment", args=[meeting.pk]), {
        "file": SimpleUploadedFile(name, content), "kind": "minutes", "caption": "会议纪要"}, follow=True)
    assert MeetingAttachment.objects.exists() == accepted
    if not accepted:
        assert "只接受 Word (.docx)、PDF、JPG、PNG 文件（按文件内容判断，不看扩展名）" in response.content.decode()
    else:
        attachment = MeetingAttachment.objects.get()
        assert attachment.name == name and attachment.file.name.startswith("dispatch/meetings/")
        download = client.get(reverse("dispatch:meeting_file", args=[attachment.pk]))
        assert b"".join(download.streaming_content) == content
        client.force_login(cast.outsider)
        assert client.get(reverse("dispatch:meeting_file", args=[attachment.pk])).status_code == 404


def test_a_reply_carries_attachments_checked_by_content_and_seen_within_the_problems_scope(cast, client, media):
    problem = raise_one(cast, "供电接入未完成", lead_unit=cast.gxj, deadline=LATER)
    client.force_login(cast.dept_clerk)
    refused = client.post(reverse("dispatch:problem_reply", args=[problem.pk]), {
        "version": problem.version, "text": "已办结",
        "attachments": [SimpleUploadedFile("批复.pdf", PDF), SimpleUploadedFile("病毒.pdf", b"MZ\x90\x00")]})
    assert refused.status_code == 200 and "attachments" in refused.context["forms"]["reply"].errors
    assert Problem.objects.get(pk=problem.pk).state == State.IN_PROGRESS and not ProblemAttachment.objects.exists()
    client.post(reverse("dispatch:problem_reply", args=[problem.pk]), {
        "version": problem.version, "text": "已办结",
        "attachments": [SimpleUploadedFile("批复.pdf", PDF), SimpleUploadedFile("现场.png", PNG)]})
    assert sorted(ProblemAttachment.objects.values_list("name", flat=True)) == ["批复.pdf", "现场.png"]
    attachment = ProblemAttachment.objects.get(name="批复.pdf")
    assert attachment.event.kind == "replied" and Problem.objects.get(pk=problem.pk).state == State.REPLIED
    for who, status in (("lianshan_clerk", 200), ("suizhong_clerk", 404), ("outsider", 404)):
        client.force_login(getattr(cast, who))
        assert client.get(reverse("dispatch:problem_file", args=[attachment.pk])).status_code == status, who


def test_the_to_do_lists_what_a_unit_has_in_hand_what_is_due_and_what_awaits_its_sign_off(cast, client, ledger):
    escalated = raise_one(cast, "跨县区协调", category="other")
    services.escalate(cast.lianshan_clerk, escalated.pk, None, "县级无法协调", LATER)
    client.force_login(cast.dept_clerk)  # 工信局: the lead unit
    todo = client.get(reverse("dispatch:todo")).context["todo"]
    assert [p.title for p in todo.in_hand] == ["用地预审未批复", "供电接入未完成"]
    assert [p.title for p in todo.overdue] == ["用地预审未批复"]
    week_end = TODAY + timedelta(days=7 - TODAY.isoweekday())
    assert [p.title for p in todo.due_this_week] == (["供电接入未完成"] if TODAY + timedelta(days=3) <= week_end else [])
    assert todo.to_sign_off == [] and todo.to_assign == []
    client.force_login(cast.lianshan_clerk)  # the raiser
    todo = client.get(reverse("dispatch:todo")).context["todo"]
    assert [p.title for p in todo.to_sign_off] == ["施工许可未办理"]
    assert [p.title for p in todo.to_assign] == ["配套资金未到位"] and todo.in_hand == []
    client.force_login(cast.admin)  # the city's dispatchers: the new ones of the city and the escalated one
    todo = client.get(reverse("dispatch:todo")).context["todo"]
    assert [p.title for p in todo.to_assign] == ["跨县区协调", "配套资金未到位"]
    client.force_login(cast.leader_user)
    assert client.get(reverse("dispatch:todo")).context["todo"].count == 0


def test_the_dispatch_menu_links_the_meetings_the_ledger_and_the_to_do(cast, client):
    client.force_login(cast.viewer)
    html = client.get(reverse("dispatch:meetings")).content.decode()
    for name in ("dispatch:meetings", "dispatch:problems", "dispatch:todo"):
        assert f'href="{reverse(name)}"' in html
    assert "调度" in html and "记录调度会" not in html


def test_a_problem_awaiting_assignment_is_edited_and_afterwards_no_longer(cast, client, ledger):
    problem = ledger["new"]
    client.force_login(cast.lianshan_clerk)
    response = client.post(reverse("dispatch:problem_edit", args=[problem.pk]), {
        "version": problem.version, "project": cast.p_lianshan.pk, "source": "report", "category": "approval",
        "title": "施工许可证未办理"})
    assert response.url == reverse("dispatch:problem", args=[problem.pk])
    problem.refresh_from_db()
    assert (problem.title, problem.category, problem.version) == ("施工许可证未办理", "approval", 2)
    assert problem.events.last().kind == "edited"
    client.force_login(cast.dept_clerk)  # not the raiser's side
    assert client.get(reverse("dispatch:problem_edit", args=[problem.pk])).status_code == 403
    client.force_login(cast.lianshan_clerk)
    in_hand = ledger["soon"]
    response = client.get(reverse("dispatch:problem_edit", args=[in_hand.pk]), follow=True)
    assert response.redirect_chain == [(reverse("dispatch:problem", args=[in_hand.pk]), 302)]
    assert "该问题当前为“办理中”，不能修改" in response.content.decode()

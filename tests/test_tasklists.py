"""Task lists (任务清单): the workflow through the services, the daily 督办 of overdue tasks and
milestones, the figures and the lists they link to, who sees and changes what, bad input."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from python_calamine import CalamineWorkbook

from keyprojects.core.permissions import SYSTEM, can_edit
from keyprojects.indicators import figures
from keyprojects.notices.models import Message
from keyprojects.tasklists import services
from keyprojects.tasklists.models import Milestone, Target, Task, Update

pytestmark = pytest.mark.django_db

YEAR = 2022


class TaskList:
    """葫芦岛市's list of 2022: one area, three tasks.
    A: led by 工信局 (the department), helped by 连山区发展和改革局, due 31 March, a milestone and a target.
    B: led by the commission, helped by 绥中县发展和改革局, due 30 June.
    C: led by 连山区发展和改革局, due 31 December."""

    def __init__(self, cast) -> None:
        self.cast = cast
        admin = cast.admin
        self.area = services.save_area(admin, cast.city, YEAR, {"number": 1, "name": "抓项目谋划储备"})
        self.a = services.save_task(admin, None, {
            "area": self.area, "number": 1, "title": "谋划精细化工强链项目", "lead_unit": cast.gxj,
            "co_units": [cast.lianshan_fgj], "leader": cast.leader, "deadline": date(YEAR, 3, 31)})
        self.milestone = services.save_milestone(admin, self.a.pk, {"title": "完成项目入库", "due": date(YEAR, 3, 15)})
        self.target = services.save_target(admin, self.a.pk, {"name": "谋划项目", "unit": "个", "target": Decimal(20)})
        self.b = services.save_task(admin, None, {
            "area": self.area, "number": 2, "title": "建立重大项目帮扶机制", "lead_unit": cast.fgw,
            "co_units": [cast.suizhong_fgj], "deadline": date(YEAR, 6, 30)})
        self.c = services.save_task(admin, None, {
            "area": self.area, "number": 3, "title": "连山区重点项目集中开工", "lead_unit": cast.lianshan_fgj,
            "deadline": date(YEAR, 12, 31)})


@pytest.fixture
def tasks(cast) -> TaskList:
    return TaskList(cast)


# --- the workflow --------------------------------------------------------------------------------

def test_the_lead_unit_s_clerk_reports_progress_values_milestones_and_completion(cast, tasks):
    clerk = cast.dept_clerk
    services.record_update(clerk, tasks.a.pk, {"on": date(YEAR, 3, 10), "text": "已梳理项目清单",
                                               "values": {tasks.target.pk: Decimal(8)}}, today=date(YEAR, 4, 1))
    services.record_update(clerk, tasks.a.pk, {
        "on": date(YEAR, 3, 28), "text": "谋划项目22个，全部入库", "values": {tasks.target.pk: "22"},
        "milestones": [tasks.milestone.pk], "done": True}, expected_version=2, today=date(YEAR, 4, 1))
    task = Task.objects.get(pk=tasks.a.pk)
    assert (task.state, task.completed_on, task.on_time) == (Task.State.DONE, date(YEAR, 3, 28), True)
    target = Target.objects.get(pk=tasks.target.pk)
    assert (target.actual, target.actual_on) == (Decimal(22), date(YEAR, 3, 28))
    assert Milestone.objects.get(pk=tasks.milestone.pk).reached_on == date(YEAR, 3, 28)
    update = task.updates.first()
    assert (update.author, update.unit, update.reports_done) == (clerk, cast.gxj, True)
    assert [v.value for v in update.values.all()] == [Decimal(22)]
    # an older update entered afterwards leaves the newer current value standing
    services.record_update(clerk, tasks.a.pk, {"on": date(YEAR, 3, 1), "text": "补报", "values": {tasks.target.pk: 3}},
                           today=date(YEAR, 4, 1))
    assert Target.objects.get(pk=tasks.target.pk).actual == Decimal(22)
    # every change is in the task's history, by the clerk
    assert task.history.filter(history_user=clerk).count() == 3


def test_a_stale_version_is_refused_and_nothing_is_saved(cast, tasks):
    from keyprojects.projects.services import EditConflict

    with pytest.raises(EditConflict):
        services.record_update(cast.dept_clerk, tasks.a.pk, {"on": date(YEAR, 3, 1), "text": "进展"},
                               expected_version=tasks.a.version + 5, today=date(YEAR, 4, 1))
    assert Update.objects.count() == 0


@pytest.mark.parametrize("data, field", [
    ({"on": date(YEAR, 5, 1), "text": "进展"}, "on"),  # after today
    ({"on": None, "text": "进展"}, "on"),
    ({"on": date(YEAR - 1, 12, 1), "text": "进展"}, "on"),  # before the task's year
    ({"on": date(YEAR, 3, 1), "text": "  "}, "text"),
    ({"on": date(YEAR, 3, 1), "text": "进展", "values": {"TARGET": "-3"}}, "value_TARGET"),
    ({"on": date(YEAR, 3, 1), "text": "进展", "values": {"TARGET": "abc"}}, "value_TARGET"),
    ({"on": date(YEAR, 3, 1), "text": "进展", "milestones": [999999]}, "milestones"),
])
def test_bad_input_names_the_field_and_saves_nothing(cast, tasks, data, field):
    values = {tasks.target.pk: data["values"]["TARGET"]} if "values" in data else {}
    data = {**data, "values": values, "done": True}
    field = field.replace("TARGET", str(tasks.target.pk))
    with pytest.raises(ValidationError) as raised:
        services.record_update(cast.dept_clerk, tasks.a.pk, data, today=date(YEAR, 4, 1))
    assert field in raised.value.message_dict
    assert any("\u4e00" <= ch <= "\u9fff" for ch in raised.value.message_dict[field][0])  # a Chinese message
    task = Task.objects.get(pk=tasks.a.pk)
    assert (Update.objects.count(), task.state, task.version) == (0, Task.State.IN_PROGRESS, tasks.a.version)
    assert Target.objects.get(pk=tasks.target.pk).actual is None


def test_the_update_form_shows_a_bad_value_on_its_field_not_a_server_error(cast, tasks, client):
    client.force_login(cast.dept_clerk)
    url = reverse("tasklists:update", args=[tasks.a.pk])
    response = client.post(url, {"on": "2999-01-01", "text": "进展", f"value_{tasks.target.pk}": "5"})
    assert response.status_code == 200
    assert "不能晚于今天" in response.content.decode()
    assert Update.objects.count() == 0
    response = client.post(url, {"on": f"{YEAR}-03-20", "text": "谋划项目12个", f"value_{tasks.target.pk}": "12",
                                 "milestones": [tasks.milestone.pk], "version": tasks.a.version})
    assert response.status_code == 302
    page = client.get(reverse("tasklists:task", args=[tasks.a.pk])).content.decode()
    assert "谋划项目12个" in page and "完成项目入库" in page


def test_a_task_s_lead_unit_and_co_units_must_belong_to_the_city(cast, tasks):
    from keyprojects.accounts.models import Unit

    with pytest.raises(ValidationError) as raised:
        services.save_task(cast.admin, None, {"area": tasks.area, "number": 9, "title": "越界任务",
                                              "lead_unit": cast.jinzhou_fgw, "deadline": date(YEAR, 6, 30)})
    assert "lead_unit" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        services.save_task(cast.admin, tasks.c.pk, {"co_units": [Unit.objects.get(pk=cast.jinzhou_fgw.pk)]},
                           expected_version=tasks.c.version)
    assert "co_units" in raised.value.message_dict
    assert list(Task.objects.get(pk=tasks.c.pk).co_units.all()) == []


# --- who sees and changes what ----------------------------------------------------------------------

@pytest.mark.parametrize("who, sees, edits", [
    ("admin", "abc", "abc"),
    ("dept_clerk", "a", "a"),  # 工信局 leads A
    ("lianshan_clerk", "ac", "c"),  # 连山区 helps with A, leads C
    ("suizhong_clerk", "b", ""),  # 绥中县 helps with B
    ("leader_user", "abc", ""),
    ("viewer", "abc", ""),
    ("owner", "", ""),
    ("outsider", "", ""),
])
def test_who_sees_and_who_reports_each_task(cast, tasks, who, sees, edits):
    user = getattr(cast, who)
    by_letter = {"a": tasks.a, "b": tasks.b, "c": tasks.c}
    visible = set(Task.objects.visible_to(user).values_list("pk", flat=True))
    assert visible == {by_letter[x].pk for x in sees}
    for letter, task in by_letter.items():
        assert can_edit(user, task) == (letter in edits), letter
        if letter not in edits:
            with pytest.raises(Http404 if letter not in sees else PermissionDenied):
                services.record_update(user, task.pk, {"on": date(YEAR, 3, 1), "text": "进展"}, today=date(YEAR, 4, 1))
    assert Update.objects.count() == 0


def test_only_the_city_s_admin_keeps_the_list(cast, tasks):
    for user in (cast.lianshan_clerk, cast.dept_clerk, cast.outsider):
        with pytest.raises(PermissionDenied):
            services.save_task(user, None, {"area": tasks.area, "number": 5, "title": "新任务", "lead_unit": user.unit,
                                            "deadline": date(YEAR, 6, 30)})
        with pytest.raises((PermissionDenied, Http404)):
            services.save_milestone(user, tasks.a.pk, {"title": "节点", "due": date(YEAR, 5, 1)})
    assert Task.objects.count() == 3 and Milestone.objects.count() == 1


def test_pages_answer_404_outside_the_scope_and_hide_the_update_button_from_helpers(cast, tasks, client):
    client.force_login(cast.suizhong_clerk)
    assert client.get(reverse("tasklists:task", args=[tasks.a.pk])).status_code == 404
    assert client.get(reverse("tasklists:update", args=[tasks.a.pk])).status_code == 404
    page = client.get(reverse("tasklists:task", args=[tasks.b.pk]))
    assert page.status_code == 200 and reverse("tasklists:update", args=[tasks.b.pk]) not in page.content.decode()
    assert client.get(reverse("tasklists:update", args=[tasks.b.pk])).status_code == 302  # back, with a message
    listing = client.get(reverse("tasklists:list"), {"year": YEAR})
    assert [t.pk for t in listing.context["page"]] == [tasks.b.pk]


def test_the_city_admin_keeps_the_list_through_its_pages(cast, tasks, client):
    client.force_login(cast.admin)
    assert "新建任务" in client.get(reverse("tasklists:list"), {"year": YEAR}).content.decode()
    # an area added, then renamed
    client.post(f"{reverse('tasklists:areas')}?year={YEAR}", {"new-number": 2, "new-name": "抓招商引资"})
    area = tasks.area.__class__.objects.get(region=cast.city, year=YEAR, number=2)
    client.post(f"{reverse('tasklists:areas')}?year={YEAR}", {"area": area.pk, f"{area.pk}-number": 2,
                                                              f"{area.pk}-name": "抓招商引资落地"})
    area.refresh_from_db()
    assert area.name == "抓招商引资落地"
    page = client.get(reverse("tasklists:areas"), {"year": YEAR})
    assert [(a.number, a.task_count) for a, _form in page.context["rows"]] == [(1, 3), (2, 0)]
    # a task created in it, with a co-unit; its number proposed as the area's next
    form = client.get(reverse("tasklists:new"), {"year": YEAR, "area": area.pk}).context["form"]
    assert form.initial["number"] == 1
    answer = client.post(f"{reverse('tasklists:new')}?year={YEAR}", {
        "area": area.pk, "number": 1, "title": "  引进新能源装备制造项目 ", "lead_unit": cast.gxj.pk,
        "co_units": [cast.lianshan_fgj.pk], "leader": cast.leader.pk, "deadline": "2022-09-30"})
    task = Task.objects.get(area=area)
    assert answer.status_code == 302 and answer["Location"] == reverse("tasklists:task", args=[task.pk])
    assert (task.title, task.region, task.year, list(task.co_units.all())) == (
        "引进新能源装备制造项目", cast.city, YEAR, [cast.lianshan_fgj])
    # changed, version-checked: a stale form is refused and saves nothing
    edit = reverse("tasklists:edit", args=[task.pk])
    data = {"version": task.version, "area": area.pk, "number": 1, "title": task.title, "lead_unit": cast.gxj.pk,
            "deadline": "2022-10-31"}
    assert client.post(edit, data).status_code == 302
    stale = client.post(edit, {**data, "deadline": "2022-11-30"})
    assert stale.status_code == 200 and stale.context["form"].non_field_errors()
    task.refresh_from_db()
    assert (task.deadline, list(task.co_units.all())) == (date(YEAR, 10, 31), [])
    # a milestone and a target added from the task's page; a bad one named, nothing saved
    client.post(reverse("tasklists:add_milestone", args=[task.pk]), {"milestone-title": "签订投资协议",
                                                                     "milestone-due": "2022-06-30"})
    client.post(reverse("tasklists:add_target", args=[task.pk]), {"target-name": "签约金额", "target-unit": "亿元",
                                                                  "target-target": "12.5"})
    bad = client.post(reverse("tasklists:add_target", args=[task.pk]), {"target-name": "签约金额",
                                                                        "target-unit": "亿元", "target-target": "-1"},
                      follow=True)
    assert [(m.title, m.due) for m in task.milestones.all()] == [("签订投资协议", date(YEAR, 6, 30))]
    assert [(t.name, t.target) for t in task.targets.all()] == [("签约金额", Decimal("12.5"))]
    assert [str(m) for m in bad.context["messages"]][-1] == "目标值：确保该值大于或等于0。"
    assert {h.deadline for h in task.history.filter(history_user=cast.admin)} == {date(YEAR, 9, 30),
                                                                                 date(YEAR, 10, 31)}


def test_a_task_form_names_a_bad_field_and_keeps_to_the_city(cast, tasks, client):
    client.force_login(cast.admin)
    answer = client.post(f"{reverse('tasklists:new')}?year={YEAR}", {
        "area": tasks.area.pk, "number": 1, "title": "重号任务", "lead_unit": cast.gxj.pk, "deadline": "2022-09-31"})
    assert answer.status_code == 200 and "deadline" in answer.context["form"].errors
    answer = client.post(f"{reverse('tasklists:new')}?year={YEAR}", {
        "area": tasks.area.pk, "number": 1, "title": "重号任务", "lead_unit": cast.gxj.pk, "deadline": "2022-09-30"})
    assert answer.status_code == 200 and answer.context["form"].errors  # number 1 is task A's
    assert Task.objects.count() == 3


def test_only_the_city_admin_reaches_the_list_keeping_pages(cast, tasks, client):
    for user, task in ((cast.lianshan_clerk, tasks.c), (cast.dept_clerk, tasks.a)):  # each leads the task
        client.force_login(user)
        assert client.get(reverse("tasklists:areas"), {"year": YEAR}).status_code == 403
        assert client.get(reverse("tasklists:new"), {"year": YEAR}).status_code == 403
        assert client.get(reverse("tasklists:edit", args=[task.pk])).status_code == 403
        assert client.post(reverse("tasklists:add_milestone", args=[task.pk]),
                           {"milestone-title": "节点", "milestone-due": "2022-05-01"}).status_code == 403
        page = client.get(reverse("tasklists:task", args=[task.pk])).content.decode()
        assert reverse("tasklists:edit", args=[task.pk]) not in page and "添加节点" not in page
    assert Milestone.objects.count() == 1


# --- the daily 督办 ------------------------------------------------------------------------------------

def test_overdue_tasks_and_milestones_are_chased_once_per_event(cast, tasks):
    assert services.chase_overdue(date(YEAR, 3, 15)) == {"tasks": 0, "milestones": 0, "messages": 0}
    first = services.chase_overdue(date(YEAR, 4, 1))  # A missed 31 March, its milestone 15 March
    events = sorted(Message.objects.values_list("event", "recipient__username"))
    assert events == [(f"milestone:{tasks.milestone.pk}:overdue:{YEAR}-03-15", "gxj"),
                      (f"milestone:{tasks.milestone.pk}:overdue:{YEAR}-03-15", "leader"),
                      (f"task:{tasks.a.pk}:overdue:{YEAR}-03-31", "gxj"),
                      (f"task:{tasks.a.pk}:overdue:{YEAR}-03-31", "leader")]
    assert first == {"tasks": 1, "milestones": 1, "messages": 4}
    assert Task.objects.get(pk=tasks.a.pk).overdue_since == date(YEAR, 4, 1)
    # the next days: the same events, no second message
    assert services.chase_overdue(date(YEAR, 4, 1))["messages"] == 0
    assert services.chase_overdue(date(YEAR, 4, 2))["messages"] == 0
    assert Message.objects.count() == 4
    # deadline moved, missed again: a new event; done: no more chasing
    services.save_task(cast.admin, tasks.a.pk, {"deadline": date(YEAR, 4, 10)})
    assert services.chase_overdue(date(YEAR, 4, 11))["messages"] == 2
    services.record_update(cast.dept_clerk, tasks.a.pk, {"on": date(YEAR, 4, 12), "text": "已完成", "done": True,
                                                         "milestones": [tasks.milestone.pk]}, today=date(YEAR, 4, 12))
    assert services.chase_overdue(date(YEAR, 7, 1)) == {"tasks": 1, "milestones": 0, "messages": 2}  # B, the commission's
    assert Message.objects.filter(event__startswith=f"task:{tasks.a.pk}:").count() == 4


def test_the_daily_job_is_scheduled():
    from keyprojects.core.schedule import SCHEDULE

    assert "chase_overdue_tasks" in {job.name for job in SCHEDULE}


# --- figures and the lists they link to ------------------------------------------------------------------

def _work(cast, tasks) -> None:
    """A done on time (28 March), C done late (after 31 December is impossible in 2022: its
    deadline moved to 30 April, done 2 May); B open, overdue from 1 July."""
    services.record_update(cast.dept_clerk, tasks.a.pk, {"on": date(YEAR, 3, 28), "text": "完成", "done": True},
                           today=date(YEAR, 12, 31))
    services.save_task(cast.admin, tasks.c.pk, {"deadline": date(YEAR, 4, 30)})
    services.record_update(cast.lianshan_clerk, tasks.c.pk, {"on": date(YEAR, 5, 2), "text": "完成", "done": True},
                           today=date(YEAR, 12, 31))


def test_the_task_list_feeds_the_assessment(cast, tasks, client):
    """A ranking line on 任务按期完成率 or on overdue tasks scores a department by the tasks it
    leads and a county by those its units lead; a department's value links to its task list."""
    from keyprojects.assessment import services as assessment
    from keyprojects.assessment.ranking import ranking_of

    scheme = assessment.save_scheme(cast.admin, cast.city, None, {
        "name": "任务考核", "year": YEAR, "period_kind": "monthly", "data_lag_days": 0, "list_size": 1,
        "tie_break": "task_on_time_rate"})
    for order, kind in enumerate(("unit", "county"), start=1):
        group = assessment.save_group(cast.admin, scheme.pk, None, {"name": kind, "member_kind": kind, "order": order})
        assessment.save_line(cast.admin, group.pk, None, {"name": "任务按期完成率", "value": "task_on_time_rate",
                                                          "formula": "ratio_target", "weight": D(10), "target": D(100)})
        assessment.save_line(cast.admin, group.pk, None, {"name": "逾期任务", "value": "overdue_tasks",
                                                          "formula": "per_event", "points_per_unit": D(-2)})
    # by the end of May: A (工信局's, due 31 March) overdue; C (连山区's, due December) not yet due
    ranking = ranking_of(assessment.take_snapshot(cast.admin, scheme.pk, "2022-05"))
    gxj = next(r for r in ranking.groups[0].rows if r.key == f"unit:{cast.gxj.pk}")
    assert (gxj.values["overdue_tasks"], gxj.values["task_on_time_rate"], gxj.score) == (1, 0, D(-2))
    lianshan = next(r for r in ranking.groups[1].rows if r.name == "连山区")
    assert (lianshan.values["overdue_tasks"], lianshan.values["task_on_time_rate"]) == (0, None)
    client.force_login(cast.admin)
    page = client.get(f"/assessment/{scheme.pk}/2022-05/")
    cells = next(cells for row, cells in page.context["groups"][0][1] if row.key == f"unit:{cast.gxj.pk}")
    assert client.get(cells[1][2]).context["totals"]["tasks"] == 1  # 工信局's overdue tasks on 31 May
    # A reported done on time (28 March, entered in June): June's ranking gives 工信局 full points
    services.record_update(cast.dept_clerk, tasks.a.pk, {"on": date(YEAR, 3, 28), "text": "已完成", "done": True},
                           today=date(YEAR, 6, 2))
    june = ranking_of(assessment.take_snapshot(cast.admin, scheme.pk, "2022-06"))
    gxj = next(r for r in june.groups[0].rows if r.key == f"unit:{cast.gxj.pk}")
    assert (gxj.values["overdue_tasks"], gxj.values["task_on_time_rate"], gxj.score) == (0, 100, D(10))


def test_the_list_judges_the_state_on_its_date(cast, tasks, client):
    _work(cast, tasks)
    client.force_login(cast.admin)
    on = {day: client.get(reverse("tasklists:list"), {"year": YEAR, "as_of": day, "state": "overdue"})
          for day in (f"{YEAR}-03-31", f"{YEAR}-05-01", f"{YEAR}-07-01")}
    assert [r.context["totals"]["count"] for r in on.values()] == [0, 1, 1]
    assert [t.pk for t in on[f"{YEAR}-05-01"].context["page"]] == [tasks.c.pk]
    assert [t.pk for t in on[f"{YEAR}-07-01"].context["page"]] == [tasks.b.pk]


@pytest.mark.parametrize("as_of, expected", [
    (date(YEAR, 3, 27), {"tasks": 3, "done": 0, "on_time": 0, "overdue": 0}),
    (date(YEAR, 4, 30), {"tasks": 3, "done": 1, "on_time": 1, "overdue": 0}),
    (date(YEAR, 5, 1), {"tasks": 3, "done": 1, "on_time": 1, "overdue": 1}),  # C past its deadline, not done yet
    (date(YEAR, 7, 1), {"tasks": 3, "done": 2, "on_time": 1, "overdue": 1}),  # C done late; B overdue
])
def test_the_figures_count_as_of_a_date(cast, tasks, as_of, expected):
    _work(cast, tasks)
    found = figures.tasks(cast.admin, YEAR, as_of, cast.city)
    assert {key: found[key] for key in expected} == expected
    assert found["areas"] == 1


def test_every_count_links_to_a_list_whose_totals_equal_it(cast, tasks, client):
    _work(cast, tasks)
    client.force_login(cast.admin)
    response = client.get(reverse("tasklists:summary"), {"year": YEAR, "as_of": f"{YEAR}-07-01",
                                                         "region": cast.city.pk})
    found = response.context["found"]
    rows = [(found, response.context["links"])] + [(row, row["links"]) for g in ("area", "unit") for row in found["by"][g]]
    assert len(rows) == 1 + 1 + 3
    for row, links in rows:
        for key, url in links.items():
            listing = client.get(url)
            assert listing.context["totals"]["count"] == row[key], (url, key)
            assert len(listing.context["page"].object_list) == row[key]
    by_unit = {row["label"]: row for row in found["by"]["unit"]}
    assert by_unit["连山区发展和改革局"]["on_time_rate"] == Decimal("0.0")  # done late
    assert by_unit["葫芦岛市工业和信息化局"]["on_time_rate"] == Decimal("100.0")
    assert found["on_time_rate"] == Decimal("33.3")  # 1 on time of 2 done + 1 overdue


def test_per_unit_on_time_rate_for_an_assessment(cast, tasks):
    _work(cast, tasks)
    rows = {row["key"]: row for row in figures.task_completion_by_unit(SYSTEM, YEAR, date(YEAR, 7, 1), cast.city)}
    assert {pk: (r["tasks"], r["on_time"], r["on_time_rate"]) for pk, r in rows.items()} == {
        cast.gxj.pk: (1, 1, Decimal("100.0")), cast.fgw.pk: (1, 0, Decimal("0.0")),
        cast.lianshan_fgj.pk: (1, 0, Decimal("0.0"))}


def test_a_county_clerk_s_figures_count_only_the_tasks_they_see(cast, tasks, client):
    _work(cast, tasks)
    found = figures.tasks(cast.lianshan_clerk, YEAR, date(YEAR, 7, 1))
    assert (found["tasks"], found["done"]) == (2, 2)
    found = figures.tasks(cast.admin, YEAR, date(YEAR, 7, 1), cast.lianshan)  # the city looking at a county
    assert found["tasks"] == 2
    with pytest.raises(Http404):
        figures.tasks(cast.lianshan_clerk, YEAR, date(YEAR, 7, 1), cast.city)
    with pytest.raises(Http404):
        figures.tasks(cast.outsider, YEAR, date(YEAR, 7, 1), cast.city)


def test_a_write_after_a_figure_is_counted_at_once(cast, tasks):
    before = figures.tasks(cast.admin, YEAR, date(YEAR, 7, 1), cast.city)
    assert before["done"] == 0
    services.record_update(cast.dept_clerk, tasks.a.pk, {"on": date(YEAR, 3, 28), "text": "完成", "done": True},
                           today=date(YEAR, 12, 31))
    assert figures.tasks(cast.admin, YEAR, date(YEAR, 7, 1), cast.city)["done"] == 1
    assert figures.tasks(cast.admin, YEAR, date(YEAR, 7, 1), cast.lianshan)["done"] == 1


def test_the_export_holds_the_list_s_rows_and_totals(cast, tasks, client):
    _work(cast, tasks)
    client.force_login(cast.admin)
    response = client.get(reverse("tasklists:export"), {"year": YEAR, "as_of": f"{YEAR}-07-01", "state": "done"})
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = book.get_sheet_by_name("任务清单").to_python()
    assert "合计 2 项任务" in rows[1][0]
    assert [r[0] for r in rows[3:]] == ["1-1", "1-3"]
    assert [r[7] for r in rows[3:]] == ["按期完成", "逾期完成"]


def test_the_dashboard_card_links_to_the_list(cast, tasks, client):
    _work(cast, tasks)
    client.force_login(cast.admin)
    response = client.get(reverse("dashboard"), {"year": YEAR, "as_of": f"{YEAR}-07-01"})
    card = response.context["tasks"]
    assert (card["tasks"], card["done"], card["on_time"], card["overdue"]) == (3, 2, 1, 1)
    listing = client.get(card["counts"]["overdue"].url)
    assert listing.context["totals"]["count"] == 1
    assert 'id="tasks-card"' in response.content.decode()


def test_the_list_s_pages_keep_to_a_few_queries(cast, tasks, client, django_assert_max_num_queries):
    client.force_login(cast.admin)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("tasklists:list"), {"year": YEAR}).status_code == 200
    with django_assert_max_num_queries(25):
        assert client.get(reverse("tasklists:task", args=[tasks.a.pk])).status_code == 200

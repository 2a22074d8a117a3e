"""Who sees a problem and who may act on it, as a matrix over the fixed cast, through the pages:
"a county clerk sees the problems of the county's projects and those assigned to their unit; a
department clerk those assigned to their unit (lead or co-unit); leaders and the city read all
of their region. A unit may reply only to what is assigned to it; only the raiser's side signs
off." Outside the scope a problem answers 404; inside it but on no side that may act, 403."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from keyprojects.dispatch import services
from keyprojects.dispatch.models import Meeting, Problem

pytestmark = pytest.mark.django_db

DAY = date(2022, 7, 1)
CAST = ["admin", "lianshan_clerk", "suizhong_clerk", "dept_clerk", "leader_user", "owner", "viewer", "outsider",
        "superuser"]


def problem_in(cast, state: str) -> Problem:
    """A problem of 连山区's project raised by the county, assigned to 工信局, in ``state``."""
    problem = services.raise_problem(cast.lianshan_clerk, {
        "project": cast.p_lianshan, "source": "report", "category": "land", "title": "用地指标未落实",
        "lead_unit": cast.gxj, "deadline": date(2022, 7, 15)}, on=DAY)
    if state == "replied":
        services.reply(cast.dept_clerk, problem.pk, None, "已协调解决", on=DAY)
    problem.refresh_from_db()
    return problem


# (who: sees, raises, replies, signs off, returns, escalates): 200 shown, 302 done, 403 refused,
# 404 not seen; raising, 200 is the form refusing a project that is not among the user's choices
MATRIX = {
    "admin":          (200, 302, 403, 403, 403, 302),  # the city: reads all, dispatches (escalates), not the raiser
    "lianshan_clerk": (200, 302, 403, 302, 302, 302),  # the raiser's side
    "suizhong_clerk": (404, 200, 404, 404, 404, 404),  # another county
    "dept_clerk":     (200, 302, 302, 403, 403, 403),  # the lead unit (and the project's responsible unit)
    "leader_user":    (200, 403, 403, 403, 403, 403),  # reads all of the region, acts on nothing
    "owner":          (200, 302, 403, 403, 403, 403),  # its own project's problems
    "viewer":         (200, 403, 403, 403, 403, 403),
    "outsider":       (404, 200, 404, 404, 404, 404),  # 锦州
    "superuser":      (200, 302, 302, 302, 302, 302),
}
ACTIONS = ["see", "raise", "reply", "sign_off", "return", "escalate"]


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize("action", ACTIONS)
def test_problem_permission_matrix(cast, client, who, action):
    expected = dict(zip(ACTIONS, MATRIX[who], strict=True))[action] if action != "see" else MATRIX[who][0]
    problem = problem_in(cast, "replied" if action in ("sign_off", "return") else "in_progress")
    before = (problem.state, problem.version, problem.events.count(), Problem.objects.count())
    client.force_login(getattr(cast, who))
    if action == "see":
        response = client.get(reverse("dispatch:problem", args=[problem.pk]))
    elif action == "raise":
        response = client.post(reverse("dispatch:problem_create") + f"?project={cast.p_lianshan.pk}", {
            "project": cast.p_lianshan.pk, "source": "site_visit", "category": "funding", "title": "配套资金未到位"})
        raised_it = Problem.objects.filter(title="配套资金未到位", raised_by=getattr(cast, who)).exists()
        assert raised_it == (expected == 302)
        if expected == 200:
            assert response.context["form"].errors["project"] == ["选择一个有效的选项： 该选择不在可用的选项中。"]
    else:
        url = reverse(f"dispatch:problem_{action}", args=[problem.pk])
        later = timezone.localdate() + timedelta(days=30)
        data = {"version": problem.version, "text": "已解决", "reason": "仍未解决", "deadline": later.isoformat()}
        response = client.post(url, data)
    assert response.status_code == expected
    problem.refresh_from_db()
    if expected != 302 and action != "raise":
        assert (problem.state, problem.version, problem.events.count(), Problem.objects.count()) == before
    if expected == 302 and action not in ("see", "raise"):
        assert problem.version == before[1] + 1


def test_a_county_sees_another_countys_problem_when_its_unit_is_assigned_to_it(cast, client):
    problem = services.raise_problem(cast.suizhong_clerk, {
        "project": cast.p_suizhong, "source": "meeting", "category": "approval", "title": "施工许可未办理",
        "lead_unit": cast.gxj, "co_units": [cast.lianshan_fgj], "deadline": date(2022, 7, 15)}, on=DAY)
    for who in ("lianshan_clerk", "dept_clerk"):  # a co-unit in another county; the lead department
        assert Problem.objects.visible_to(getattr(cast, who)).filter(pk=problem.pk).exists(), who
        client.force_login(getattr(cast, who))
        assert client.get(reverse("dispatch:problem", args=[problem.pk])).status_code == 200
    # a co-unit reports progress on the page; only the lead unit replies that it is solved
    client.force_login(cast.lianshan_clerk)
    client.post(reverse("dispatch:problem_reply", args=[problem.pk]),
                {"version": problem.version, "text": "已配合提供资料", "progress_only": "on"})
    assert Problem.objects.get(pk=problem.pk).events.filter(kind="progress").exists()
    refused = client.post(reverse("dispatch:problem_reply", args=[problem.pk]),
                          {"version": problem.version + 1, "text": "已办结"})
    assert refused.status_code == 403 and Problem.objects.get(pk=problem.pk).state == "in_progress"
    client.force_login(cast.owner)  # 连山区's enterprise: not its project
    assert client.get(reverse("dispatch:problem", args=[problem.pk])).status_code == 404


@pytest.mark.parametrize(("who", "visible"), [
    ("admin", {"lianshan", "suizhong", "general"}),
    ("lianshan_clerk", {"lianshan", "assigned_lianshan"}),
    ("suizhong_clerk", {"suizhong", "assigned_lianshan"}),
    ("dept_clerk", {"lianshan"}),
    ("leader_user", {"lianshan", "suizhong", "general"}),
    ("owner", {"lianshan"}),
    ("viewer", {"lianshan", "suizhong", "general"}),
    ("outsider", set()),
])
def test_the_ledger_lists_and_counts_only_the_problems_in_scope(cast, client, who, visible):
    made = {
        "lianshan": services.raise_problem(cast.lianshan_clerk, {
            "project": cast.p_lianshan, "source": "report", "category": "land", "title": "连山用地"}, on=DAY),
        "suizhong": services.raise_problem(cast.suizhong_clerk, {
            "project": cast.p_suizhong, "source": "report", "category": "funding", "title": "绥中资金",
            "lead_unit": cast.lianshan_fgj, "deadline": date(2022, 7, 9)}, on=DAY),
        "general": services.raise_problem(cast.admin, {
            "region": cast.city, "source": "province", "category": "energy", "title": "全市用能指标"}, on=DAY),
    }
    made["assigned_lianshan"] = made["suizhong"]  # 绥中's problem assigned to 连山区发改局
    client.force_login(getattr(cast, who))
    response = client.get(reverse("dispatch:problems"))
    assert response.status_code == 200
    assert {p.pk for p in response.context["page"]} == {made[name].pk for name in visible}
    assert response.context["totals"]["count"] == len({made[name].pk for name in visible})


def test_a_meeting_is_seen_by_its_regions_users_and_the_units_attending_and_recorded_by_who_holds_it(cast, client):
    meeting = services.save_meeting(cast.admin, None, None, {
        "kind": "on_site", "title": "连石化工项目现场调度", "region": cast.city, "date": DAY,
        "units": [cast.lianshan_fgj]}, [(None, "加快供电接入")])
    expected = {"admin": (200, 200), "lianshan_clerk": (200, 403), "suizhong_clerk": (404, 404),
                "dept_clerk": (404, 404), "leader_user": (200, 403), "viewer": (200, 403), "outsider": (404, 404)}
    for who, (sees, edits) in expected.items():
        client.force_login(getattr(cast, who))
        assert client.get(reverse("dispatch:meeting", args=[meeting.pk])).status_code == sees, who
        assert client.get(reverse("dispatch:meeting_edit", args=[meeting.pk])).status_code == edits, who
    client.force_login(cast.lianshan_clerk)
    refused = client.post(reverse("dispatch:meeting_edit", args=[meeting.pk]), {"title": "改名", "version": 1})
    assert refused.status_code == 403 and Meeting.objects.get(pk=meeting.pk).title == "连石化工项目现场调度"
    assert client.get(reverse("dispatch:meeting_create")).status_code == 200  # its own county's meetings
    client.force_login(cast.dept_clerk)
    assert client.get(reverse("dispatch:meeting_create")).status_code == 403

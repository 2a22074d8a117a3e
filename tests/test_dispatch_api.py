"""/api/meetings/ and /api/problems/: the pages' forms, filters, services, sides and versions (409)
behind JSON; in the OpenAPI schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import api
from django.utils import timezone

from keyprojects.dispatch.models import Meeting, Problem

pytestmark = pytest.mark.django_db

LATER = (timezone.localdate() + timedelta(days=30)).isoformat()


def created(response) -> dict:
    assert response.status_code == 201, response.content
    return response.json()


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def test_a_problem_goes_through_its_workflow_over_the_api_audited_as_api(cast, notices):
    county, department = api(cast.lianshan_clerk), api(cast.dept_clerk)
    problem = created(county.post("/api/problems/", {
        "project": cast.p_lianshan.pk, "source": "report", "category": "land", "title": "用地指标未落实"},
        format="json"))
    assert (problem["state"], problem["region"]["name"], problem["raiser_unit_name"]) == ("new", "连山区", "连山区发展和改革局")
    changed = ok(county.patch(f"/api/problems/{problem['id']}/", {"category": "approval", "version": 1},
                              format="json"))
    assert (changed["category"], changed["title"], changed["version"]) == ("approval", "用地指标未落实", 2)
    assigned = ok(county.post(f"/api/problems/{problem['id']}/assign/", {
        "lead_unit": cast.gxj.pk, "co_units": [cast.fgw.pk], "deadline": LATER, "version": 2}, format="json"))
    assert (assigned["state"], assigned["lead_unit_name"], assigned["co_units"], assigned["due"]) == (
        "in_progress", "葫芦岛市工业和信息化局", [cast.fgw.pk], LATER)
    assert county.post(f"/api/problems/{problem['id']}/reply/", {"text": "好了"}, format="json").status_code == 403
    replied = ok(department.post(f"/api/problems/{problem['id']}/reply/", {"text": "已调剂指标", "version": 3},
                                 format="json"))
    assert replied["state"] == "replied" and replied["events"][-1]["unit"] == "葫芦岛市工业和信息化局"
    returned = ok(county.post(f"/api/problems/{problem['id']}/return/", {"reason": "指标未下达"}, format="json"))
    assert returned["state"] == "in_progress" and returned["events"][-1]["text"] == "指标未下达"
    department.post(f"/api/problems/{problem['id']}/reply/", {"text": "指标已下达"}, format="json")
    closed = ok(county.post(f"/api/problems/{problem['id']}/sign-off/", {"text": "已落实"}, format="json"))
    assert closed["state"] == "closed" and closed["signed_off_by"] == str(cast.lianshan_clerk)
    assert [e["kind"] for e in closed["events"]] == [
        "raised", "edited", "assigned", "replied", "returned", "replied", "signed_off"]
    saved = Problem.objects.get(pk=problem["id"])
    assert set(saved.history.values_list("history_source", flat=True)) == {"api"}
    assert any(key.startswith(f"problem:{saved.pk}:signed_off:") for key in notices.events())


def test_a_stale_version_is_409_and_an_illegal_step_400_in_chinese(cast):
    county = api(cast.lianshan_clerk)
    problem = created(county.post("/api/problems/", {
        "project": cast.p_lianshan.pk, "source": "meeting", "category": "funding", "title": "资金未到位",
        "lead_unit": cast.gxj.pk, "deadline": LATER}, format="json"))
    assert problem["state"] == "in_progress" and problem["version"] == 2
    stale = county.post(f"/api/problems/{problem['id']}/escalate/", {
        "reason": "无法解决", "deadline": LATER, "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    illegal = county.post(f"/api/problems/{problem['id']}/sign-off/", {}, format="json")
    assert illegal.status_code == 400 and illegal.json()["message"] == "提交的数据有误：该问题当前为“办理中”，不能销号"
    no_deadline = county.post(f"/api/problems/{problem['id']}/escalate/", {"reason": "无法解决"}, format="json")
    assert no_deadline.status_code == 400 and "deadline" in no_deadline.json()["errors"]
    assert county.patch(f"/api/problems/{problem['id']}/", {"title": "改"}, format="json").status_code == 400
    escalated = ok(county.post(f"/api/problems/{problem['id']}/escalate/", {
        "reason": "县级无法解决", "deadline": LATER, "version": 2}, format="json"))
    assert escalated["state"] == "escalated" and escalated["escalated_to"]["name"] == "葫芦岛市"
    assert Problem.objects.get(pk=problem["id"]).version == 3


def test_the_api_lists_the_ledger_with_the_pages_filters_and_scope(cast):
    county = api(cast.lianshan_clerk)
    for title, category in (("用地指标未落实", "land"), ("资金未到位", "funding")):
        created(county.post("/api/problems/", {"project": cast.p_lianshan.pk, "source": "report",
                                               "category": category, "title": title}, format="json"))
    assert [p["title"] for p in ok(county.get("/api/problems/", {"category": "funding"}))["results"]] == ["资金未到位"]
    assert ok(api(cast.admin).get("/api/problems/"))["count"] == 2
    assert ok(api(cast.suizhong_clerk).get("/api/problems/"))["count"] == 0
    outside = Problem.objects.first()
    assert api(cast.outsider).get(f"/api/problems/{outside.pk}/").status_code == 404
    assert api(cast.viewer).post("/api/problems/", {"project": cast.p_lianshan.pk, "source": "report",
                                                    "category": "land", "title": "x"}, format="json").status_code == 403
    bad = county.post("/api/problems/", {"project": cast.p_lianshan.pk, "source": "report", "category": "land",
                                         "title": "x", "lead_unit": cast.gxj.pk}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"] == {"deadline": ["交办须同时指定牵头单位和办理时限"]}


def test_a_meeting_with_its_decisions_over_the_api(cast):
    admin = api(cast.admin)
    meeting = created(admin.post("/api/meetings/", {
        "kind": "single_project", "title": "连石化工项目调度会", "region": cast.city.pk, "date": "2022-07-01",
        "chair": cast.leader.pk, "units": [cast.gxj.pk], "projects": [cast.p_lianshan.pk],
        "decisions": [{"text": "加快供电接入"}, {"text": "协调用地预审"}]}, format="json"))
    assert [(d["order"], d["text"]) for d in meeting["decisions"]] == [(1, "加快供电接入"), (2, "协调用地预审")]
    first = meeting["decisions"][0]
    problem = created(admin.post("/api/problems/", {
        "decision": first["id"], "project": cast.p_lianshan.pk, "source": "meeting", "category": "utilities",
        "title": "加快供电接入", "lead_unit": cast.gxj.pk, "deadline": LATER}, format="json"))
    assert problem["meeting"] == meeting["id"] and problem["decision"] == first["id"]
    changed = ok(admin.patch(f"/api/meetings/{meeting['id']}/", {
        "version": 1, "place": "项目现场", "decisions": [{"id": first["id"], "text": "加快供电接入"}]}, format="json"))
    assert changed["place"] == "项目现场" and [d["problem"] for d in changed["decisions"]] == [problem["id"]]
    assert changed["units"] == [cast.gxj.pk] and changed["version"] == 2  # what the patch left out stays
    assert admin.patch(f"/api/meetings/{meeting['id']}/", {"version": 1, "place": "x"}, format="json").status_code == 409
    refused = admin.patch(f"/api/meetings/{meeting['id']}/", {"version": 2, "decisions": []}, format="json")
    assert refused.status_code == 400 and "已转为问题，不能删除" in refused.json()["message"]
    assert api(cast.lianshan_clerk).get(f"/api/meetings/{meeting['id']}/").status_code == 404  # not attending
    assert api(cast.dept_clerk).get(f"/api/meetings/{meeting['id']}/").status_code == 200  # attending
    assert api(cast.dept_clerk).patch(f"/api/meetings/{meeting['id']}/", {"version": 2, "place": "x"},
                                      format="json").status_code == 403
    assert ok(admin.get("/api/meetings/", {"kind": "concentrated"}))["count"] == 0
    assert Meeting.objects.get().history.first().history_source == "api"


def test_the_schema_documents_the_dispatch_routes(cast, client):
    client.force_login(cast.admin)
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    for path in ("/api/meetings/", "/api/meetings/{id}/", "/api/problems/", "/api/problems/{id}/assign/",
                 "/api/problems/{id}/reply/", "/api/problems/{id}/sign-off/", "/api/problems/{id}/return/",
                 "/api/problems/{id}/escalate/"):
        assert path in paths, path


def test_a_patch_that_changes_nothing_keeps_a_problems_and_a_meetings_version(cast):
    county, admin = api(cast.lianshan_clerk), api(cast.admin)
    problem = created(county.post("/api/problems/", {
        "project": cast.p_lianshan.pk, "source": "report", "category": "land", "title": "用地指标未落实"},
        format="json"))
    url = f"/api/problems/{problem['id']}/"
    events = Problem.objects.get(pk=problem["id"]).events.count()
    same = ok(county.patch(url, {"category": "land", "title": "用地指标未落实", "version": 1}, format="json"))
    assert same["version"] == 1 and Problem.objects.get(pk=problem["id"]).events.count() == events
    assert ok(county.patch(url, {"title": "用地指标尚未落实", "version": 1}, format="json"))["version"] == 2

    meeting = created(admin.post("/api/meetings/", {
        "kind": "single_project", "title": "连石化工项目调度会", "region": cast.city.pk, "date": "2022-07-01",
        "units": [cast.gxj.pk], "projects": [cast.p_lianshan.pk], "decisions": [{"text": "加快供电接入"}]},
        format="json"))
    url, history = f"/api/meetings/{meeting['id']}/", Meeting.objects.get(pk=meeting["id"]).history.count()
    decisions = [{"id": d["id"], "text": d["text"]} for d in meeting["decisions"]]
    same = ok(admin.patch(url, {"version": 1, "title": "连石化工项目调度会", "units": [cast.gxj.pk],
                                "decisions": decisions}, format="json"))
    assert same["version"] == 1 and Meeting.objects.get(pk=meeting["id"]).history.count() == history
    added = ok(admin.patch(url, {"version": 1, "decisions": [*decisions, {"text": "协调用地预审"}]}, format="json"))
    assert added["version"] == 2 and len(added["decisions"]) == 2
    assert ok(admin.patch(url, {"version": 2, "units": [cast.gxj.pk, cast.fgw.pk]}, format="json"))["version"] == 3

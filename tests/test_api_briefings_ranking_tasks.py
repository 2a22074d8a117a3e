"""The API of briefings, assessment periods and task lists: scoped as the pages are (the same
querysets and services), the published ranking read by the counties and departments it ranks,
and a task's progress update written through the service, version-checked and audited."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from conftest import api
from django.utils import timezone
from docx import Document

from keyprojects.assessment import services as assessment_services
from keyprojects.briefings import services as briefing_services
from keyprojects.demo import assessment as assessment_demo
from keyprojects.tasklists import services as task_services
from keyprojects.tasklists.models import Task, Update

pytestmark = pytest.mark.django_db

YEAR = 2022


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # the published briefings' files


# --- briefings -------------------------------------------------------------------------------------

@pytest.fixture
def briefings(cast):
    """A published briefing of 连山区, and drafts of 连山区 and 绥中县 (the city admin's)."""
    admin = cast.admin
    draft = briefing_services.generate(admin, cast.lianshan, YEAR, date(YEAR, 6, 5))
    draft = briefing_services.approve(admin, draft.pk, draft.version)
    published = briefing_services.publish(admin, draft.pk, draft.version)
    lianshan_draft = briefing_services.generate(admin, cast.lianshan, YEAR, date(YEAR, 7, 5))
    suizhong_draft = briefing_services.generate(admin, cast.suizhong, YEAR, date(YEAR, 7, 5))
    return published, lianshan_draft, suizhong_draft


def test_a_county_clerk_reads_its_published_briefings_and_no_draft(cast, briefings):
    published, lianshan_draft, suizhong_draft = briefings
    clerk = api(cast.lianshan_clerk)
    listing = clerk.get("/api/briefings/").json()
    assert [row["id"] for row in listing["results"]] == [published.pk]
    row = listing["results"][0]
    assert row["state"] == "published" and row["number"] == 1 and row["region"]["id"] == cast.lianshan.pk
    assert row["docx"] == f"/api/briefings/{published.pk}/docx/"
    for draft in (lianshan_draft, suizhong_draft):  # another county's draft, and its own county's
        assert clerk.get(f"/api/briefings/{draft.pk}/").status_code == 404
        assert clerk.get(f"/api/briefings/{draft.pk}/pdf/").status_code == 404
    assert api(cast.suizhong_clerk).get(f"/api/briefings/{published.pk}/").status_code == 404
    assert api(cast.outsider).get("/api/briefings/").json()["results"] == []


def test_the_city_admin_lists_the_drafts_too_and_filters_them(cast, briefings):
    published, lianshan_draft, suizhong_draft = briefings
    admin = api(cast.admin)
    assert {row["id"] for row in admin.get("/api/briefings/").json()["results"]} == {
        published.pk, lianshan_draft.pk, suizhong_draft.pk}
    drafts = admin.get("/api/briefings/", {"state": "draft", "region": cast.suizhong.pk}).json()["results"]
    assert [(row["id"], row["docx"], row["number"]) for row in drafts] == [(suizhong_draft.pk, None, None)]
    assert admin.get("/api/briefings/", {"state": "sent"}).status_code == 400
    # a draft has no archived file: 404, with the reason
    answer = admin.get(f"/api/briefings/{lianshan_draft.pk}/docx/")
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"


def test_the_published_files_download_exactly_as_archived(cast, briefings):
    published = briefings[0]
    clerk = api(cast.lianshan_clerk)
    word = clerk.get(f"/api/briefings/{published.pk}/docx/")
    assert word.status_code == 200 and "attachment" in word["Content-Disposition"]
    body = b"".join(word.streaming_content)
    published.docx.open("rb")
    assert body == published.docx.read()
    assert published.title in "\n".join(p.text for p in Document(io.BytesIO(body)).paragraphs)
    pdf = clerk.get(f"/api/briefings/{published.pk}/pdf/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")


# --- assessment -------------------------------------------------------------------------------------

@pytest.fixture
def ranking(cast):
    """The city's monthly ranking: May published, June taken but not published (a draft)."""
    scheme = assessment_demo.install(cast.city, YEAR, [f"{YEAR}-05"], actor=cast.admin)
    june = assessment_services.take_snapshot(cast.admin, scheme.pk, f"{YEAR}-06")
    return scheme, scheme.snapshots.get(period=f"{YEAR}-05"), june


@pytest.mark.parametrize("who", ["lianshan_clerk", "dept_clerk"])
def test_a_county_or_department_reads_the_published_ranking_of_its_city_only(cast, ranking, who):
    scheme, may, june = ranking
    client = api(getattr(cast, who))
    listing = client.get("/api/assessment/periods/").json()["results"]
    assert [(row["id"], row["period"], row["published"]) for row in listing] == [(may.pk, f"{YEAR}-05", True)]
    found = client.get(f"/api/assessment/periods/{may.pk}/")
    assert found.status_code == 200
    body = found.json()
    counties = next(g for g in body["groups"] if g["member_kind"] == "county")
    assert "连山区" in [row["name"] for row in counties["rows"]] and body["notes"] == []
    assert client.get(f"/api/assessment/periods/{june.pk}/").status_code == 404
    assert client.get(f"/api/assessment/periods/{june.pk}/history/").status_code == 404
    assert client.get("/api/assessment/periods/", {"published": "false"}).json()["results"] == []
    assert api(cast.owner).get("/api/assessment/periods/").json()["results"] == []
    assert api(cast.outsider).get(f"/api/assessment/periods/{may.pk}/").status_code == 404


def test_a_period_s_ranks_scores_and_values_come_from_its_snapshot(cast, ranking):
    scheme, may, june = ranking
    admin = api(cast.admin)
    assert {row["period"] for row in admin.get("/api/assessment/periods/").json()["results"]} == {
        f"{YEAR}-05", f"{YEAR}-06"}
    body = admin.get(f"/api/assessment/periods/{may.pk}/").json()
    from keyprojects.assessment.ranking import ranking_of

    expected = ranking_of(may)
    assert body["scheme"]["id"] == scheme.pk and body["published"] is True and body["period"] == f"{YEAR}-05"
    assert body["time_progress"] == (None if expected.time_progress is None else f"{expected.time_progress:.1f}")
    for group, computed in zip(body["groups"], expected.groups, strict=True):
        assert [line["name"] for line in group["lines"]] == [line["name"] for line in computed.lines]
        assert [(r["rank"], r["name"], r["score"]) for r in group["rows"]] == [
            (r.rank, r.name, f"{r.score:.2f}") for r in computed.rows]
        assert group["red_list"] == [r.name for r in computed.top]
        for row, member in zip(group["rows"], computed.rows, strict=True):
            rate = member.values.get("completion_rate")
            assert row["values"]["completion_rate"] == (None if rate is None else f"{rate:.1f}")
            assert row["points"] == [f"{p:.2f}" for p in member.points]
            assert isinstance(row["values"]["overdue_problems"], int)
            money = member.values.get("completed_investment")
            assert row["values"]["completed_investment"] == (None if money is None else f"{money:.4f}")
    history = admin.get(f"/api/assessment/periods/{may.pk}/history/").json()
    assert history and all(h["periods"] == [f"{YEAR}-05"] for h in history)
    counties = next(h for h in history if h["name"] == body["groups"][0]["name"])
    assert {r["name"]: r["ranks"] for r in counties["rows"]} == {
        r["name"]: [r["rank"]] for r in body["groups"][0]["rows"]}


# --- task lists -------------------------------------------------------------------------------------

@pytest.fixture
def tasks(cast):
    """葫芦岛市's list of 2022: A led by 工信局 (连山区 helps), with a milestone and a target; B led
    by the commission with 工信局 helping; C led by 连山区, due 31 March (overdue when not done)."""
    admin = cast.admin
    area = task_services.save_area(admin, cast.city, YEAR, {"number": 1, "name": "抓项目谋划储备"})
    a = task_services.save_task(admin, None, {"area": area, "number": 1, "title": "谋划精细化工强链项目",
                                              "lead_unit": cast.gxj, "co_units": [cast.lianshan_fgj],
                                              "deadline": date(YEAR, 6, 30)})
    milestone = task_services.save_milestone(admin, a.pk, {"title": "完成项目入库", "due": date(YEAR, 3, 15)})
    target = task_services.save_target(admin, a.pk, {"name": "谋划项目", "unit": "个", "target": Decimal(20)})
    b = task_services.save_task(admin, None, {"area": area, "number": 2, "title": "建立重大项目帮扶机制",
                                              "lead_unit": cast.fgw, "co_units": [cast.gxj],
                                              "deadline": date(YEAR, 9, 30)})
    c = task_services.save_task(admin, None, {"area": area, "number": 3, "title": "连山区重点项目集中开工",
                                              "lead_unit": cast.lianshan_fgj, "deadline": date(YEAR, 3, 31)})
    return {"area": area, "a": Task.objects.get(pk=a.pk), "b": b, "c": c, "milestone": milestone, "target": target}


def _update(task: Task, **fields: object) -> dict[str, object]:
    return {"version": task.version, "on": date(YEAR, 3, 10).isoformat(), "text": "已梳理项目清单", **fields}


def test_the_lead_unit_posts_a_progress_update_through_the_service_audited(cast, tasks):
    a, target, milestone = tasks["a"], tasks["target"], tasks["milestone"]
    answer = api(cast.dept_clerk).post(f"/api/tasks/{a.pk}/updates/", _update(
        a, values=[{"target": target.pk, "value": "8"}], milestones=[milestone.pk]), format="json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["version"] == a.version + 1 and body["updates"][0]["text"] == "已梳理项目清单"
    assert body["targets"][0]["actual"] == "8.00" and body["milestones"][0]["reached_on"] == f"{YEAR}-03-10"
    update = Update.objects.get(task=a)
    assert (update.author, update.unit, update.values.get().value) == (cast.dept_clerk, cast.gxj, Decimal(8))
    entry = update.history.get()
    assert entry.history_source == "api" and entry.history_user == cast.dept_clerk
    assert Task.objects.get(pk=a.pk).history.first().history_source == "api"


def test_a_department_clerk_posts_only_for_the_tasks_its_unit_leads(cast, tasks):
    """工信局 helps with B (it sees it, only the lead unit reports: 403) and has nothing to do with C (404)."""
    clerk = api(cast.dept_clerk)
    assert clerk.get(f"/api/tasks/{tasks['b'].pk}/").status_code == 200
    refused = clerk.post(f"/api/tasks/{tasks['b'].pk}/updates/", _update(tasks["b"]), format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert clerk.post(f"/api/tasks/{tasks['c'].pk}/updates/", _update(tasks["c"]), format="json").status_code == 404
    # a county clerk likewise: 连山区 helps with A (403), leads C (201)
    county = api(cast.lianshan_clerk)
    assert county.post(f"/api/tasks/{tasks['a'].pk}/updates/", _update(tasks["a"]), format="json").status_code == 403
    assert county.post(f"/api/tasks/{tasks['c'].pk}/updates/", _update(tasks["c"], done=True),
                       format="json").status_code == 201
    assert api(cast.viewer).post(f"/api/tasks/{tasks['a'].pk}/updates/", _update(tasks["a"]),
                                 format="json").status_code == 403
    assert list(Update.objects.values_list("task", flat=True)) == [tasks["c"].pk]
    assert Task.objects.get(pk=tasks["c"].pk).state == "done"


def test_a_stale_version_is_a_conflict_and_bad_input_names_the_field(cast, tasks):
    a, clerk = tasks["a"], api(cast.dept_clerk)
    stale = clerk.post(f"/api/tasks/{a.pk}/updates/", _update(a, version=a.version - 1 or 99), format="json")
    assert stale.status_code == 409 and stale.json()["current_version"] == a.version
    for payload, field in [
        (_update(a, text=""), "text"),
        ({"on": "2022-03-10", "text": "x"}, "version"),
        (_update(a, on=(timezone.localdate() + timedelta(days=2)).isoformat()), "on"),
        (_update(a, values=[{"target": tasks["target"].pk, "value": "-1"}]), "values"),
        (_update(a, values=[{"target": 10**9, "value": "1"}]), "values"),
        (_update(a, milestones=[10**9]), "milestones"),
    ]:
        answer = clerk.post(f"/api/tasks/{a.pk}/updates/", payload, format="json")
        assert answer.status_code == 400, (field, answer.json())
        assert field in answer.json()["errors"], (field, answer.json())
    assert not Update.objects.exists() and Task.objects.get(pk=a.pk).version == a.version


def test_the_task_list_filters_as_the_page_with_its_totals(cast, tasks):
    admin = api(cast.admin)
    listing = admin.get("/api/tasks/", {"year": YEAR, "as_of": f"{YEAR}-04-01"}).json()
    assert [row["code"] for row in listing["results"]] == ["1-1", "1-2", "1-3"]
    assert listing["totals"] == {"tasks": 3, "done": 0, "on_time": 0, "overdue": 1, "on_time_rate": "0.0"}
    overdue = admin.get("/api/tasks/", {"year": YEAR, "as_of": f"{YEAR}-04-01", "state": "overdue"}).json()
    assert [(row["id"], row["overdue"]) for row in overdue["results"]] == [(tasks["c"].pk, True)]
    led = admin.get("/api/tasks/", {"year": YEAR, "unit": cast.gxj.pk, "area": tasks["area"].pk}).json()
    assert [row["id"] for row in led["results"]] == [tasks["a"].pk]
    assert admin.get("/api/tasks/", {"state": "late"}).status_code == 400
    assert admin.get("/api/tasks/", {"year": "twenty"}).status_code == 400
    # a county sees the tasks its units lead or help with; a department those it leads or helps with
    assert [r["id"] for r in api(cast.lianshan_clerk).get("/api/tasks/", {"year": YEAR}).json()["results"]] == [
        tasks["a"].pk, tasks["c"].pk]
    assert [r["id"] for r in api(cast.dept_clerk).get("/api/tasks/", {"year": YEAR}).json()["results"]] == [
        tasks["a"].pk, tasks["b"].pk]
    assert api(cast.suizhong_clerk).get(f"/api/tasks/{tasks['a'].pk}/").status_code == 404
    assert api(cast.outsider).get("/api/tasks/", {"year": YEAR}).json()["results"] == []


def test_a_task_s_detail_holds_its_milestones_targets_and_updates(cast, tasks):
    a = tasks["a"]
    task_services.record_update(cast.dept_clerk, a.pk, {"on": date(YEAR, 3, 1), "text": "推进中",
                                                          "values": {tasks["target"].pk: Decimal(3)}})
    body = api(cast.lianshan_clerk).get(f"/api/tasks/{a.pk}/").json()
    assert body["lead_unit"] == {"id": cast.gxj.pk, "name": cast.gxj.name}
    assert body["co_units"] == [{"id": cast.lianshan_fgj.pk, "name": cast.lianshan_fgj.name}]
    assert [m["title"] for m in body["milestones"]] == ["完成项目入库"]
    assert body["targets"][0] == {"id": tasks["target"].pk, "name": "谋划项目", "unit": "个", "target": "20.00",
                                  "actual": "3.00", "actual_on": f"{YEAR}-03-01"}
    assert [(u["text"], u["values"]) for u in body["updates"]] == [("推进中", [{"target": tasks["target"].pk,
                                                                              "value": "3.00"}])]
    areas = api(cast.lianshan_clerk).get("/api/tasks/areas/").json()["results"]
    assert [(row["id"], row["name"]) for row in areas] == [(tasks["area"].pk, "抓项目谋划储备")]
    assert api(cast.outsider).get("/api/tasks/areas/").json()["results"] == []

"""The REST API: tokens, scope (404 outside, 403 read-only), validation through the web forms,
versions (409), the audit trail, the reporting workflow, and indicators equal to `stats`."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from conftest import api
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from keyprojects.accounts import services as account_services
from keyprojects.accounts.filters import UnitFilter
from keyprojects.accounts.models import ApiToken, Unit
from keyprojects.api.views import UnitViewSet
from keyprojects.projects.models import AnnualPlan, Project
from keyprojects.reporting import services as reporting_services
from keyprojects.reporting.models import ProgressReport

pytestmark = pytest.mark.django_db


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- authentication and tokens --------------------------------------------------------------

def test_without_credentials_the_api_answers_401_json(cast):
    response = APIClient().get("/api/projects/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated" and response.json()["message"]


def test_a_wrong_or_revoked_token_is_refused(cast):
    assert api(key="kp_nonsense").get("/api/projects/").json()["code"] == "authentication_failed"
    token, key = account_services.create_token(cast.lianshan_clerk, cast.lianshan_clerk, "省平台")
    assert api(key=key).get("/api/projects/").status_code == 200
    account_services.revoke_token(cast.lianshan_clerk, token.pk)
    response = api(key=key).get("/api/projects/")
    assert response.status_code == 401 and "吊销" in response.json()["message"]


def test_create_token_command_prints_a_working_key_once(cast):
    out = io.StringIO()
    call_command("create_token", "lianshan", name="统计局", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    assert key.startswith("kp_")
    token = ApiToken.objects.get(user=cast.lianshan_clerk)
    assert token.name == "统计局" and key not in (token.digest, token.prefix)  # only a hash is kept
    assert api(key=key).get("/api/projects/").status_code == 200
    history = token.history.first()
    assert history.history_source == "command" and history.history_detail == "create_token"


def test_tokens_page_creates_shows_once_and_revokes(cast, client):
    client.force_login(cast.lianshan_clerk)
    page = client.post(reverse("tokens"), {"name": "移动端"})
    key = page.context["new_key"]
    assert key in page.content.decode()
    assert key not in client.get(reverse("tokens")).content.decode()  # never shown again
    token = ApiToken.objects.get(user=cast.lianshan_clerk)
    assert token.history.first().history_user == cast.lianshan_clerk
    other_token, _ = account_services.create_token(cast.suizhong_clerk, cast.suizhong_clerk, "x")
    assert client.post(reverse("revoke_token", args=[other_token.pk])).status_code == 404
    client.post(reverse("revoke_token", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api(key=key).get("/api/projects/").status_code == 401


def test_a_clerk_cannot_make_tokens_for_someone_else(cast):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        account_services.create_token(cast.lianshan_clerk, cast.suizhong_clerk, "x")
    account_services.create_token(cast.admin, cast.suizhong_clerk, "由管理员创建")  # the city admin may


# --- reading, in scope ----------------------------------------------------------------------

def test_a_county_token_sees_only_its_county(cast):
    client = api(cast.lianshan_clerk)
    names = {p["name"] for p in results(client.get("/api/projects/"))}
    assert names == {cast.p_lianshan.name}
    for project in (cast.p_suizhong, cast.p_jinzhou):
        response = client.get(f"/api/projects/{project.pk}/")
        assert response.status_code == 404 and response.json() == {
            "code": "not_found", "message": "对象不存在或您无权访问"}
    assert [r["code"] for r in results(client.get("/api/regions/"))] == [cast.lianshan.code]
    assert client.get(f"/api/regions/{cast.suizhong.code}/").status_code == 404


def test_city_admin_sees_the_city_with_amounts_as_decimal_strings(cast):
    body = api(cast.admin).get("/api/projects/", {"year": 2022, "o": "name"}).json()
    assert body["count"] == 2
    row = next(r for r in body["results"] if r["name"] == cast.p_lianshan.name)
    assert row["total_investment"] == "52000.0000" and row["annual_plan"] == "13000.0000"
    assert row["region"] == {"id": cast.lianshan.pk, "code": "211402", "name": "连山区"}
    assert body["totals"] == {"count": 2, "total_investment": "132000.0000", "annual_plan": "33000.0000",
                              "completed": "0.0000"}  # one format for every amount: four places


def test_the_api_list_uses_the_web_lists_filters(cast, client):
    client.force_login(cast.admin)
    for query in ({"year": 2022, "region": cast.suizhong.pk}, {"year": 2022, "q": "风电"}, {"year": 2022, "started": "no"},
                  {"year": 2022, "leader": cast.leader.pk}):
        web = client.get(reverse("projects:list"), query).context["totals"]
        body = api(cast.admin).get("/api/projects/", query).json()
        assert body["totals"]["count"] == web["count"] and Decimal(body["totals"]["total_investment"]) == web[
            "total_investment"], query


def test_a_bad_filter_value_is_a_400_naming_the_parameter(cast):
    response = api(cast.admin).get("/api/projects/", {"year": "abc", "stage": "nonsense"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and {"year", "stage"} <= set(body["errors"])


def test_pagination_everywhere(cast):
    client = api(cast.admin)
    for url in ("/api/regions/", "/api/units/", "/api/projects/", "/api/periods/", "/api/reports/"):
        body = client.get(url, {"page_size": 1}).json()
        assert {"count", "next", "previous", "results"} <= set(body), url
        assert len(body["results"]) <= 1


# --- writing ---------------------------------------------------------------------------------

NEW_PROJECT = {"name": "连山区新材料产业园标准化厂房", "total_investment": "30000", "project_type": "industry",
               "investment_nature": "enterprise", "level": "county", "stage": "preparation",
               "funding": {"bank_loan": "10000", "self_raised": "20000"}}


def test_create_a_project_through_the_service_audited_as_api(cast):
    response = api(cast.lianshan_clerk).post("/api/projects/", {**NEW_PROJECT, "region": cast.lianshan.pk},
                                             format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["funding"] == {"bank_loan": "10000.0000", "self_raised": "20000.0000"} and body["version"] == 1
    project = Project.objects.get(pk=body["id"])
    entry = project.history.first()
    assert entry.history_source == "api" and entry.history_user == cast.lianshan_clerk
    assert project.stage_transitions.count() == 1


def test_invalid_input_is_a_400_naming_each_field_in_chinese(cast):
    client = api(cast.lianshan_clerk)
    response = client.post("/api/projects/", {**NEW_PROJECT, "region": cast.lianshan.pk, "code": "12345",
                                              "total_investment": "-5"}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "项目代码格式不正确" in errors["code"][0] and "不能为负数" in errors["total_investment"][0]
    over = client.post("/api/projects/", {**NEW_PROJECT, "region": cast.lianshan.pk, "total_investment": "100"},
                       format="json")
    assert over.status_code == 400 and "超过了总投资" in over.json()["errors"]["total_investment"][0]
    wrong_type = client.post("/api/projects/", {**NEW_PROJECT, "region": "连山区", "leaders": "x"}, format="json")
    assert wrong_type.status_code == 400 and {"region", "leaders"} <= set(wrong_type.json()["errors"])
    assert client.post("/api/projects/", [1, 2], format="json").status_code == 400
    assert Project.objects.filter(name=NEW_PROJECT["name"]).count() == 0


def test_a_county_token_cannot_create_in_another_county_and_readers_cannot_write(cast):
    response = api(cast.lianshan_clerk).post("/api/projects/", {**NEW_PROJECT, "region": cast.suizhong.pk},
                                             format="json")
    assert response.status_code == 400 and "region" in response.json()["errors"]  # not among its choices
    for reader in (cast.leader_user, cast.viewer):
        client = api(reader)
        assert client.get(f"/api/projects/{cast.p_lianshan.pk}/").status_code == 200
        patch = client.patch(f"/api/projects/{cast.p_lianshan.pk}/", {"name": "改名", "version": 1}, format="json")
        assert patch.status_code == 403 and patch.json()["code"] == "permission_denied"
        assert client.delete(f"/api/projects/{cast.p_lianshan.pk}/?version=1").status_code == 403
    assert Project.objects.get(pk=cast.p_lianshan.pk).name != "改名"


def test_partial_update_keeps_other_fields_and_a_stale_version_is_409(cast):
    client = api(cast.lianshan_clerk)
    url = f"/api/projects/{cast.p_lianshan.pk}/"
    assert client.patch(url, {"name": "新名称"}, format="json").status_code == 400  # version is required
    response = client.patch(url, {"name": "连石化工年产3.5万吨苯二胺项目（一期）", "version": 1}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == 2 and body["owner"] == cast.company.pk and body["leaders"] == [cast.leader.pk]
    assert body["total_investment"] == "52000.0000"
    stale = client.patch(url, {"name": "又改", "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["code"] == "edit_conflict" and stale.json()["current_version"] == 2
    assert Project.objects.get(pk=cast.p_lianshan.pk).history.first().history_source == "api"


def test_delete_needs_the_current_version(cast):
    client = api(cast.suizhong_clerk)
    url = f"/api/projects/{cast.p_suizhong.pk}/"
    assert client.delete(url).status_code == 400
    assert client.delete(url + "?version=7").status_code == 409
    assert client.delete(url + "?version=1").status_code == 204
    assert not Project.objects.filter(pk=cast.p_suizhong.pk).exists()


def test_a_patch_that_changes_nothing_keeps_the_version(cast):
    client, url = api(cast.lianshan_clerk), f"/api/projects/{cast.p_lianshan.pk}/"
    history = cast.p_lianshan.history.count()
    same = client.patch(url, {"name": cast.p_lianshan.name, "total_investment": "52000.0000", "version": 1},
                        format="json")
    assert same.status_code == 200 and same.json()["version"] == 1
    assert cast.p_lianshan.history.count() == history  # nothing saved, nothing in the history
    plan = client.patch(f"{url}plans/2022/", {"planned_investment": "13000", "version": 1}, format="json")
    assert plan.status_code == 200 and plan.json()["version"] == 1
    changed = client.patch(url, {"name": "连石化工苯二胺项目", "version": 1}, format="json")
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = client.patch(url, {"name": "连石化工苯二胺项目", "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 2  # a stale copy still refused


def test_annual_plans_and_stage_changes(cast):
    client = api(cast.lianshan_clerk)
    base = f"/api/projects/{cast.p_lianshan.pk}"
    too_much = client.post(f"{base}/plans/", {"year": 2023, "nature": "continuing", "planned_investment": "60000",
                                              "prior_completed": "0"}, format="json")
    assert too_much.status_code == 400 and "超过了剩余投资" in too_much.json()["errors"]["planned_investment"][0]
    created = client.post(f"{base}/plans/", {"year": 2023, "nature": "continuing", "planned_investment": "20000",
                                             "prior_completed": "13000", "batch": "construction"}, format="json")
    assert created.status_code == 201, created.content
    again = client.post(f"{base}/plans/", {"year": 2023, "nature": "continuing", "planned_investment": "1",
                                           "prior_completed": "13000"}, format="json")
    assert again.status_code == 400 and "year" in again.json()["errors"]
    changed = client.patch(f"{base}/plans/2023/", {"planned_investment": "25000", "version": 1}, format="json")
    assert changed.status_code == 200 and changed.json()["planned_investment"] == "25000.0000"
    assert changed.json()["batch"] == "construction"
    assert client.patch(f"{base}/plans/2023/", {"planned_investment": "1", "version": 1}, format="json").status_code == 409
    assert client.patch(f"{base}/plans/2031/", {"version": 1}, format="json").status_code == 404
    stage = client.post(f"{base}/stage/", {"version": 1, "to_stage": "construction", "date": "2022-03-01"},
                        format="json")
    assert stage.status_code == 200 and stage.json()["stage"] == "construction"
    bad = client.post(f"{base}/stage/", {"version": 2, "to_stage": "operating", "date": "2022-03-02"}, format="json")
    assert bad.status_code == 400 and "to_stage" in bad.json()["errors"]


def test_units_read_nearby_and_written_by_city_admins(cast):
    names = {u["name"] for u in results(api(cast.lianshan_clerk).get("/api/units/", {"page_size": 100}))}
    assert cast.fgw.name in names and cast.lianshan_fgj.name in names and cast.jinzhou_fgw.name not in names
    payload = {"name": "葫芦岛市自然资源局", "region": cast.city.pk, "kind": "department"}
    assert api(cast.lianshan_clerk).post("/api/units/", payload, format="json").status_code == 403
    created = api(cast.admin).post("/api/units/", payload, format="json")
    assert created.status_code == 201, created.content
    unit_id = created.json()["id"]
    patched = api(cast.admin).patch(f"/api/units/{unit_id}/", {"contact_person": "张三"}, format="json")
    assert patched.status_code == 200 and patched.json()["name"] == "葫芦岛市自然资源局"
    unit = Unit.objects.get(pk=unit_id)
    history = unit.history.count()
    same = api(cast.admin).patch(f"/api/units/{unit_id}/", {"contact_person": "张三", "kind": "department"},
                                 format="json")
    assert same.status_code == 200 and unit.history.count() == history  # nothing saved, nothing in the history


def test_the_units_list_takes_the_units_pages_filters(cast):
    """/api/units/ filters as the units page does (accounts.filters.UnitFilter): the name search
    across full-width and traditional forms, the kind, the region and what lies below it; a bad
    value is a 400 naming the parameter; the schema documents each."""
    client = api(cast.lianshan_clerk)
    ids = lambda query: {u["id"] for u in results(client.get("/api/units/", {"page_size": 100, **query}))}  # noqa: E731
    assert ids({"q": "發展和改革"}) == {cast.fgw.pk, cast.lianshan_fgj.pk}  # not 锦州's: out of their sight
    assert ids({"kind": "department"}) == {u.pk for u in Unit.objects.filter(kind="department", region=cast.city)}
    assert cast.fgw.pk in ids({"region": cast.city.pk}) and cast.lianshan_fgj.pk in ids({"region": cast.city.pk})
    assert ids({"region": cast.lianshan.pk}) == {u.pk for u in Unit.objects.filter(region=cast.lianshan)}
    assert ids({"region": cast.lianshan.pk, "q": "发改"}) == set()
    bad = client.get("/api/units/", {"region": cast.jinzhou.pk})
    assert bad.status_code == 400 and "region" in bad.json()["errors"]
    assert client.get("/api/units/", {"kind": "nonsense"}).status_code == 400
    assert UnitViewSet.filterset_class is UnitFilter
    params = {p["name"] for p in client.get("/api/schema/?format=json").json()["paths"]["/api/units/"]["get"]["parameters"]}
    assert {"q", "kind", "region"} <= params


# --- the reporting workflow ---------------------------------------------------------------

@pytest.fixture
def period(cast):
    today = timezone.localdate()
    response = api(cast.admin).post("/api/periods/", {"year": 2022, "month": 5, "opens_on": str(today - timedelta(days=2)),
                                                      "closes_on": str(today + timedelta(days=3))}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_periods_are_set_by_city_admins_only(cast, period):
    assert period["region"]["code"] == cast.city.code and period["state"] == "open"
    clerk = api(cast.lianshan_clerk)
    refused = clerk.post("/api/periods/", {"year": 2022, "month": 6, "opens_on": "2022-06-20",
                                           "closes_on": "2022-06-25"}, format="json")
    assert refused.status_code == 403
    assert [p["id"] for p in results(clerk.get("/api/periods/"))] == [period["id"]]
    assert clerk.post(f"/api/periods/{period['id']}/state/", {"state": "closed"}, format="json").status_code == 403
    closed = api(cast.admin).post(f"/api/periods/{period['id']}/state/", {"state": "closed"}, format="json")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"


def test_report_draft_submit_return_resubmit_approve(cast, period):
    clerk, reviewer = api(cast.lianshan_clerk), api(cast.admin)
    figures = {"completed_month": "1000", "completed_ytd": "1000", "completed_since_start": "1000",
               "started": True, "started_on": "2022-04-10", "progress": "主体结构施工"}
    draft = clerk.post("/api/reports/", {"project": cast.p_lianshan.pk, "period": period["id"], **figures},
                       format="json")
    assert draft.status_code == 201, draft.content
    report = draft.json()
    assert report["status"] == "draft" and report["completed_ytd"] == "1000.0000"
    again = clerk.post("/api/reports/", {"project": cast.p_lianshan.pk, "period": period["id"]}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "edit_conflict"  # one report per project and period
    assert clerk.post("/api/reports/", {"project": cast.p_suizhong.pk, "period": period["id"]},
                      format="json").status_code == 404  # outside the county
    submitted = clerk.post(f"/api/reports/{report['id']}/submit/", {"version": report["version"]}, format="json")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    mine = submitted.json()["version"]
    assert clerk.post(f"/api/reports/{report['id']}/approve/", {"version": mine}, format="json").status_code == 403
    no_version = reviewer.post(f"/api/reports/{report['id']}/approve/", {}, format="json")
    assert no_version.status_code == 400 and "version" in no_version.json()["errors"]
    no_reason = reviewer.post(f"/api/reports/{report['id']}/return/", {}, format="json")
    assert no_reason.status_code == 400 and "return_reason" in no_reason.json()["errors"]
    returned = reviewer.post(f"/api/reports/{report['id']}/return/", {"return_reason": "开复工日期与照片不符",
                                                                     "version": mine}, format="json")
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    fixed = clerk.patch(f"/api/reports/{report['id']}/", {"started_on": "2022-04-12", "version": returned.json()["version"]},
                        format="json")
    assert fixed.status_code == 200 and fixed.json()["completed_ytd"] == "1000.0000"
    stale = clerk.post(f"/api/reports/{report['id']}/submit/", {"version": 1}, format="json")
    assert stale.status_code == 409
    resubmitted = clerk.post(f"/api/reports/{report['id']}/submit/", {"version": fixed.json()["version"]}, format="json")
    approved = reviewer.post(f"/api/reports/{report['id']}/approve/", {"version": resubmitted.json()["version"]},
                             format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    again = reviewer.post(f"/api/reports/{report['id']}/approve/", {"version": approved.json()["version"]},
                          format="json")
    assert again.status_code == 400 and again.json()["code"] == "invalid"
    saved = ProgressReport.objects.get(pk=report["id"])
    assert [h.history_source for h in saved.history.all()] == ["api"] * saved.history.count()
    assert AnnualPlan.objects.get(project=cast.p_lianshan, year=2022).started_on == date(2022, 4, 12)


def test_impossible_figures_are_refused_by_the_same_checks_as_the_page(cast, period):
    response = api(cast.lianshan_clerk).post("/api/reports/", {
        "project": cast.p_lianshan.pk, "period": period["id"], "completed_month": "90000", "completed_ytd": "90000",
        "completed_since_start": "90000"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert not ProgressReport.objects.exists()


def test_reports_filter_by_period_and_status(cast, period):
    reporting_services.prefill_period(cast.admin, period["id"])
    client = api(cast.admin)
    assert len(results(client.get("/api/reports/", {"period": period["id"], "status": "draft"}))) == 2
    assert results(client.get("/api/reports/", {"status": "approved"})) == []
    assert len(results(api(cast.suizhong_clerk).get("/api/reports/"))) == 1


# --- schema and docs --------------------------------------------------------------------------

def test_schema_is_openapi_3_and_docs_are_served_without_a_cdn(cast, client):
    client.force_login(cast.admin)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["openapi"].startswith("3.")
    for path in ("/api/projects/", "/api/reports/{id}/submit/", "/api/reports/{id}/approve/",
                 "/api/reports/{id}/return/", "/api/indicators/", "/api/periods/", "/api/units/", "/api/regions/"):
        assert path in schema["paths"], path
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower() and "https://" not in docs


def test_numbers_beyond_the_database_range_are_a_400_not_a_500(cast):
    huge = "99999999999999999999999"
    response = api(cast.admin).get("/api/reports/", {"project": huge})
    # SQLite cannot even compare such a number (400); PostgreSQL finds nothing (200, empty).
    assert (response.status_code, response.json().get("code")) in ((400, "invalid"), (200, None))
    created = api(cast.admin).post("/api/projects/", {**NEW_PROJECT, "region": cast.lianshan.pk, "owner": int(huge)},
                                   format="json")
    assert created.status_code == 400 and "owner" in created.json()["errors"]

"""The approvals API: the list with the page's filter and totals, in scope (a county, the issuing
department, another city); filling an item with its version (400 without, 409 stale), the
issuing unit's confirmation, waiving, a project's backward schedule, and 前期手续审批完成率 in
the indicators API."""

from datetime import date
from decimal import Decimal

import pytest
from conftest import api, make_user
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from keyprojects.accounts.models import User
from keyprojects.approvals import services
from keyprojects.approvals.models import ProjectApproval
from keyprojects.indicators import figures
from keyprojects.projects.models import AnnualPlan

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def scheduled(cast):
    """The city's default catalogue; 连山区's and 绥中县's projects scheduled back from 2022-06-01."""
    services.install_catalogue(cast.admin, cast.city)
    for project in (cast.p_lianshan, cast.p_suizhong):
        services.schedule_project(cast.admin, project.pk, date(2022, 6, 1))
    return cast


@pytest.fixture
def fgw_clerk(cast) -> User:
    """A clerk of the city's 发改委, which issues the projects' 备案 (and other items)."""
    return make_user("fgw_clerk", User.Role.DEPARTMENT_CLERK, cast.fgw)


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def item_of(project, code: str) -> ProjectApproval:
    return project.approvals.get(item__code=code)


# --- reading, in scope ---------------------------------------------------------------------

def test_a_county_token_lists_its_county_s_items_only(scheduled):
    cast = scheduled
    body = api(cast.lianshan_clerk).get("/api/approvals/", {"page_size": 500}).json()
    assert {row["project"]["name"] for row in body["results"]} == {cast.p_lianshan.name}
    assert body["count"] == body["totals"]["count"] == cast.p_lianshan.approvals.count()
    other = item_of(cast.p_suizhong, "filing")
    response = api(cast.lianshan_clerk).get(f"/api/approvals/{other.pk}/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_another_city_s_token_sees_nothing_and_gets_404(scheduled):
    cast = scheduled
    outsider = api(cast.outsider)
    assert results(outsider.get("/api/approvals/")) == []
    assert outsider.get(f"/api/approvals/{item_of(cast.p_lianshan, 'filing').pk}/").status_code == 404
    assert outsider.get(f"/api/projects/{cast.p_lianshan.pk}/approvals/").status_code == 404


def test_the_issuing_department_sees_the_items_it_issues_only(scheduled, fgw_clerk):
    cast = scheduled
    rows = results(api(fgw_clerk).get("/api/approvals/", {"page_size": 500}))
    issued = ProjectApproval.objects.filter(issuer=cast.fgw)
    assert rows and {row["id"] for row in rows} == set(issued.values_list("pk", flat=True))
    assert {row["issuer"] for row in rows} == {cast.fgw.pk}
    eia = item_of(cast.p_lianshan, "eia")
    assert eia.issuer != cast.fgw
    assert api(fgw_clerk).get(f"/api/approvals/{eia.pk}/").status_code == 404


def test_the_list_uses_the_page_s_filter_and_its_totals(scheduled, client):
    cast = scheduled
    client.force_login(cast.admin)
    for query in ({"as_of": "2022-05-01", "state": "late"}, {"region": cast.suizhong.pk},
                  {"q": "环评"}, {"year": 2022, "state": "pending"}, {"issuer": cast.fgw.pk}):
        web = client.get(reverse("approvals:list"), query).context["totals"]
        body = api(cast.admin).get("/api/approvals/", query).json()
        assert body["totals"] == web and body["count"] == web["count"], query
    late = api(cast.admin).get("/api/approvals/", {"as_of": "2022-05-01", "state": "late"}).json()
    assert late["count"] > 0 and all(row["state"] == "逾期未办结" and row["late_days"] > 0
                                     for row in late["results"])
    refused = api(cast.admin).get("/api/approvals/", {"state": "colour", "as_of": "2022-13-01"})
    assert refused.status_code == 400 and {"state", "as_of"} <= set(refused.json()["errors"])


def test_an_item_carries_its_project_item_dates_and_a_scoped_document_link(scheduled, settings, tmp_path):
    cast = scheduled
    settings.MEDIA_ROOT = tmp_path
    filing = item_of(cast.p_suizhong, "filing")
    services.record(cast.admin, filing.pk, filing.version, {
        "obtained_on": date(2022, 3, 1), "number": "绥发改备〔2022〕12号",
        "document": SimpleUploadedFile("备案证明.pdf", PDF, content_type="application/pdf")})
    row = api(cast.suizhong_clerk).get(f"/api/approvals/{filing.pk}/").json()
    assert row["project"] == {"id": cast.p_suizhong.pk, "name": cast.p_suizhong.name,
                              "region": {"id": cast.suizhong.pk, "code": cast.suizhong.code, "name": "绥中县"}}
    assert row["item"] == {"code": "filing", "name": filing.item.name, "issuer": filing.item.issuer_name}
    assert (row["obtained_on"], row["number"], row["state"]) == ("2022-03-01", "绥发改备〔2022〕12号", "已办结")
    assert row["planned_on"] == filing.planned_on.isoformat() and row["required"] is True
    assert row["document_url"].endswith(reverse("approvals:document", args=[filing.pk]))
    assert api(cast.suizhong_clerk).get(
        f"/api/approvals/{item_of(cast.p_suizhong, 'eia').pk}/").json()["document_url"] is None
    client = api(cast.suizhong_clerk)
    client.force_login(cast.suizhong_clerk)
    assert client.get(row["document_url"]).status_code == 200
    client.force_login(cast.lianshan_clerk)
    assert client.get(row["document_url"]).status_code == 404


# --- filling, confirming, waiving ----------------------------------------------------------------

def test_filling_an_item_needs_its_version_and_a_stale_one_is_409(scheduled):
    cast = scheduled
    filing = item_of(cast.p_lianshan, "filing")
    client = api(cast.lianshan_clerk)
    url = f"/api/approvals/{filing.pk}/"
    missing = client.patch(url, {"obtained_on": "2022-03-01"}, format="json")
    assert missing.status_code == 400 and "version" in missing.json()["errors"]
    filing.refresh_from_db()
    assert filing.obtained_on is None
    done = client.patch(url, {"obtained_on": "2022-03-01", "number": "连发改备〔2022〕3号",
                              "version": filing.version}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["version"] == filing.version + 1 and done.json()["confirmed_at"] is None
    note = client.patch(url, {"note": "已上传", "version": filing.version + 1}, format="json").json()
    assert (note["obtained_on"], note["number"], note["note"]) == ("2022-03-01", "连发改备〔2022〕3号", "已上传")
    stale = client.patch(url, {"number": "x", "version": filing.version}, format="json")
    assert stale.status_code == 409 and stale.json()["current_version"] == filing.version + 2
    filing.refresh_from_db()
    assert filing.number == "连发改备〔2022〕3号"
    assert filing.history.first().history_source == "api"
    assert filing.history.first().history_user == cast.lianshan_clerk


def test_a_bad_fill_is_a_400_naming_the_field_and_only_json_is_taken(scheduled):
    cast = scheduled
    filing = item_of(cast.p_lianshan, "filing")
    client = api(cast.lianshan_clerk)
    url = f"/api/approvals/{filing.pk}/"
    future = client.patch(url, {"obtained_on": "2999-01-01", "version": filing.version}, format="json")
    assert future.status_code == 400 and "obtained_on" in future.json()["errors"]
    number_only = client.patch(url, {"number": "连发改备〔2022〕3号", "version": filing.version}, format="json")
    assert number_only.status_code == 400 and "obtained_on" in number_only.json()["errors"]
    form = client.patch(url, {"obtained_on": "2022-03-01", "version": filing.version}, format="multipart")
    assert form.status_code == 415
    filing.refresh_from_db()
    assert filing.obtained_on is None and filing.version == item_of(cast.p_lianshan, "filing").version


def test_only_the_issuing_unit_confirms_an_item(scheduled, fgw_clerk):
    cast = scheduled
    filing = item_of(cast.p_lianshan, "filing")
    assert filing.issuer == cast.fgw
    filled = api(cast.lianshan_clerk).patch(f"/api/approvals/{filing.pk}/", {
        "obtained_on": "2022-03-01", "version": filing.version}, format="json").json()
    url = f"/api/approvals/{filing.pk}/confirm/"
    refused = api(cast.lianshan_clerk).post(url, {"version": filled["version"]}, format="json")
    assert refused.status_code == 403 and refused.json()["message"]
    assert api(cast.viewer).post(url, {"version": filled["version"]}, format="json").status_code == 403
    assert api(fgw_clerk).post(url, {}, format="json").status_code == 400  # the version is required
    confirmed = api(fgw_clerk).post(url, {"version": filled["version"]}, format="json")
    assert confirmed.status_code == 200 and confirmed.json()["confirmed_at"]
    filing.refresh_from_db()
    assert filing.confirmed_by == fgw_clerk
    assert api(fgw_clerk).post(url, {"version": filled["version"]}, format="json").status_code == 409
    eia = item_of(cast.p_lianshan, "eia")  # not the 发改委's: out of its sight
    assert api(fgw_clerk).post(f"/api/approvals/{eia.pk}/confirm/", {"version": eia.version},
                               format="json").status_code == 404


def test_waiving_an_item_needs_a_reason_and_says_so_explicitly(scheduled):
    cast = scheduled
    soil = item_of(cast.p_lianshan, "soil")
    client = api(cast.lianshan_clerk)
    url = f"/api/approvals/{soil.pk}/adjust/"
    unsaid = client.post(url, {"reason": "厂区内改造", "version": soil.version}, format="json")
    assert unsaid.status_code == 400 and "required" in unsaid.json()["errors"]  # no silent waiver
    reasonless = client.post(url, {"required": False, "reason": " ", "version": soil.version}, format="json")
    assert reasonless.status_code == 400 and "reason" in reasonless.json()["errors"]
    waived = client.post(url, {"required": False, "reason": "厂区内改造，不新增扰动地表", "version": soil.version},
                         format="json")
    assert waived.status_code == 200, waived.content
    assert waived.json()["required"] is False and waived.json()["state"] == "已免办"
    assert waived.json()["planned_on"] is None


# --- a project's schedule ----------------------------------------------------------------------

def test_a_project_is_scheduled_and_rescheduled_with_its_version(cast):
    services.install_catalogue(cast.admin, cast.city)
    client = api(cast.lianshan_clerk)
    url = f"/api/projects/{cast.p_lianshan.pk}/approvals/"
    before = client.get(url).json()
    assert before["schedule"] is None and before["approvals"] == []
    assert before["project"]["id"] == cast.p_lianshan.pk
    missing = client.post(url + "schedule/", {"path": "filing"}, format="json")
    assert missing.status_code == 400 and "target_start" in missing.json()["errors"]
    first = client.post(url + "schedule/", {"target_start": "2022-06-01", "helper": cast.lianshan_fgj.pk},
                        format="json")
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["schedule"]["path"] == "filing" and body["schedule"]["target_start"] == "2022-06-01"
    assert body["schedule"]["helper_name"] == cast.lianshan_fgj.name and body["schedule"]["version"] == 1
    permit = next(row for row in body["approvals"] if row["item"]["code"] == "permit")
    assert permit["planned_on"] == "2022-05-31" and permit["critical"]
    assert client.get(url).json() == body
    # A reschedule moves planned dates: it must give the version the user read.
    assert client.post(url + "schedule/", {"target_start": "2022-09-01"}, format="json").status_code == 400
    stale = client.post(url + "schedule/", {"target_start": "2022-09-01", "version": 7}, format="json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 1
    moved = client.post(url + "schedule/", {"target_start": "2022-09-01", "version": 1}, format="json").json()
    assert moved["schedule"]["version"] == 2
    assert next(r for r in moved["approvals"] if r["item"]["code"] == "permit")["planned_on"] == "2022-08-31"
    bad_path = client.post(url + "schedule/", {"target_start": "2022-09-01", "path": "x", "version": 2},
                           format="json")
    assert bad_path.status_code == 400 and "path" in bad_path.json()["errors"]


def test_only_who_may_change_the_project_schedules_it(cast):
    services.install_catalogue(cast.admin, cast.city)
    payload = {"target_start": "2022-06-01"}
    assert api(cast.viewer).post(f"/api/projects/{cast.p_lianshan.pk}/approvals/schedule/", payload,
                                 format="json").status_code == 403
    assert api(cast.suizhong_clerk).post(f"/api/projects/{cast.p_lianshan.pk}/approvals/schedule/", payload,
                                         format="json").status_code == 404
    assert not ProjectApproval.objects.exists()


# --- the figures -----------------------------------------------------------------------------

def test_the_indicators_api_carries_the_approvals_rate_and_its_change(scheduled):
    cast = scheduled
    for approval in ProjectApproval.objects.filter(project=cast.p_lianshan).order_by("pk")[:4]:
        services.record(cast.admin, approval.pk, approval.version, {"obtained_on": date(2022, 4, 1)})
    body = api(cast.admin).get("/api/indicators/", {"year": 2022, "as_of": "2022-04-20", "by": "batch"}).json()
    found = figures.approvals(cast.admin, 2022, date(2022, 4, 20), cast.city)
    assert found["obtained"] == 4 and found["required"] > 4
    assert body["approvals"] == {"required": found["required"], "obtained": 4, "late": found["late"],
                                 "completion_rate": str(found["completion_rate"])}
    assert body["year_on_year"]["approvals_completion_rate"] is None  # no 2021 items
    # Last year's new project, all its items obtained by the same day of 2021: 100 %.
    old = cast.project("老项目", cast.lianshan, Decimal(900))
    AnnualPlan.objects.filter(project=old).update(year=2021)
    services.schedule_project(cast.admin, old.pk, date(2021, 6, 1))
    for approval in old.approvals.all():
        services.record(cast.admin, approval.pk, approval.version, {"obtained_on": date(2021, 4, 1)})
    again = api(cast.admin).get("/api/indicators/", {"year": 2022, "as_of": "2022-04-20", "by": "batch"}).json()
    change = str(Decimal(again["approvals"]["completion_rate"]) - Decimal(100))
    assert again["year_on_year"]["approvals_completion_rate"] == change  # in points, as stats --json
    mine = api(cast.suizhong_clerk).get("/api/indicators/", {"year": 2022, "as_of": "2022-04-20"}).json()
    assert mine["approvals"]["obtained"] == 0
    assert mine["approvals"]["required"] == cast.p_suizhong.approvals.filter(required=True).count()
    assert Decimal(body["approvals"]["completion_rate"]) == (Decimal(400) / found["required"]).quantize(
        Decimal("0.1"))


def test_the_list_reads_a_page_in_a_bounded_number_of_queries(scheduled, django_assert_max_num_queries):
    client = api(scheduled.admin)
    # the token, the totals (the regions kept apart, their data versions, the counts), the page
    # (its joins), savepoints
    with django_assert_max_num_queries(10):
        rows = results(client.get("/api/approvals/", {"page_size": 500}))
    assert len(rows) == ProjectApproval.objects.count() > 10


def test_dates_out_of_range_are_a_400_naming_the_field(scheduled):
    cast = scheduled
    permit = item_of(cast.p_lianshan, "permit")  # valid three months: counted only from a date accepted
    far = api(cast.lianshan_clerk).patch(f"/api/approvals/{permit.pk}/", {
        "obtained_on": "9999-12-31", "version": permit.version}, format="json")
    assert far.status_code == 400 and "obtained_on" in far.json()["errors"]
    schedule = cast.p_lianshan.approval_schedule
    for day in ("0001-01-03", "9999-12-31"):
        early = api(cast.lianshan_clerk).post(f"/api/projects/{cast.p_lianshan.pk}/approvals/schedule/", {
            "target_start": day, "version": schedule.version}, format="json")
        assert early.status_code == 400 and "target_start" in early.json()["errors"], day


# --- the document, through the API (multipart) ------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def upload(client, approval: ProjectApproval, content: bytes, name: str, version=None):
    payload = {"document": SimpleUploadedFile(name, content)}
    if version is not None:
        payload["version"] = version
    return client.post(f"/api/approvals/{approval.pk}/document/", payload, format="multipart")


def test_a_document_is_uploaded_as_multipart_with_its_version_and_downloaded_in_scope(scheduled, settings, tmp_path):
    cast = scheduled
    settings.MEDIA_ROOT = tmp_path
    filing = item_of(cast.p_suizhong, "filing")
    client = api(cast.suizhong_clerk)
    missing = upload(client, filing, PDF, "备案证明.pdf")
    assert missing.status_code == 400 and "version" in missing.json()["errors"]
    done = upload(client, filing, PDF, "备案证明.pdf", filing.version)
    assert done.status_code == 200, done.content
    assert done.json()["version"] == filing.version + 1 and done.json()["document_url"]
    filing.refresh_from_db()
    assert filing.document and filing.history.first().history_source == "api"
    assert filing.history.first().history_user == cast.suizhong_clerk
    stale = upload(client, filing, PNG, "现场.png", filing.version - 1)
    assert stale.status_code == 409
    got = client.get(f"/api/approvals/{filing.pk}/document/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF
    assert "filename*=UTF-8''" in got["Content-Disposition"] and got["Content-Disposition"].endswith(".pdf")
    again = upload(client, filing, PNG, "现场.png", filing.version)  # a picture replaces it
    assert again.status_code == 200 and ProjectApproval.objects.get(pk=filing.pk).document.name.endswith(".png")
    other = api(cast.lianshan_clerk)
    assert other.get(f"/api/approvals/{filing.pk}/document/").status_code == 404
    empty = item_of(cast.p_suizhong, "eia")
    assert client.get(f"/api/approvals/{empty.pk}/document/").status_code == 404


def test_a_page_named_pdf_a_file_too_big_and_another_county_are_refused(scheduled, settings, tmp_path):
    cast = scheduled
    settings.MEDIA_ROOT = tmp_path
    filing = item_of(cast.p_suizhong, "filing")
    client = api(cast.suizhong_clerk)
    page = upload(client, filing, b"<html><script>alert(1)</script></html>", "批复.pdf", filing.version)
    assert page.status_code == 400 and "PDF" in page.json()["errors"]["document"][0]
    big = upload(client, filing, PDF + b"0" * (20 * 1024 * 1024), "批复.pdf", filing.version)
    assert big.status_code == 400 and "20 MB" in big.json()["errors"]["document"][0]
    elsewhere = upload(api(cast.lianshan_clerk), filing, PDF, "批复.pdf", filing.version)
    assert elsewhere.status_code == 404
    as_json = api(cast.suizhong_clerk).post(f"/api/approvals/{filing.pk}/document/",
                                            {"version": filing.version}, format="json")
    assert as_json.status_code == 415
    filing.refresh_from_db()
    assert not filing.document and filing.version == item_of(cast.p_suizhong, "filing").version
    assert not list(tmp_path.rglob("*.pdf"))  # nothing left on disk either


def test_the_schema_declares_the_upload_as_multipart_with_a_binary_file(cast, client):
    client.force_login(cast.admin)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/approvals/{id}/document/"]
    body = operation["post"]["requestBody"]["content"]
    assert list(body) == ["multipart/form-data"]
    ref = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    fields = schema["components"]["schemas"][ref]
    assert fields["properties"]["document"]["format"] == "binary"
    assert set(fields["required"]) == {"document", "version"}
    assert "application/octet-stream" in operation["get"]["responses"]["200"]["content"]


def test_a_fill_that_changes_nothing_keeps_the_version_unless_the_issuer_confirms_by_it(scheduled, fgw_clerk):
    cast = scheduled
    filing = item_of(cast.p_lianshan, "filing")
    client, url = api(cast.lianshan_clerk), f"/api/approvals/{filing.pk}/"
    filled = client.patch(url, {"obtained_on": "2022-03-01", "number": "连发改备〔2022〕3号",
                                "version": filing.version}, format="json").json()
    history = filing.history.count()
    same = client.patch(url, {"obtained_on": "2022-03-01", "version": filled["version"]}, format="json")
    assert same.status_code == 200 and same.json()["version"] == filled["version"]
    assert filing.history.count() == history
    by_issuer = api(fgw_clerk).patch(url, {"number": "连发改备〔2022〕3号", "version": filled["version"]}, format="json")
    assert by_issuer.json()["version"] == filled["version"] + 1 and by_issuer.json()["confirmed_at"]  # its confirmation
    again = api(fgw_clerk).patch(url, {"note": "", "version": filled["version"] + 1}, format="json")
    assert again.json()["version"] == filled["version"] + 1

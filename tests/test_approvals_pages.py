"""The approvals pages as their users meet them: the catalogue, a project's backward schedule
(and its confirmed reschedule), an item filled by the county and confirmed by the department,
its document in scope, the list with its totals and export, bad input."""

from __future__ import annotations

import io
from datetime import date

import pytest
from conftest import make_user
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from python_calamine import CalamineWorkbook

from keyprojects.approvals import services
from keyprojects.approvals.models import ApprovalItem, ProjectApproval

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def catalogue(cast):
    return {item.code: item for item in services.install_catalogue(cast.admin, cast.city)}


def test_the_city_admin_sets_up_the_catalogue_and_a_clerk_cannot(cast, login):
    clerk = login(cast.lianshan_clerk)
    page = clerk.get(reverse("approvals:catalogue")).content.decode()
    assert "尚无前期手续目录" in page and "建立默认目录" not in page
    assert clerk.post(reverse("approvals:catalogue")).status_code == 403
    assert not ApprovalItem.objects.exists()
    admin = login(cast.admin)
    admin.post(reverse("approvals:catalogue"))
    assert ApprovalItem.objects.filter(region=cast.city).count() == 14
    assert "施工许可证" in admin.get(reverse("approvals:catalogue")).content.decode()


def test_a_wait_that_closes_a_circle_is_refused_on_the_form(cast, catalogue, login):
    client = login(cast.admin)
    filing = catalogue["filing"]
    response = client.post(reverse("approvals:catalogue_item", args=[filing.pk]), {
        "name": filing.name, "code": filing.code, "issuer_name": filing.issuer_name, "duration": 3,
        "depends_on": [catalogue["permit"].pk], "order": 20, "active": "on", "paths": ["filing"]})
    assert response.status_code == 200 and "循环" in response.content.decode()
    assert not ApprovalItem.objects.get(pk=filing.pk).depends_on.exists()


def test_a_county_schedules_a_project_then_confirms_a_reschedule_it_previewed(cast, catalogue, login):
    client = login(cast.lianshan_clerk)
    url = reverse("approvals:project", args=[cast.p_lianshan.pk])
    assert "尚未倒排" in client.get(url).content.decode()
    client.post(url, {"target_start": "2022-06-01", "path": "filing"})
    permit = ProjectApproval.objects.get(project=cast.p_lianshan, item__code="permit")
    assert permit.planned_on == date(2022, 5, 31)
    page = client.post(url, {"target_start": "2022-07-01", "path": "filing", "version": 1}).content.decode()
    assert "重新倒排预览" in page and "2022-06-30" in page
    permit.refresh_from_db()
    assert permit.planned_on == date(2022, 5, 31)  # a preview writes nothing
    client.post(url, {"target_start": "2022-07-01", "path": "filing", "version": 1, "confirm": "1"})
    permit.refresh_from_db()
    assert permit.planned_on == date(2022, 6, 30)
    assert login(cast.suizhong_clerk).get(url).status_code == 404


def test_the_county_fills_an_item_and_the_department_confirms_it_on_the_page(cast, catalogue, login):
    services.schedule_project(cast.admin, cast.p_suizhong.pk, date(2022, 6, 1))
    filing = ProjectApproval.objects.get(project=cast.p_suizhong, item__code="filing")
    url = reverse("approvals:item", args=[filing.pk])
    county = login(cast.suizhong_clerk)
    response = county.post(url, {"action": "record", "obtained_on": "2022-13-01", "version": filing.version})
    assert response.status_code == 200 and "obtained_on" in response.context["forms"]["record"].errors
    county.post(url, {"action": "record", "obtained_on": "2022-03-01", "number": "绥发改备〔2022〕3号",
                      "version": filing.version, "document": SimpleUploadedFile("备案.pdf", PDF)})
    filing.refresh_from_db()
    assert filing.obtained_on == date(2022, 3, 1) and filing.confirmed_at is None and filing.document
    assert county.get(reverse("approvals:document", args=[filing.pk])).status_code == 200
    assert login(cast.lianshan_clerk).get(reverse("approvals:document", args=[filing.pk])).status_code == 404
    department = make_user("fgw_clerk", "department_clerk", cast.fgw)
    client = login(department)
    assert "确认本单位已办结" in client.get(url).content.decode()
    client.post(url, {"action": "confirm", "version": filing.version})
    filing.refresh_from_db()
    assert filing.confirmed_by == department
    eia = ProjectApproval.objects.get(project=cast.p_suizhong, item__code="eia")
    assert client.get(reverse("approvals:item", args=[eia.pk])).status_code == 404  # not theirs to issue


def test_the_list_totals_its_rows_and_exports_them_with_the_late_ones_flagged(cast, catalogue, login):
    services.schedule_project(cast.admin, cast.p_lianshan.pk, date(2022, 6, 1))
    services.schedule_project(cast.admin, cast.p_suizhong.pk, date(2022, 9, 1))
    client = login(cast.admin)
    query = {"year": "2022", "as_of": "2022-05-20", "state": "late"}
    response = client.get(reverse("approvals:list"), query)
    late = ProjectApproval.objects.filter(required=True, planned_on__lt=date(2022, 5, 20)).count()
    assert late and response.context["totals"]["count"] == late == response.context["totals"]["late"]
    assert response.context["issuers"]  # who they wait on
    book = CalamineWorkbook.from_filelike(io.BytesIO(client.get(reverse("approvals:export"), query).content))
    rows = book.get_sheet_by_name("前期手续台账").to_python()
    assert len([r for r in rows[4:] if r[0]]) == late and all(r[8] == "逾期未办结" for r in rows[4:] if r[0])
    county = login(cast.lianshan_clerk).get(reverse("approvals:list"), query)
    assert {a.project for a, _s, _d in county.context["rows"]} <= {cast.p_lianshan}


def test_when_the_late_items_fill_the_first_page_it_lists_them_without_sorting_the_whole_list(
        cast, catalogue, login, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from keyprojects.approvals import views
    from keyprojects.approvals.filters import ordered
    from keyprojects.approvals.models import late_q

    services.schedule_project(cast.admin, cast.p_lianshan.pk, date(2022, 6, 1))
    services.schedule_project(cast.admin, cast.p_suizhong.pk, date(2022, 9, 1))
    day = date(2022, 5, 20)
    everything = list(ordered(ProjectApproval.objects.all(), day).values_list("pk", flat=True))
    late = ProjectApproval.objects.filter(late_q(day)).count()
    assert 3 <= late < len(everything) - 6
    client = login(cast.admin)

    def listed(**query) -> list[int]:
        return [a.pk for a, _s, _d in client.get(reverse("approvals:list"), {"as_of": day, **query}).context["rows"]]

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    with CaptureQueriesContext(connection) as queries:
        assert listed() == everything[:3]
    assert not [q for q in queries if "ORDER BY CASE" in q["sql"].upper()]  # the late items alone
    assert listed(page=2) == everything[3:6]  # later pages: the whole list's order
    monkeypatch.setattr(views, "PAGE_SIZE", late + 2)  # fewer late than a page: the list sorted late first
    with CaptureQueriesContext(connection) as queries:
        assert listed() == everything[:late + 2]
    assert [q for q in queries if "ORDER BY CASE" in q["sql"].upper()]


@pytest.mark.parametrize("query", [{"as_of": "9999-12-31"}, {"year": "0"}, {"year": "20220605"},
                                   {"as_of": "昨天"}, {"issuer": "x"}, {"state": "maybe"}])
def test_bad_filters_are_answered_not_a_server_error(cast, catalogue, login, query):
    client = login(cast.admin)
    assert client.get(reverse("approvals:list"), query).status_code == 200
    assert client.get(reverse("approvals:export"), query).status_code == 200


def test_a_confirmation_with_a_bad_or_stale_version_is_answered_on_the_page(cast, catalogue, login):
    services.schedule_project(cast.admin, cast.p_suizhong.pk, date(2022, 6, 1))
    filing = ProjectApproval.objects.get(project=cast.p_suizhong, item__code="filing")
    filing = services.record(cast.suizhong_clerk, filing.pk, filing.version, {"obtained_on": date(2022, 3, 1)})
    client = login(make_user("fgw_clerk", "department_clerk", cast.fgw))
    url = reverse("approvals:item", args=[filing.pk])
    assert client.post(url, {"action": "confirm", "version": "abc"}).status_code == 200
    stale = client.post(url, {"action": "confirm", "version": filing.version - 1})
    assert stale.status_code == 200 and stale.context["forms"]["confirm"].non_field_errors()
    filing.refresh_from_db()
    assert filing.confirmed_at is None

"""One report per project and period, and no change of state without the version read
(issue 23, finding 2): 20 parallel ``POST /api/reports/`` gave two 201s, the second
overwriting the first; a report submitted without a version skipped the check."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from conftest import api
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.urls import reverse

from keyprojects.core.audit import Source, audit_context
from keyprojects.reporting import services as reporting_services
from keyprojects.reporting.models import ProgressReport

FIGURES = {"completed_month": "1000", "completed_ytd": "1000", "completed_since_start": "1000",
           "started": True, "started_on": "2022-04-10", "progress": "主体结构施工"}
CREATED = ProgressReport.CARRIED_OVER + 1  # a report created with its filer's figures


def may_period(cast):
    return reporting_services.create_period(cast.admin, cast.city, 2022, 5, date(2022, 5, 20), date(2022, 5, 25))


@pytest.mark.django_db
def test_the_database_refuses_a_second_report_for_a_project_and_period(cast):
    period = may_period(cast)
    amounts = {"completed_month": 0, "completed_ytd": 0, "completed_since_start": 0}
    with audit_context(Source.SYSTEM, detail="test"):
        ProgressReport.objects.create(project=cast.p_lianshan, period=period, **amounts)
        with pytest.raises(IntegrityError), transaction.atomic():
            ProgressReport.objects.create(project=cast.p_lianshan, period=period, **amounts)
    assert ProgressReport.objects.filter(project=cast.p_lianshan, period=period).count() == 1


@pytest.mark.django_db
def test_a_second_create_is_a_409_and_changes_nothing(cast):
    period = may_period(cast)
    clerk = api(cast.lianshan_clerk)
    first = clerk.post("/api/reports/", {"project": cast.p_lianshan.pk, "period": period.pk, **FIGURES}, format="json")
    assert first.status_code == 201
    second = clerk.post("/api/reports/", {"project": cast.p_lianshan.pk, "period": period.pk, **FIGURES,
                                          "completed_month": "5", "progress": "覆盖"}, format="json")
    assert second.status_code == 409 and second.json()["code"] == "edit_conflict"
    assert "已存在" in second.json()["message"] and second.json()["current_version"] == first.json()["version"]
    report = ProgressReport.objects.get(project=cast.p_lianshan, period=period)
    assert (report.completed_month, report.progress, report.version) == (Decimal("1000"), "主体结构施工", CREATED)


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["submit", "approve", "return"])
def test_every_change_of_state_through_the_api_needs_the_version(cast, action):
    period = may_period(cast)
    report = reporting_services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, period.pk, {
        "completed_month": Decimal("1000"), "completed_ytd": Decimal("1000"), "completed_since_start": Decimal("1000"),
        "started": True, "started_on": date(2022, 4, 10), "progress": "主体施工"}, submit=action != "submit")
    who = cast.lianshan_clerk if action == "submit" else cast.admin
    response = api(who).post(f"/api/reports/{report.pk}/{action}/", {"return_reason": "请补充照片"}, format="json")
    assert response.status_code == 400 and "version" in response.json()["errors"]
    report.refresh_from_db()
    assert report.version == CREATED and report.status == ("draft" if action == "submit" else "submitted")
    done = api(who).post(f"/api/reports/{report.pk}/{action}/", {"return_reason": "请补充照片",
                                                                  "version": report.version}, format="json")
    assert done.status_code == 200 and done.json()["version"] == report.version + 1


@pytest.mark.django_db
@pytest.mark.parametrize("route", ["reporting:submit", "reporting:approve", "reporting:return", "reporting:save"])
def test_every_change_of_state_on_the_pages_needs_the_version(cast, client, route):
    period = may_period(cast)
    report = reporting_services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, period.pk, {
        "completed_month": Decimal("1000"), "completed_ytd": Decimal("1000"), "completed_since_start": Decimal("1000"),
        "started": True, "started_on": date(2022, 4, 10), "progress": "主体施工"},
        submit=route in ("reporting:approve", "reporting:return"))
    client.force_login(cast.lianshan_clerk if route in ("reporting:submit", "reporting:save") else cast.admin)
    response = client.post(reverse(route, args=[report.pk]), {"return_reason": "请补充照片", **FIGURES})
    assert response.status_code == 400 and "版本号" in response.content.decode()
    report.refresh_from_db()
    assert report.version == CREATED


@pytest.mark.django_db
def test_the_filing_screen_needs_every_rows_version(cast, client):
    period = may_period(cast)
    report = reporting_services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, period.pk, {
        "completed_month": Decimal("1000"), "completed_ytd": Decimal("1000"), "completed_since_start": Decimal("1000"),
        "started": True, "started_on": date(2022, 4, 10), "progress": "主体施工"})
    client.force_login(cast.lianshan_clerk)
    row = {f"r{report.pk}-{key}": value for key, value in FIGURES.items()}
    response = client.post(reverse("reporting:fill", args=[period.pk]), {**row, "completed_month": "5"})
    assert response.status_code == 400 and "版本号" in response.content.decode()
    report.refresh_from_db()
    assert report.version == CREATED


@pytest.mark.usefixtures("committed_db")
def test_twenty_parallel_creates_give_one_201_and_nineteen_409s(cast):
    """Real threads, each with its own connection, on PostgreSQL (where requests run in parallel;
    SQLite's IMMEDIATE transactions run them one at a time)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…)")
    period = may_period(cast)
    clients = [api(cast.lianshan_clerk) for _ in range(20)]
    start, answers = threading.Barrier(20), []

    def create(i: int) -> None:
        try:
            start.wait()
            body = {"project": cast.p_lianshan.pk, "period": period.pk, **FIGURES, "progress": f"第{i}个请求"}
            answers.append(clients[i].post("/api/reports/", body, format="json"))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] + [409] * 19, codes
    [winner] = [a for a in answers if a.status_code == 201]
    report = ProgressReport.objects.get(project=cast.p_lianshan, period=period)
    assert report.progress == winner.json()["progress"] and report.version == CREATED
    assert report.history.count() == 1

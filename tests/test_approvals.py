"""Approvals (前期手续): the backward schedule in working days, the catalogue, a project's items
and who fills and confirms them, and 前期手续审批完成率 with its drill-down and change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from conftest import make_user
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from keyprojects.approvals import services
from keyprojects.approvals.backward import Node, schedule
from keyprojects.approvals.models import ApprovalItem, ApprovalSchedule, Path, ProjectApproval
from keyprojects.core.permissions import SYSTEM
from keyprojects.indicators import figures
from keyprojects.projects.models import AnnualPlan, Nature, Project

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_the_schedule_runs_back_through_serial_and_parallel_items_over_a_holiday():
    # A (3 days) then B (2); C (4) beside them; D (1) waits for B and C. Start: Thursday
    # 2025-10-09, right after the National Day holiday (1–8 October); Sunday 28 September is
    # worked in its place (调休).
    items = {1: Node(3, frozenset()), 2: Node(2, frozenset({1})), 3: Node(4, frozenset()), 4: Node(1, frozenset({2, 3}))}
    slots = schedule(items, {1, 2, 3, 4}, date(2025, 10, 9))
    assert slots[4].due == date(2025, 9, 30)  # the last working day before the holiday
    assert slots[4].starts == date(2025, 9, 30)
    assert (slots[2].starts, slots[2].due) == (date(2025, 9, 28), date(2025, 9, 29))  # the worked Sunday counts
    assert slots[3].due == date(2025, 9, 29) and slots[3].starts == date(2025, 9, 25)
    assert (slots[1].starts, slots[1].due) == (date(2025, 9, 24), date(2025, 9, 26))
    assert {k for k, s in slots.items() if s.critical} == {1, 2, 4}  # 6 days against C's 5


def test_an_item_not_needed_passes_its_wait_through():
    items = {1: Node(1, frozenset({2})), 2: Node(5, frozenset({3})), 3: Node(2, frozenset())}
    slots = schedule(items, {1, 3}, date(2024, 3, 4))  # a Monday
    assert slots[1].due == date(2024, 3, 1)
    assert slots[3].due == date(2024, 2, 29)  # right before item 1's one day, not item 2's five


def test_a_cycle_in_the_catalogue_is_a_clear_error():
    with pytest.raises(ValidationError, match="循环"):
        schedule({1: Node(1, frozenset({2})), 2: Node(1, frozenset({1}))}, {1, 2}, date(2024, 3, 4))


@pytest.fixture
def catalogue(cast):
    return {item.code: item for item in services.install_catalogue(cast.admin, cast.city)}


def test_the_default_catalogue_finds_the_city_s_departments(cast, catalogue):
    assert catalogue["feasibility"].issuer == cast.fgw
    assert catalogue["permit"].issuer is None  # the cast has no 住建局
    assert set(catalogue["permit"].depends_on.values_list("code", flat=True)) == {"drawings", "eia", "energy", "soil"}
    with pytest.raises(ValidationError, match="已有前期手续目录"):
        services.install_catalogue(cast.admin, cast.city)
    with pytest.raises(PermissionDenied):
        services.install_catalogue(cast.lianshan_clerk, cast.lianshan)


def test_a_project_gets_the_items_of_its_path_scheduled_back_from_its_start(cast, catalogue):
    project = cast.p_lianshan  # enterprise investment: filed (备案制), 5.2 亿元, an industry project
    services.schedule_project(cast.lianshan_clerk, project.pk, date(2022, 6, 1))
    codes = set(project.approvals.values_list("item__code", flat=True))
    assert "filing" in codes and "proposal" not in codes and "feasibility" not in codes and "energy" in codes
    permit = project.approvals.get(item__code="permit")
    assert permit.planned_on == date(2022, 5, 31) and permit.critical
    assert project.approval_schedule.path == Path.FILING
    land = project.approvals.get(item__code="land_planning")
    filing = project.approvals.get(item__code="filing")
    assert filing.planned_on < land.planned_from  # 项目备案 first, then the planning permit


def test_a_catalogue_change_moves_no_planned_date_until_the_user_reschedules(cast, catalogue):
    project = cast.p_lianshan
    services.schedule_project(cast.lianshan_clerk, project.pk, date(2022, 6, 1))
    before = dict(project.approvals.values_list("item__code", "planned_on"))
    item = catalogue["drawings"]
    item.duration = 40
    item.save()
    assert dict(project.approvals.values_list("item__code", "planned_on")) == before
    schedule_row = project.approval_schedule
    assert services.catalogue_changed(schedule_row)
    preview = services.plan(project, schedule_row.target_start, schedule_row.path)
    assert {p.item.code for p in preview if p.moves} >= {"works_planning", "filing"}
    services.schedule_project(cast.lianshan_clerk, project.pk, date(2022, 6, 1), expected_version=schedule_row.version)
    assert project.approvals.get(item__code="filing").planned_on < before["filing"]
    assert not services.catalogue_changed(ApprovalSchedule.objects.get(project=project))


def test_waiving_an_item_needs_a_reason_and_it_survives_rescheduling(cast, catalogue):
    project = cast.p_lianshan
    services.schedule_project(cast.lianshan_clerk, project.pk, date(2022, 6, 1))
    soil = project.approvals.get(item__code="soil")
    with pytest.raises(ValidationError) as refused:
        services.adjust(cast.lianshan_clerk, soil.pk, soil.version, False, " ")
    assert "reason" in refused.value.message_dict
    services.adjust(cast.lianshan_clerk, soil.pk, soil.version, False, "厂区内改造，不新增扰动地表")
    services.schedule_project(cast.lianshan_clerk, project.pk, date(2022, 7, 1))
    soil.refresh_from_db()
    assert not soil.required and soil.planned_on is None


def test_the_county_fills_an_item_and_the_issuing_department_confirms_it(cast, catalogue):
    project = cast.p_suizhong  # the fgw issues its filing
    services.schedule_project(cast.suizhong_clerk, project.pk, date(2022, 6, 1))
    filing = project.approvals.get(item__code="filing")
    document = SimpleUploadedFile("备案证明.pdf", PDF, content_type="application/pdf")
    filing = services.record(cast.suizhong_clerk, filing.pk, filing.version,
                             {"obtained_on": date(2022, 3, 1), "number": "绥发改备〔2022〕12号", "document": document})
    assert filing.confirmed_at is None
    with pytest.raises(PermissionDenied):
        services.confirm(cast.suizhong_clerk, filing.pk, filing.version)
    fgw_clerk = make_user("fgw_clerk", "department_clerk", cast.fgw)
    filing = services.confirm(fgw_clerk, filing.pk, filing.version)
    assert filing.confirmed_by == fgw_clerk
    # The department reaches the items it issues, not the project's others.
    seen = ProjectApproval.objects.visible_to(fgw_clerk)
    assert filing in seen and not seen.filter(item__code="eia").exists()
    assert not ProjectApproval.objects.visible_to(cast.lianshan_clerk).filter(project=project).exists()


def test_a_document_is_checked_by_its_content(cast, catalogue):
    services.schedule_project(cast.suizhong_clerk, cast.p_suizhong.pk, date(2022, 6, 1))
    filing = cast.p_suizhong.approvals.get(item__code="filing")
    fake = SimpleUploadedFile("批复.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")
    with pytest.raises(ValidationError) as refused:
        services.record(cast.suizhong_clerk, filing.pk, filing.version, {"obtained_on": date(2022, 3, 1), "document": fake})
    assert "document" in refused.value.message_dict


def test_a_construction_permit_lapses_three_months_after_it_is_obtained(cast, catalogue):
    services.schedule_project(cast.suizhong_clerk, cast.p_suizhong.pk, date(2022, 6, 1))
    permit = cast.p_suizhong.approvals.get(item__code="permit")
    permit = services.record(cast.suizhong_clerk, permit.pk, permit.version, {"obtained_on": date(2022, 5, 31)})
    assert permit.valid_until == date(2022, 8, 31)


def test_the_completion_rate_counts_the_year_s_new_projects_and_drills_down_by_county(cast, catalogue):
    for project in (cast.p_lianshan, cast.p_suizhong):
        services.schedule_project(cast.admin, project.pk, date(2022, 6, 1))
    required = ProjectApproval.objects.filter(project__region__path__startswith=cast.city.path, required=True)
    total = required.count()
    firsts = list(required.order_by("pk")[:5])
    for approval in firsts:
        services.record(cast.admin, approval.pk, approval.version, {"obtained_on": date(2022, 4, 1)})
    late = required.filter(planned_on__lt=date(2022, 4, 20), obtained_on__isnull=True).count()
    found = figures.approvals(cast.admin, 2022, date(2022, 4, 20), cast.city)
    assert (found["required"], found["obtained"], found["late"]) == (total, 5, late)
    assert found["completion_rate"] == (Decimal(500) / total).quantize(Decimal("0.1"))
    assert sum(row["required"] for row in found["by_region"]) == total
    assert figures.approvals(cast.admin, 2022, date(2022, 3, 31), cast.city)["obtained"] == 0
    # A continuing project's items are not this year's work.
    AnnualPlan.objects.filter(project=cast.p_suizhong).update(nature=Nature.CONTINUING)
    assert figures.approvals(cast.admin, 2022, date(2022, 4, 20), cast.city)["required"] < total
    # A county clerk counts their county only; another city's admin cannot ask for this one.
    mine = figures.approvals(cast.lianshan_clerk, 2022, date(2022, 4, 20), cast.lianshan)
    assert mine["required"] == cast.p_lianshan.approvals.filter(required=True).count()
    with pytest.raises(Http404):
        figures.approvals(cast.outsider, 2022, date(2022, 4, 20), cast.city)


def test_the_change_is_against_last_year_s_new_projects_on_the_same_day(cast, catalogue):
    old = Project.objects.create(name="老项目", region=cast.lianshan, total_investment=Decimal(900), sector=cast.sector)
    AnnualPlan.objects.create(project=old, year=2021, nature=Nature.NEW, planned_investment=Decimal(900))
    services.schedule_project(cast.admin, old.pk, date(2021, 6, 1))
    services.schedule_project(cast.admin, cast.p_lianshan.pk, date(2022, 6, 1))
    for approval in old.approvals.all():
        services.record(cast.admin, approval.pk, approval.version, {"obtained_on": date(2021, 4, 1)})
    found = figures.approvals(SYSTEM, 2022, date(2022, 4, 20), cast.city)
    assert found["previous"]["completion_rate"] == Decimal("100.0")
    assert found["change"] == found["completion_rate"] - Decimal(100)


def test_an_item_needs_the_catalogue_of_its_city(cast):
    with pytest.raises(ValidationError, match="尚无前期手续目录"):
        services.schedule_project(cast.admin, cast.p_lianshan.pk, date(2022, 6, 1))
    assert not ApprovalItem.objects.exists()


def test_a_validity_in_months_ends_on_the_month_s_last_day_when_it_has_no_such_day():
    from keyprojects.core.workdays import add_months

    assert add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)
    assert add_months(date(2022, 5, 31), 3) == date(2022, 8, 31)
    assert add_months(date(2022, 12, 15), 60) == date(2027, 12, 15)


def test_a_county_unit_named_issuer_still_sees_what_it_issues_in_another_county(cast, catalogue):
    for project in (cast.p_lianshan, cast.p_suizhong):
        services.schedule_project(cast.admin, project.pk, date(2022, 6, 1))
    mine = set(ProjectApproval.objects.visible_to(cast.lianshan_clerk).values_list("pk", flat=True))
    assert mine == set(cast.p_lianshan.approvals.values_list("pk", flat=True))  # its county's, by region alone
    filing = catalogue["filing"]
    filing.issuer = cast.lianshan_fgj
    services.save_catalogue_item(cast.admin, filing, filing.depends_on.all())
    ProjectApproval.objects.filter(project=cast.p_suizhong).delete()
    services.schedule_project(cast.admin, cast.p_suizhong.pk, date(2022, 6, 1))
    issued = cast.p_suizhong.approvals.get(item=filing)
    seen = set(ProjectApproval.objects.visible_to(cast.lianshan_clerk).values_list("pk", flat=True))
    assert seen == mine | {issued.pk}
    # naming another unit since does not hide what it issued before
    filing.issuer = cast.fgw
    services.save_catalogue_item(cast.admin, filing, filing.depends_on.all())
    assert issued.pk in set(ProjectApproval.objects.visible_to(cast.lianshan_clerk).values_list("pk", flat=True))

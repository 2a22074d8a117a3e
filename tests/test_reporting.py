"""The monthly reporting loop, end to end for each role, refusals included."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from keyprojects.core.audit import Source, audit_context
from keyprojects.core.permissions import restrict
from keyprojects.indicators.engine import plan_stats, plans_in
from keyprojects.projects.models import AnnualPlan, Nature, Project
from keyprojects.projects.services import EditConflict
from keyprojects.reporting import services
from keyprojects.reporting.checks import BLOCKER, WARNING, check_report
from keyprojects.reporting.models import ProgressReport, ReportingPeriod

pytestmark = pytest.mark.django_db
Status = ProgressReport.Status


@pytest.fixture
def period(cast):
    today = timezone.localdate()
    return services.create_period(cast.admin, cast.city, 2022, 5, today - timedelta(days=2), today + timedelta(days=3))


def fill_post(report, **values):
    data = {"completed_month": "1000", "completed_ytd": "1000", "completed_since_start": "1000",
            "progress": "主体结构施工", "started": "on", "started_on": "2022-04-10", "problems": "", "next_steps": "",
            "version": report.version}
    data.update(values)
    return {f"r{report.pk}-{k}": v for k, v in data.items() if v is not None}


def test_county_clerk_prefills_only_own_projects(cast, period):
    created = services.prefill_period(cast.lianshan_clerk, period.pk)
    assert created == 1
    report = ProgressReport.objects.get()
    assert report.project == cast.p_lianshan and report.status == Status.DRAFT


def test_prefill_carries_last_months_cumulative_figures(cast, period):
    april = services.create_period(cast.admin, cast.city, 2022, 4, date(2022, 4, 20), date(2022, 4, 25))
    services.prefill_period(cast.lianshan_clerk, april.pk)
    services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, april.pk, {
        "completed_month": Decimal("800"), "completed_ytd": Decimal("2300"), "completed_since_start": Decimal("2300"),
        "started": True, "started_on": date(2022, 3, 1), "progress": "基础施工"})
    services.prefill_period(cast.lianshan_clerk, period.pk)
    may = ProgressReport.objects.get(period=period)
    assert (may.completed_month, may.completed_ytd, may.completed_since_start) == (0, Decimal("2300"), Decimal("2300"))
    assert may.progress == "基础施工" and may.started_on == date(2022, 3, 1)


def test_file_submit_return_resubmit_approve(cast, period, client):
    services.prefill_period(cast.lianshan_clerk, period.pk)
    report = ProgressReport.objects.get()
    client.force_login(cast.lianshan_clerk)
    response = client.post(reverse("reporting:fill", args=[period.pk]), {**fill_post(report), "submit": "1"})
    assert response.status_code == 302
    version = report.version
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED and report.submitted_by == cast.lianshan_clerk and not report.late
    # the figures and the submission are one write: one version, one history row after the prefill's
    assert report.version == version + 1
    assert list(report.history.order_by("history_date").values_list("status", "progress")) == [
        ("draft", ""), ("submitted", "主体结构施工")]

    client.force_login(cast.admin)
    client.post(reverse("reporting:return", args=[report.pk]), {"return_reason": "形象进度过简", "version": report.version})
    report.refresh_from_db()
    assert report.status == Status.RETURNED and report.return_reason == "形象进度过简"

    client.force_login(cast.lianshan_clerk)
    client.post(reverse("reporting:fill", args=[period.pk]),
                {**fill_post(report, progress="主体结构完成60%，设备基础施工"), "submit": "1"})
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED

    client.force_login(cast.admin)
    client.post(reverse("reporting:approve", args=[report.pk]), {"version": report.version})
    report.refresh_from_db()
    assert report.status == Status.APPROVED and report.reviewed_by == cast.admin
    plan = AnnualPlan.objects.get(project=cast.p_lianshan, year=2022)
    assert plan.started and plan.started_on == date(2022, 4, 10)  # the approved start became the plan's record
    statuses = list(report.history.order_by("history_date").values_list("status", flat=True))
    steps = [s for i, s in enumerate(statuses) if i == 0 or s != statuses[i - 1]]
    assert steps == ["draft", "submitted", "returned", "submitted", "approved"]


def test_report_filed_after_the_window_is_late_but_stays_in_its_period(cast):
    period = services.create_period(cast.admin, cast.city, 2022, 5, date(2022, 5, 20), date(2022, 5, 25))
    services.prefill_period(cast.lianshan_clerk, period.pk)
    report = services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, period.pk, {
        "completed_month": Decimal("100"), "completed_ytd": Decimal("100"), "completed_since_start": Decimal("100"),
        "started": True, "started_on": date(2022, 5, 2)})
    report = services.submit_report(cast.lianshan_clerk, report.pk)
    assert report.late and report.period == period


def test_fill_screen_is_all_or_nothing(cast, period, client):
    second = Project.objects.create(name="连山区钢屯镇老旧小区改造工程", region=cast.lianshan, total_investment=Decimal("8000"))
    AnnualPlan.objects.create(project=second, year=2022, nature=Nature.NEW, planned_investment=Decimal("3000"))
    services.prefill_period(cast.lianshan_clerk, period.pk)
    good, bad = ProgressReport.objects.get(project=cast.p_lianshan), ProgressReport.objects.get(project=second)
    client.force_login(cast.lianshan_clerk)
    response = client.post(reverse("reporting:fill", args=[period.pk]), {
        **fill_post(good), **fill_post(bad, completed_month="9000", completed_ytd="9000", completed_since_start="9000"),
        "submit": "1"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "大于项目总投资" in page and "全部未保存" in page
    for report in (good, bad):
        report.refresh_from_db()
        assert report.status == Status.DRAFT and report.completed_month == 0


def test_submitting_into_a_locked_period_is_refused(cast, period):
    services.prefill_period(cast.lianshan_clerk, period.pk)
    report = ProgressReport.objects.get()
    services.set_period_state(cast.admin, period.pk, ReportingPeriod.State.LOCKED)
    with pytest.raises(ValidationError, match="已锁定"):
        services.submit_report(cast.lianshan_clerk, report.pk)
    with pytest.raises(ValidationError, match="已锁定"):
        services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, period.pk, {"completed_month": Decimal("1")})
    report.refresh_from_db()
    assert report.status == Status.DRAFT and report.completed_month == 0


def test_nobody_approves_their_own_report(cast, period):
    services.prefill_period(cast.admin, period.pk)
    report = ProgressReport.objects.get(project=cast.p_lianshan)
    services.save_draft(cast.admin, cast.p_lianshan.pk, period.pk, {
        "started": True, "started_on": date(2022, 4, 1), "completed_month": Decimal("5"),
        "completed_ytd": Decimal("5"), "completed_since_start": Decimal("5")})
    services.submit_report(cast.admin, report.pk)
    with pytest.raises(PermissionDenied):
        services.approve_report(cast.admin, report.pk)
    assert ProgressReport.objects.get(pk=report.pk).status == Status.SUBMITTED


@pytest.mark.parametrize("who", ["leader_user", "viewer", "lianshan_clerk", "dept_clerk", "outsider"])
def test_only_the_citys_admins_review(cast, period, who):
    services.prefill_period(cast.lianshan_clerk, period.pk)
    report = ProgressReport.objects.get()
    services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, period.pk, {
        "started": True, "started_on": date(2022, 4, 1)})
    services.submit_report(cast.lianshan_clerk, report.pk)
    with pytest.raises((PermissionDenied, Exception)):
        services.approve_report(getattr(cast, who), report.pk)
    assert ProgressReport.objects.get(pk=report.pk).status == Status.SUBMITTED


def test_filing_for_a_project_outside_scope_is_refused(cast, period, client):
    services.prefill_period(cast.suizhong_clerk, period.pk)
    report = ProgressReport.objects.get(project=cast.p_suizhong)
    client.force_login(cast.lianshan_clerk)
    assert client.get(reverse("reporting:report", args=[report.pk])).status_code == 404
    assert client.post(reverse("reporting:submit", args=[report.pk])).status_code == 404
    with pytest.raises(Exception):  # noqa: B017 - Http404 from the chokepoint
        services.save_draft(cast.lianshan_clerk, cast.p_suizhong.pk, period.pk, {"completed_month": Decimal("1")})
    assert ProgressReport.objects.get(pk=report.pk).status == Status.DRAFT


def test_two_reviewers_at_once_one_wins_the_other_is_told(cast, period):
    second_admin = type(cast.admin).objects.create_user("admin2", role="city_admin", unit=cast.fgw)
    services.prefill_period(cast.lianshan_clerk, period.pk)
    report = ProgressReport.objects.get()
    services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, period.pk, {
        "started": True, "started_on": date(2022, 4, 1)})
    report = services.submit_report(cast.lianshan_clerk, report.pk)
    seen_version = report.version  # both reviewers opened the same version
    services.approve_report(cast.admin, report.pk, seen_version)
    with pytest.raises(ValidationError, match="已审核"):
        services.return_report(second_admin, report.pk, "数据有误", seen_version)
    report.refresh_from_db()
    assert report.status == Status.APPROVED and report.reviewed_by == cast.admin and report.return_reason == ""


def test_stale_draft_save_is_a_conflict(cast, period):
    services.prefill_period(cast.lianshan_clerk, period.pk)
    report = ProgressReport.objects.get()
    services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, period.pk, {"progress": "A"}, report.version)
    with pytest.raises(EditConflict):
        services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, period.pk, {"progress": "B"}, report.version)
    assert ProgressReport.objects.get().progress == "A"


def test_correction_after_lock_needs_a_reason_and_is_audited(cast, period):
    services.prefill_period(cast.lianshan_clerk, period.pk)
    report = services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, period.pk, {
        "started": True, "started_on": date(2022, 4, 1), "completed_month": Decimal("500"),
        "completed_ytd": Decimal("500"), "completed_since_start": Decimal("500")})
    services.submit_report(cast.lianshan_clerk, report.pk)
    services.approve_report(cast.admin, report.pk)
    services.set_period_state(cast.admin, period.pk, ReportingPeriod.State.LOCKED)
    with pytest.raises(ValidationError):
        services.correct_report(cast.admin, report.pk, {"completed_month": Decimal("50")}, reason="")
    with pytest.raises(PermissionDenied):
        services.correct_report(cast.lianshan_clerk, report.pk, {"completed_month": Decimal("50")}, reason="单位填错")
    services.correct_report(cast.admin, report.pk, {
        "completed_month": Decimal("50"), "completed_ytd": Decimal("50"), "completed_since_start": Decimal("50")},
        reason="县区误按元填报，应为万元")
    record = ProgressReport.history.filter(id=report.pk).first()
    assert record.completed_month == Decimal("50") and "县区误按元填报" in record.history_change_reason
    assert record.prev_record.completed_month == Decimal("500")
    assert record.history_user == cast.admin


def test_completed_investment_uses_the_latest_report_approved_by_the_date(cast, period):
    april = services.create_period(cast.admin, cast.city, 2022, 4, date(2022, 4, 20), date(2022, 4, 25))
    for p, ytd in ((april, "1000"), (period, "2500")):
        services.prefill_period(cast.lianshan_clerk, p.pk)
        report = services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, p.pk, {
            "started": True, "started_on": date(2022, 3, 1), "completed_month": Decimal(ytd),
            "completed_ytd": Decimal(ytd), "completed_since_start": Decimal(ytd)})
        services.submit_report(cast.lianshan_clerk, report.pk)
        services.approve_report(cast.admin, report.pk)
    reports = ProgressReport.objects.order_by("period__month")
    # Pretend April was approved on 2022-05-05 and May on 2022-06-06.
    for report, when in zip(reports, [datetime(2022, 5, 5, 10), datetime(2022, 6, 6, 10)], strict=True):
        report.reviewed_at = timezone.make_aware(when)
        report.save()
    plans = plans_in(2022, cast.city)
    assert plan_stats(plans, date(2022, 5, 31))["completed_investment"] == Decimal("1000")
    assert plan_stats(plans, date(2022, 6, 6))["completed_investment"] == Decimal("2500")
    stats = plan_stats(plans, date(2022, 6, 6))
    # plans: 连山 13000 + 绥中 20000 = 33000 planned; 2500 / 33000 = 7.6 %
    assert stats["rates"]["completion_rate"] == Decimal("7.6")


def _report(cast, period, **values):
    report = ProgressReport(project=cast.p_lianshan, period=period, completed_month=Decimal("0"),
                            completed_ytd=Decimal("0"), completed_since_start=Decimal("0"))
    for key, value in values.items():
        setattr(report, key, Decimal(value) if key.startswith("completed") else value)
    return report


@pytest.mark.parametrize(
    ("values", "previous", "level", "field"),
    [
        ({"completed_month": "60000", "completed_ytd": "60000", "completed_since_start": "60000", "started": True,
          "started_on": date(2022, 3, 1)}, None, BLOCKER, "completed_month"),  # larger than the total: wrong unit
        ({"completed_month": "10", "completed_ytd": "14000", "completed_since_start": "14000", "started": True,
          "started_on": date(2022, 3, 1)}, None, BLOCKER, "completed_ytd"),  # above the annual plan (13000)
        ({"completed_month": "10", "completed_ytd": "10", "completed_since_start": "53000", "started": True,
          "started_on": date(2022, 3, 1)}, None, BLOCKER, "completed_since_start"),  # above total investment
        ({"completed_month": "10", "completed_ytd": "10", "completed_since_start": "10", "started": True},
         None, BLOCKER, "started_on"),  # started, no date
        ({"completed_month": "10", "completed_ytd": "10", "completed_since_start": "10"}, None, WARNING, "started"),
        ({"completed_month": "0", "completed_ytd": "500", "completed_since_start": "500", "started": True,
          "started_on": date(2022, 3, 1)}, ("100", "800", "800"), WARNING, "completed_ytd"),  # cumulative fell
        ({"completed_month": "1000", "completed_ytd": "1100", "completed_since_start": "1100", "started": True,
          "started_on": date(2022, 3, 1)}, ("100", "100", "100"), WARNING, "completed_month"),  # 10x jump
    ],
)
def test_anomaly_checks(cast, period, values, previous, level, field):
    report = _report(cast, period, **values)
    before = None
    if previous:
        april = ReportingPeriod(region=cast.city, year=2022, month=4, opens_on=date(2022, 4, 20), closes_on=date(2022, 4, 25))
        before = _report(cast, april, completed_month=previous[0], completed_ytd=previous[1],
                         completed_since_start=previous[2])
    plan = AnnualPlan.objects.get(project=cast.p_lianshan, year=2022)
    findings = check_report(report, before, plan)
    assert (level, field) in {(f.level, f.field) for f in findings}, findings


def test_a_plan_started_after_the_month_does_not_make_a_zero_month_a_question(cast, period):
    plan = AnnualPlan.objects.get(project=cast.p_lianshan, year=2022)
    plan.started, plan.started_on = True, date(2022, 10, 16)  # after May's report
    report = _report(cast, period)  # not started, nothing done
    assert check_report(report, None, plan) == []
    plan.started_on = date(2022, 5, 31)
    assert [(f.level, f.field) for f in check_report(report, None, plan)] == [("question", "completed_month")]


def test_clean_report_has_no_findings(cast, period):
    report = _report(cast, period, completed_month="100", completed_ytd="100", completed_since_start="100",
                     started=True, started_on=date(2022, 3, 1))
    assert check_report(report, None, AnnualPlan.objects.get(project=cast.p_lianshan, year=2022)) == []


def test_reporting_pages_render_for_each_role(cast, period, client, django_assert_max_num_queries):
    services.prefill_period(cast.admin, period.pk)
    report = ProgressReport.objects.get(project=cast.p_lianshan)
    for who in ("admin", "lianshan_clerk", "leader_user", "dept_clerk"):
        client.force_login(getattr(cast, who))
        assert client.get(reverse("reporting:periods")).status_code == 200
        assert client.get(reverse("reporting:fill", args=[period.pk])).status_code == 200
        assert client.get(reverse("reporting:report", args=[report.pk])).status_code == 200
    client.force_login(cast.admin)
    assert client.get(reverse("reporting:review", args=[period.pk])).status_code == 200
    client.force_login(cast.lianshan_clerk)
    assert client.get(reverse("reporting:review", args=[period.pk])).status_code == 403
    with django_assert_max_num_queries(25):
        client.get(reverse("reporting:fill", args=[period.pk]))


def test_filing_screen_queries_do_not_grow_with_projects(cast, period, client, django_assert_max_num_queries):
    for i in range(30):
        project = Project.objects.create(name=f"连山区测试项目{i}", region=cast.lianshan, total_investment=Decimal("9000"))
        AnnualPlan.objects.create(project=project, year=2022, nature=Nature.NEW, planned_investment=Decimal("100"))
    services.prefill_period(cast.lianshan_clerk, period.pk)
    client.force_login(cast.lianshan_clerk)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("reporting:fill", args=[period.pk]))
    assert len(response.context["rows"]) == 31
    client.force_login(cast.admin)
    with django_assert_max_num_queries(25):
        client.get(reverse("reporting:review", args=[period.pk]), {"status": "draft"})


def test_a_draft_in_the_wrong_unit_is_not_saved(cast, period):
    services.prefill_period(cast.lianshan_clerk, period.pk)
    report = ProgressReport.objects.get()
    with pytest.raises(ValidationError) as err:  # 600,000 万元 in a month on a 52,000 万元 project: yuan typed as 万元?
        services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, period.pk, {
            "completed_month": Decimal("600000"), "completed_ytd": Decimal("600000"),
            "completed_since_start": Decimal("600000"), "started": True, "started_on": date(2022, 3, 1)})
    assert "金额单位" in " ".join(err.value.messages)
    assert ProgressReport.objects.get(pk=report.pk).completed_month == 0


def test_filing_screen_pages_and_saves_the_rows_of_its_page(cast, period, client, monkeypatch):
    from keyprojects.reporting import views

    monkeypatch.setattr(views, "FILL_PAGE", 1)
    second_project = Project.objects.create(name="连山区钢屯镇老旧小区改造工程", region=cast.lianshan,
                                            total_investment=Decimal("8000"))
    AnnualPlan.objects.create(project=second_project, year=2022, nature=Nature.NEW, planned_investment=Decimal("3000"))
    services.prefill_period(cast.lianshan_clerk, period.pk)
    first, second = ProgressReport.objects.filter(period=period).order_by("project__region__code", "project__name")
    client.force_login(cast.lianshan_clerk)
    url = reverse("reporting:fill", args=[period.pk])
    page = client.get(url, {"page": 2})
    assert [r["report"].pk for r in page.context["rows"]] == [second.pk]
    assert page.context["counts"]["draft"] == 2 and "2 / 2" in page.content.decode()
    response = client.post(f"{url}?page=2", {**fill_post(second), "save": "1"})
    assert response.status_code == 302 and response["Location"].endswith("?page=2")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (second.completed_ytd, first.completed_ytd) == (Decimal("1000"), Decimal("0"))


def test_period_list_counts_filed_reports_apart_from_drafts(cast, period, client, django_assert_max_num_queries):
    for i in range(3):
        project = Project.objects.create(name=f"连山区测试项目{i}", region=cast.lianshan, total_investment=Decimal("9000"))
        AnnualPlan.objects.create(project=project, year=2022, nature=Nature.NEW, planned_investment=Decimal("100"))
    services.prefill_period(cast.admin, period.pk)
    # The counting is under test, not the workflow: one report in each state, two untouched drafts.
    _draft, submitted, approved, returned, _ = ProgressReport.objects.filter(period=period).order_by("pk")
    ProgressReport.objects.filter(pk=submitted.pk).update(status=Status.SUBMITTED, late=True)
    ProgressReport.objects.filter(pk=approved.pk).update(status=Status.APPROVED)
    ProgressReport.objects.filter(pk=returned.pk).update(status=Status.RETURNED)
    client.force_login(cast.admin)
    with django_assert_max_num_queries(10) as captured:
        response = client.get(reverse("reporting:periods"))
    assert len([q for q in captured.captured_queries if ProgressReport._meta.db_table in q["sql"]]) == 1
    [row] = response.context["periods"]
    # 应报 5 in all; 已报 2 (submitted or approved: not the drafts, nor the returned one); 待审 1; 已审 1; 逾期 1
    assert (row.n_reports, row.n_filed, row.n_submitted, row.n_approved, row.n_late) == (5, 2, 1, 1, 1)
    html = response.content.decode()
    assert "应报" in html and "已报" in html and "已填" not in html


def test_period_list_counts_only_the_reports_the_user_sees(cast, period, client):
    """A county clerk's 应报/已报 are the county's reports, not the whole city's."""
    project = Project.objects.create(name="连山区测试项目", region=cast.lianshan, total_investment=Decimal("9000"))
    AnnualPlan.objects.create(project=project, year=2022, nature=Nature.NEW, planned_investment=Decimal("100"))
    services.prefill_period(cast.admin, period.pk)
    ProgressReport.objects.filter(period=period, project__region=cast.suizhong).update(status=Status.SUBMITTED)
    counted = {}
    for user in (cast.admin, cast.lianshan_clerk, cast.suizhong_clerk):
        client.force_login(user)
        [row] = client.get(reverse("reporting:periods")).context["periods"]
        counted[user.username] = (row.n_reports, row.n_filed, row.n_submitted)
    seen = {user.username: restrict(ProgressReport.objects.filter(period=period), user).count()
            for user in (cast.admin, cast.lianshan_clerk, cast.suizhong_clerk)}
    suizhong = ProgressReport.objects.filter(period=period, project__region=cast.suizhong).count()
    assert suizhong and seen["lianshan"] >= 2 and seen["admin"] == seen["lianshan"] + suizhong
    assert counted == {"admin": (seen["admin"], suizhong, suizhong), "lianshan": (seen["lianshan"], 0, 0),
                       "suizhong": (suizhong, suizhong, suizhong)}


def test_filing_screen_inputs_are_labelled_with_column_and_project(cast, period, client):
    services.prefill_period(cast.lianshan_clerk, period.pk)
    client.force_login(cast.lianshan_clerk)
    html = client.get(reverse("reporting:fill", args=[period.pk])).content.decode()
    name = cast.p_lianshan.name
    assert f'aria-label="本月完成投资 — {name}"' in html
    inputs = re.findall(r"<(?:input|textarea)\b[^>]*\bname=\"r\d+-[^>]*>", html)
    visible = [tag for tag in inputs if 'type="hidden"' not in tag]
    assert len(visible) == 8  # 已核对, 本月完成, 本年累计, 开工累计, 已开复工, 开复工日期, 形象进度, 存在问题
    assert all(f"— {name}\"" in tag and "aria-label=" in tag for tag in visible), visible
    client.cookies["django_language"] = "en"
    english = client.get(reverse("reporting:fill", args=[period.pk])).content.decode()
    assert f'aria-label="Completed this month — {name}"' in english


def _returned(cast, period) -> ProgressReport:
    """连山区's report, filed and submitted by its clerk, then returned by the city."""
    services.prefill_period(cast.lianshan_clerk, period.pk)
    report = services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, period.pk, {
        "completed_month": Decimal("100"), "completed_ytd": Decimal("100"), "completed_since_start": Decimal("100"),
        "started": True, "started_on": date(2022, 4, 1), "progress": "基础施工"})
    report = services.submit_report(cast.lianshan_clerk, report.pk, report.version)
    return services.return_report(cast.admin, report.pk, "形象进度过简", report.version)


def test_a_returned_report_is_read_only_for_its_reviewer(cast, period, client):
    """Only the filer's side edits: the city admin who returned a report (and who may change the
    project itself) sees its figures, never the clerk's form, on the report and the filing screen."""
    report = _returned(cast, period)
    client.force_login(cast.admin)
    page = client.get(reverse("reporting:report", args=[report.pk]))
    assert page.status_code == 200
    assert page.context["form"] is None and page.context["photo_form"] is None
    html = page.content.decode()
    assert 'name="completed_month"' not in html and "保存并报送" not in html and "形象进度过简" in html
    fill = client.get(reverse("reporting:fill", args=[period.pk]))
    assert [row["form"] for row in fill.context["rows"]] == [None]
    html = fill.content.decode()
    assert "-completed_month" not in html and "保存草稿" not in html
    assert reverse("reporting:review", args=[period.pk]) in html  # the reviewer's way to the review screen

    # Nor can the reviewer write through the screens' URLs.
    changed = {**fill_post(report, completed_month="900", completed_ytd="900", completed_since_start="900"),
               "save": "1"}
    client.post(reverse("reporting:fill", args=[period.pk]), changed)
    assert client.post(reverse("reporting:save", args=[report.pk]), {
        "completed_month": "900", "completed_ytd": "900", "completed_since_start": "900",
        "version": report.version}).status_code == 403
    assert client.post(reverse("reporting:submit", args=[report.pk]), {"version": report.version}).status_code == 403
    report.refresh_from_db()
    assert (report.status, report.completed_month) == (Status.RETURNED, Decimal("100"))


def test_the_filer_edits_the_returned_report(cast, period, client):
    report = _returned(cast, period)
    client.force_login(cast.lianshan_clerk)
    page = client.get(reverse("reporting:report", args=[report.pk]))
    assert page.context["form"] is not None and 'name="completed_month"' in page.content.decode()
    fill = client.get(reverse("reporting:fill", args=[period.pk]))
    assert [row["form"] is not None for row in fill.context["rows"]] == [True]
    assert reverse("reporting:review", args=[period.pk]) not in fill.content.decode()
    response = client.post(reverse("reporting:fill", args=[period.pk]), {
        **fill_post(report, completed_month="120", completed_ytd="120", completed_since_start="120"), "submit": "1"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.completed_month) == (Status.SUBMITTED, Decimal("120"))


def test_the_reviewer_reviews_a_submitted_report_read_only(cast, period, client):
    report = _returned(cast, period)
    report = services.submit_report(cast.lianshan_clerk, report.pk, report.version)
    client.force_login(cast.admin)
    page = client.get(reverse("reporting:report", args=[report.pk]))
    assert page.context["form"] is None and page.context["return_form"] is not None
    html = page.content.decode()
    assert reverse("reporting:approve", args=[report.pk]) in html and 'name="completed_month"' not in html


def test_a_reviewer_files_the_reports_nobody_else_has_filed(cast, period, client):
    """Where no clerk has filed (a county-level city's commission files itself), the city admin
    fills the drafts in; another admin approves them (nobody approves their own)."""
    services.prefill_period(cast.admin, period.pk)
    client.force_login(cast.admin)
    rows = client.get(reverse("reporting:fill", args=[period.pk])).context["rows"]
    assert rows and all(r["form"] is not None for r in rows)
    report = rows[0]["report"]
    assert client.get(reverse("reporting:report", args=[report.pk])).context["editable"]


def test_the_services_and_the_api_keep_a_clerks_report_the_clerks(cast, period):
    from conftest import api

    report = _returned(cast, period)
    with pytest.raises(PermissionDenied):
        services.save_draft(cast.admin, cast.p_lianshan.pk, period.pk, {"progress": "改写"}, report.version)
    with pytest.raises(PermissionDenied):
        services.submit_report(cast.admin, report.pk, report.version)
    response = api(cast.admin).post(f"/api/reports/{report.pk}/submit/", {"version": report.version}, format="json")
    assert response.status_code == 403, response.content
    services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, period.pk, {"progress": "主体施工，已补充"},
                        report.version)  # the clerk still can


def test_previous_reports_are_each_projects_latest_earlier_one(cast):
    """Latest before the period, in the same city's periods, whatever the gaps; none for a
    project never reported."""
    today = timezone.localdate()
    periods = {m: services.create_period(cast.admin, cast.city, 2022, m, today, today) for m in (1, 2, 3, 5)}
    with audit_context(Source.SYSTEM, detail="test"):
        for month, project in [(1, cast.p_lianshan), (2, cast.p_lianshan), (1, cast.p_suizhong), (5, cast.p_suizhong)]:
            ProgressReport.objects.create(project=project, period=periods[month], completed_month=month,
                                          completed_ytd=month, completed_since_start=month)
    found = services.previous_reports([cast.p_lianshan.pk, cast.p_suizhong.pk, cast.p_jinzhou.pk], periods[3])
    assert {pk: (r.period.month, r.completed_ytd) for pk, r in found.items()} == {
        cast.p_lianshan.pk: (2, 2), cast.p_suizhong.pk: (1, 1)}
    assert found[cast.p_lianshan.pk] == services.previous_report(cast.p_lianshan.pk, periods[3])


def submitted_reports(cast, period, n):
    """``n`` submitted reports of 连山区 for the month, filed by its clerk."""
    for i in range(n - 1):
        project = Project.objects.create(name=f"连山区复核项目{i:02d}", region=cast.lianshan, total_investment=Decimal("9000"))
        AnnualPlan.objects.create(project=project, year=2022, nature=Nature.NEW, planned_investment=Decimal("100"))
    services.prefill_period(cast.lianshan_clerk, period.pk)
    reports = []
    for report in ProgressReport.objects.filter(period=period, project__region=cast.lianshan).order_by("pk"):
        services.save_draft(cast.lianshan_clerk, report.project_id, period.pk, {
            "completed_month": Decimal("10"), "completed_ytd": Decimal("10"), "completed_since_start": Decimal("10"),
            "started": True, "started_on": date(2022, 4, 1), "progress": "主体施工"})
        reports.append(services.submit_report(cast.lianshan_clerk, report.pk))
    return reports


def test_review_page_pages_counts_and_approves_the_clean_rows_at_once(cast, period, client, monkeypatch):
    """The review page counts each state, goes a page at a time, and approves the page's
    submitted reports that no check questions in one go, each as one approval would."""
    from keyprojects.reporting import views

    reports = submitted_reports(cast, period, 5)
    flagged = next(r for r in reports if r.project.name.startswith("连山区复核项目"))
    # a check questions it: the year's completion above the year's plan (100 万元)
    ProgressReport.objects.filter(pk=flagged.pk).update(completed_month=Decimal("900"), completed_ytd=Decimal("900"),
                                                        completed_since_start=Decimal("900"))
    monkeypatch.setattr(views, "REVIEW_PAGE", 3)
    client.force_login(cast.admin)
    first = client.get(reverse("reporting:review", args=[period.pk]))
    assert dict((value, n) for value, _label, n in first.context["statuses"])["submitted"] == 5
    assert first.context["page"].paginator.num_pages == 2 and len(first.context["rows"]) == 3
    shown = [row["report"].pk for row in first.context["rows"]]
    second = client.get(reverse("reporting:review", args=[period.pk]), {"status": "submitted", "page": 2})
    rest = [row["report"].pk for row in second.context["rows"]]
    assert len(rest) == 2 and set(shown) | set(rest) == {r.pk for r in reports}  # each once
    clean = {r.pk for r in first.context["clean"]} | {r.pk for r in second.context["clean"]}
    assert clean == {r.pk for r in reports} - {flagged.pk}

    page = [f"{r.pk}:{r.version}" for r in first.context["clean"]]
    response = client.post(reverse("reporting:review_approve", args=[period.pk]), {"report": page})
    assert response.status_code == 302
    approved = ProgressReport.objects.filter(status=Status.APPROVED)
    assert {r.pk for r in approved} == {r.pk for r in first.context["clean"]}
    assert {r.reviewed_by for r in approved} == {cast.admin}
    assert {r.history.latest("history_date").history_user for r in approved} == {cast.admin}


def test_approving_at_once_is_all_or_nothing(cast, period, client):
    """One report changed since the page was shown (or not the reviewer's to approve) and none
    of them is approved: the reviewer is told why."""
    first, second = submitted_reports(cast, period, 2)
    client.force_login(cast.admin)
    stale = [f"{first.pk}:{first.version}", f"{second.pk}:{second.version - 1}"]
    response = client.post(reverse("reporting:review_approve", args=[period.pk]), {"report": stale}, follow=True)
    assert "未通过任何月报" in response.content.decode()
    assert not ProgressReport.objects.filter(status=Status.APPROVED).exists()
    client.force_login(cast.lianshan_clerk)  # a county clerk reviews nothing
    client.post(reverse("reporting:review_approve", args=[period.pk]),
                {"report": [f"{first.pk}:{first.version}", f"{second.pk}:{second.version}"]})
    assert not ProgressReport.objects.filter(status=Status.APPROVED).exists()
    client.force_login(cast.admin)
    june = services.create_period(cast.admin, cast.city, 2022, 6, period.opens_on, period.closes_on)
    response = client.post(reverse("reporting:review_approve", args=[june.pk]),  # another period's page
                           {"report": [f"{first.pk}:{first.version}", f"{second.pk}:{second.version}"]}, follow=True)
    assert "不都属于" in response.content.decode()
    assert not ProgressReport.objects.filter(status=Status.APPROVED).exists()
    client.post(reverse("reporting:review_approve", args=[period.pk]),
                {"report": [f"{first.pk}:{first.version}", f"{second.pk}:{second.version}"]})
    assert ProgressReport.objects.filter(status=Status.APPROVED).count() == 2

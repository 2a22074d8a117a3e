"""One rule, one message: the same invalid data refused alike by the page, the API and the
ledger import, which check it with the same functions (``core.validation`` and the services')."""

from datetime import date
from decimal import Decimal

import pytest
import xlsxwriter
from conftest import api
from django.core.exceptions import ValidationError
from django.urls import reverse

from keyprojects.core.validation import Checked, validate
from keyprojects.ledgers import cells
from keyprojects.ledgers.importer import Importer, ImportFailed, import_ledger
from keyprojects.projects import services as project_services
from keyprojects.projects.models import AnnualPlan, Nature, Project
from keyprojects.reporting.models import ProgressReport, ReportingPeriod

pytestmark = pytest.mark.django_db

STORED = {"name": "连山区化工新材料产业园标准化厂房", "code": "2023-211402-26-01-000777",
          "total_investment": Decimal("10000")}
NEW = {"name": "连山区精细化工中试基地", "total_investment": "12000", "project_type": "industry",
       "investment_nature": "enterprise", "level": "city", "stage": "preparation"}
PLAN = {"year": 2023, "nature": "continuing", "planned_investment": "3000",
        "prior_completed": "4000", "started": True, "started_on": "2023-03-15"}
# The ledger's columns: (header, the field the page and the API name).
HEADERS = [("序号", ""), ("项目名称", "name"), ("项目代码", "code"), ("所在县区", "region"),
           ("建设性质", "nature"), ("总投资（万元）", "total_investment"),
           ("年度计划投资（万元）", "planned_investment"), ("本年完成投资（万元）", ""),
           ("开累完成投资（万元）", "prior_completed"), ("是否开复工", "started"),
           ("开复工时间", "started_on")]
YTD = 1000  # a plan's row states its prior completion as 开累 − 本年

# (what is posted, what is changed in it, the field refused, the message)
CASES = {
    "plan_beyond_what_remains": (
        "plan", {"planned_investment": "8000"}, "planned_investment",
        "年度计划投资（8,000 万元）超过了剩余投资"
        "（总投资 10,000 万元 − 截至上年底已完成 4,000 万元 = 6,000 万元）"),
    "prior_completion_beyond_the_total": (
        "plan", {"prior_completed": "12000"}, "prior_completed",
        "截至上年底累计完成投资不能超过总投资（10,000 万元）"),
    "malformed_project_code": (
        "project", {"code": "2023-2114-1"}, "code",
        "项目代码格式不正确，应为“年份-6位区划代码-2位行业代码-2位类型代码-6位流水号”，"
        "如 2022-211400-44-01-123456"),
    "negative_amount": ("project", {"total_investment": "-5"}, "total_investment", "金额不能为负数"),
    "start_outside_the_plan_year": (
        "plan", {"started_on": "2022-12-01"}, "started_on", "开复工日期应在计划年度（2023年）内"),
}


@pytest.fixture
def stored(cast) -> Project:
    """The project the plan cases add a 2023 plan to, through each path."""
    return project_services.create_project(cast.admin, {**STORED, "region": cast.lianshan})


def ledger_row(kind: str, data: dict, stored: Project) -> list:
    """``data`` (a new project's, or a plan's of ``stored``, as the page posts it) as a row."""
    if kind == "project":
        return [1, data["name"], data.get("code", ""), "连山区", "新建", data["total_investment"],
                "", "", "", "", ""]
    since_start = str(Decimal(data["prior_completed"]) + YTD)
    return [1, stored.name, stored.code, "连山区", "续建", str(STORED["total_investment"]),
            data["planned_investment"], YTD, since_start, "是" if data["started"] else "否",
            data["started_on"]]


def write_ledger(path, row: list):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("2023年重点项目")
    sheet.write(0, 0, "葫芦岛市2023年重点项目推进情况表")
    sheet.write_row(1, 0, [header for header, _field in HEADERS])
    sheet.write_row(2, 0, row)
    book.close()
    return path


def column_of(field: str) -> str:
    """How the importer names the ledger column a field came from (its header as read: NFKC)."""
    index = next(i for i, (_header, name) in enumerate(HEADERS) if name == field)
    return f"{chr(ord('A') + index)}列（{cells.text(HEADERS[index][0])}）"


def written() -> tuple[int, ...]:
    return (Project.objects.count(), AnnualPlan.objects.count(), ProgressReport.objects.count(),
            ReportingPeriod.objects.count(), Project.history.count(), AnnualPlan.history.count())


@pytest.mark.parametrize("case", list(CASES))
def test_the_same_invalid_data_gets_the_same_message_from_the_page_the_api_and_the_importer(
        cast, stored, client, tmp_path, case):
    kind, changes, field, message = CASES[case]
    data = {**(NEW if kind == "project" else PLAN), **changes}
    before = written()

    client.force_login(cast.admin)
    if kind == "project":
        page = client.post(reverse("projects:create"), {**data, "region": cast.lianshan.pk})
    else:
        page = client.post(reverse("projects:plan_create", args=[stored.pk]),
                           {**data, "started": "on"})
    assert page.status_code == 200
    assert page.context["form"].errors.get(field) == [message]

    if kind == "project":
        response = api(cast.admin).post("/api/projects/", {**data, "region": cast.lianshan.pk},
                                        format="json")
    else:
        response = api(cast.admin).post(f"/api/projects/{stored.pk}/plans/", data, format="json")
    assert response.status_code == 400
    assert response.json()["errors"].get(field) == [message]

    ledger = write_ledger(tmp_path / "ledger.xlsx", ledger_row(kind, data, stored))
    with pytest.raises(ImportFailed) as failed:
        import_ledger(cast.admin, ledger, 2023, region=cast.city)
    problems = failed.value.result.problems
    assert [(p.column, p.message) for p in problems] == [(column_of(field), message)]

    assert written() == before


def test_each_cases_ledger_row_imports_once_its_value_is_put_right(cast, stored, tmp_path):
    """The rows above fail for the one value each case breaks, nothing else."""
    for kind, _changes, _field, _message in CASES.values():
        row = ledger_row(kind, NEW if kind == "project" else PLAN, stored)
        result = import_ledger(cast.admin, write_ledger(tmp_path / "ledger.xlsx", row), 2023,
                               region=cast.city, dry_run=True)
        assert result.problems == [] and result.count == 1


@pytest.mark.parametrize(("model", "values"), [
    (Project, {"code": "2023-2114-1", "total_investment": Decimal("-5"),
               "planned_start": date(2023, 5, 1), "planned_completion": date(2023, 1, 1)}),
    (Project, {"name": "", "total_investment": Decimal("1.00001"), "longitude": Decimal("200")}),
    (AnnualPlan, {"planned_investment": Decimal("8000"), "prior_completed": Decimal("4000"),
                  "started": True, "started_on": date(2022, 12, 1), "planned_start_month": 13}),
    (AnnualPlan, {"planned_investment": Decimal("1"), "prior_completed": Decimal("12000"),
                  "started": True}),
])
def test_a_bulk_writes_check_refuses_what_full_clean_refuses_with_the_same_messages(
        cast, stored, model, values):
    """``validate`` with a bulk write's memo is ``full_clean`` without its queries: the same
    fields refused with the same messages, the first time a value is seen and the next."""
    def messages(checked: Checked | None) -> dict[str, list[str]]:
        if model is Project:
            obj = Project(**{"name": "连山区测试项目", "region": cast.lianshan,
                             "total_investment": Decimal("10000"), **values})
        else:
            obj = AnnualPlan(project=stored, year=2023, nature=Nature.CONTINUING, **values)
        with pytest.raises(ValidationError) as refused:
            validate(obj, checked)
        return refused.value.message_dict

    checked = Checked()
    assert messages(None) == messages(checked) == messages(checked)


def test_a_ledger_without_the_start_columns_leaves_a_stored_plans_start(cast, stored, tmp_path):
    """As any column a ledger lacks: a plan's start (from an approved report, say) stays, and
    the ledger's report states it."""
    started_on = date(2023, 3, 15)
    project_services.save_annual_plan(cast.admin, stored.pk, 2023, {
        "nature": "continuing", "planned_investment": Decimal("3000"),
        "prior_completed": Decimal("4000"), "started": True, "started_on": started_on})
    book = xlsxwriter.Workbook(str(tmp_path / "ledger.xlsx"))
    sheet = book.add_worksheet("2023年重点项目")
    sheet.write_row(0, 0, ["序号", "项目名称", "所在县区", "年度计划投资（万元）", "1-5月完成投资（万元）"])
    sheet.write_row(1, 0, [1, stored.name, "连山区", 3500, 1000])
    book.close()
    Importer(cast.admin, 2023, region=cast.city).run(tmp_path / "ledger.xlsx")
    plan = AnnualPlan.objects.get(project=stored, year=2023)
    assert (plan.planned_investment, plan.started, plan.started_on) == (3500, True, started_on)
    report = ProgressReport.objects.get(project=stored)
    assert (report.completed_ytd, report.started, report.started_on) == (1000, True, started_on)

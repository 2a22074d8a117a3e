"""The problem ledger's exports: the official .xlsx (title, unit, date, sections by state or by
lead unit with subtotals, a total equal to the list's count; exactly the list's rows for the
user and its filter) and the printable 交办单 (one problem, or the list's, scoped)."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from keyprojects.dispatch import services
from keyprojects.dispatch.models import Problem

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LATER = TODAY + timedelta(days=30)
HEADERS = ["序号", "项目名称", "所在县区", "问题类别", "问题来源", "问题描述", "牵头单位", "配合单位", "包抓领导",
           "交办日期", "办理时限", "状态", "最新进展"]


def raise_one(cast, title: str, by=None, on: date = TODAY, **extra) -> Problem:
    data = {"project": cast.p_lianshan, "source": "meeting", "category": "land", "title": title,
            "description": f"{title}，影响施工。"} | extra
    return services.raise_problem(by or cast.lianshan_clerk, data, on=on)


@pytest.fixture
def ledger(cast) -> dict[str, Problem]:
    """Problems in four states on 连山区's projects, one overdue, and one of 绥中县 assigned to 连山区's
    neighbour's unit that 连山区 never sees."""
    past = TODAY - timedelta(days=20)
    made = {
        "new": raise_one(cast, "配套资金未到位", category="funding"),
        "overdue": raise_one(cast, "用地预审未批复", on=past, lead_unit=cast.gxj, deadline=past + timedelta(days=5),
                             co_units=[cast.fgw], leader=cast.leader),
        "soon": raise_one(cast, "供电接入未完成", category="utilities", lead_unit=cast.gxj, deadline=TODAY + timedelta(days=3)),
        "suizhong": services.raise_problem(cast.suizhong_clerk, {  # (assigned to its own unit)
            "project": cast.p_suizhong, "source": "report", "category": "environment", "title": "环评批复滞后",
            "lead_unit": cast.suizhong_fgj, "deadline": TODAY + timedelta(days=40)}, on=TODAY),
        "closed": raise_one(cast, "征地拆迁进度慢", category="demolition", lead_unit=cast.gxj, deadline=LATER),
    }
    services.reply(cast.dept_clerk, made["soon"].pk, None, "已与供电公司对接", done=False)
    services.reply(cast.dept_clerk, made["closed"].pk, None, "已办结")
    services.sign_off(cast.lianshan_clerk, made["closed"].pk, None, "同意销号")
    return {name: Problem.objects.get(pk=p.pk) for name, p in made.items()}


def workbook(client, **params) -> list[list]:
    response = client.get(reverse("dispatch:problem_export"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert book.sheet_names == ["问题台账"]
    return book.get_sheet_by_index(0).to_python(skip_empty_area=False)


def data_rows(rows: list[list]) -> list[list]:
    return [row for row in rows[3:] if isinstance(row[0], (int, float)) and row[0] != ""]


def test_the_ledger_export_has_the_official_title_unit_date_columns_and_sections_by_state(cast, client, login, ledger):
    login(cast.admin)
    listed = client.get(reverse("dispatch:problems")).context["totals"]["count"]
    rows = workbook(client)
    assert rows[0][0] == "葫芦岛市重点项目问题台账"
    assert rows[1][0] == "填报单位：葫芦岛市发展和改革委员会"
    assert f"统计日期：{TODAY:%Y年%m月%d日}" in rows[1]
    assert rows[2] == HEADERS
    assert rows[3][0].startswith(f"合计：{listed}个问题") and "其中逾期 1" in rows[3][0]
    sections = [row[0] for row in rows if re.match(r"^[一二三四五六七八九十]+、", str(row[0]))]
    assert sections == ["一、待交办（1个）", "二、办理中（3个）", "三、已销号（1个）"]
    subtotals = [row[0] for row in rows if str(row[0]).startswith("小计")]
    assert subtotals == ["小计：1个问题", "小计：3个问题（其中逾期 1）", "小计：1个问题"]
    found = data_rows(rows)
    assert len(found) == listed == 5
    assert [row[0] for row in found] == [1, 2, 3, 4, 5]
    overdue = next(row for row in found if row[5] == "用地预审未批复，影响施工。")
    assert overdue[1:5] == ["连石化工年产3.5万吨苯二胺项目", "连山区", "用地", "调度会"]
    assert overdue[9] == TODAY - timedelta(days=20) and overdue[10] == TODAY - timedelta(days=15)
    assert overdue[6:9] == ["葫芦岛市工业和信息化局", "葫芦岛市发展和改革委员会", str(cast.leader)]
    assert overdue[11] == "办理中（逾期）"
    soon = next(row for row in found if row[5] == "供电接入未完成，影响施工。")
    assert soon[12].endswith("进展反馈：已与供电公司对接")
    closed = next(row for row in found if row[5] == "征地拆迁进度慢，影响施工。")
    assert closed[11] == "已销号" and closed[12] == f"{TODAY:%Y-%m-%d} 办结答复：已办结"  # the reply that solved it


def test_the_ledger_export_groups_by_lead_unit_with_the_unassigned_last(cast, client, login, ledger):
    login(cast.admin)
    rows = workbook(client, group="unit")
    sections = [row[0] for row in rows if re.match(r"^[一二三四五六七八九十]+、", str(row[0]))]
    assert sections == ["一、绥中县发展和改革局（1个）", "二、葫芦岛市工业和信息化局（3个）", "三、未交办（1个）"]
    assert len(data_rows(rows)) == 5


def test_the_ledger_export_holds_exactly_the_lists_filtered_rows(cast, client, login, ledger):
    login(cast.admin)
    for params in ({"state": "in_progress"}, {"overdue": "yes"}, {"category": "land"}, {"region": cast.suizhong.pk}):
        listed = client.get(reverse("dispatch:problems"), params).context["totals"]["count"]
        rows = workbook(client, **params)
        assert len(data_rows(rows)) == listed, params
        assert rows[3][0].startswith(f"合计：{listed}个问题"), params
    assert workbook(client, region=cast.suizhong.pk)[0][0] == "绥中县重点项目问题台账"


def test_a_county_clerks_export_holds_only_their_rows(cast, client, login, ledger):
    login(cast.lianshan_clerk)
    rows = workbook(client)
    assert rows[0][0] == "连山区重点项目问题台账"
    found = data_rows(rows)
    assert len(found) == 4
    assert {row[2] for row in found} == {"连山区"}
    assert "环评批复滞后" not in str(rows)


def test_an_outsider_exports_an_empty_ledger(cast, client, login, ledger):
    login(cast.outsider)
    rows = workbook(client)
    assert data_rows(rows) == [] and rows[3][0].startswith("合计：0个问题")


def test_the_assignment_sheet_is_an_a4_page_with_the_official_fields(cast, client, login, ledger):
    login(cast.admin)
    problem = ledger["overdue"]
    response = client.get(reverse("dispatch:problem_sheet", args=[problem.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "@page { size: A4" in page
    for text in ("重点项目问题交办单", f"连山区调交〔{problem.raised_on:%Y}〕{problem.pk:04d}号", "交办单位", "连山区发展和改革局",
                 "承办单位", "牵头：葫芦岛市工业和信息化局", "配合：葫芦岛市发展和改革委员会", "用地预审未批复，影响施工。",
                 f"{problem.deadline.year}年{problem.deadline.month}月{problem.deadline.day}日前办结", "要求",
                 "承办单位签收人", "交办单位（盖章）"):
        assert text in page, text
    detail = client.get(reverse("dispatch:problem", args=[problem.pk])).content.decode()
    assert reverse("dispatch:problem_sheet", args=[problem.pk]) in detail


def test_the_assignment_sheet_is_scoped(cast, client, login, ledger):
    login(cast.lianshan_clerk)
    assert client.get(reverse("dispatch:problem_sheet", args=[ledger["suizhong"].pk])).status_code == 404
    login(cast.outsider)
    assert client.get(reverse("dispatch:problem_sheet", args=[ledger["overdue"].pk])).status_code == 404


def test_a_units_sheets_print_one_page_per_assigned_problem_of_the_filter(cast, client, login, ledger):
    login(cast.admin)
    response = client.get(reverse("dispatch:problem_sheets"), {"lead_unit": cast.gxj.pk})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<section class="sheet">') == 3  # the unit's three assigned problems
    assert "环评批复滞后" not in page and "配套资金未到位" not in page
    login(cast.lianshan_clerk)
    page = client.get(reverse("dispatch:problem_sheets")).content.decode()
    assert page.count('<section class="sheet">') == 3 and "环评批复滞后" not in page


def test_the_problem_list_offers_the_export_with_its_filter(cast, client, login, ledger):
    login(cast.admin)
    page = client.get(reverse("dispatch:problems"), {"state": "in_progress"}).content.decode()
    assert reverse("dispatch:problem_export") + "?state=in_progress&amp;group=state" in page
    assert "导出台账" in page and "打印交办单" in page

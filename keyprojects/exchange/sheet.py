"""A city's exchange sheet in a province's layout (``Profile``): its rows as the province reads
them, the check list shown before sending, and the .xlsx.

The rows and their totals come from ``indicators.figures.province_sheet`` (the project list of
the profile's scope). Amounts stay Decimal 万元 until a cell is written: each is converted to
its column's unit and rounded to the column's places there, and only there.
"""

from __future__ import annotations

import calendar
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import xlsxwriter
from django.urls import reverse
from django.utils.http import urlencode

from keyprojects.accounts.models import Leader
from keyprojects.core.permissions import Actor, require_admin
from keyprojects.indicators import figures
from keyprojects.ledgers.cells import match_key
from keyprojects.projects.codes import matches_region_q, no_code_q
from keyprojects.projects.models import ZERO, Project
from keyprojects.regions.models import Region
from keyprojects.reporting.models import ProgressReport

from .models import AMOUNT_KEYS, UNITS, Profile, Return

# The totals line of the project list, by the sheet's amount column it must equal.
LIST_TOTALS = {"total_investment": "total_investment", "planned_investment": "annual_plan",
               "completed_ytd": "completed"}


def as_of_month(year: int, month: int, today: date) -> date:
    """The day a month's sheet is counted on: the month's last day, or today within the month."""
    return min(date(year, month, calendar.monthrange(year, month)[1]), max(today, date(year, month, 1)))


def in_unit(amount: Decimal | None, column: dict[str, Any]) -> Decimal | None:
    """An amount in 万元 in the column's unit, rounded to its places (as the cell shows it)."""
    if amount is None:
        return None
    places = Decimal(1).scaleb(-int(column.get("decimals", 2)))
    return (amount / UNITS[column.get("unit", "万元")]).quantize(places, ROUND_HALF_UP)


def header(column: dict[str, Any], month: int) -> str:
    return str(column["header"]).replace("{month}", str(month))


@dataclass
class Row:
    project_id: int
    project_version: int
    plan_version: int
    values: dict[str, Any]  # by column key: text, a date, or Decimal 万元 for the amounts


@dataclass
class Check:
    """An item of the check list: ``ok``, else what is wrong (``items``) and the list behind it."""

    key: str
    title: str
    ok: bool
    summary: str = ""
    items: list[str] = field(default_factory=list)
    url: str = ""


@dataclass
class Sheet:
    profile: Profile
    region: Region
    year: int
    month: int
    as_of: date
    rows: list[Row]
    totals: dict[str, Decimal]  # the figures' (the project list's totals line), 万元
    list_url: str

    @property
    def title(self) -> str:
        return str(self.profile.data.get("title", "{region}{year}年重点项目")).format(
            region=self.region.name, year=self.year, month=self.month)

    def headers(self) -> list[str]:
        return [header(c, self.month) for c in self.profile.columns]


def sheet(actor: Actor, profile: Profile, region: Region, year: int, month: int, today: date) -> Sheet:
    """The city's rows for ``profile`` (city admins of ``region`` only: it is the city's report)."""
    require_admin(actor, region)
    as_of = as_of_month(year, month, today)
    found = figures.province_sheet(actor, profile.pk, region, year, as_of)
    ordered = found.plans.select_related("project__region", "project__sector", "project__owner",
                                       "project__responsible_unit").order_by("project__region__code",
                                                                             "project__name", "project_id")
    plans = list(ordered)
    ids = [p.project_id for p in plans]
    leaders: dict[int, list[str]] = defaultdict(list)
    for project_id, name in (Project.leaders.through.objects.filter(project_id__in=ids)
                             .order_by(*[f"leader__{f}" for f in Leader._meta.ordering or ()]).values_list("project_id", "leader__name")):
        leaders[project_id].append(name)
    progress = _progress(ids, year, month, as_of)
    words = {kind: profile.code_list(kind) for kind in ("nature", "stage", "level", "batch")}
    rows = []
    for seq, plan in enumerate(plans, start=1):
        project = plan.project
        completed = Decimal(plan.completed or ZERO)  # type: ignore[attr-defined]  # annotated by the door
        started = plan.started and plan.started_on and plan.started_on <= as_of
        values = {
            "seq": seq, "code": project.code or "", "name": project.name, "address": project.address,
            "region": project.region.name, "sector": project.sector.name if project.sector else "",
            "nature": words["nature"].get(plan.nature, ""), "stage": words["stage"].get(project.stage, ""),
            "level": words["level"].get(project.level, ""), "batch": words["batch"].get(plan.batch, ""),
            "total_investment": project.total_investment, "planned_investment": plan.planned_investment,
            "completed_ytd": completed, "since_start": plan.prior_completed + completed,
            "started_on": plan.started_on if started else None, "progress": progress.get(project.pk, ""),
            "leaders": "、".join(leaders.get(project.pk, [])),
            "responsible_unit": project.responsible_unit.name if project.responsible_unit else "",
            "owner": project.owner.name if project.owner else "",
        }
        rows.append(Row(project.pk, project.version, plan.version, values))
    totals = {key: found.listing.totals[total] or ZERO for key, total in LIST_TOTALS.items()}
    query: dict[str, Any] = {"year": year, "as_of": as_of.isoformat(), "region": region.pk, "province": profile.pk}
    return Sheet(profile, region, year, month, as_of, rows, totals,
                 f"{reverse('projects:list')}?{urlencode(query)}")


def _progress(ids: list[int], year: int, month: int, as_of: date) -> dict[int, str]:
    """形象进度: each project's latest approved report of the year up to the month."""
    latest: dict[int, str] = {}
    reports = (ProgressReport.objects.filter(project_id__in=ids, status=ProgressReport.Status.APPROVED,
                                             period__year=year, period__month__lte=month,
                                             reviewed_at__date__lte=as_of)
               .order_by("project_id", "period__month").values_list("project_id", "progress"))
    for project_id, text in reports:
        latest[project_id] = text
    return latest


def checks(actor: Actor, found: Sheet) -> list[Check]:
    """What to look at before sending: codes missing or not matching the region, names that look
    like one project twice, totals the province will add up differently, and projects the
    province's last returned list has that the city's sheet lacks."""
    params: dict[str, Any] = {"year": found.year, "as_of": found.as_of.isoformat(), "region": found.region.pk,
              "province": found.profile.pk}
    url = reverse("projects:list")
    in_sheet = Project.objects.filter(pk__in=[r.project_id for r in found.rows])
    missing = list(in_sheet.filter(no_code_q()).values_list("name", flat=True))
    mismatched = list(in_sheet.exclude(no_code_q()).exclude(matches_region_q())
                      .values_list("name", "code", "region__name"))
    result = [
        Check("missing_code", "缺少项目代码", not missing, f"{len(missing)}个项目没有项目代码", missing,
              f"{url}?{urlencode({**params, 'code_check': 'missing'})}"),
        Check("code_region", "项目代码与所属区划不符", not mismatched, f"{len(mismatched)}个项目",
              [f"{name}（{code}，登记在{where}）" for name, code, where in mismatched],
              f"{url}?{urlencode({**params, 'code_check': 'mismatch'})}"),
    ]
    by_key: dict[str, list[str]] = defaultdict(list)
    for row in found.rows:
        by_key[match_key(row.values["name"])].append(row.values["name"])
    twice = [" / ".join(names) for names in by_key.values() if len(names) > 1]
    result.append(Check("duplicates", "疑似重复项目（名称相同）", not twice, f"{len(twice)}组", twice))
    result.append(_totals_check(found))
    result.append(_expected_check(found))
    return result


def _totals_check(found: Sheet) -> Check:
    """The sheet's 合计 is the figure (the list's totals line); the province adds up the rounded
    cells, which may differ from it by the rounding."""
    wrong = []
    for column in found.profile.columns:
        key = column["key"]
        if key not in LIST_TOTALS:
            continue
        rows_sum = sum((row.values[key] or ZERO for row in found.rows), ZERO)
        cells_sum = sum((in_unit(row.values[key], column) or ZERO for row in found.rows), ZERO)
        figure = in_unit(found.totals[key], column)
        unit = column.get("unit", "万元")
        if rows_sum != found.totals[key]:
            wrong.append(f"{header(column, found.month)}：各行合计 {in_unit(rows_sum, column)} {unit}，"
                         f"统计数 {figure} {unit}")
        elif cells_sum != figure:
            wrong.append(f"{header(column, found.month)}：按表中数字相加为 {cells_sum} {unit}，"
                         f"合计行（统计数）为 {figure} {unit}，相差 {cells_sum - (figure or ZERO)}（逐项四舍五入所致）")
    return Check("totals", "合计与统计数核对", not wrong, "合计行与统计数一致" if not wrong else f"{len(wrong)}列不一致",
                 wrong, found.list_url)


def _expected_check(found: Sheet) -> Check:
    last = (Return.objects.filter(profile__province_code=found.profile.province_code, region=found.region,
                                  year=found.year).order_by("-uploaded_at", "-id").first())
    if last is None:
        return Check("expected", "省平台清单中有、本市缺少的项目", True, "尚未导入省平台返回清单")
    ours = {row.project_id for row in found.rows}
    lacking = [f"{r['name']}（{r['code'] or '无代码'}）" for r in last.rows
               if not r.get("project_id") or r["project_id"] not in ours]
    return Check("expected", "省平台清单中有、本市缺少的项目", not lacking,
                 f"对照{last.uploaded_at:%Y-%m-%d}导入的返回清单：{len(lacking)}个", lacking)


def workbook(found: Sheet) -> bytes:
    """The sheet as .xlsx in the profile's layout: title, note, one header row, the rows, 合计."""
    columns = found.profile.columns
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "default_date_format": "yyyy-mm-dd"})
    sheet_ = book.add_worksheet(str(found.profile.data.get("sheet", "Sheet1")))
    head = book.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True,
                            "bg_color": "#DCE6F1"})
    text = book.add_format({"border": 1, "valign": "vcenter", "text_wrap": True})
    day = book.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
    bold = book.add_format({"border": 1, "bold": True})
    money = {c["key"]: book.add_format({"border": 1, "num_format": "0." + "0" * int(c.get("decimals", 2))
                                        if int(c.get("decimals", 2)) else "0"}) for c in columns
             if c["key"] in AMOUNT_KEYS}
    last = len(columns) - 1
    sheet_.merge_range(0, 0, 0, last, found.title, book.add_format({"bold": True, "font_size": 14, "align": "center"}))
    sheet_.write(1, 0, f"统计日期：{found.as_of:%Y年%m月%d日}　{found.profile.data.get('note', '')}")
    for c, column in enumerate(columns):
        sheet_.write(2, c, header(column, found.month), head)
        sheet_.set_column(c, c, 36 if column["key"] in ("name", "progress") else 14)
    r = 2
    for row in found.rows:
        r += 1
        for c, column in enumerate(columns):
            value = row.values[column["key"]]
            if column["key"] in AMOUNT_KEYS:
                sheet_.write_number(r, c, float(in_unit(value, column) or ZERO), money[column["key"]])
            elif column["key"] == "seq":
                sheet_.write_number(r, c, value, text)
            elif isinstance(value, date):
                sheet_.write_datetime(r, c, value, day)
            elif value:
                sheet_.write_string(r, c, str(value), text)
            else:
                sheet_.write_blank(r, c, None, text)
    r += 1
    for c, column in enumerate(columns):
        key = column["key"]
        if c == 0:
            sheet_.write(r, c, "合计", bold)
        elif key in found.totals:
            sheet_.write_number(r, c, float(in_unit(found.totals[key], column) or ZERO), money[key])
        elif key == "since_start":
            total = sum((row.values[key] for row in found.rows), ZERO)
            sheet_.write_number(r, c, float(in_unit(total, column) or ZERO), money[key])
        else:
            sheet_.write_blank(r, c, None, bold)
    sheet_.freeze_panes(3, 0)
    book.close()
    return buffer.getvalue()

"""The indicator module: every figure the product shows is computed here, once.

Each indicator has a stable key, a Chinese and an English name and its written
definition (口径); pages and exports print the definition next to the number. The
predicates that select the projects behind a figure (``started_q``, ``NEW_Q`` …) are
also used by the project list's filters, so a figure and the list it links to always
agree.
"""

from __future__ import annotations

import calendar
import functools
import operator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Left, TruncDate
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils import timezone
from django.utils.translation import get_language

from keyprojects.accounts.models import Leader, Unit
from keyprojects.alerts.models import Colour, Kind, colour_on, open_on_q, red_on_q
from keyprojects.approvals.models import late_q, obtained_q
from keyprojects.dispatch.models import OPEN, MeetingKind, Problem, overdue_on_q, overdue_q
from keyprojects.projects.models import (
    CONTINUING_NATURES,
    ZERO,
    AnnualPlan,
    Batch,
    Nature,
    Project,
    ProjectList,
    Sector,
)
from keyprojects.regions.models import Region, path_codes
from keyprojects.reporting.models import PlanProgress
from keyprojects.tasklists.models import done_q as task_done_q
from keyprojects.tasklists.models import on_time_q as task_on_time_q
from keyprojects.tasklists.models import overdue_q as task_overdue_q


@dataclass(frozen=True)
class Indicator:
    key: str
    name_zh: str
    name_en: str
    definition_zh: str
    definition_en: str
    unit: str = ""  # "个", "万元", "%"

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "zh").startswith("en") else self.name_zh

    @property
    def definition(self) -> str:
        return self.definition_en if (get_language() or "zh").startswith("en") else self.definition_zh


INDICATORS: dict[str, Indicator] = {
    i.key: i
    for i in [
        Indicator(
            "plan", "年度计划项目", "Projects in the annual plan",
            "列入本年度重点项目计划（500万元以上）的项目；金额为其总投资与年度计划投资之和。",
            "Projects in the year's key-project plan (500 万元 and more), with the sums of their total and annual planned investment.",
        ),
        Indicator(
            "completed_investment", "本年完成投资", "Investment completed this year",
            "年度计划项目截至统计日期已审核的最新一期月报中的“本年累计完成投资”之和（未报项目按 0 计）。",
            "Sum over the year's plan of the year-to-date completed investment in each project's latest report approved by the as-of date (0 if none).",
            "万元",
        ),
        Indicator(
            "completion_rate", "投资完成率", "Investment completion rate",
            "投资完成率 = 本年完成投资 ÷ 年度计划投资 × 100%，四舍五入保留一位小数。",
            "investment completed this year / annual planned investment × 100, rounded half-up to one decimal.",
            "%",
        ),
        Indicator(
            "time_progress", "时间进度", "Time progress",
            "时间进度 = 统计日期时已过完的月份数 ÷ 12 × 100%（月末当天计入当月）。",
            "whole months of the year elapsed at the as-of date / 12 × 100 (a month counts on its last day).",
            "%",
        ),
        Indicator(
            "progress_gap", "超/慢时间进度", "Ahead of / behind time progress",
            "投资完成率 − 时间进度，单位为百分点；正数为超时间进度，负数为慢于时间进度。",
            "completion rate − time progress, in percentage points; positive means ahead of time.",
            "个百分点",
        ),
        Indicator(
            "list_totals", "列表合计", "List totals",
            "当前筛选条件下的项目个数、总投资之和与所选年度计划投资之和。",
            "Number of projects matching the current filters, with the sums of total investment and of the chosen year's planned investment.",
        ),
        Indicator(
            "new_planned", "新开工项目（计划）", "New projects planned",
            "年度计划中建设性质为“新开工”的项目。",
            "Projects in the year's plan whose nature is 'new start'.",
        ),
        Indicator(
            "continuing_planned", "续建项目（计划）", "Continuing projects planned",
            "年度计划中建设性质为“续建”或“竣工”（往年已开工、本年续建）的项目。",
            "Projects in the year's plan started in earlier years ('continuing' or 'completing this year').",
        ),
        Indicator(
            "started_or_resumed", "已开复工项目", "Started or resumed",
            "截至统计日期，本年已开工的新开工项目与已复工的续建项目之和（以开复工日期不晚于统计日期为准）。",
            "New projects started plus continuing projects resumed this year, with a start/resume date on or before the as-of date.",
        ),
        Indicator(
            "new_started", "新开工项目（已开工）", "New projects started",
            "截至统计日期已开工的新开工项目。",
            "New projects that started construction on or before the as-of date.",
        ),
        Indicator(
            "continuing_resumed", "续建项目（已复工）", "Continuing projects resumed",
            "截至统计日期已复工的续建项目。",
            "Continuing projects that resumed work this year on or before the as-of date.",
        ),
        Indicator(
            "start_or_resume_rate", "开复工率", "Start-or-resume rate",
            "开复工率 =（新开工项目已开工数 + 续建项目已复工数）÷ 年度计划项目数 × 100%，四舍五入保留一位小数。",
            "(new projects started + continuing projects resumed) / projects in the year's plan × 100, rounded half-up to one decimal.",
            "%",
        ),
        Indicator(
            "new_start_rate", "新项目开工率", "New-project start rate",
            "新项目开工率 = 新开工项目已开工数 ÷ 计划新开工项目数 × 100%，四舍五入保留一位小数。",
            "new projects started / new projects in the plan × 100, rounded half-up to one decimal.",
            "%",
        ),
        Indicator(
            "continuing_resume_rate", "续建项目复工率", "Continuing-project resume rate",
            "续建项目复工率 = 续建项目已复工数 ÷ 计划续建项目数 × 100%，四舍五入保留一位小数。",
            "continuing projects resumed / continuing projects in the plan × 100, rounded half-up to one decimal.",
            "%",
        ),
        Indicator(
            "on_time", "按期推进项目", "Projects on time",
            "截至统计日期：已开复工的项目，本年完成投资不低于“年度计划投资 × 时间进度”（即投资完成率不低于时间进度，按未取整的值比较）；"
            "未开复工的项目，其计划开工月份尚未过完（未填计划开工月份的按1月计）。其余为未按期：已开复工而慢于时间进度，或计划开工月份已过仍未开复工。",
            "As of the date: a started (or resumed) project whose completed investment this year is at least its annual plan × time progress "
            "(its completion rate not below time progress, compared unrounded); a project not started whose planned start month has not "
            "yet ended (January when none is set). The rest are behind: started but behind time progress, or not started past their planned month.",
        ),
        Indicator(
            "on_time_share", "按期推进率", "Share of projects on time",
            "按期推进率 = 按期推进项目数 ÷ 年度计划项目数 × 100%，四舍五入保留一位小数。",
            "projects on time / projects in the year's plan × 100, rounded half-up to one decimal.",
            "%",
        ),
        # 调度 · 问题 (dispatch): counted over the meetings and problems of the region and the
        # regions under it, within the plan year up to the as-of date (``dispatch_window``).
        Indicator(
            "dispatch_meetings", "调度会次数", "Dispatch meetings",
            "本区划及下辖区划召开的调度会中，会议日期在统计年度1月1日至统计日期（统计日期晚于年底时至12月31日，下同）之间的次数，"
            "按调度类型（集中调度、单体项目调度、现场调度、云调度）分别计数。",
            "Dispatch meetings of the region and the regions under it dated from 1 January of the year to the as-of date "
            "(31 December once the year is over; likewise below), counted by kind (concentrated, single-project, on-site, cloud).",
            "次",
        ),
        Indicator(
            "problems_raised", "提出问题", "Problems raised",
            "本区划及下辖区划的问题中，提出日期在统计年度1月1日至统计日期之间的个数（含已提级的问题，计入提出地）。",
            "Problems of the region and the regions under it raised from 1 January of the year to the as-of date "
            "(escalated ones included, counted where they were raised).",
            "个",
        ),
        Indicator(
            "problems_solved", "已销号", "Problems signed off",
            "销号日期在统计年度1月1日至统计日期之间的问题个数（不论何时提出）。",
            "Problems signed off from 1 January of the year to the as-of date, whenever they were raised.",
            "个",
        ),
        Indicator(
            "problems_open", "未销号", "Problems open",
            "统计日期当天及以前提出、截至统计日期尚未销号的问题个数（含往年提出的，含待交办、办理中、已办结待销号和已提级的；"
            "统计日期后才销号的计为未销号）。",
            "Problems raised on or before the as-of date and not signed off by it, whatever year they were raised in "
            "(awaiting assignment, in hand, replied and escalated ones; one signed off after the as-of date counts as open).",
            "个",
        ),
        Indicator(
            "problems_overdue", "逾期", "Problems overdue",
            "截至统计日期未销号、当日处于办理中或已提级状态（以办理记录为准），且已超过当时的办理时限（已提级的为提级后时限）的问题个数；"
            "已办结待销号的不计为逾期。",
            "Open problems that at the as-of date were in hand or escalated (as their timeline says) and past the deadline "
            "running then (the escalation's once escalated); replied ones awaiting sign-off are not overdue.",
            "个",
        ),
        Indicator(
            "on_time_rate", "按期办结率", "Signed off on time",
            "按期办结率 = 已销号问题中销号日期不晚于办理时限（已提级的为提级后时限）的个数 ÷ 已销号问题数 × 100%，"
            "四舍五入保留一位小数。",
            "problems signed off by their deadline (the escalation's once escalated) / problems signed off × 100, "
            "rounded half-up to one decimal.",
            "%",
        ),
        Indicator(
            "median_days_to_sign_off", "办结用时中位数", "Median days to sign-off",
            "已销号问题从提出日期到销号日期的天数的中位数（个数为偶数时取中间两数的平均），保留一位小数。",
            "The median of the days from raising to sign-off of the problems signed off (the mean of the middle two "
            "for an even number), to one decimal.",
            "天",
        ),
        # 前期手续 (approvals): the items required of the year's new projects (新开工项目), the
        # projects whose approvals are the year's work (``approvals_population``).
        Indicator(
            "approvals_required", "应办前期手续", "Approvals required",
            "本年度计划中新开工项目应办理的前期手续事项数（按前期手续目录及项目调整确定，已说明理由免办的不计）。",
            "The approval items required of the new projects (新开工) in the year's plan (by the catalogue and the "
            "project's adjustments; items waived with a reason are not counted).",
            "项",
        ),
        Indicator(
            "approvals_obtained", "已办结前期手续", "Approvals obtained",
            "应办前期手续中实际办结日期不晚于统计日期的事项数。",
            "Required approval items obtained on or before the as-of date.",
            "项",
        ),
        Indicator(
            "approvals_completion_rate", "前期手续审批完成率", "Approvals completion rate",
            "前期手续审批完成率 = 已办结前期手续 ÷ 应办前期手续 × 100%，四舍五入保留一位小数；"
            "同比为与上年同日上年度计划新开工项目的完成率之差（百分点）。",
            "approval items obtained / approval items required × 100, rounded half-up to one decimal; its year-on-year "
            "change is the difference, in points, from the same day of the previous year over that year's new projects.",
            "%",
        ),
        Indicator(
            "approvals_late", "逾期未办结前期手续", "Approvals late",
            "应办前期手续中，按倒排计划的计划办结日期早于统计日期、截至统计日期仍未办结的事项数。",
            "Required approval items whose planned date (from the backward schedule) is before the as-of date and "
            "not obtained by it.",
            "项",
        ),
        # 预警 (early warnings): the warnings the daily job wrote from the city's rules, counted
        # over the region and the regions under it as they stood on the as-of date.
        Indicator(
            "warnings_red", "红色预警", "Red warnings",
            "本区划及下辖区划在统计日期当天处于发出状态且已转为红色（转为红色日期不晚于统计日期）的预警个数：发出日期不晚于统计日期，且未解除或解除日期晚于统计日期；"
            "一个原因（项目的计划年度、前期手续事项、问题、填报期或开复工目标）计一个预警。已确认的预警在解除前仍计入。",
            "Red warnings of the region and the regions under it open on the as-of date: opened on or before it and not closed "
            "by it (closed later: open then); one cause (a project's plan year, approval item, problem, reporting period or "
            "start target) is one warning. Acknowledged warnings count until they close.",
            "个",
        ),
        Indicator(
            "warnings_yellow", "黄色预警", "Yellow warnings",
            "同红色预警，统计日期当天为黄色的预警个数（转为红色日期晚于统计日期的计为黄色；转回黄色的预警按黄色计）。",
            "As red warnings, those yellow on the as-of date (turned red after it: yellow then; a warning back to yellow counts yellow).",
            "个",
        ),
        # 任务清单 (task lists): the tasks of a city's list of the year, counted as of the date from
        # their deadline and the day their lead unit reported them done.
        Indicator(
            "tasks", "任务", "Tasks",
            "本区划统计年度任务清单中的任务个数（按牵头单位、方面分别计数）。",
            "Tasks in the region's task list of the year (counted by lead unit and by area).",
            "项",
        ),
        Indicator(
            "tasks_done", "已完成任务", "Tasks done",
            "牵头单位报告完成、完成日期不晚于统计日期的任务个数。",
            "Tasks their lead unit reported done on or before the as-of date.",
            "项",
        ),
        Indicator(
            "tasks_on_time", "按期完成任务", "Tasks done on time",
            "已完成任务中完成日期不晚于完成时限的个数。",
            "Tasks done by the as-of date whose completion date is not after their deadline.",
            "项",
        ),
        Indicator(
            "tasks_overdue", "逾期未完成任务", "Tasks overdue",
            "完成时限早于统计日期、截至统计日期仍未完成的任务个数（统计日期后才完成的计为逾期未完成）。",
            "Tasks whose deadline is before the as-of date and not done by it (done later: overdue then).",
            "项",
        ),
        Indicator(
            "task_on_time_rate", "任务按期完成率", "Tasks done on time, rate",
            "任务按期完成率 = 按期完成任务数 ÷（已完成任务数 + 逾期未完成任务数）× 100%，四舍五入保留一位小数；"
            "尚未到期且未完成的任务不计入。",
            "tasks done on time / (tasks done + tasks overdue) × 100, rounded half-up to one decimal; tasks neither "
            "done nor yet due are left out.",
            "%",
        ),
        Indicator(
            "projects_without_code", "无项目代码的项目", "Projects without a national code",
            "年度计划项目中未填写项目代码（全国投资项目在线审批监管平台赋码）的个数；金额为其总投资与年度计划投资之和。",
            "Projects in the year's plan with no national project code (issued by the national online approval "
            "platform), with the sums of their total and annual planned investment.",
            "个",
        ),
        Indicator(
            "codes_not_matching_region", "项目代码与区划不符", "Codes not matching the region",
            "年度计划项目中，项目代码第2段（区划代码）既不是项目所属区划，也不是其上级或下级区划的个数。",
            "Projects in the year's plan whose code's division (its second part) is neither the project's region "
            "nor one above or below it.",
            "个",
        ),
        # 招商引资 (investment attraction): events, agreements and the leads signed in the period
        # (from 1 January of the year to the as-of date), counted from the dates on the leads.
        Indicator(
            "attraction_events", "招商活动", "Attraction events",
            "统计年度 1 月 1 日至统计日期举办的招商活动次数（走出去、请进来、展会、网上招商）。",
            "Attraction events held from 1 January of the year to the as-of date (visits, fairs, online).",
            "次",
        ),
        Indicator(
            "attraction_intentions", "达成合作意向", "Intentions reached",
            "统计期内签订意向协议（达成合作意向）的招商项目个数。",
            "Leads that signed an intention agreement in the period.",
            "项",
        ),
        Indicator(
            "attraction_framework_agreements", "签订框架协议", "Framework agreements",
            "统计期内签订框架协议的招商项目个数。",
            "Leads that signed a framework agreement in the period.",
            "项",
        ),
        Indicator(
            "attraction_signed_projects", "正式签约项目", "Projects signed",
            "统计期内正式签约（签订正式合同）的招商项目个数。",
            "Leads that signed their formal contract in the period.",
            "个",
        ),
        Indicator(
            "attraction_signed_amount", "签约金额", "Amount signed",
            "统计期内签订的正式合同和框架协议的协议金额合计；同一项目期内既签框架协议又签正式合同的，只计正式合同。",
            "Amounts of the formal contracts and framework agreements signed in the period; a lead that signed both "
            "in the period counts once, with its contract.",
            "万元",
        ),
        Indicator(
            "attraction_landing_rate", "落地率", "Landing rate",
            "落地率 = 统计期内正式签约项目中截至统计日期已落地（注册、登记入库）的个数 ÷ 统计期内正式签约项目数 × 100%。",
            "Leads signed in the period that had landed (registered, in the library) by the as-of date / leads "
            "signed in the period × 100.",
            "%",
        ),
        Indicator(
            "attraction_start_rate", "开工率", "Start rate",
            "开工率 = 统计期内正式签约、已落地的项目中截至统计日期已开工的个数 ÷ 其中已落地的个数 × 100%。",
            "Of the leads signed in the period and landed, those whose works had started by the as-of date / those "
            "landed × 100.",
            "%",
        ),
        Indicator(
            "attraction_performance_rate", "履约率", "Contract performance rate",
            "履约率 = 统计期内正式签约项目中截至统计日期已开工建设（合同进入履行）的个数 ÷ 统计期内正式签约项目数 × 100%。",
            "Leads signed in the period whose works had started by the as-of date / leads signed in the period × 100.",
            "%",
        ),
        Indicator(
            "attraction_funds_in_place", "到位资金", "Funds in place",
            "统计期内正式签约项目截至统计日期所在月份各月填报的到位资金合计（其中省外到位资金另列）。",
            "Funds in place reported for the leads signed in the period, every month up to the as-of date's "
            "(the part from outside the province shown apart).",
            "万元",
        ),
        Indicator(
            "attraction_funds_in_place_rate", "资金到位率", "Funds-in-place rate",
            "资金到位率 = 到位资金 ÷ 统计期内正式签约项目的合同金额 × 100%。",
            "Funds in place / the contract amounts of the leads signed in the period × 100.",
            "%",
        ),
        # 包抓 "1+1托4": the packages of the year (a leader and a lead department, four kinds of items)
        Indicator(
            "package_leaders", "包抓领导", "Package leaders",
            "统计年度有包抓责任组的领导人数。", "Leaders with a package in the year.", "名",
        ),
        Indicator(
            "package_departments", "包抓部门", "Package departments",
            "统计年度包抓责任组的牵头部门和配合部门（去重）个数。",
            "Departments leading or helping in the year's packages (each counted once).", "个",
        ),
        Indicator(
            "package_items", "包抓事项", "Package items",
            "统计年度各包抓责任组的推进建设项目、推进项目前期、服务重点企业、招引产业项目个数（分类计数）。",
            "Items of the year's packages by kind: projects under construction, pre-construction projects, "
            "enterprises served, attraction leads.", "个",
        ),
        # 资金申报 (funding rounds): the applications of a year's rounds, by kind of money, counted as
        # of the date from the dates their amounts were recorded with.
        Indicator(
            "funding_applied", "申报项目", "Projects applied",
            "本区划统计年度各资金申报批次中申报日期不晚于统计日期的申报项目个数（一个项目申报两个批次计两次），"
            "金额为其总投资和申请金额之和；按资金类别（专项债券、中央预算内投资、省级补助、其他）、批次、县区分别计算。",
            "Applications to the region's funding rounds of the year proposed on or before the as-of date (a project in "
            "two rounds counts twice), with the sums of their projects' total investment and of the amounts requested; "
            "by kind of money, round and county.",
            "个",
        ),
        Indicator(
            "funding_approved", "批复资金", "Funds approved",
            "申报项目中省级批复日期不晚于统计日期的批复金额之和，及其项目个数。",
            "Sum of the amounts the province approved on or before the as-of date, and the number of those applications.",
            "万元",
        ),
        Indicator(
            "funding_issued", "下达资金", "Funds issued",
            "申报项目中下达（发行）日期不晚于统计日期的下达金额之和，及其项目个数和项目总投资之和。",
            "Sum of the amounts issued on or before the as-of date, with the number of those applications and the sum "
            "of their projects' total investment.",
            "万元",
        ),
        Indicator(
            "funding_spent", "已支出资金", "Funds spent",
            "下达资金中截至统计日期已报支出金额之和（按各项目最近一次填报的支出截至日期，晚于统计日期的不计）。",
            "Sum of the amounts spent of the money issued, as last reported with a date on or before the as-of date.",
            "万元",
        ),
    ]
}

NEW_Q = Q(nature=Nature.NEW)
CONTINUING_Q = Q(nature__in=CONTINUING_NATURES)


def started_q(as_of: date | None, prefix: str = "") -> Q:
    """Plans started or resumed this year, as of a date (all recorded starts if no date)."""
    condition = Q(**{f"{prefix}started": True})
    if as_of is not None:
        condition &= Q(**{f"{prefix}started_on__lte": as_of})
    return condition


def start_due_q(year: int, as_of: date, prefix: str = "") -> Q:
    """Plans whose planned start month has ended by the date (``months_elapsed``): their start
    is due. A plan without a planned month (a continuing project, mostly) is due from January."""
    months = months_elapsed(year, as_of)
    due = Q(**{f"{prefix}planned_start_month__lte": months})
    if months >= 1:
        due |= Q(**{f"{prefix}planned_start_month__isnull": True})
    return due


def on_pace_q(year: int, as_of: date, prefix: str = "", completed: str = "completed") -> Q:
    """Plans whose completed investment this year (the ``completed`` annotation, ``completed_ytd``
    as of the date) is at least the annual plan × time progress: compared as completed × 12 ≥
    plan × months elapsed, so that no rounding decides it."""
    months = months_elapsed(year, as_of)
    return Q(GreaterThanOrEqual(F(completed) * 12, F(f"{prefix}planned_investment") * months))


def on_time_q(year: int, as_of: date, prefix: str = "", completed: str = "completed") -> Q:
    """按期推进 (indicator "on_time"): started and on pace, or not started before its planned start
    month has ended. The dashboard's leader figures and the project list's 按期 filter both use it."""
    started = started_q(as_of, prefix)
    return (started & on_pace_q(year, as_of, prefix, completed)) | (~started & ~start_due_q(year, as_of, prefix))


# The groups ``plan_stats`` counts, each a filter on AnnualPlan rows: a group's count, and the
# sums of its total and annual planned investment.
def _groups(as_of: date | None) -> dict[str, Q]:
    started = started_q(as_of)
    return {
        "plan": Q(),
        "new_planned": NEW_Q,
        "continuing_planned": CONTINUING_Q,
        "started_or_resumed": started,
        "new_started": NEW_Q & started,
        "continuing_resumed": CONTINUING_Q & started,
    }


# The rates, each a (numerator, denominator) pair of figures of ``plan_stats``: a group's
# "count" or amount, or "completed_investment".
RATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "start_or_resume_rate": (("started_or_resumed", "count"), ("plan", "count")),
    "new_start_rate": (("new_started", "count"), ("new_planned", "count")),
    "continuing_resume_rate": (("continuing_resumed", "count"), ("continuing_planned", "count")),
    "completion_rate": (("completed_investment",), ("plan", "annual_plan")),
}


def percent(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    """A rate in percent, rounded half-up to one decimal; None when nothing to divide by."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def plans_in(year: int, region: Region | None = None, queryset: QuerySet | None = None) -> QuerySet:
    """The annual-plan rows of ``year`` within ``region`` (and within ``queryset`` if given,
    e.g. what a user may see)."""
    plans = queryset if queryset is not None else AnnualPlan.objects.all()
    plans = plans.filter(year=year)
    if region is not None:
        plans = plans.filter(project__region__path__startswith=region.path)
    return plans


def _end_of(day: date) -> datetime:
    """Reports count as of a date when approved by the end of that day."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _month_counts(as_of: date | None, month: int, prefix: str = "") -> Q:
    """The roll-up's report of ``month`` counts as of the date (approved by then)."""
    if as_of is None:
        return Q(**{f"{prefix}progress__at_{month:02d}__isnull": False})
    return Q(**{f"{prefix}progress__at_{month:02d}__lt": _end_of(as_of)})


def completed_ytd(as_of: date | None, plan: str = "") -> Case:
    """Year-to-date completed investment of a plan row (``plan`` is the path to the plan:
    "" on plan rows, "plan__" on the project list's rows): the 本年累计 of its project's latest
    report of the plan year approved by the date, 0 when it has none. Read from the roll-up
    of approved reports (``PlanProgress``), latest month first."""
    return Case(
        *[When(_month_counts(as_of, month, plan), then=F(f"{plan}progress__ytd_{month:02d}"))
          for month in reversed(PlanProgress.MONTHS)],
        default=ZERO, output_field=DecimalField(max_digits=18, decimal_places=4),
    )


def months_elapsed(year: int, as_of: date) -> int:
    """Whole months of ``year`` behind us on ``as_of`` (a month counts once it has ended)."""
    if as_of.year != year:
        return 12 if as_of.year > year else 0
    last_day = calendar.monthrange(as_of.year, as_of.month)[1]
    return as_of.month if as_of.day == last_day else as_of.month - 1


# THE ADDITIVITY RULE. Every aggregate this module defines (``_aggregates``, ``_month_sums``,
# ``LIST_SUMS``) is a plain COUNT or SUM: ``figures.py`` remembers grouped rows a part of a region
# at a time and adds the parts' rows up (``add_up``), which is exact only for additive aggregates.
# An average, a maximum or a distinct count would come out wrong once added: derive such figures
# from the sums, as the rates are. tests/test_indicators.py fails on any other aggregate.
def _aggregates(as_of: date | None) -> dict[str, Any]:
    aggregates: dict[str, Any] = {"completed_investment": Coalesce(Sum("completed"), ZERO)}
    for key, condition in _groups(as_of).items():
        aggregates[f"{key}__count"] = Count("id", filter=condition)
        aggregates[f"{key}__total_investment"] = Coalesce(
            Sum("project__total_investment", filter=condition), ZERO
        )
        aggregates[f"{key}__annual_plan"] = Coalesce(Sum("planned_investment", filter=condition), ZERO)
    return aggregates


def _stats_from(row: dict[str, Any], as_of: date | None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key in _groups(as_of):
        result[key] = {
            "count": row[f"{key}__count"],
            "total_investment": Decimal(row[f"{key}__total_investment"]),
            "annual_plan": Decimal(row[f"{key}__annual_plan"]),
        }
    result["completed_investment"] = Decimal(row["completed_investment"])

    def figure(path: tuple[str, ...]) -> Any:
        return functools.reduce(operator.getitem, path, result)

    result["rates"] = {key: percent(figure(top), figure(bottom)) for key, (top, bottom) in RATES.items()}
    return result


def plan_stats(plans: QuerySet, as_of: date | None = None) -> dict[str, Any]:
    """Counts and sums of the plan and its starts, the three start rates, completed
    investment and the completion rate.

    One aggregate query. Amounts are Decimal 万元.
    """
    return _stats_from(_aggregate(plans, as_of), as_of)


def _aggregate(plans: QuerySet, as_of: date | None, **more: Any) -> dict[str, Any]:
    """The raw sums ``_stats_from`` reads (and ``more``), over all of ``plans``."""
    return plans.annotate(completed=completed_ytd(as_of)).aggregate(**_aggregates(as_of), **more)


def grouped_rows(year: int, as_of: date | None, region: Region | None, plans: QuerySet | None,
                 by: tuple[str, ...], series: bool = False, restrict: Q | None = None) -> list[dict[str, Any]]:
    """The sums ``_stats_from`` reads (and with ``series`` the monthly chart's) over the plan
    rows of a year and region, grouped by the breakdowns ``by`` (each row carries its group in
    ``key_<by>``), in one query; ``restrict`` narrows the rows (to a part of the region)."""
    dimensions = {b: Dimension(b, region) for b in by}
    base = plans_in(year, region, plans)
    if restrict is not None:
        base = base.filter(restrict)
    if not by:
        return [_aggregate(base, as_of, **(_month_sums(as_of) if series else {}))]
    for b in set(by) - set(ADDITIVE):  # a plan without a leader (a list) is in no group
        base = base.filter(**{f"{FIELDS[b]}__isnull": False})
    return list(
        base
        .annotate(completed=completed_ytd(as_of), **{f"key_{b}": d.group for b, d in dimensions.items()})
        .order_by()
        .values(*[f"key_{b}" for b in by])
        .annotate(**_aggregates(as_of), **(_month_sums(as_of) if series else {}))
    )


def as_one(rows: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
    """Rows grouped by the regions under one region (and more) added up as that region's
    (``key_region`` its code), group by group of the other breakdowns."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(v for k, v in row.items() if k.startswith("key_") and k != "key_region"), []).append(row)
    return [{**{k: v for k, v in members[0].items() if k.startswith("key_")}, **add_up(members), "key_region": code}
            for members in groups.values()]


def region_code(key: str) -> str:
    """The code of the region a ``child_region_group`` value names (a path ends with it)."""
    return path_codes(key)[-1] if key.startswith("/") else key


def _stats_by(rows: list[dict[str, Any]], by: str, as_of: date | None) -> dict[Any, dict[str, Any]]:
    """``plan_stats`` for each group of ``by``, from rows grouped by it (and by more)."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row[f"key_{by}"], []).append(row)
    stats = {key: _stats_from(add_up(members), as_of) for key, members in groups.items()}
    if by == "batch":  # 三个一批 is always three: a batch with no project is a zero, not a gap
        for batch in Batch.values:
            stats.setdefault(batch, _stats_from(_total([], as_of), as_of))
    return stats


def child_region_group(region: Region, path: str = "project__region__path") -> tuple[list[Region], Any]:
    """The regions right under ``region`` and an expression naming, for each plan row, the
    child its project lies in (projects placed on ``region`` itself get its own path or code).
    When the children's codes are of one length (GB/T 2260 codes are) that is the start of the
    project's region path, the child's path: a third of the cost of a CASE of prefix matches,
    which a development zone's code ("…K01") still needs. ``path``: the rows' region path."""
    children = list(Region.objects.filter(parent=region).order_by("code"))
    lengths = {len(c.path) for c in children}
    if len(lengths) == 1:
        return children, Left(path, lengths.pop())
    case = Case(
        *[When(**{f"{path}__startswith": c.path}, then=Value(c.code)) for c in children],
        default=Value(region.code), output_field=CharField(),
    )
    return children, case


BREAKDOWNS = ("region", "sector", "level", "batch", "nature", "leader", "list")
# Breakdowns in which every plan row falls in exactly one group: their groups add up to the whole.
ADDITIVE = ("region", "sector", "level", "batch", "nature")
OVERVIEW = ("region", "sector", "batch")  # the dashboard's: few enough groups to add up in Python
FIELDS = {"sector": "project__sector", "level": "project__level", "batch": "batch", "nature": "nature",
          "leader": "project__leaders", "list": "project__lists", "unit": "project__responsible_unit"}
# "unit" (by responsible unit, for the assessment of city departments) is not among BREAKDOWNS:
# the API and the dashboard do not offer it; a plan without a responsible unit is in no group.


class Dimension:
    """What a breakdown groups plan rows by, and how its groups are labelled."""

    def __init__(self, by: str, region: Region | None) -> None:
        self.by, self.region = by, region
        if by == "region":
            if region is None:
                raise ValueError("a breakdown by region needs the region to break down")
            self.children, self.group = child_region_group(region)
        elif by in FIELDS:
            self.group = F(FIELDS[by])
        else:
            raise ValueError(f"unknown breakdown {by!r}")

    def rows(self, stats: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
        """The breakdown's rows from the stats of its groups; each carries ``key`` and ``label``."""
        if self.by == "region":
            region = self.region
            assert region is not None  # (__init__ refuses a breakdown by region without one)
            # a group named by a path ("/210000/210100/") is the region whose code ends it
            stats = {region_code(k): v for k, v in stats.items()}
            parts = [(c.code, c.name, c) for c in self.children] + [(region.code, region.name + "（本级）", region)]
            return [{"key": code, "label": label, "region": r, **stats[code]} for code, label, r in parts if code in stats]
        if self.by in ("leader", "list", "unit"):
            model: Any = {"leader": Leader, "list": ProjectList, "unit": Unit}[self.by]
            objects = {o.pk: o for o in model.objects.filter(pk__in=[k for k in stats if k])}
            return [{"key": k, "label": str(objects[k]), **v} for k, v in stats.items() if k in objects]
        labels = _labels(self.by, list(stats))
        order = {key: i for i, key in enumerate(labels)}  # choices in their own order
        return sorted(({"key": k, "label": labels.get(k, "—"), **v} for k, v in stats.items()),
                      key=lambda row: order.get(row["key"], len(order)))


def _with_time_progress(rows: list[dict[str, Any]], year: int, as_of: date) -> list[dict[str, Any]]:
    progress = time_progress(year, as_of)["time_progress"]
    for row in rows:
        row["rates"]["time_progress"] = progress
        row["rates"]["progress_gap"] = progress_gap(row["rates"]["completion_rate"], progress)
    return rows


def breakdown_from(rows: list[dict[str, Any]], by: str, year: int, as_of: date,
                   region: Region | None) -> list[dict[str, Any]]:
    """Rows of ``plan_stats`` by ``by`` from ``grouped_rows`` grouped by it (and by more):
    "region" (the regions under ``region``), "sector", "level", "batch", "nature", "leader" or
    "list"; each row carries its ``key`` and ``label``. By leader or list a project appears once
    under each of its leaders (or lists)."""
    return _with_time_progress(Dimension(by, region).rows(_stats_by(rows, by, as_of)), year, as_of)


def _month_sums(as_of: date | None) -> dict[str, Any]:
    """The monthly chart's sums: each month's 本月完成 approved by the date (NULL for a month
    without any)."""
    return {f"m{month}": Sum(f"progress__done_{month:02d}", filter=_month_counts(as_of, month))
            for month in PlanProgress.MONTHS}


def chart_series(sums: dict[str, Any], annual: Decimal) -> list[dict[str, Any]]:
    """The chart from ``_month_sums`` and the annual plan."""
    cumulative = ZERO
    series = []
    for month in PlanProgress.MONTHS:
        reported = sums[f"m{month}"] is not None  # some report of the month approved by the date
        done = Decimal(sums[f"m{month}"]) if reported else ZERO
        cumulative += done
        series.append({
            "month": month,
            "completed": done,
            "cumulative": cumulative if reported else None,
            "planned_cumulative": (Decimal(annual) * month / 12).quantize(Decimal("0.01")),
        })
    return series


def monthly_series(year: int, as_of: date, region: Region | None = None, plans: QuerySet | None = None) -> list[dict[str, Any]]:
    """Completed investment month by month (approved reports as of the date) against the
    straight-line plan (annual plan × month / 12), cumulative, in 万元. One query."""
    sums = plans_in(year, region, plans).aggregate(annual=Coalesce(Sum("planned_investment"), ZERO), **_month_sums(as_of))
    return chart_series(sums, sums["annual"])


def add_up(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate rows summed key by key (None where every row has None); the group keys
    (``key_…``) are not sums and are left out."""
    total: dict[str, Any] = {}
    for key in rows[0]:
        if not key.startswith("key_"):
            values = [row[key] for row in rows if row[key] is not None]
            total[key] = sum(values[1:], values[0]) if values else None
    return total


def overview_from(rows: list[dict[str, Any]], year: int, as_of: date, region: Region | None,
                  by: tuple[str, ...]) -> dict[str, Any]:
    """The year's figures, ``monthly_series`` and the additive breakdowns ``by`` from
    ``grouped_rows`` grouped by all of them at once (with ``series``), added up here: counts and
    Decimal sums add exactly, and rates are computed from the sums. What the dashboard shows."""
    assert set(by) <= set(ADDITIVE), by
    total = _total(rows, as_of, series=True)
    stats = _with_year(_stats_from(total, as_of), year, as_of)
    result: dict[str, Any] = {"stats": stats, "series": chart_series(total, stats["plan"]["annual_plan"])}
    for b in by:
        result[b] = _with_time_progress(Dimension(b, region).rows(_stats_by(rows, b, as_of)), year, as_of)
    return result


def _total(rows: list[dict[str, Any]], as_of: date | None, series: bool = False) -> dict[str, Any]:
    """The sums of additive groups added up (no rows: the zeros of an aggregate over none,
    which Django gives without a query)."""
    if rows:
        return add_up(rows)
    return _aggregate(AnnualPlan.objects.none(), as_of, **(_month_sums(as_of) if series else {}))


def _labels(by: str, keys: list[Any]) -> dict[Any, str]:
    if by == "sector":
        return {s.pk: s.name for s in Sector.objects.filter(pk__in=[k for k in keys if k])}
    choices = {"level": Project.Level.choices, "batch": Batch.choices, "nature": Nature.choices}[by]
    return {value: str(label) for value, label in choices}


def rank(rows: list[dict[str, Any]], rate: str = "completion_rate") -> list[dict[str, Any]]:
    """Rows numbered by ``rate``, best first (rows without a rate last, unranked)."""
    ranked = sorted(rows, key=lambda r: (r["rates"][rate] is None, -(r["rates"][rate] or 0)))
    for position, row in enumerate(ranked, start=1):
        row["rank"] = position if row["rates"][rate] is not None else None
    return ranked


def year_on_year(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """同比: amounts in percent change, rates in percentage points; None without a base."""

    def change(now: Decimal | int, before: Decimal | int) -> Decimal | None:
        if not before:
            return None
        return ((Decimal(now) - Decimal(before)) * 100 / Decimal(before)).quantize(Decimal("0.1"), ROUND_HALF_UP)

    result: dict[str, Any] = {}
    for key in ("plan", "started_or_resumed", "new_started", "continuing_resumed"):
        result[key] = {field: change(current[key][field], previous[key][field])
                       for field in ("count", "total_investment", "annual_plan")}
    result["completed_investment"] = change(current["completed_investment"], previous["completed_investment"])
    result["rates"] = {
        key: (value - previous["rates"][key]) if value is not None and previous["rates"].get(key) is not None else None
        for key, value in current["rates"].items()
    }
    return result


def time_progress(year: int, as_of: date) -> dict[str, Any]:
    """时间进度 and how far the completion rate is ahead of (+) or behind (−) it."""
    months = months_elapsed(year, as_of)
    return {"months_elapsed": months, "time_progress": percent(months, 12)}


def progress_gap(completion_rate: Decimal | None, progress: Decimal | None) -> Decimal | None:
    if completion_rate is None or progress is None:
        return None
    return completion_rate - progress


def year_stats_from(rows: list[dict[str, Any]], year: int, as_of: date) -> dict[str, Any]:
    """Everything about a plan year as of a date, from ``grouped_rows`` (by anything additive):
    ``plan_stats`` plus 时间进度 and the gap."""
    return _with_year(_stats_from(_total(rows, as_of), as_of), year, as_of)


def _with_year(stats: dict[str, Any], year: int, as_of: date) -> dict[str, Any]:
    stats = _with_time_progress([stats], year, as_of)[0]
    stats["months_elapsed"] = months_elapsed(year, as_of)
    return stats


def same_day_last_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def list_totals_from(rows: list[dict[str, Any]], projects: QuerySet) -> dict[str, Any]:
    """The totals line of a project list from ``list_rows`` of it: count, 总投资, and for a plan
    year its 年度计划 and 本年完成 (the list's ``annual_plan`` and ``completed`` annotations).
    Decimal 万元."""
    if rows:
        row = add_up(rows)
    else:  # the zeros of an aggregate over none (no query); a plan year's sums are zeros too
        row = projects.none().aggregate(**LIST_SUMS)
        row.update({total: ZERO for total, column in (("plan_sum", "annual_plan"), ("completed_sum", "completed"))
                    if column in projects.query.annotations})
    return {
        "count": row["n"],
        "total_investment": Decimal(row["total_sum"]),
        "annual_plan": Decimal(row["plan_sum"]) if row["plan_sum"] is not None else None,
        "completed": Decimal(row["completed_sum"]) if row["completed_sum"] is not None else None,
    }


# Aggregate aliases must differ from the list's annotations ("annual_plan"), or the aggregate
# silently replaces the annotation it sums.
LIST_SUMS = {"n": Count("id"), "total_sum": Coalesce(Sum("total_investment"), ZERO),
             "plan_sum": Sum("annual_plan"), "completed_sum": Sum("completed")}


def list_rows(projects: QuerySet, restrict: Q | None = None) -> list[dict[str, Any]]:
    """The sums of ``list_totals_from``, a row for each region holding projects
    (``region_id``); ``restrict`` narrows the projects."""
    if restrict is not None:
        projects = projects.filter(restrict)
    return list(projects.order_by().values("region_id").annotate(**LIST_SUMS))


# --- dispatch (调度 · 问题): meetings and problems as of a date --------------------------------
# The predicates selecting the rows behind each figure, shared with the ledger's and the meeting
# list's filters (``dispatch.filters``) so that a figure and its list agree.

def dispatch_window(year: int, as_of: date) -> tuple[date, date]:
    """The days a dispatch figure of ``year`` counts: 1 January to the as-of date, or to
    31 December once the year is over."""
    return date(year, 1, 1), min(as_of, date(year, 12, 31))


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def raised_q(start: date, end: date) -> Q:
    return Q(raised_on__gte=start, raised_on__lte=end)


def signed_off_q(start: date | None, end: date | None) -> Q:
    """Signed off on a day from ``start`` to ``end`` (local days; either end open if None)."""
    condition = Q(signed_off_at__isnull=False)
    if start is not None:
        condition &= Q(signed_off_at__gte=_start_of(start))
    if end is not None:
        condition &= Q(signed_off_at__lt=_end_of(end))
    return condition


# Signed off by the deadline running then (``Problem.due``: the escalation's once escalated).
ON_TIME_Q = Q(LessThanOrEqual(TruncDate("signed_off_at"), Coalesce("escalation_deadline", "deadline")))


def open_q(day: date) -> Q:
    """Raised by the end of ``day`` and not signed off by then (signed off later: open then)."""
    return Q(raised_on__lte=day) & (Q(signed_off_at__isnull=True) | Q(signed_off_at__gte=_end_of(day)))


# The problem figures, each a COUNT (the additivity rule above: rows grouped by category, lead
# unit and leader are added up into the totals and each breakdown).
PROBLEM_COUNTS = ("raised", "solved", "on_time", "open", "overdue")
PROBLEM_GROUPS = {"category": "category", "lead_unit": "lead_unit_id", "leader": "leader_id"}


def _problem_aggregates(start: date, end: date) -> dict[str, Any]:
    solved = signed_off_q(start, end)
    return {"raised": Count("id", filter=raised_q(start, end)), "solved": Count("id", filter=solved),
            "on_time": Count("id", filter=solved & ON_TIME_Q), "open": Count("id", filter=open_q(end)),
            "overdue": Count("id", filter=overdue_on_q(end))}


def problem_rows(problems: QuerySet, year: int, as_of: date, part: Any = None) -> list[dict[str, Any]]:
    """The problem counts of ``problems`` grouped by category, lead unit and leader at once
    (``key_<group>``) and by ``part`` (``key_region``) when given, one query; only problems that
    count for some figure are read."""
    start, end = dispatch_window(year, as_of)
    counted = problems.filter(raised_q(start, end) | signed_off_q(start, end) | open_q(end))
    keys = {f"key_{g}": F(field) for g, field in PROBLEM_GROUPS.items()} | _part_key(part)
    return list(counted.order_by().values(**keys).annotate(**_problem_aggregates(start, end)))


def sign_off_days(problems: QuerySet, year: int, as_of: date, part: Any = None) -> list[dict[str, Any]]:
    """How many problems signed off in the window took how many days from raising (``days``,
    ``count``; by ``part`` when given), one query: a histogram, which adds up, for the median."""
    start, end = dispatch_window(year, as_of)
    took = ExpressionWrapper(TruncDate("signed_off_at") - F("raised_on"), output_field=DurationField())
    rows = problems.filter(signed_off_q(start, end)).order_by().values(took=took, **_part_key(part))
    return [{**row, "days": row.pop("took").days} for row in rows.annotate(count=Count("id"))]


def _part_key(part: Any) -> dict[str, Any]:
    return {} if part is None else {"key_region": part}


def meeting_rows(meetings: QuerySet, year: int, as_of: date, part: Any = None) -> list[dict[str, Any]]:
    """Meetings in the window by kind (``kind``, ``count``; by ``part`` when given), one query."""
    start, end = dispatch_window(year, as_of)
    return list(meetings.filter(date__gte=start, date__lte=end).order_by().values("kind", **_part_key(part))
                .annotate(count=Count("id")))


def median(values: list[int]) -> Decimal | None:
    """The median to one decimal (the mean of the middle two for an even number); None for none."""
    if not values:
        return None
    ordered, middle = sorted(values), len(values) // 2
    found = Decimal(ordered[middle]) if len(ordered) % 2 else Decimal(ordered[middle - 1] + ordered[middle]) / 2
    return found.quantize(Decimal("0.1"), ROUND_HALF_UP)


def _problem_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {key: sum(row[key] for row in rows) for key in PROBLEM_COUNTS}
    return {**counts, "on_time_rate": percent(counts["on_time"], counts["solved"])}


def dispatch_from(problem_rows: list[dict[str, Any]], meeting_rows: list[dict[str, Any]],
                  day_rows: list[dict[str, Any]], year: int, as_of: date) -> dict[str, Any]:
    """The dispatch figures from ``problem_rows``, ``meeting_rows`` and ``sign_off_days`` (rows of
    parts of the scope added up here): meetings
    by kind, the problem counts with 按期办结率 and the median days to sign-off, and the counts by
    category, lead unit and leader (largest first; a unit's or a leader's row keyed None holds the
    problems without one)."""
    start, end = dispatch_window(year, as_of)
    meetings = {kind: sum(row["count"] for row in meeting_rows if row["kind"] == kind) for kind in MeetingKind.values}
    days = [row["days"] for row in day_rows for _ in range(row["count"])]
    problems = {**_problem_figures(problem_rows), "median_days": median(days)}
    labels: dict[str, dict[Any, str]] = {
        "category": {value: str(label) for value, label in Problem.Category.choices},
        "lead_unit": {u.pk: u.name for u in Unit.objects.filter(
            pk__in={r["key_lead_unit"] for r in problem_rows} - {None})},
        "leader": {leader.pk: str(leader) for leader in Leader.objects.filter(
            pk__in={r["key_leader"] for r in problem_rows} - {None})},
    }
    breakdowns: dict[str, list[dict[str, Any]]] = {}
    for group in PROBLEM_GROUPS:
        members: dict[Any, list[dict[str, Any]]] = {}
        for row in problem_rows:
            members.setdefault(row[f"key_{group}"], []).append(row)
        rows = [{"key": key, "label": labels[group].get(key, "—") if key is not None else None,
                 **_problem_figures(part)} for key, part in members.items()]
        breakdowns[group] = sorted(rows, key=lambda r: (-r["raised"], -r["open"], str(r["key"])))
    return {"year": year, "start": start, "end": end, "meetings": meetings,
            "meetings_total": sum(meetings.values()), "problems": problems, "by": breakdowns}


def dispatch_json(figures: dict[str, Any]) -> dict[str, Any]:
    """The ``"dispatch"`` object of ``stats --json`` and the indicators API: meetings by kind and
    the problem counts with 按期办结率 as a string ("88.9"; null with nothing signed off)."""
    problems = figures["problems"]
    rate = problems["on_time_rate"]
    return {"meetings": dict(figures["meetings"]),
            "problems": {"raised": problems["raised"], "solved": problems["solved"], "open": problems["open"],
                         "overdue": problems["overdue"], "on_time_rate": str(rate) if rate is not None else None}}


# --- warnings (预警): the open ones on a date, by colour, kind and part of the region ------------

def warning_rows(warnings: QuerySet, as_of: date, part: Any = None) -> list[dict[str, Any]]:
    """The warnings of ``warnings`` open on the date (``alerts.models.open_on_q``) counted by kind
    and colour on the date (``colour_on``) (and by ``part``, ``key_region``, when given), one query of COUNTs."""
    return list(warnings.filter(open_on_q(as_of)).order_by()
                .values("kind", colour_of=colour_on(as_of), **_part_key(part)).annotate(count=Count("id")))


def assessment_event_rows(problems: QuerySet, reports: QuerySet, warnings: QuerySet, months: tuple[int, ...],
                          as_of: date) -> list[dict[str, Any]]:
    """The events an assessment scores, each row a COUNT by kind, region path and unit: problems
    overdue on the date (by lead unit), reports of the period's ``months`` filed late or not filed
    (by the project's responsible unit) and warnings red on the date (the same)."""
    filed = ("submitted", "approved")
    counted = [
        ("overdue_problems", problems.filter(overdue_on_q(as_of), raised_on__lte=as_of), "region__path", "lead_unit_id"),
        ("late_reports", reports.filter(period__month__in=months).filter(Q(late=True) | ~Q(status__in=filed)),
         "project__region__path", "project__responsible_unit_id"),
        ("red_warnings", warnings.filter(open_on_q(as_of), red_on_q(as_of)), "region__path",
         "project__responsible_unit_id"),
    ]
    return [{"event": event, "path": row["path"], "unit": row["unit"], "count": row["count"]}
            for event, rows, path, unit in counted
            for row in rows.order_by().values(path=F(path), unit=F(unit)).annotate(count=Count("id"))]


def warnings_from(rows: list[dict[str, Any]], region: Region | None) -> dict[str, Any]:
    """The warning figures from ``warning_rows``: red and yellow (the colour on the date), the same by rule kind (in the
    kinds' order) and, under a region, by the regions right under it (its 本级 last)."""
    def colours(members: list[dict[str, Any]]) -> dict[str, int]:
        return {colour: sum(r["count"] for r in members if r["colour_of"] == colour) for colour in Colour.values}

    by_kind = [{"key": kind, "label": str(label), **colours([r for r in rows if r["kind"] == kind])}
               for kind, label in Kind.choices]
    by_region: list[dict[str, Any]] = []
    if region is not None and rows and "key_region" in rows[0]:
        parts: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            parts.setdefault(region_code(row["key_region"]), []).append(row)
        children = [(c.code, c.name, c) for c in Region.objects.filter(parent=region).order_by("code")]
        for code, label, where in [*children, (region.code, region.name + "（本级）", region)]:
            if code in parts:
                by_region.append({"key": code, "label": label, "region": where, **colours(parts[code])})
    return {**colours(rows), "by_kind": [k for k in by_kind if k["red"] or k["yellow"]], "by_region": by_region}


def warnings_json(figures: dict[str, Any]) -> dict[str, int]:
    """The ``"warnings"`` object of ``stats --json``."""
    return {"red": figures["red"], "yellow": figures["yellow"]}


# --- task lists (任务清单): tasks done, on time and overdue as of a date ---------------------------
# COUNTs of tasks grouped by lead unit and area at once: the totals, each unit's and each area's
# figures are these rows added up (the additivity rule above).
TASK_COUNTS = ("tasks", "done", "on_time", "overdue")


def _task_aggregates(as_of: date) -> dict[str, Any]:
    return {"tasks": Count("id"), "done": Count("id", filter=task_done_q(as_of)),
            "on_time": Count("id", filter=task_on_time_q(as_of)), "overdue": Count("id", filter=task_overdue_q(as_of))}


def task_rows(tasks: QuerySet, as_of: date) -> list[dict[str, Any]]:
    """The task counts of ``tasks`` by lead unit (``key_unit``) and area (``key_area``), one query."""
    return list(tasks.order_by().values(key_unit=F("lead_unit_id"), key_area=F("area_id"))
                .annotate(**_task_aggregates(as_of)))


def _task_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {key: sum(row[key] for row in rows) for key in TASK_COUNTS}
    return {**counts, "on_time_rate": percent(counts["on_time"], counts["done"] + counts["overdue"])}


def tasks_from(rows: list[dict[str, Any]], areas: int) -> dict[str, Any]:
    """The task figures from ``task_rows``: the counts with 任务按期完成率, and the same by lead
    unit (most tasks first) and by area (in the list's order), each keyed by the id; ``areas``
    is the number of areas of the list."""
    from keyprojects.tasklists.models import Area

    by: dict[str, list[dict[str, Any]]] = {}
    units = {u.pk: u.name for u in Unit.objects.filter(pk__in={r["key_unit"] for r in rows})}
    areas_by_id = {a.pk: (a.number, a.name) for a in Area.objects.filter(pk__in={r["key_area"] for r in rows})}
    for group in ("unit", "area"):
        members: dict[Any, list[dict[str, Any]]] = {}
        for row in rows:
            members.setdefault(row[f"key_{group}"], []).append(row)
        found = [{"key": key, **_task_figures(part)} for key, part in members.items()]
        if group == "unit":
            for row in found:
                row["label"] = units.get(row["key"], "—")
            found.sort(key=lambda r: (-r["tasks"], r["label"]))
        else:
            for row in found:
                row["number"], row["label"] = areas_by_id.get(row["key"], (0, "—"))
            found.sort(key=lambda r: r["number"])
        by[group] = found
    return {"areas": areas, **_task_figures(rows), "by": by}


def tasks_json(figures: dict[str, Any]) -> dict[str, int]:
    """The ``"tasks"`` object of ``stats --json``."""
    return {"areas": figures["areas"], "tasks": figures["tasks"], "done": figures["done"],
            "done_on_time": figures["on_time"], "overdue": figures["overdue"]}


# The keys of ``to_json``'s input whose values are rates or changes of rates, in points.
RATE_KEYS = ("rates", "year_on_year")


def to_json(stats: dict[str, Any]) -> dict[str, Any]:
    """Decimals as strings (no float ever touches money): amounts without trailing zeros
    ("26198000", "1234.56"), rates and their changes as rounded ("65.8", "20.0")."""

    def convert(value: Any, in_rates: bool = False) -> Any:
        if isinstance(value, dict):
            return {k: convert(v, in_rates or k in RATE_KEYS) for k, v in value.items()}
        if isinstance(value, Decimal):
            return str(value) if in_rates else format(value.normalize(), "f")
        return value

    return convert(stats)


# --- leaders' packages (包抓) --------------------------------------------------------------
# A project's standing in its leader's package, by (on time, started): on time and started
# (正常推进), on time before its start is due (未到计划开工月份), started but behind time progress
# (慢于时间进度), not started past its planned month (未按期开工). Pages label the keys.
STANDING = {(True, True): "on_pace", (True, False): "not_due", (False, True): "behind", (False, False): "late_start"}


def package_rows(plans: QuerySet, year: int, as_of: date, by_leader: bool = False) -> list[dict[str, Any]]:
    """One row per plan row of ``plans`` (with ``by_leader``, per plan and each of its project's
    leaders, ``key_leader``): the project, its annual plan and completed investment this year
    (``completed_ytd``), and whether it has started, is due to start and is on time
    (``on_time_q``), as of the date. One query."""
    def flag(condition: Q) -> Case:
        return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())

    fields = ["project_id", "project__name", "project__region__name", "project__stage", "nature",
              "planned_investment", "planned_start_month", "completed", "is_started", "is_due", "is_on_time"]
    if by_leader:
        plans = plans.annotate(key_leader=F("project__leaders"))
        fields.append("key_leader")
    return list(plans.annotate(
        completed=completed_ytd(as_of), is_started=flag(started_q(as_of)), is_due=flag(start_due_q(year, as_of)),
        is_on_time=flag(on_time_q(year, as_of)),
    ).order_by("project__region__code", "-planned_investment", "project_id").values(*fields))


def problem_counts(problems: QuerySet, today: date) -> dict[int, dict[str, int]]:
    """By project, its problems not signed off (``dispatch.models.OPEN``) and overdue
    (``overdue_q``) today. One query."""
    found = (problems.filter(project__isnull=False).order_by().values("project_id")
             .annotate(open=Count("pk", filter=Q(state__in=OPEN)), overdue=Count("pk", filter=overdue_q(today))))
    return {row["project_id"]: {"open": row["open"], "overdue": row["overdue"]} for row in found}


def package_from(rows: list[dict[str, Any]], problems: dict[int, dict[str, int]], year: int,
                 as_of: date) -> dict[str, Any]:
    """A leader's package: a line per project (``package_rows``) with its completion rate, the
    gap to time progress, its standing and its problems; and the totals, which are the sums of
    the lines (rates computed from the sums, as everywhere)."""
    progress = time_progress(year, as_of)["time_progress"]
    projects = []
    for row in rows:
        rate = percent(row["completed"], row["planned_investment"])
        counts = problems.get(row["project_id"], {"open": 0, "overdue": 0})
        projects.append({
            "project_id": row["project_id"], "name": row["project__name"], "region": row["project__region__name"],
            "stage": row["project__stage"], "nature": row["nature"], "planned_start_month": row["planned_start_month"],
            "annual_plan": Decimal(row["planned_investment"]), "completed": Decimal(row["completed"]),
            "completion_rate": rate, "progress_gap": progress_gap(rate, progress),
            "started": row["is_started"], "start_due": row["is_due"], "on_time": row["is_on_time"],
            "standing": STANDING[(row["is_on_time"], row["is_started"])], **counts,
        })
    return {"projects": projects, "totals": package_totals(projects, progress)}


def package_totals(projects: list[dict[str, Any]], progress: Decimal | None) -> dict[str, Any]:
    """The sums of a package's lines: projects, on time, started, annual plan, completed,
    problems open and overdue; the completion rate, gap and share on time from them."""
    annual_plan = sum((p["annual_plan"] for p in projects), ZERO)
    completed = sum((p["completed"] for p in projects), ZERO)
    count, on_time = len(projects), sum(p["on_time"] for p in projects)
    rate = percent(completed, annual_plan)
    return {
        "count": count, "on_time": on_time, "behind": count - on_time, "started": sum(p["started"] for p in projects),
        "annual_plan": annual_plan, "completed": completed, "completion_rate": rate, "time_progress": progress,
        "progress_gap": progress_gap(rate, progress), "on_time_share": percent(on_time, count),
        "open": sum(p["open"] for p in projects), "overdue": sum(p["overdue"] for p in projects),
    }


def ranking_from(rows: list[dict[str, Any]], problems: dict[int, dict[str, int]], leaders: list[Leader],
                 year: int, as_of: date) -> list[dict[str, Any]]:
    """Each leader's package totals (``package_from`` over their rows of ``package_rows`` by
    leader), ranked by the share of projects on time, then the completion rate (leaders
    without a project in the plan last, unranked)."""
    by_leader: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_leader.setdefault(row["key_leader"], []).append(row)
    ranking = [{"leader": leader, **package_from(by_leader.get(leader.pk, []), problems, year, as_of)["totals"]}
               for leader in leaders]
    ranking.sort(key=lambda r: (r["on_time_share"] is None, -(r["on_time_share"] or 0),
                                -(r["completion_rate"] or 0), r["leader"].order, r["leader"].name))
    for position, row in enumerate(ranking, start=1):
        row["rank"] = position if row["on_time_share"] is not None else None
    return ranking


# --- 前期手续 (approvals) ---------------------------------------------------------------------
# Counted over the required items of the year's new projects; each figure a COUNT (additive:
# rows of parts of the scope are added up).
APPROVAL_COUNTS = ("required", "obtained", "late")


def approvals_population(approvals: QuerySet, year: int) -> QuerySet:
    """The required items the approvals figures of ``year`` count: those of the projects new
    (新开工) in that year's plan."""
    return approvals.filter(required=True, project__in=AnnualPlan.objects.filter(year=year, nature=Nature.NEW)
                            .values("project_id"))


def approval_rows(approvals: QuerySet, year: int, as_of: date, part: Any = None) -> list[dict[str, Any]]:
    """The approval counts of ``approvals`` (by ``part`` when given), one query."""
    counted = approvals_population(approvals, year).order_by()
    # (named apart from the model's ``required`` field, which the filters read)
    counts = {"n_required": Count("id"), "n_obtained": Count("id", filter=obtained_q(as_of)),
              "n_late": Count("id", filter=late_q(as_of))}
    if part is None:
        return [counted.aggregate(**counts)]
    return list(counted.values(**_part_key(part)).annotate(**counts))


def approvals_from(rows: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {key: sum(row[f"n_{key}"] for row in rows) for key in APPROVAL_COUNTS}
    return {**counts, "pending": counts["required"] - counts["obtained"],
            "completion_rate": percent(counts["obtained"], counts["required"])}


def with_approvals(payload: dict[str, Any], figures: dict[str, Any]) -> dict[str, Any]:
    """``payload`` (``stats --json``'s, the indicators API's) with the ``"approvals"`` object and
    ``year_on_year.approvals_completion_rate`` (its change in points), as strings."""
    rate, change = figures["completion_rate"], figures["change"]
    payload["approvals"] = {"required": figures["required"], "obtained": figures["obtained"], "late": figures["late"],
                            "completion_rate": str(rate) if rate is not None else None}
    payload["year_on_year"]["approvals_completion_rate"] = str(change) if change is not None else None
    return payload


# --- 招商引资 (investment attraction) ---------------------------------------------------------
# COUNTs and SUMs of leads, agreements, funds and events grouped by following unit, leader and
# industry chain at once: the totals and each group's figures are these rows added up.
ATTRACTION_SUMS = ("events", "intentions", "framework_agreements", "signed_projects", "landed", "started",
                   "signed_amount", "contract_amount", "funds_in_place", "funds_out_of_province")
ATTRACTION_GROUPS = ("unit", "leader", "chain")


def _lead_aggregates(start: date, end: date, prefix: str = "") -> dict[str, Any]:
    from keyprojects.attraction.models import reached_q

    signed = reached_q("signed_on", start, end, prefix)
    return {"intentions": Count("id", filter=reached_q("intention_on", start, end, prefix)),
            "framework_agreements": Count("id", filter=reached_q("framework_on", start, end, prefix)),
            "signed_projects": Count("id", filter=signed),
            "landed": Count("id", filter=signed & reached_q("landed_on", None, end, prefix)),
            "started": Count("id", filter=signed & reached_q("landed_on", None, end, prefix)
                             & reached_q("started_on", None, end, prefix))}


def attraction_rows(leads: QuerySet, agreements: QuerySet, funds: QuerySet, events: QuerySet, year: int,
                    as_of: date) -> list[dict[str, Any]]:
    """The attraction counts and sums of the period (1 January of ``year`` to ``as_of``) by
    following unit (``key_unit``), leader (``key_leader``) and chain (``key_chain``); events by
    organizing unit and leader. Four queries."""
    from keyprojects.attraction.models import Agreement, counted_signing_q

    start = date(year, 1, 1)
    names = {"key_unit": "unit_id", "key_leader": "leader_id", "key_chain": "chain"}
    rows = list(leads.order_by().values(**{k: F(v) for k, v in names.items()}).annotate(**_lead_aggregates(start, as_of)))
    through = {k: F(f"lead__{v}") for k, v in names.items()}
    rows += agreements.order_by().values(**through).annotate(
        signed_amount=Coalesce(Sum("amount", filter=counted_signing_q(start, as_of)), ZERO),
        contract_amount=Coalesce(Sum("amount", filter=Q(kind=Agreement.Kind.CONTRACT, signed_on__gte=start,
                                                        signed_on__lte=as_of)), ZERO))
    months = Q(year__lt=as_of.year) | Q(year=as_of.year, month__lte=as_of.month)
    rows += funds.filter(months, lead__signed_on__gte=start, lead__signed_on__lte=as_of).order_by().values(
        **through).annotate(funds_in_place=Coalesce(Sum("amount"), ZERO),
                            funds_out_of_province=Coalesce(Sum("out_of_province"), ZERO))
    rows += events.filter(date__gte=start, date__lte=as_of).order_by().values(
        key_unit=F("unit_id"), key_leader=F("leader_id")).annotate(events=Count("id"))
    return rows


def _attraction_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    sums = {key: sum((row.get(key) or 0 for row in rows), 0) for key in ATTRACTION_SUMS}
    for key in ("signed_amount", "contract_amount", "funds_in_place", "funds_out_of_province"):
        sums[key] = Decimal(sums[key])
    return {**sums, "landing_rate": percent(sums["landed"], sums["signed_projects"]),
            "start_rate": percent(sums["started"], sums["landed"]),
            "performance_rate": percent(sums["started"], sums["signed_projects"]),
            "funds_in_place_rate": percent(sums["funds_in_place"], sums["contract_amount"])}


def attraction_from(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The attraction figures from ``attraction_rows``: the sums with the rates, and the same by
    following unit, leader and industry chain (largest signed amount first)."""
    by: dict[str, list[dict[str, Any]]] = {}
    units = {u.pk: u.name for u in Unit.objects.filter(pk__in={r.get("key_unit") for r in rows})}
    leaders = {x.pk: x.name for x in Leader.objects.filter(pk__in={r.get("key_leader") for r in rows})}
    for group in ATTRACTION_GROUPS:
        members: dict[Any, list[dict[str, Any]]] = {}
        for row in rows:
            if group == "chain" and "events" in row:
                continue  # (an event has no chain)
            members.setdefault(row.get(f"key_{group}"), []).append(row)
        names = units if group == "unit" else leaders if group == "leader" else {}
        found = [{"key": key, "label": names.get(key, key) if key not in (None, "") else "—",
                  **_attraction_figures(part)} for key, part in members.items()]
        found.sort(key=lambda r: (-r["signed_amount"], -r["signed_projects"], -r["events"], str(r["label"])))
        by[group] = found
    return {**_attraction_figures(rows), "by": by}


def attraction_json(figures: dict[str, Any]) -> dict[str, Any]:
    """The ``"attraction"`` object of ``stats --json`` (amounts in 万元, rates in %, as strings)."""
    def amount(value: Any) -> str:  # (as to_json: without the database's trailing zeros, the same on any)
        return format(Decimal(value).normalize(), "f")

    def rate(value: Any) -> str | None:
        return None if value is None else str(value)

    return {"events": figures["events"], "intentions": figures["intentions"],
            "framework_agreements": figures["framework_agreements"], "signed_amount": amount(figures["signed_amount"]),
            "signed_projects": figures["signed_projects"], "landed": figures["landed"], "started": figures["started"],
            "contract_amount": amount(figures["contract_amount"]), "funds_in_place": amount(figures["funds_in_place"]),
            "funds_out_of_province": amount(figures["funds_out_of_province"]),
            **{key: rate(figures[key]) for key in ("landing_rate", "start_rate", "performance_rate",
                                                   "funds_in_place_rate")}}


PACKAGE_KINDS = {"project": "projects", "prework": "prework_projects", "enterprise": "enterprises",
                 "lead": "attraction_projects"}


def packages_from(packages: QuerySet, items: QuerySet) -> dict[str, Any]:
    """The package figures: leaders and departments (each counted once) and the items by kind
    (``PACKAGE_KINDS``). Three queries."""
    ids = packages.values("pk")
    departments = Unit.objects.filter(Q(led_packages__in=ids) | Q(helped_packages__in=ids)).distinct().count()
    counts = dict(items.order_by().values_list("kind").annotate(n=Count("id")))
    return {"packages": packages.count(), "leaders": packages.values("leader").distinct().count(),
            "departments": departments, **{name: counts.get(kind, 0) for kind, name in PACKAGE_KINDS.items()}}
# --- 资金申报 (funding rounds): applications, approved, issued and spent as of a date -------------
# COUNTs and SUMs of applications grouped by kind of money, round and part of the region at once:
# the kinds', rounds' and counties' figures are these rows added up (the additivity rule above).
FUNDING_SUMS = ("applied", "total_investment", "requested", "approved_n", "approved", "issued_n", "issued",
                "issued_total_investment", "spent")


def _funding_aggregates(as_of: date) -> dict[str, Any]:
    from keyprojects.funding.models import applied_q, approved_q, issued_q, spent_q

    applied, approved, issued, spent = applied_q(as_of), approved_q(as_of), issued_q(as_of), spent_q(as_of)
    return {"applied": Count("id", filter=applied),
            "total_investment": Coalesce(Sum("project__total_investment", filter=applied), ZERO),
            "requested": Coalesce(Sum("requested", filter=applied), ZERO),
            "approved_n": Count("id", filter=approved), "approved": Coalesce(Sum("approved", filter=approved), ZERO),
            "issued_n": Count("id", filter=issued), "issued": Coalesce(Sum("issued", filter=issued), ZERO),
            "issued_total_investment": Coalesce(Sum("project__total_investment", filter=issued), ZERO),
            "spent": Coalesce(Sum("spent", filter=spent), ZERO)}


def funding_rows(applications: QuerySet, as_of: date, part: Any = None) -> list[dict[str, Any]]:
    """The funding sums of ``applications`` by kind (``key_kind``), round (``key_round``) and,
    when given, ``part`` of the region (``key_region``), one query."""
    return list(applications.order_by().values(key_kind=F("round__kind"), key_round=F("round_id"), **_part_key(part))
                .annotate(**_funding_aggregates(as_of)))


def _funding_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {key: sum((row[key] for row in rows), 0 if key in ("applied", "approved_n", "issued_n") else ZERO)
            for key in FUNDING_SUMS}


def funding_from(rows: list[dict[str, Any]], rounds: dict[int, str], regions: dict[str, str]) -> dict[str, Any]:
    """The funding figures from ``funding_rows``: the whole, by kind (every kind, zeros where
    none), by round (``rounds``: id → name) and by part of the region (``regions``: the part's
    key → name) when the rows carry it."""
    from keyprojects.funding.models import Round

    def grouped(key: str) -> dict[Any, list[dict[str, Any]]]:
        members: dict[Any, list[dict[str, Any]]] = {}
        for row in rows:
            members.setdefault(row[key], []).append(row)
        return members

    by_kind = {kind: _funding_figures(grouped("key_kind").get(kind, [])) for kind in Round.Kind.values}
    by_round = [{"key": key, "label": rounds.get(key, "—"), **_funding_figures(members)}
                for key, members in grouped("key_round").items()]
    by_round.sort(key=lambda r: r["label"])
    by_region = []
    if rows and "key_region" in rows[0]:
        by_region = [{"key": key, "label": regions.get(region_code(key), key), **_funding_figures(members)}
                     for key, members in grouped("key_region").items()]
        by_region.sort(key=lambda r: r["key"])
    return {**_funding_figures(rows), "kinds": by_kind, "by_round": by_round, "by_region": by_region}


def funding_json(figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``"funding"`` object of ``stats --json``: by kind of money, amounts in 万元 as strings."""
    def one(f: dict[str, Any]) -> dict[str, Any]:
        return to_json({"projects": f["applied"], "total_investment": f["total_investment"],
                        "requested": f["requested"], "approved_projects": f["approved_n"], "approved": f["approved"],
                        "issued": f["issued"], "issued_projects": f["issued_n"],
                        "issued_total_investment": f["issued_total_investment"], "spent": f["spent"]})

    return {kind: one(f) for kind, f in figures["kinds"].items() if f["applied"]}

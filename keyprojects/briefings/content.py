"""A briefing's content, built from the figure door only (``indicators.figures``, with the acting
user's scope): the headline paragraph in the official register, the sections (each a function in
``SECTIONS``: a ranking paragraph is one more line there), the chart data and the definition of
every indicator it quotes. The result is plain JSON (amounts as Decimal strings in 万元 beside
their 亿元 text), so a published briefing keeps it as its snapshot and renders from it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from keyprojects.assessment import ranking as assessment_ranking
from keyprojects.assessment import text as assessment_text
from keyprojects.assessment.periods import Period
from keyprojects.core.money import format_pct, format_yi, to_yi
from keyprojects.core.permissions import Actor
from keyprojects.indicators import figures
from keyprojects.indicators.engine import INDICATORS
from keyprojects.projects.models import AnnualPlan, Project
from keyprojects.regions.models import Region

NUMERALS = "一二三四五六七八九十"
BEHIND_LISTED = 10  # the projects named in 滞后项目; the count covers them all


def yi(wan: Decimal) -> str:
    """万元 as 亿元 with two decimals, as prose writes it (no thousands separators)."""
    return format_yi(wan).replace(",", "")


def pct(rate: Decimal | None) -> str:
    return format_pct(rate)


def points(gap: Decimal | None) -> str:
    """快于/慢于时间进度 N 个百分点 (or 与时间进度持平)."""
    if gap is None:
        return ""
    if gap == 0:
        return "与时间进度持平"
    return f"{'快于' if gap > 0 else '慢于'}时间进度{abs(gap)}个百分点"


def period(as_of: date, reported: int | None) -> str:
    """1—5月: the months whose reports the figures hold (the latest month with a report approved
    by the date: reports of May approved on 5 June make 1—5月); 截至6月5日 before any."""
    if reported is None:
        return f"截至{as_of.month}月{as_of.day}日"
    return "1月" if reported == 1 else f"1—{reported}月"


def check(region: Region | None, year: int | None, as_of: date | None) -> None:
    """A clear Chinese message for what cannot be a briefing: no region, a date outside the year."""
    errors: dict[str, str] = {}
    if region is None:
        errors["region"] = _("请选择区划")
    if year is None or not 2000 <= year <= 2100:
        errors["year"] = _("计划年度应为 2000—2100 之间的年份")
    elif as_of is None:
        errors["as_of"] = _("请填写统计截止日期")
    elif as_of.year != year:
        errors["as_of"] = _("统计截止日期 %(day)s 不在 %(year)s 年内") % {"day": as_of.isoformat(), "year": year}
    if errors:
        raise ValidationError(errors)


@dataclass
class Facts:
    """What the sections read: the actor, the region and date, the year's figures."""

    actor: Actor
    region: Region
    year: int
    as_of: date
    stats: dict[str, Any]
    reported: int | None = None  # the latest month with a report approved by the date
    used: list[str] = field(default_factory=list)  # indicator keys quoted, for the 说明

    def quote(self, *keys: str) -> None:
        self.used.extend(k for k in keys if k not in self.used)


def headline(facts: Facts) -> str:
    s, r = facts.stats, facts.stats["rates"]
    facts.quote("plan", "completed_investment", "completion_rate", "time_progress", "progress_gap",
                "started_or_resumed", "start_or_resume_rate", "new_started", "continuing_resumed")
    text = (f"{period(facts.as_of, facts.reported)}，{facts.region.whole}{s['plan']['count']}个重点项目"
            f"累计完成投资{yi(s['completed_investment'])}亿元，占年度计划的{pct(r['completion_rate'])}")
    gap = points(r["progress_gap"])
    text += f"，{gap}" if gap else ""
    text += (f"；开复工{s['started_or_resumed']['count']}个，开复工率{pct(r['start_or_resume_rate'])}，"
             f"其中新开工{s['new_started']['count']}个、续建项目复工{s['continuing_resumed']['count']}个。")
    return text


def overview(facts: Facts) -> dict[str, Any]:
    s, r = facts.stats, facts.stats["rates"]
    facts.quote("new_planned", "continuing_planned", "new_start_rate", "continuing_resume_rate")
    text = (f"{facts.year}年{facts.region.whole}共安排重点项目{s['plan']['count']}个，总投资{yi(s['plan']['total_investment'])}亿元，"
            f"年度计划投资{yi(s['plan']['annual_plan'])}亿元。其中新开工项目{s['new_planned']['count']}个、"
            f"续建项目{s['continuing_planned']['count']}个。截至{facts.as_of.month}月{facts.as_of.day}日，"
            f"累计完成投资{yi(s['completed_investment'])}亿元，投资完成率{pct(r['completion_rate'])}，"
            f"时间进度{pct(r['time_progress'])}。已开复工项目{s['started_or_resumed']['count']}个，"
            f"总投资{yi(s['started_or_resumed']['total_investment'])}亿元，开复工率{pct(r['start_or_resume_rate'])}；"
            f"续建项目复工率{pct(r['continuing_resume_rate'])}，新项目开工率{pct(r['new_start_rate'])}。")
    return {"key": "overview", "title": "总体进展", "paragraphs": [text], "chart": "monthly"}


def counties(facts: Facts) -> dict[str, Any] | None:
    rows = figures.region_table(facts.actor, facts.year, facts.as_of, facts.region)
    if len(rows) < 2:  # a county without zones: its one row repeats the headline
        return None
    noun = facts.region.parts_noun
    table = [[str(row["rank"] or "—"), row["label"], str(row["plan"]["count"]), format_yi(row["plan"]["annual_plan"]),
              format_yi(row["completed_investment"]), pct(row["rates"]["completion_rate"]),
              _signed(row["rates"]["progress_gap"]), str(row["started_or_resumed"]["count"]),
              pct(row["rates"]["start_or_resume_rate"])] for row in rows]
    ahead = [row["label"] for row in rows if (row["rates"]["progress_gap"] or 0) >= 0 and row["rank"]]
    behind = [row["label"] for row in rows if row["rates"]["progress_gap"] is not None and row["rates"]["progress_gap"] < 0]
    text = f"按投资完成率排序，居前三位的是{'、'.join(row['label'] for row in rows[:3])}。"
    if ahead:
        text += f"{'、'.join(ahead)}达到或快于时间进度；"
    if behind:
        text += f"{'、'.join(behind)}慢于时间进度，需加快推进。"
    return {"key": "counties", "title": f"分{noun}进展", "paragraphs": [text.rstrip("；") + ("" if text.endswith("。") else "。")],
            "table": {"header": ["排名", noun, "项目数", "年度计划", "完成投资", "完成率", "较时间进度", "开复工",
                                 "开复工率"], "rows": table, "text_columns": 2,
                      "unit": "金额单位：亿元；较时间进度单位：百分点"},
            "chart": "counties",
            "data": [{"label": row["label"], "rate": str(row["rates"]["completion_rate"] or "")} for row in rows]}


def _signed(gap: Decimal | None) -> str:
    if gap is None:
        return "—"
    return f"+{gap}" if gap > 0 else str(gap)


def starts(facts: Facts) -> dict[str, Any]:
    s, r = facts.stats, facts.stats["rates"]
    approvals = figures.approvals(facts.actor, facts.year, facts.as_of, facts.region)
    text = (f"新开工项目计划{s['new_planned']['count']}个，已开工{s['new_started']['count']}个，"
            f"新项目开工率{pct(r['new_start_rate'])}，已开工项目总投资{yi(s['new_started']['total_investment'])}亿元、"
            f"年度计划投资{yi(s['new_started']['annual_plan'])}亿元；尚有{s['new_planned']['count'] - s['new_started']['count']}个"
            f"新开工项目未开工。")
    paragraphs = [text]
    if approvals["required"]:
        facts.quote("approvals_completion_rate")
        paragraphs.append(f"前期手续应办{approvals['required']}项，已办结{approvals['obtained']}项，"
                          f"前期手续审批完成率{pct(approvals['completion_rate'])}。")
    return {"key": "starts", "title": "新开工项目", "paragraphs": paragraphs, "chart": "batches"}


def behind(facts: Facts) -> dict[str, Any]:
    """The projects not on time (``on_time_q``): counted by the project list the numbers link to
    (its totals line, remembered a region at a time, so a province costs what a dashboard does),
    and the largest ten of them named with their figures (``project_standings`` of those ten)."""
    facts.quote("on_time")
    query = {"year": str(facts.year), "as_of": facts.as_of.isoformat(), "region": str(facts.region.pk),
             "on_time": "no"}
    slow = figures.project_list(facts.actor, {**query, "started": "yes"}, latest_year=False)
    late = figures.project_list(facts.actor, {**query, "started": "no"}, latest_year=False)
    everyone = figures.project_list(facts.actor, query, latest_year=False)
    n_slow, n_late = slow.totals["count"], late.totals["count"]
    largest = list(AnnualPlan.objects.filter(year=facts.year, project__in=everyone.projects.values("pk"))
                   .order_by("-planned_investment", "project_id").values_list("project_id", flat=True)[:BEHIND_LISTED])
    named = sorted(figures.project_standings(facts.actor, facts.year, facts.as_of, facts.region,
                                             Project.objects.filter(pk__in=largest)),
                   key=lambda p: (-p["annual_plan"], p["project_id"]))
    count = facts.stats["plan"]["count"]
    text = (f"截至统计日，{count}个项目中按期推进{count - n_slow - n_late}个；"
            f"已开工但慢于时间进度的{n_slow}个，应开工未开工的{n_late}个。")
    table = [[p["region"], p["name"], format_yi(p["annual_plan"]), format_yi(p["completed"]),
              pct(p["completion_rate"]), "应开未开" if p["standing"] == "late_start" else "慢于时间进度"] for p in named]
    return {"key": "behind", "title": "进度滞后项目", "paragraphs": [text],
            "table": {"header": ["区划", "项目名称", "年度计划", "完成投资", "完成率", "情况"],
                      "rows": table, "text_columns": 2, "unit": "金额单位：亿元"} if table else None,
            "note": f"表中列出年度计划投资最大的{len(named)}个滞后项目。" if n_slow + n_late > len(named) else ""}


def problems(facts: Facts) -> dict[str, Any]:
    d = figures.dispatch(facts.actor, facts.year, facts.as_of, facts.region)
    p = d["problems"]
    facts.quote("dispatch_meetings", "problems_raised", "problems_solved", "problems_open", "problems_overdue",
                "on_time_rate")
    text = (f"今年以来召开各类调度会{d['meetings_total']}次，梳理项目建设问题{p['raised']}个，已销号{p['solved']}个，"
            f"按期办结率{pct(p['on_time_rate'])}；未销号{p['open']}个，其中逾期{p['overdue']}个。")
    return {"key": "problems", "title": "问题化解", "paragraphs": [text]}


def warnings(facts: Facts) -> dict[str, Any]:
    w = figures.warnings(facts.actor, facts.as_of, facts.region)
    facts.quote("warnings_red", "warnings_yellow")
    text = f"截至统计日，在办预警{w['red'] + w['yellow']}个，其中红色预警{w['red']}个、黄色预警{w['yellow']}个。"
    rows = [[row["label"], str(row["red"]), str(row["yellow"])] for row in w["by_region"]]
    return {"key": "warnings", "title": "预警情况", "paragraphs": [text],
            "table": {"header": ["区划", "红色预警", "黄色预警"], "rows": rows, "text_columns": 1,
                      "unit": "单位：个"} if len(rows) > 1 else None}


def ranking(facts: Facts) -> dict[str, Any] | None:
    """考核排名: the published ranking of the latest reported month, or of the quarter it closes
    (as published: a correction after it is a note on the ranking page, not a new order here)."""
    if facts.reported is None:
        return None
    wanted = [Period(facts.year, month=facts.reported)]
    if facts.reported % 3 == 0:
        wanted.append(Period(facts.year, quarter=facts.reported // 3))
    for period in wanted:
        found = assessment_ranking.published(facts.actor, facts.region, period)
        if found is not None:
            return {"key": "ranking", "title": "考核排名", "paragraphs": [assessment_text.paragraph(found)]}
    return None


# The sections in their order: one function each, taking the facts, returning a section or None.
SECTIONS: list[Callable[[Facts], dict[str, Any] | None]] = [overview, counties, ranking, starts, behind, problems,
                                                             warnings]


def build(actor: Actor, region: Region, year: int, as_of: date, kind: str = "monthly") -> dict[str, Any]:
    """The briefing of ``region`` for ``year`` as of ``as_of``, counted in ``actor``'s scope (a
    region outside it is a 404, as at the figure door)."""
    check(region, year, as_of)
    stats = figures.year_figures(actor, year, as_of, region)
    series = figures.overview(actor, year, as_of, region, by=("batch",))
    reported = [s["month"] for s in series["series"] if s["cumulative"] is not None]
    facts = Facts(actor, region, year, as_of, stats, max(reported) if reported else None)
    lead = headline(facts)
    sections = [section for make in SECTIONS if (section := make(facts)) is not None]
    return {
        "region": region.name, "region_code": region.code, "year": year, "as_of": as_of.isoformat(), "kind": kind,
        "headline": lead, "sections": sections,
        "figures": {
            "plan_count": stats["plan"]["count"], "total_investment": str(stats["plan"]["total_investment"]),
            "annual_plan": str(stats["plan"]["annual_plan"]), "completed": str(stats["completed_investment"]),
            "started_or_resumed": stats["started_or_resumed"]["count"],
            "new_started": stats["new_started"]["count"], "continuing_resumed": stats["continuing_resumed"]["count"],
            "rates": {key: (str(value) if value is not None else None) for key, value in stats["rates"].items()},
        },
        "charts": {
            "monthly": [{"month": s["month"], "completed": str(to_yi(s["completed"])),
                         "cumulative": str(to_yi(s["cumulative"])) if s["cumulative"] is not None else None,
                         "planned": str(to_yi(s["planned_cumulative"]))} for s in series["series"]],
            "batches": [{"label": row["label"], "count": row["plan"]["count"]} for row in series["batch"]],
        },
        "definitions": [{"name": INDICATORS[k].name_zh, "definition": INDICATORS[k].definition_zh}
                        for k in facts.used if k in INDICATORS],
    }


def numbered(content: dict[str, Any], next_steps: str) -> list[dict[str, Any]]:
    """The sections as printed: 一、二、… with 下一步工作 (the editable text) last."""
    sections = list(content["sections"])
    if next_steps.strip():
        sections.append({"key": "next_steps", "title": "下一步工作",
                         "paragraphs": [line.strip() for line in next_steps.splitlines() if line.strip()]})
    return [{**section, "heading": f"{NUMERALS[i] if i < 10 else i + 1}、{section['title']}"}
            for i, section in enumerate(sections)]

"""keyprojects stats --region 葫芦岛市 --year 2022 --as-of 2022-06-05 [--json]: the year's
figures, and each rate's change on the same day a year before (同比, in percentage points)."""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from keyprojects.core.commands import find_region
from keyprojects.core.permissions import SYSTEM
from keyprojects.dispatch.models import MeetingKind
from keyprojects.funding.models import Round
from keyprojects.indicators import figures
from keyprojects.indicators.engine import (
    INDICATORS,
    attraction_json,
    dispatch_json,
    funding_json,
    tasks_json,
    to_json,
    warnings_json,
    with_approvals,
)

ROWS = ["plan", "new_planned", "continuing_planned", "started_or_resumed", "new_started", "continuing_resumed"]


class Command(BaseCommand):
    help = "打印某区划某年度的重点项目指标（开复工率等）/ print the key-project indicators"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--region", required=True, help="区划名称或代码，如 葫芦岛市 / 211400")
        parser.add_argument("--year", type=int, required=True, help="计划年度")
        parser.add_argument("--as-of", dest="as_of", help="统计日期 YYYY-MM-DD（默认：今天）")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args, **options) -> None:
        region = find_region(options["region"])
        try:
            as_of = date.fromisoformat(options["as_of"]) if options["as_of"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"统计日期“{options['as_of']}”格式不正确，应为 YYYY-MM-DD") from exc
        stats = figures.year_figures_with_change(SYSTEM, options["year"], as_of, region)
        dispatch = figures.dispatch(SYSTEM, options["year"], as_of, region)
        approvals = figures.approvals(SYSTEM, options["year"], as_of, region)
        warnings = figures.warnings(SYSTEM, as_of, region)
        tasks = figures.tasks(SYSTEM, options["year"], as_of, region)
        codes = figures.project_codes(SYSTEM, options["year"], region) if region.level != region.Level.PROVINCE else {}
        funding = figures.funding(SYSTEM, options["year"], as_of, region)
        if options["json"]:
            payload = {"region": region.name, "region_code": region.code, "year": options["year"],
                       "as_of": as_of.isoformat(), **to_json(stats), "dispatch": dispatch_json(dispatch),
                       "warnings": warnings_json(warnings)}
            if tasks["tasks"]:  # (a region with a task list)
                payload["tasks"] = tasks_json(tasks)
            attraction = figures.attraction(SYSTEM, options["year"], as_of, region)
            if attraction["events"] or attraction["intentions"] or attraction["signed_projects"]:
                payload["attraction"] = attraction_json(attraction)
            packages = figures.packages(SYSTEM, options["year"], region)
            if packages["packages"]:  # (a region with "1+1托4" packages)
                payload["packages"] = {key: packages[key] for key in (
                    "leaders", "departments", "projects", "prework_projects", "enterprises", "attraction_projects")}
            if funding["applied"]:  # (a region with funding rounds)
                payload["funding"] = funding_json(funding)
            with_approvals(payload, approvals)
            if codes:
                payload["project_codes"] = {key: row["count"] for key, row in codes.items()}
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{region.full_name} {options['year']}年重点项目 截至 {as_of:%Y年%m月%d日}")
        self.stdout.write(f"{'':<14}{'项目数':>8}{'总投资(亿元)':>16}{'年度计划(亿元)':>16}")
        for key in ROWS:
            row = stats[key]
            self.stdout.write(
                f"{INDICATORS[key].name_zh:<12}{row['count']:>8}"
                f"{row['total_investment'] / 10000:>16,.2f}{row['annual_plan'] / 10000:>16,.2f}"
            )
        self.stdout.write(f"{INDICATORS['completed_investment'].name_zh}："
                          f"{stats['completed_investment'] / 10000:,.2f} 亿元")
        for key, value in stats["rates"].items():
            unit = "个百分点" if key == "progress_gap" else "%"
            shown = f"{value}{unit}" if value is not None else "—"
            change = stats["year_on_year"].get(key)
            if change is not None:
                shown += f"（同比 {change:+} 个百分点）"
            self.stdout.write(f"{INDICATORS[key].name_zh}：{shown}    口径：{INDICATORS[key].definition_zh}")
        self._dispatch(dispatch)
        rate = f"{approvals['completion_rate']}%" if approvals["completion_rate"] is not None else "—"
        change = f"（同比 {approvals['change']:+} 个百分点）" if approvals["change"] is not None else ""
        self.stdout.write(f"{INDICATORS['approvals_completion_rate'].name_zh}：{rate}{change}，"
                          f"应办 {approvals['required']} 项，已办结 {approvals['obtained']} 项，"
                          f"逾期未办结 {approvals['late']} 项")
        self.stdout.write(f"预警：红色 {warnings['red']}，黄色 {warnings['yellow']}（截至统计日期未解除）")
        if codes:
            self.stdout.write(f"{INDICATORS['projects_without_code'].name_zh}：{codes['missing']['count']} 个，"
                              f"{INDICATORS['codes_not_matching_region'].name_zh}：{codes['mismatch']['count']} 个")
        if tasks["tasks"]:
            self.stdout.write(f"任务清单：{tasks['areas']} 个方面 {tasks['tasks']} 项任务，已完成 {tasks['done']} 项"
                              f"（按期 {tasks['on_time']} 项），逾期未完成 {tasks['overdue']} 项")
        for kind, found in funding["kinds"].items():
            if found["applied"]:
                self.stdout.write(f"{Round.Kind(kind).label}：申报 {found['applied']} 个项目（总投资 "
                                  f"{found['total_investment'] / 10000:,.2f} 亿元），批复 {found['approved'] / 10000:,.2f} 亿元，"
                                  f"下达 {found['issued'] / 10000:,.2f} 亿元（{found['issued_n']} 个项目，总投资 "
                                  f"{found['issued_total_investment'] / 10000:,.2f} 亿元），已支出 {found['spent'] / 10000:,.2f} 亿元")

    def _dispatch(self, dispatch: dict) -> None:
        kinds = dict(MeetingKind.choices)
        meetings = "，".join(f"{kinds[kind]} {n} 次" for kind, n in dispatch["meetings"].items())
        self.stdout.write(f"{INDICATORS['dispatch_meetings'].name_zh}：{dispatch['meetings_total']} 次（{meetings}）")
        problems = dispatch["problems"]
        rate = f"{problems['on_time_rate']}%" if problems["on_time_rate"] is not None else "—"
        days = f"{problems['median_days']} 天" if problems["median_days"] is not None else "—"
        self.stdout.write(f"问题：提出 {problems['raised']}，已销号 {problems['solved']}，未销号 {problems['open']}，"
                          f"逾期 {problems['overdue']}；按期办结率 {rate}；办结用时中位数 {days}")

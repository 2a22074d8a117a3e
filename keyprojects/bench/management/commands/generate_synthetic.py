"""keyprojects generate_synthetic --province 辽宁省 --projects 100000 --months 24 [--until 2026-10]
[--seed N] [--replace]: a whole synthetic province for load tests and benchmarks."""

from __future__ import annotations

import re

from django.core.management.base import CommandError
from django.utils import timezone

from keyprojects.bench.synthetic import Options, SyntheticDataExists, generate, last_full_month
from keyprojects.core.commands import AuditedCommand

NAMES = {"project": "项目", "stagetransition": "阶段变更", "annualplan": "年度计划", "progressreport": "月报",
         "reportingperiod": "填报期", "unit": "单位", "leader": "包抓领导", "user": "账号",
         "meeting": "调度会", "decision": "议定事项", "problem": "问题", "problemevent": "办理记录",
         "approvalitem": "前期手续事项", "approvalschedule": "倒排计划", "projectapproval": "项目前期手续",
         "warningrule": "预警规则", "starttarget": "开复工目标", "warning": "预警",
         "event": "招商活动", "lead": "招商项目", "leadstage": "招商阶段变更", "agreement": "招商协议",
         "fundsreport": "到位资金", "package": "包抓责任组", "packageitem": "包抓事项", "round": "资金申报批次",
         "application": "资金申报项目"}


def parse_month(text: str) -> tuple[int, int]:
    found = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise CommandError(f"月份“{text}”格式不正确，应为 YYYY-MM，如 2026-10")
    return int(found.group(1)), int(found.group(2))


class Command(AuditedCommand):
    help = "生成一个省的合成数据（全部市县、单位、项目、年度计划、月报）/ generate a synthetic province"

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--province", default="辽宁省", help="省份名称或代码")
        parser.add_argument("--projects", type=int, default=100_000, help="项目个数")
        parser.add_argument("--months", type=int, default=24, help="月报覆盖的月数")
        parser.add_argument("--until", help="最后一个月 YYYY-MM（默认：上一个完整月份）")
        parser.add_argument("--seed", type=int, default=2026, help="随机种子（相同参数生成相同数据）")
        parser.add_argument("--batch", type=int, default=5000, help="每批写入的行数")
        parser.add_argument("--replace", action="store_true", help="删除该省原有合成数据后重新生成")
        parser.add_argument("--skip-existing", action="store_true",
                            help="该省已有合成数据时不报错，直接跳过（make bench 使用）")

    def handle(self, *args, **options) -> None:
        if options["projects"] < 1 or options["months"] < 1:
            raise CommandError("项目个数和月数必须大于 0")
        until = parse_month(options["until"]) if options["until"] else last_full_month(timezone.localdate())
        opts = Options(province=options["province"], projects=options["projects"], months=options["months"],
                       until=until, seed=options["seed"], replace=options["replace"], batch=options["batch"])
        say = self.stdout.write if options["verbosity"] else (lambda s: None)
        say(f"生成合成数据：{opts.province}，{opts.projects:,} 个项目，{opts.months} 个月（截至 {until[0]}年{until[1]}月）")
        try:
            result = generate(opts, say)
        except SyntheticDataExists as exc:
            if options["skip_existing"]:
                say(f"{exc}；跳过。")
                return
            raise CommandError(str(exc)) from exc
        counts = "，".join(f"{NAMES.get(k, k)} {v:,}" for k, v in result["counts"].items())
        say(f"完成：{counts}（每行另有一条修改记录）；共用时 {result['seconds']:.1f} 秒")

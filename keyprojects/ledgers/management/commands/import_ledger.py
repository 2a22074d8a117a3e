"""keyprojects import_ledger FILE [--year Y] [--region R] [--as-of DATE] [--dry-run] [--skip-invalid]
[--fix-encoding] [--default 级别=市重点 ...] [--map "列名=字段" ...] [--header-row N] [--quarters 当季|累计]
[--lang en]"""

from __future__ import annotations

import sys
from datetime import date

from django.core.management.base import CommandError
from django.utils import translation

from keyprojects.core.audit import Source, audit_context
from keyprojects.core.commands import AuditedCommand
from keyprojects.core.permissions import SYSTEM
from keyprojects.ledgers import choices, mapping, messages
from keyprojects.ledgers.importer import (
    CUMULATIVE,
    PER_QUARTER,
    Importer,
    ImportFailed,
    ImportResult,
)
from keyprojects.ledgers.reader import LedgerFileError
from keyprojects.regions.models import Region, RegionNotFound


class Command(AuditedCommand):
    help = "导入项目台账（.xlsx/.xls/.csv）/ import a project ledger"
    audit_source = Source.IMPORT

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("file")
        parser.add_argument("--year", type=int, help="计划年度（默认取标题中的“20XX年”）")
        parser.add_argument("--region", help="台账所属区划（名称或代码）；分组行和“所在县区”列在其下查找（默认取标题开头的区划）")
        parser.add_argument("--as-of", dest="as_of", help="完成投资的统计日期 YYYY-MM-DD（默认按表头“1-N月”推断）")
        parser.add_argument("--dry-run", action="store_true", help="只校验、报告，不写入")
        parser.add_argument("--skip-invalid", action="store_true", help="导入有效行，报告无效行")
        parser.add_argument("--fix-encoding", action="store_true", help="接受乱码的自动修复")
        parser.add_argument("--default", action="append", default=[], metavar="字段=值",
                            help="台账缺少该列（或单元格空白）时的取值，可重复：级别=市重点、类型=产业项目、性质=续建、阶段=在建")
        parser.add_argument("--map", action="append", default=[], metavar="列名=字段", dest="columns",
                            help="指定某列对应的字段，可重复：projectName=项目名称、totalInvestment=总投资（亿元）、"
                                 "C=所在县区（按列字母）、备注2=忽略；保存为本市的对应关系，同样表头的台账下次沿用")
        parser.add_argument("--header-row", type=int, dest="header_row",
                            help="表头所在行（从 1 起）；0 表示没有表头，用 --map 按列字母（A=项目名称）指定")
        parser.add_argument("--quarters", choices=["当季", "累计"],
                            help="投资路线图的季度投资是当季数还是季末累计数（表头和金额看不出时必须指定）")
        parser.add_argument("--lang", default="zh-hans", help="消息语言：zh-hans（默认）或 en")

    def handle(self, *args, **options) -> None:
        with translation.override(options["lang"]):
            region = None
            if options["region"]:
                try:
                    region = Region.objects.find(options["region"])
                except RegionNotFound as exc:
                    raise CommandError(str(exc)) from exc
            try:
                as_of = date.fromisoformat(options["as_of"]) if options["as_of"] else None
            except ValueError as exc:
                raise CommandError(f"统计日期“{options['as_of']}”格式不正确，应为 YYYY-MM-DD") from exc
            defaults = {}
            for spec in options["default"]:
                try:
                    field, value = choices.parse_default(spec)
                except ValueError as exc:
                    raise CommandError(str(exc)) from exc
                defaults[field] = value
            try:
                columns = mapping.parse(options["columns"]) if options["columns"] else None
            except mapping.MappingError as exc:
                raise CommandError(str(exc)) from exc
            quarters = {"当季": PER_QUARTER, "累计": CUMULATIVE}.get(options["quarters"] or "")
            importer = Importer(self.acting_user or SYSTEM, options["year"], region, as_of,
                                skip_invalid=options["skip_invalid"], dry_run=options["dry_run"],
                                fix_encoding=options["fix_encoding"], progress=self._progress, defaults=defaults,
                                quarters=quarters, columns=columns, header_row=options["header_row"])
            try:
                with audit_context(Source.IMPORT, user=self.acting_user, detail=f"import_ledger {options['file']}"):
                    result = importer.run(options["file"])
            except LedgerFileError as exc:
                raise CommandError(str(exc)) from exc
            except ImportFailed as failed:
                self._summary(failed.result)
                raise CommandError(f"台账有 {len(failed.result.problems)} 处问题，未导入任何数据") from failed
            self._summary(result)

    def _progress(self, done: int, total: int) -> None:
        if total >= 200 and sys.stderr.isatty() and (done % 100 == 0 or done == total):
            width = 30
            filled = int(width * done / total)
            sys.stderr.write(f"\r导入中 [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            if done == total:
                sys.stderr.write("\n")

    def _summary(self, r: ImportResult) -> None:
        w = self.stdout.write
        for line in r.context:
            w(line)
        w("列对应关系：")
        for line in r.mapping:
            w(f"  {line}")
        for line in r.ignored_columns:
            w(f"  {line} → 未识别，已忽略")
        w(f"读取 {r.rows_read} 行，其中项目数据 {r.data_rows} 行；统计日期 {r.as_of}")
        w(f"项目：新增 {r.created} 个，更新 {r.updated} 个，未变化 {r.unchanged} 个，跳过 {r.skipped} 个")
        if r.units_created:
            w(f"新建单位 {len(r.units_created)} 个：" + "、".join(r.units_created))
        if r.leaders_created:
            w(f"新建包抓领导 {len(r.leaders_created)} 位：" + "、".join(r.leaders_created))
        if r.sectors_created:
            w("新建行业领域：" + "、".join(r.sectors_created))
        for taken, rows in r.defaults_taken.items():
            w(f"{taken}：{rows} 行")
        w(f"导入合计：{r.count:,} 个项目，总投资 {r.total_investment.normalize():,f} 万元，"  # exact, to the yuan
          f"年度计划 {r.annual_plan.normalize():,f} 万元，本年完成 {r.completed.normalize():,f} 万元")
        groups = r.groups()
        if r.warnings:
            w(f"提示 {len(r.warnings)} 处（已导入，请核对）：")
            for group in groups:
                if group["level"] == messages.WARNING:
                    w(f"  {group['text']}")
        if r.problems:
            w(f"问题 {len(r.problems)} 处：")
            for group in groups:
                if group["level"] == messages.ERROR:
                    w(f"  {group['text']}")
        if r.dry_run:
            w("（试运行：未写入任何数据）")

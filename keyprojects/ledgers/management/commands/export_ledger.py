"""keyprojects export_ledger --region R --year Y [--as-of DATE] -o FILE.xlsx [--indicators]"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from keyprojects.core.permissions import SYSTEM
from keyprojects.indicators import figures
from keyprojects.ledgers.export import indicator_workbook, ledger_workbook
from keyprojects.regions.models import Region, RegionNotFound


class Command(BaseCommand):
    help = "导出项目台账或分县区指标表（.xlsx）/ export the ledger or the indicator table"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--region", required=True)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--as-of", dest="as_of")
        parser.add_argument("-o", "--output", required=True)
        parser.add_argument("--indicators", action="store_true", help="导出分县区指标表而不是台账")

    def handle(self, *args, **options) -> None:
        try:
            region = Region.objects.find(options["region"])
        except RegionNotFound as exc:
            raise CommandError(str(exc)) from exc
        try:
            as_of = date.fromisoformat(options["as_of"]) if options["as_of"] else min(date.today(),
                                                                                      date(options["year"], 12, 31))
        except ValueError as exc:
            raise CommandError(f"统计日期“{options['as_of']}”格式不正确，应为 YYYY-MM-DD") from exc
        year = options["year"]
        if options["indicators"]:
            content = indicator_workbook(figures.region_table(SYSTEM, year, as_of, region),
                                         figures.year_figures(SYSTEM, year, as_of, region), region, year, as_of)
        else:
            ledger = figures.ledger(SYSTEM, {"year": str(year), "as_of": as_of.isoformat()}, region)
            if ledger is None:
                raise CommandError(f"{region.name}没有 {year} 年度计划项目")
            content = ledger_workbook(ledger)
        Path(options["output"]).write_bytes(content)
        self.stdout.write(f"已导出：{options['output']}（{len(content) // 1024} KB）")

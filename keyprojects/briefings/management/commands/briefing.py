"""keyprojects briefing --region 葫芦岛市 --year 2022 --as-of 2022-06-05 [--kind monthly] -o 简报.docx [-o 简报.pdf]:
a briefing written from the figures as .docx and/or .pdf, counted as the system (or ``--as-user``'s
scope). It writes files only: a briefing to approve and publish is generated on its page."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.http import Http404

from keyprojects.core.commands import AuditedCommand, find_region
from keyprojects.core.permissions import SYSTEM

from ... import charts, content, render
from ...models import Briefing
from ...services import issuer


class Command(AuditedCommand):
    help = "按数据生成简报（Word / PDF）/ write a briefing from the figures"

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--region", required=True, help="区划名称或代码，如 葫芦岛市 / 211400")
        parser.add_argument("--year", type=int, required=True, help="计划年度")
        parser.add_argument("--as-of", dest="as_of", required=True, help="统计截止日期 YYYY-MM-DD")
        parser.add_argument("--kind", default="monthly", choices=Briefing.Kind.values, help="月报 / 半月报 / 旬报")
        parser.add_argument("-o", "--output", action="append", required=True,
                            help="输出文件 .docx 或 .pdf（可重复）")

    def handle(self, *args, **options) -> None:
        region = find_region(options["region"])
        try:
            as_of = date.fromisoformat(options["as_of"])
        except ValueError as exc:
            raise CommandError(f"统计截止日期“{options['as_of']}”格式不正确，应为 YYYY-MM-DD") from exc
        outputs = [Path(name) for name in options["output"]]
        for path in outputs:
            if path.suffix.lower() not in (".docx", ".pdf"):
                raise CommandError(f"输出文件应以 .docx 或 .pdf 结尾：{path}")
        actor = self.acting_user or SYSTEM
        started = time.perf_counter()
        try:
            built = content.build(actor, region, options["year"], as_of, options["kind"])
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        except Http404 as exc:
            raise CommandError(str(exc)) from exc
        kind = Briefing.Kind(options["kind"]).label
        text = render.Text(f"{region.name}重点项目建设工作简报", f"{options['year']}年（{kind}，截至{as_of.month}月{as_of.day}日）",
                           issuer(actor, region), built["headline"])
        drawn = charts.draw(built)
        for path in outputs:
            render.write(path, built, text, drawn)
            self.stdout.write(f"{path}（{path.stat().st_size // 1024} KB）")
        self.stdout.write(f"用时 {time.perf_counter() - started:.2f} 秒")

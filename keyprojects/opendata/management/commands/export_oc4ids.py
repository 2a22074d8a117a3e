"""keyprojects export_oc4ids --region R [--year Y] [--as-of DATE] -o FILE.json"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from keyprojects.core.commands import find_region
from keyprojects.opendata import oc4ids


class Command(BaseCommand):
    help = "导出区划内已公开项目的 OC4IDS 数据包（JSON）/ export the published projects as an OC4IDS package"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--region", required=True, help="区划名称或代码")
        parser.add_argument("--year", type=int, help="计划年度（默认：已公开项目的最近计划年度）")
        parser.add_argument("--as-of", dest="as_of", help="统计日期 YYYY-MM-DD（默认与页面相同）")
        parser.add_argument("-o", "--output", required=True)

    def handle(self, *args, **options) -> None:
        region = find_region(options["region"])
        try:
            as_of = date.fromisoformat(options["as_of"]) if options["as_of"] else None
        except ValueError as exc:
            raise CommandError(f"统计日期“{options['as_of']}”格式不正确，应为 YYYY-MM-DD") from exc
        path = reverse("opendata:package", args=[region.code])
        year = f"?year={options['year']}" if options["year"] else ""
        site = settings.KEYPROJECTS_SITE_URL
        if not site:
            site = "http://localhost"
            self.stderr.write("未设置 KEYPROJECTS_SITE_URL：数据包地址（uri）暂用 http://localhost，正式发布前请设置")
        uri = site.rstrip("/") + path + year
        found = oc4ids.package(region, options["year"], uri, as_of)
        if found is None:
            raise CommandError(f"{region.name}没有公开的项目（由市级管理员在“公开数据”页面标记）")
        Path(options["output"]).write_text(json.dumps(found, ensure_ascii=False, indent=1), encoding="utf-8")
        self.stdout.write(f"已导出：{options['output']}（{len(found['projects'])} 个项目）")

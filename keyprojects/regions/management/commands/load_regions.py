"""keyprojects load_regions [--province 辽宁省 ...]: the GB/T 2260 division tree from
regions/data/regions.csv (see regions/data/README.md for its provenance)."""

from __future__ import annotations

import csv
import time
from pathlib import Path

from django.core.management.base import CommandError
from django.db import transaction

from keyprojects.core.commands import AuditedCommand
from keyprojects.regions.models import Region, simplify

DATA = Path(__file__).resolve().parents[2] / "data" / "regions.csv"


def read_rows() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def select_provinces(rows: list[dict[str, str]], wanted: list[str]) -> list[dict[str, str]]:
    """The rows of the named provinces (Simplified or Traditional names, or codes)."""
    provinces = {r["code"]: r for r in rows if r["level"] == "province"}
    chosen = set()
    for name in wanted:
        name = simplify(name)
        match = [c for c, r in provinces.items() if name in (c, r["name"]) or r["name"].startswith(name)]
        if not match:
            raise CommandError(f"找不到省级区划“{name}”")
        chosen.update(match)
    keep_prefectures = {r["code"] for r in rows if r["level"] == "prefecture" and r["parent_code"] in chosen}
    return [r for r in rows if r["code"] in chosen or r["parent_code"] in chosen | keep_prefectures]


class Command(AuditedCommand):
    help = "导入全国行政区划（省、地、县三级，GB/T 2260）/ load the national division tree"

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--province", nargs="*", default=[], help="只导入这些省份（名称或代码）")

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        rows = read_rows()
        if options["province"]:
            rows = select_provinces(rows, options["province"])
        created = updated = 0
        with transaction.atomic():
            existing = {r.code: r for r in Region.objects.all()}
            # Parents come before children in the file (province, its prefectures, their counties).
            for row in sorted(rows, key=lambda r: ("province", "prefecture", "county").index(r["level"])):
                region = existing.get(row["code"])
                parent = existing.get(row["parent_code"]) if row["parent_code"] else None
                if region is None:
                    region = Region(code=row["code"], name=row["name"], level=row["level"], parent=parent)
                    created += 1
                elif (region.name, region.level, region.parent_id) != (row["name"], row["level"], parent and parent.pk):
                    region.name, region.level, region.parent = row["name"], row["level"], parent
                    updated += 1
                else:
                    continue
                region.save()
                existing[region.code] = region
        if options["verbosity"]:
            self.stdout.write(
                f"行政区划：新增 {created} 个，更新 {updated} 个，共 {Region.objects.count()} 个"
                f"（{time.perf_counter() - started:.1f} 秒）"
            )

"""keyprojects ranking --region 定西市 --period 2022-04 [--scheme ID] [--json]: a period's
ranks by the city's scheme — from its snapshot when one was taken (published or not), else
from the figures now (marked provisional, nothing saved)."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from keyprojects.assessment import periods
from keyprojects.assessment.models import PeriodKind, Scheme, Snapshot
from keyprojects.assessment.ranking import collect, ranking_of, rules_of, to_json
from keyprojects.assessment.text import paragraph
from keyprojects.core.commands import find_region
from keyprojects.core.permissions import SYSTEM


class Command(BaseCommand):
    help = "打印某地市某考核期的考核排名 / print a period's assessment ranking"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--region", required=True, help="区划名称或代码，如 定西市")
        parser.add_argument("--period", required=True, help="考核期：月份 2022-05，季度 2022-Q1")
        parser.add_argument("--scheme", type=int, help="考核方案编号（该区划该年度有多个方案时）")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args, **options) -> None:
        region = find_region(options["region"])
        try:
            period = periods.parse(options["period"])
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        schemes = Scheme.objects.filter(region=region, year=period.year).select_related("region")
        if options["scheme"]:
            schemes = schemes.filter(pk=options["scheme"])
        else:
            schemes = schemes.filter(period_kind=PeriodKind.QUARTERLY if period.is_quarter else PeriodKind.MONTHLY)
        found = list(schemes)
        if not found:
            raise CommandError(f"{region.name}没有{period.year}年适用于{period.key}的考核方案")
        if len(found) > 1:
            listed = "，".join(f"{s.pk}：{s.name}" for s in found)
            raise CommandError(f"{region.name}{period.year}年有多个考核方案，请用 --scheme 指定（{listed}）")
        scheme = found[0]
        snapshot = Snapshot.objects.filter(scheme=scheme, period=period.key).first()
        provisional = snapshot is None
        if snapshot is None:  # the figures now, as a snapshot would freeze them (not saved)
            as_of = scheme.as_of(period)
            snapshot = Snapshot(scheme=scheme, period=period.key, as_of=as_of, taken_at=timezone.now(),
                                inputs=collect(SYSTEM, scheme, period, as_of), rules=rules_of(scheme))
        ranking = ranking_of(snapshot)
        if options["json"]:
            payload = {**to_json(ranking), "provisional": provisional, "paragraph": paragraph(ranking)}
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        state = "（未取数，按当前数据试算）" if provisional else "（已发布）" if snapshot.published else "（已取数，未发布）"
        self.stdout.write(f"{scheme} {period.label}{state} 数据截至 {snapshot.as_of:%Y-%m-%d}")
        for group in ranking.groups:
            self.stdout.write(f"\n{group.name}")
            for row in group.rows:
                self.stdout.write(f"  {row.rank:>3}  {row.name:<12} {row.score:>8}  {row.movement}")
        self.stdout.write(f"\n{ranking.tie_break_rule}\n{paragraph(ranking)}")

"""keyprojects refresh_progress: rebuild the roll-up of approved reports (``PlanProgress``).

It is kept in step on every write, so this is for repairs (say, after editing the database
by hand). It changes no record, only derived rows, so it is neither scoped nor audited."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from keyprojects.reporting.progress import refresh


class Command(BaseCommand):
    help = "重建月报汇总（各年度计划的最新已审核月报）/ rebuild the roll-up of approved reports"

    def handle(self, *args, **options) -> None:
        start = time.perf_counter()
        with transaction.atomic():
            plans = refresh()
        self.stdout.write(f"已重建 {plans:,} 个年度计划的月报汇总（{time.perf_counter() - start:.1f} 秒）")

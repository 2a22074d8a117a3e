"""keyprojects bench_pages: median and p95 server time of the main pages on the loaded data.

A benchmark, not a test: it prints figures. Run after `keyprojects load_demo`.
"""

from __future__ import annotations

import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from keyprojects.accounts.models import User

PAGES = [
    ("dashboard, city (葫芦岛市)", "admin", "/dashboard/?as_of=2022-06-05"),
    ("dashboard, county (连山区)", "lianshan", "/dashboard/?as_of=2022-06-05"),
    ("project list, 2022 plan, first page", "admin", "/projects/?year=2022"),
    ("project list, started as of 06-05, page 5", "admin", "/projects/?year=2022&started=yes&as_of=2022-06-05&page=5"),
    ("filing screen, May 2022 (连山区)", "lianshan", None),
]


class Command(BaseCommand):
    help = "页面响应时间基准（需先导入演示数据）/ time the main pages on the demo data"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--runs", type=int, default=20)

    def handle(self, *args, **options) -> None:
        from keyprojects.reporting.models import ReportingPeriod

        may = ReportingPeriod.objects.filter(region__name="葫芦岛市", year=2022, month=5).first()
        self.stdout.write(f"{'page':<45}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}")
        for label, username, url in PAGES:
            url = url or (f"/reporting/periods/{may.pk}/fill/" if may else None)
            if url is None:
                continue
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(User.objects.get(username=username))
            client.get(url)  # warm up
            times = []
            for _ in range(options["runs"]):
                start = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            self.stdout.write(f"{label:<45}{statistics.median(times):>9.1f}{p95:>9.1f}{len(queries):>9}")

"""keyprojects bench: figures for the main operations on a large (synthetic) province.

A benchmark, not a test: it prints a table (name | p50 ms | p95 ms | floor ms | ratio | target)
and never fails on a stopwatch. Run it on a scratch database (DATABASE_URL or
KEYPROJECTS_VAR_DIR) after ``keyprojects generate_synthetic``; see ``make bench``.

- dashboard and county indicators, against a *floor*: the same aggregate as one hand-written
  SQL query, timed the same way;
- the project list (first and a deep page), the ledger export, the API list and indicators;
- the ledger import, into new SQLite and PostgreSQL databases (``bench_import --scratch``);
- a month-end burst: N clerks submitting reports over HTTP to a real gunicorn server,
  then a check in the database that every submission is there.
"""

from __future__ import annotations

import functools
import io
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from keyprojects.accounts.models import Leader, Unit, User
from keyprojects.bench.management.commands import bench_import
from keyprojects.bench.synthetic import USERNAME_PREFIX, city_of
from keyprojects.core.audit import Source, audit_context
from keyprojects.core.versions import LABELS, changed
from keyprojects.demo.common import DEMO_PASSWORD
from keyprojects.indicators.engine import grouped_rows, plan_stats, plans_in
from keyprojects.regions.models import Region
from keyprojects.reporting.models import ProgressReport, ReportingPeriod

Row = tuple[str, float | None, float | None, float | None, str, str]  # name, p50, p95, floor, note, target

# The dashboard's county aggregate as ONE hand-written query: the floor the ORM is measured
# against. Three ways to find each project's latest approved report of the year: from the
# reports (a window, or a correlated subquery), or from the roll-up table the engine reads
# (reporting.PlanProgress); the bench times all three and takes the fastest as the floor.
FLOOR_SELECT = """
SELECT pr.region_id,
    COUNT(*), SUM(pr.total_investment), SUM(a.planned_investment),
    COUNT(*) FILTER (WHERE a.nature = 'new'),
    SUM(pr.total_investment) FILTER (WHERE a.nature = 'new'),
    SUM(a.planned_investment) FILTER (WHERE a.nature = 'new'),
    COUNT(*) FILTER (WHERE a.nature IN ('continuing', 'completing')),
    SUM(pr.total_investment) FILTER (WHERE a.nature IN ('continuing', 'completing')),
    SUM(a.planned_investment) FILTER (WHERE a.nature IN ('continuing', 'completing')),
    COUNT(*) FILTER (WHERE a.started AND a.started_on <= %(as_of)s),
    SUM(pr.total_investment) FILTER (WHERE a.started AND a.started_on <= %(as_of)s),
    SUM(a.planned_investment) FILTER (WHERE a.started AND a.started_on <= %(as_of)s),
    COUNT(*) FILTER (WHERE a.nature = 'new' AND a.started AND a.started_on <= %(as_of)s),
    SUM(pr.total_investment) FILTER (WHERE a.nature = 'new' AND a.started AND a.started_on <= %(as_of)s),
    SUM(a.planned_investment) FILTER (WHERE a.nature = 'new' AND a.started AND a.started_on <= %(as_of)s),
    COUNT(*) FILTER (WHERE a.nature <> 'new' AND a.started AND a.started_on <= %(as_of)s),
    SUM(pr.total_investment) FILTER (WHERE a.nature <> 'new' AND a.started AND a.started_on <= %(as_of)s),
    SUM(a.planned_investment) FILTER (WHERE a.nature <> 'new' AND a.started AND a.started_on <= %(as_of)s),
    COALESCE(SUM({completed}), 0)
FROM projects_annualplan a
JOIN projects_project pr ON pr.id = a.project_id
JOIN regions_region g ON g.id = pr.region_id
{join}
WHERE a.year = %(year)s AND g.path LIKE %(path)s
GROUP BY pr.region_id
"""
FLOOR_SQL = {
    "window": FLOOR_SELECT.format(completed="l.completed_ytd", join="""
LEFT JOIN (
    SELECT r.project_id, r.completed_ytd,
           ROW_NUMBER() OVER (PARTITION BY r.project_id ORDER BY p.month DESC) AS n
    FROM reporting_progressreport r
    JOIN reporting_reportingperiod p ON p.id = r.period_id
    WHERE p.year = %(year)s AND r.status = 'approved' AND r.reviewed_at < %(end)s
) l ON l.project_id = a.project_id AND l.n = 1"""),
    "rollup": FLOOR_SELECT.format(
        join="LEFT JOIN reporting_planprogress l ON l.plan_id = a.id",
        completed="CASE " + " ".join(f"WHEN l.at_{m:02d} < %(end)s THEN l.ytd_{m:02d}" for m in range(12, 0, -1))
        + " ELSE 0 END"),
    "correlated": FLOOR_SELECT.format(join="", completed="""(
    SELECT r.completed_ytd FROM reporting_progressreport r
    JOIN reporting_reportingperiod p ON p.id = r.period_id
    WHERE r.project_id = a.project_id AND p.year = a.year AND r.status = 'approved' AND r.reviewed_at < %(end)s
    ORDER BY p.month DESC LIMIT 1)"""),
}


def percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timed(action: Callable[[], Any], runs: int, before: Callable[[], Any] | None = None) -> list[float]:
    """Milliseconds of each of ``runs`` calls of ``action`` (``before`` runs untimed ahead of each)."""
    action()  # warm up (connections, caches, imports)
    times = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def floor_rows(region: Region, year: int, as_of: date, variant: str = "correlated") -> list[tuple]:
    end = timezone.make_aware(datetime.combine(as_of + timedelta(days=1), clock.min))
    params: dict[str, Any] = {"year": year, "path": region.path + "%", "as_of": connection.ops.adapt_datefield_value(as_of),
              "end": connection.ops.adapt_datetimefield_value(end)}
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL[variant], params)
        return cursor.fetchall()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Command(BaseCommand):
    help = "性能基准（合成省份数据）/ benchmark on a synthetic province"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--province", default="辽宁省")
        parser.add_argument("--city", default="沈阳市")
        parser.add_argument("--year", type=int, help="plan year (default: the latest with plans)")
        parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (default: the 15th of the month after the last period)")
        parser.add_argument("--runs", type=int, default=20)
        parser.add_argument("--only", default="",
                            help="comma list: dashboard,list,export,dispatch,approvals,warnings,ranking,tasks,map,opendata,audit,import,api,burst,demo,briefing,exchange,attraction,funding")
        parser.add_argument("--import-rows", type=int, default=20000)
        parser.add_argument("--burst", default="50,100,200", help="concurrent clients per burst level")
        parser.add_argument("--per-client", type=int, default=3, help="reports each client submits")
        parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")

    def handle(self, *args, **options) -> None:
        self.options = options
        only = {s.strip() for s in options["only"].split(",") if s.strip()}
        def wanted(name: str) -> bool:
            return not only or name in only

        self.rows: list[Row] = []
        self.notes: list[str] = []
        if only and only <= {"demo", "briefing"}:  # the demo cities do without the synthetic province
            # (the briefings time its city and its whole province too when it is loaded)
            self.synthetic = "briefing" in only and self.find_synthetic(required=False)
            for name, step in (("demo", self.bench_demo), ("briefing", self.bench_briefing)):
                if wanted(name):
                    step()
            self.print_table()
            return
        self.find_synthetic(required=True)
        steps = [("dashboard", self.bench_dashboard), ("list", self.bench_list), ("export", self.bench_export),
                 ("dispatch", self.bench_dispatch), ("approvals", self.bench_approvals), ("warnings", self.bench_warnings),
                 ("ranking", self.bench_ranking), ("tasks", self.bench_tasks), ("map", self.bench_map), ("opendata", self.bench_opendata), ("audit", self.bench_audit), ("api", self.bench_api), ("import", self.bench_import), ("demo", self.bench_demo),
                 ("briefing", self.bench_briefing), ("exchange", self.bench_exchange),
                 ("attraction", self.bench_attraction), ("funding", self.bench_funding),
                 ("burst", self.bench_burst)]
        for name, step in steps:
            if wanted(name):
                step()
                self.stdout.flush()
        self.print_table()

    def find_synthetic(self, required: bool) -> bool:
        """The synthetic province, its city, the plan year and date the pages are timed on, and
        the users and counties they are timed with; False (or an error when ``required``) when
        ``generate_synthetic`` has not made them."""
        options = self.options
        try:
            self.province = Region.objects.find(options["province"])
            self.city = Region.objects.find(options["city"], within=self.province)
        except Exception as exc:
            if not required:
                return False
            raise CommandError(f"{exc}（请先运行 keyprojects generate_synthetic）") from exc
        last = ReportingPeriod.objects.filter(region=self.city).order_by("-year", "-month").first()
        if last is None:
            if not required:
                return False
            raise CommandError("没有填报期：请先运行 keyprojects generate_synthetic")
        self.period = last
        self.year = options["year"] or last.year
        default_as_of = (date(last.year + (last.month == 12), last.month % 12 + 1, 15))
        self.as_of = date.fromisoformat(options["as_of"]) if options["as_of"] else min(default_as_of, date(self.year, 12, 31))
        self.superuser = self.bench_superuser()
        self.province_reader = self.bench_province_reader()
        self.city_admin = User.objects.get(username=f"{USERNAME_PREFIX}{self.city.code}")
        county = Region.objects.filter(parent=self.city).order_by("code").first()
        elsewhere = (Region.objects.filter(parent__parent=self.province, level=Region.Level.COUNTY)
                     .exclude(parent=self.city).order_by("code").first())  # a county of another city
        if county is None or elsewhere is None:
            if not required:
                return False
            raise CommandError("合成省份应有两个以上地市及其县区：请先运行 keyprojects generate_synthetic")
        self.county, self.elsewhere = county, elsewhere
        self.synthetic = True
        self.stdout.write(f"database: {connection.vendor}; {self.province.name} {self.year}, as of {self.as_of}; "
                          f"plans {plans_in(self.year, self.province).count():,}, "
                          f"reports {ProgressReport.objects.count():,}")
        return True

    # --- helpers ---------------------------------------------------------------------------
    def bench_superuser(self) -> User:
        user = User.objects.filter(username="bench_root").first()
        if user is None:
            with audit_context(Source.COMMAND, detail="bench"):
                user = User(username="bench_root", is_superuser=True, is_staff=True, password=make_password(None))
                user.save()
        return user

    def bench_province_reader(self) -> User:
        """A reader at the province's commission: what a province's own staff log in as (their
        scope is the province; a superuser's is no one region)."""
        username = f"bench_{self.province.code}"
        user = User.objects.filter(username=username).first()
        if user is None:
            with audit_context(Source.COMMAND, detail="bench"):
                unit, _created = Unit.objects.get_or_create(
                    name=f"{self.province.name}发展和改革委员会", region=self.province,
                    defaults={"kind": Unit.Kind.DEPARTMENT})
                user = User(username=username, role=User.Role.VIEWER, unit=unit, password=make_password(None))
                user.save()
        return user

    def add(self, name: str, times: list[float] | None, floor: list[float] | None, target: str, note: str = "") -> None:
        p50 = statistics.median(times) if times else None
        p95 = percentile(times, 0.95) if times else None
        floor95 = percentile(floor, 0.95) if floor else None
        self.rows.append((name, p50, p95, floor95, note, target))
        ratio = f"{p95 / floor95:.1f}×" if p95 and floor95 else ""
        self.stdout.write(f"  {name}: p50 {p50 or 0:.0f} ms, p95 {p95 or 0:.0f} ms {ratio} {note}")

    def client(self, user: User) -> Client:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        return client

    def get(self, client: Client, url: str, **headers: Any) -> Callable[[], None]:
        def action() -> None:
            response = client.get(url, **headers)
            assert response.status_code == 200, (url, response.status_code)
        return action

    def print_table(self) -> None:
        self.stdout.write("")
        self.stdout.write(f"| {'name':<52} | {'p50 ms':>8} | {'p95 ms':>8} | {'floor ms':>8} | {'ratio':>6} | target |")
        self.stdout.write(f"|{'-' * 54}|{'-' * 10}|{'-' * 10}|{'-' * 10}|{'-' * 8}|--------|")
        for name, p50, p95, floor, note, target in self.rows:
            ratio = f"{p95 / floor:.1f}×" if p95 and floor else ""
            shown = name + (f" ({note})" if note else "")
            self.stdout.write(f"| {shown:<52} | {self.fmt(p50):>8} | {self.fmt(p95):>8} | {self.fmt(floor):>8} | "
                              f"{ratio:>6} | {target} |")
        for note in self.notes:
            self.stdout.write(f"note: {note}")

    @staticmethod
    def fmt(value: float | None) -> str:
        return "" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"

    # --- dashboard and indicators ------------------------------------------------------------
    def bench_dashboard(self) -> None:
        runs, year, as_of = self.options["runs"], self.year, self.as_of
        for label, region, user in (("province", self.province, self.superuser), ("city", self.city, self.city_admin)):
            floors = {v: timed(functools.partial(floor_rows, region, year, as_of, v), runs) for v in FLOOR_SQL}
            variant = min(floors, key=lambda v: statistics.median(floors[v]))
            floor = floors[variant]
            self.notes.append(f"floor for {region.name}: the {variant} query "
                              + ", ".join(f"{v} p50 {statistics.median(t):.0f} ms" for v, t in floors.items()))
            client = self.client(user)
            url = f"/dashboard/?region={region.pk}&year={year}&as_of={as_of}"
            # The figures are remembered until a write changes them, each city's (each county's)
            # apart: a write in one county leaves the other parts' rows standing; a write naming
            # no region (a sector renamed, a user saved) renews them all.
            self.add(f"dashboard /dashboard/, {label} ({region.name}), after a write naming no region",
                     timed(self.get(client, url), runs, before=changed), floor, "p95 ≤ 300 ms, ≤ 2× floor")
            self.add(f"dashboard /dashboard/, {label} ({region.name}), after a sector renamed",
                     timed(self.get(client, url), runs, before=self.label_write), floor, "p95 ≤ 300 ms, ≤ 2× floor")
            self.add(f"dashboard /dashboard/, {label} ({region.name}), after a write in {self.county.name}",
                     timed(self.get(client, url), runs, before=self.county_write), floor, "p95 ≤ 300 ms, ≤ 2× floor")
            if not self.elsewhere.is_within(region):  # a city's figures stand through writes in another city
                self.add(f"dashboard /dashboard/, {label} ({region.name}), after a write in "
                         f"{city_of(self.elsewhere).name}{self.elsewhere.name}",
                         timed(self.get(client, url), runs, before=self.elsewhere_write), floor,
                         "p95 ≤ 300 ms, ≤ 2× floor")
            self.add(f"dashboard /dashboard/, {label} ({region.name}), repeat view",
                     timed(self.get(client, url), runs), floor, "p95 ≤ 300 ms, ≤ 2× floor")
            self.add(f"engine.grouped_rows by county, {label}",
                     timed(functools.partial(grouped_rows, year, as_of, region, None, ("region",)), runs), floor,
                     "≤ 2× floor")
            self.check_floor_matches_engine(region)

    def county_write(self) -> None:
        """What saving a report of the plan year in one county does to the remembered figures:
        the data versions of that county and the regions above it move, for any write and for
        that year's figures (``core.versions.changed``)."""
        changed(touches={(self.county.pk, self.year)})

    @staticmethod
    def label_write() -> None:
        """A sector, unit, leader or list saved: the figures' labels change, their sums stand."""
        changed(touches=LABELS)

    def elsewhere_write(self) -> None:
        """The same in a county of another city: what a city's own figures and lists never show."""
        changed(touches={(self.elsewhere.pk, self.year)})

    def check_floor_matches_engine(self, region: Region) -> None:
        stats = plan_stats(plans_in(self.year, region), self.as_of)
        rows = floor_rows(region, self.year, self.as_of)
        floor = (sum(row[1] for row in rows), sum(row[10] for row in rows),
                 sum((Decimal(str(row[19])) for row in rows), Decimal(0)).quantize(Decimal("0.01")))
        engine = (stats["plan"]["count"], stats["started_or_resumed"]["count"],
                  stats["completed_investment"].quantize(Decimal("0.01")))
        if floor != engine:
            self.notes.append(f"floor SQL and engine disagree for {region.name}: {floor} vs {engine}")

    # --- project list ---------------------------------------------------------------------------
    def bench_list(self) -> None:
        runs, year, as_of = self.options["runs"], self.year, self.as_of
        admin = self.client(self.city_admin)
        root = self.client(self.superuser)
        reader = self.client(self.province_reader)
        base = f"/projects/?year={year}&as_of={as_of}"
        cases = [
            ("project list, city admin, plan year, page 1", admin, base),
            ("project list, city admin, started, new, by total investment, page 1", admin,
             f"{base}&started=yes&nature=new&o=-total_investment"),
            ("project list, city admin, deep page (20)", admin, f"{base}&page=20"),
            ("project list, province (province reader), page 1", reader, base),
            ("project list, province (superuser), page 1", root, base),
            ("project list, province (province reader), deep page (500)", reader, f"{base}&page=500"),
        ]
        for name, client, url in cases:  # the totals line is remembered a part at a time, as the dashboard
            self.add(f"{name}, after a write naming no region", timed(self.get(client, url), runs, before=changed),
                     None, "p95 ≤ 200 ms")
            self.add(f"{name}, after a write in {self.county.name}",
                     timed(self.get(client, url), runs, before=self.county_write), None, "p95 ≤ 200 ms")
            self.add(f"{name}, after a write in {city_of(self.elsewhere).name}{self.elsewhere.name}",
                     timed(self.get(client, url), runs, before=self.elsewhere_write), None, "p95 ≤ 200 ms")
            self.add(f"{name}, repeat view", timed(self.get(client, url), runs), None, "p95 ≤ 200 ms")

    # --- export -------------------------------------------------------------------------------
    def bench_export(self) -> None:
        from keyprojects.indicators.figures import Ledger
        from keyprojects.ledgers.export import ledger_workbook

        plans = plans_in(self.year, self.province)
        count = plans.count()
        sizes = []

        def export() -> None:
            sizes.append(len(ledger_workbook(Ledger(plans_in(self.year, self.province), self.province, self.year,
                                                    self.as_of))))

        times = timed(export, 2)
        self.add("ledger export .xlsx, province", times, None, "≤ 10 s",
                 f"{count:,} plan rows, {sizes[-1] // 1024:,} KB")

    # --- import -------------------------------------------------------------------------------
    def bench_import(self) -> None:
        """The import into new databases (``bench_import --scratch``), SQLite and PostgreSQL: into
        this one, a second run would find the first one's projects and change nothing."""
        out = io.StringIO()
        url = os.environ.get("DATABASE_URL", "")
        call_command("bench_import", scratch=True, rows=self.options["import_rows"], runs=3, stdout=out,
                     postgres=url if url.startswith(("postgres:", "postgresql:")) else bench_import.POSTGRES)
        found = list(bench_import.MEDIAN.finditer(out.getvalue()))
        if not found:
            self.notes.append(f"bench_import printed: {out.getvalue().strip()}")
        for median in found:
            self.add(f"ledger import {self.options['import_rows']:,} rows, {median['label']}, into a new "
                     f"{median['database']} database (median of {median['runs']})", [float(median["seconds"]) * 1000],
                     [float(median["read"]) * 1000], "≥ 5,000 rows/s, ≤ 2× read", f"{median['rate']} rows/s")

    # --- API ----------------------------------------------------------------------------------
    def bench_api(self) -> None:
        from keyprojects.accounts.services import create_token

        try:
            reverse("api:project-list")
            reverse("api:indicators")
        except NoReverseMatch:
            self.notes.append("API: /api/projects/ or /api/indicators/ does not resolve yet — skipped")
            return
        with audit_context(Source.COMMAND, detail="bench"):
            _token, key = create_token(self.city_admin, self.city_admin, "bench")
        client = Client(HTTP_HOST="127.0.0.1")
        headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Token {key}"}  # (WSGI environ: extra=)
        runs = self.options["runs"]
        first = f"/api/projects/?year={self.year}&as_of={self.as_of}"
        count = client.get(first, **headers).json().get("count", 0)
        deep = max(1, min(20, -(-count // 50)))
        for name, url in (
            ("API /api/projects/, city, plan year", first),
            (f"API /api/projects/, city, page {deep}", f"{first}&page={deep}"),
        ):
            self.add(f"{name}, after a write naming no region",
                     timed(self.get(client, url, **headers), runs, before=changed), None, "p95 ≤ 200 ms")
            self.add(f"{name}, after a write in {self.county.name}",
                     timed(self.get(client, url, **headers), runs, before=self.county_write), None, "p95 ≤ 200 ms")
            self.add(f"{name}, repeat call", timed(self.get(client, url, **headers), runs), None, "p95 ≤ 200 ms")
        indicators = f"/api/indicators/?region={self.city.code}&year={self.year}&as_of={self.as_of}"
        self.add("API /api/indicators/, city, after a write naming no region",
                 timed(self.get(client, indicators, **headers), runs, before=changed), None, "p95 ≤ 300 ms")
        self.add(f"API /api/indicators/, city, after a write in {self.county.name}",
                 timed(self.get(client, indicators, **headers), runs, before=self.county_write), None, "p95 ≤ 300 ms")
        self.add("API /api/indicators/, city, repeat call", timed(self.get(client, indicators, **headers), runs),
                 None, "p95 ≤ 300 ms")

    # --- dispatch: the problem ledger, the to-do, the meetings, leaders' packages ----------------
    def bench_dispatch(self) -> None:
        runs = self.options["runs"]
        admin, reader = self.client(self.city_admin), self.client(self.province_reader)
        clerk = self.client(User.objects.get(username=f"{USERNAME_PREFIX}{self.county.code}"))
        leader = Leader.objects.filter(region=self.city).annotate(n=Count("projects")).order_by("-n", "pk").first()
        dated = f"year={self.year}&as_of={self.as_of}"
        pages = [
            ("problem ledger, city admin, page 1", admin, "/dispatch/problems/"),
            ("problem ledger, city admin, overdue", admin, "/dispatch/problems/?overdue=yes"),
            ("problem ledger, province (province reader), page 1", reader, "/dispatch/problems/"),
            (f"problem ledger, {self.county.name} clerk, page 1", clerk, "/dispatch/problems/"),
            (f"to-do, {self.county.name} clerk", clerk, "/dispatch/todo/"),
            ("meetings, city admin, page 1", admin, "/dispatch/meetings/"),
            ("leaders' packages ranked, city admin", admin, f"/leaders/?{dated}"),
        ]
        if leader is not None:
            pages.append((f"a leader's package ({leader.n} projects), city admin", admin,
                          f"/leaders/{leader.pk}/?{dated}"))
        for name, client, url in pages:
            self.add(f"{name}, after a write in {self.county.name}",
                     timed(self.get(client, url), runs, before=self.county_write), None, "p95 ≤ 200 ms")
            self.add(f"{name}, repeat view", timed(self.get(client, url), runs), None, "p95 ≤ 200 ms")

    # --- approvals: the list by issuing department, its .xlsx, a project's schedule, the card ---------
    def bench_approvals(self) -> None:
        from keyprojects.approvals.models import ApprovalSchedule, ProjectApproval, late_q
        from keyprojects.indicators.engine import approvals_population

        runs, year, as_of = self.options["runs"], self.year, self.as_of
        admin, reader = self.client(self.city_admin), self.client(self.province_reader)
        clerk = self.client(User.objects.get(username=f"{USERNAME_PREFIX}{self.county.code}"))
        items = ProjectApproval.objects.filter(project__region__path__startswith=self.province.path)
        self.stdout.write(f"approvals: {ApprovalSchedule.objects.count():,} schedules, {items.count():,} items")
        dated = f"year={year}&as_of={as_of}"
        pages = [
            ("approvals list, city admin, page 1", admin, f"/approvals/?{dated}"),
            ("approvals list, city admin, late", admin, f"/approvals/?{dated}&state=late"),
            ("approvals list, province (province reader), page 1", reader, f"/approvals/?{dated}"),
            (f"approvals list, {self.county.name} clerk, page 1", clerk, f"/approvals/?{dated}"),
        ]
        schedule = (ApprovalSchedule.objects.filter(project__region=self.county).annotate(n=Count("project__approvals"))
                    .order_by("-n", "pk").first())
        if schedule is not None:
            pages.append((f"a project's approvals ({schedule.n} items), city admin", admin,
                          f"/approvals/projects/{schedule.project_id}/?as_of={as_of}"))
        for name, client, url in pages:
            self.add(f"{name}, after a write in {self.county.name}",
                     timed(self.get(client, url), runs, before=self.county_write), None, "p95 ≤ 200 ms")
            self.add(f"{name}, repeat view", timed(self.get(client, url), runs), None, "p95 ≤ 200 ms")
        late = approvals_population(items.filter(late_q(as_of), project__region__path__startswith=self.city.path),
                                    year).count()
        sizes: list[int] = []

        def export() -> None:
            response = admin.get(f"/approvals/export/?{dated}&state=late")
            assert response.status_code == 200, response.status_code
            sizes.append(len(response.content))

        self.add(f"approvals export .xlsx, city ({self.city.name}), late", timed(export, 3), None, "≤ 10 s",
                 f"{late:,} items, {sizes[-1] // 1024:,} KB")
        for label, region, user in (("province", self.province, self.superuser), ("city", self.city, self.city_admin)):
            floor = timed(functools.partial(floor_rows, region, year, as_of, "rollup"), runs)
            client = self.client(user)
            url = f"/dashboard/?region={region.pk}&{dated}"
            self.add(f"dashboard with the 前期手续 card, {label} ({region.name}), after a write in {self.county.name}",
                     timed(self.get(client, url), runs, before=self.county_write), floor, "p95 ≤ 300 ms, ≤ 2× floor")
            self.add(f"dashboard with the 前期手续 card, {label} ({region.name}), repeat view",
                     timed(self.get(client, url), runs), floor, "p95 ≤ 300 ms, ≤ 2× floor")

    # --- warnings (预警) ----------------------------------------------------------------------------
    def bench_warnings(self) -> None:
        """The warnings list as a city, the province and a county see it, and the daily job of one
        city (``alerts.services.evaluate``): again on the day already evaluated (nothing to write),
        on the next day, and as a first run (the city's warnings gone). The writing runs are
        rolled back, so each run does the same work and the province is left as it was."""
        from keyprojects.alerts import services as alerts
        from keyprojects.alerts.models import Warning

        runs, as_of = self.options["runs"], self.as_of
        admin, reader = self.client(self.city_admin), self.client(self.province_reader)
        clerk = self.client(User.objects.get(username=f"{USERNAME_PREFIX}{self.county.code}"))
        province = Warning.objects.filter(region__path__startswith=self.province.path).open_on(as_of)
        city = province.filter(region__path__startswith=self.city.path)
        self.stdout.write(f"warnings: {province.count():,} open in the province on {as_of}, {city.count():,} in "
                          f"{self.city.name}")
        if not city.exists():
            self.notes.append(f"warnings: none open in {self.city.name} on {as_of} (generate_synthetic evaluates "
                              f"them on the 15th after its last month; --as-of another day finds fewer)")
        dated = f"open_on={as_of}"
        pages = [
            ("warnings list, city admin, page 1", admin, f"/alerts/?{dated}"),
            ("warnings list, city admin, red", admin, f"/alerts/?{dated}&colour=red"),
            ("warnings list, province (province reader), page 1", reader, f"/alerts/?{dated}"),
            (f"warnings list, {self.county.name} clerk, page 1", clerk, f"/alerts/?{dated}"),
        ]
        for name, client, url in pages:
            self.add(f"{name}, after a write in {self.county.name}",
                     timed(self.get(client, url), runs, before=self.county_write), None, "p95 ≤ 200 ms")
            self.add(f"{name}, repeat view", timed(self.get(client, url), runs), None, "p95 ≤ 200 ms")
        sizes: list[int] = []

        def export() -> None:
            response = admin.get(f"/alerts/export/?{dated}")
            assert response.status_code == 200, response.status_code
            sizes.append(len(response.content))

        self.add(f"warnings export .xlsx, city ({self.city.name})", timed(export, 3), None, "≤ 10 s",
                 f"{city.count():,} warnings, {sizes[-1] // 1024:,} KB")
        evaluations = max(3, runs // 4)  # (seconds each, not milliseconds)
        outcome: dict[str, int] = {}

        def evaluate(day: date) -> Callable[[], None]:
            def action() -> None:
                with transaction.atomic():
                    outcome.update(alerts.evaluate(day, self.city))
                    transaction.set_rollback(True)
            return action

        self.add(f"daily evaluation, {self.city.name}, the same day again", timed(evaluate(as_of), evaluations), None,
                 "≤ 10 s", "nothing to write")
        self.add(f"daily evaluation, {self.city.name}, the next day", timed(evaluate(as_of + timedelta(days=1)),
                                                                          evaluations), None, "≤ 10 s",
                 ", ".join(f"{k} {v:,}" for k, v in outcome.items()))
        first: list[float] = []
        for _ in range(evaluations):
            with transaction.atomic(), audit_context(Source.COMMAND, detail="bench"):
                Warning.objects.filter(rule__region=self.city).delete()  # (rolled back below)
                start = time.perf_counter()
                outcome.update(alerts.evaluate(as_of, self.city))
                first.append((time.perf_counter() - start) * 1000)
                transaction.set_rollback(True)
        self.add(f"daily evaluation, {self.city.name}, first run (no warning yet)", first, None, "≤ 10 s",
                 f"opened {outcome['opened']:,}, units told")

    # --- open data: a city's OC4IDS package --------------------------------------------------
    def bench_opendata(self) -> None:
        """The city's OC4IDS package through the endpoint, read by the city admin (signed in)."""
        from keyprojects.opendata.models import Publication

        published = Publication.objects.filter(project__region__path__startswith=self.city.path).count()
        admin = self.client(self.city_admin)
        url = f"/opendata/oc4ids/{self.city.code}.json?year={self.year}"
        self.add(f"OC4IDS package, {self.city.name}, after a write in {self.county.name}",
                 timed(self.get(admin, url), self.options["runs"], before=self.county_write), None, "p95 ≤ 500 ms",
                 f"{published:,} projects published")
        self.add(f"OC4IDS package, {self.city.name}, repeat", timed(self.get(admin, url), self.options["runs"]), None,
                 "p95 ≤ 500 ms")

    # --- assessment: a city's period taken, its ranking page and .xlsx --------------------------
    def bench_ranking(self) -> None:
        from keyprojects.assessment import services as assessment_services
        from keyprojects.demo import assessment

        runs = self.options["runs"]
        scheme = assessment.install(self.city, self.year)  # (made by generate_synthetic; found again)
        period = f"{self.year}-{self.period.month:02d}"
        with audit_context(Source.COMMAND, detail="bench"):
            take = functools.partial(assessment_services.take_snapshot, self.city_admin, scheme.pk, period)
            self.add(f"take a period's snapshot, city ({self.city.name}), after a write in {self.county.name}",
                     timed(take, max(3, runs // 4), before=self.county_write), None, "≤ 3 s")
        admin = self.client(self.city_admin)
        url = f"/assessment/{scheme.pk}/{period}/"
        members = sum(len(m) for m in scheme.snapshots.get(period=period).inputs["groups"].values())
        for name, target in ((url, "p95 ≤ 300 ms"), (url + "ranking.xlsx", "p95 ≤ 500 ms")):
            label = "ranking page" if name == url else "ranking .xlsx"
            self.add(f"{label}, city admin, after a write in {self.county.name}",
                     timed(self.get(admin, name), runs, before=self.county_write), None, target, f"{members} members")
            self.add(f"{label}, city admin, repeat view", timed(self.get(admin, name), runs), None, target)

    # --- task lists: the list, its figures, the dashboard's card ----------------------------------
    def bench_tasks(self) -> None:
        from keyprojects.tasklists.models import Task

        runs, year, as_of = self.options["runs"], self.year, self.as_of
        admin, reader = self.client(self.city_admin), self.client(self.province_reader)
        clerk = self.client(User.objects.get(username=f"{USERNAME_PREFIX}{self.county.code}"))
        tasks = Task.objects.filter(region__path__startswith=self.province.path, year=year)
        self.stdout.write(f"tasks: {tasks.count():,} in {self.province.name}, "
                          f"{tasks.filter(region=self.city).count():,} in {self.city.name}")
        dated = f"year={year}&as_of={as_of}"
        task = tasks.filter(region=self.city).order_by("pk").first()
        pages = [
            ("task list, city admin, page 1", admin, f"/tasks/?{dated}"),
            ("task list, city admin, overdue", admin, f"/tasks/?{dated}&state=overdue"),
            ("task list, province (province reader), page 1", reader, f"/tasks/?{dated}"),
            (f"task list, {self.county.name} clerk", clerk, f"/tasks/?{dated}"),
            ("task figures by area and unit, city admin", admin, f"/tasks/summary/?{dated}&region={self.city.pk}"),
            ("task figures, province (province reader)", reader, f"/tasks/summary/?{dated}&region={self.province.pk}"),
        ]
        if task is not None:
            pages.append(("a task's page, city admin", admin, f"/tasks/{task.pk}/"))
        for name, client, url in pages:
            self.add(f"{name}, after a write in {self.county.name}",
                     timed(self.get(client, url), runs, before=self.county_write), None, "p95 ≤ 200 ms")
            self.add(f"{name}, repeat view", timed(self.get(client, url), runs), None, "p95 ≤ 200 ms")

    # --- the audit page (审计日志): the chain's links, newest first, filtered ----------------------
    def bench_audit(self) -> None:
        from keyprojects.core.chain import seal_unsealed
        from keyprojects.core.models import AuditEntry
        from keyprojects.projects.models import Project

        sealed = seal_unsealed()  # a province generated before the chain existed
        entries = AuditEntry.objects.count()
        self.stdout.write(f"audit: {entries:,} links in the chain ({sealed:,} sealed now)")
        runs, admin, root = self.options["runs"], self.client(self.city_admin), self.client(self.bench_superuser())
        middle = AuditEntry.objects.order_by("seq").values_list("seq", flat=True)[entries // 2] if entries else 1
        project = Project.objects.filter(region__parent=self.city).order_by("pk").first()
        day = timezone.localdate().isoformat()
        pages = [
            ("audit log, city admin, page 1", admin, "/audit/"),
            ("audit log, city admin, a page halfway down the chain", admin, f"/audit/?before={middle}"),
            ("audit log, city admin, one source and day", admin, f"/audit/?source=import&start={day}&end={day}"),
            ("audit log, city admin, one project", admin,
             f"/audit/?model=projects.Project&object_id={project.pk if project else 0}"),
            ("audit log, city admin, sign-ins", admin, "/audit/?kind=signins"),
            ("audit log, superuser, page 1", root, "/audit/"),
        ]
        for name, client, url in pages:
            self.add(name, timed(self.get(client, url), runs), None, "p95 ≤ 200 ms")
        self.add("audit log export .xlsx, city admin (≤ 50,000 rows)", timed(self.get(admin, "/audit/export.xlsx"), 3),
                 None, "≤ 10 s")

    # --- investment attraction: the ledger, its figures, the events, the packages, the .xlsx --------
    def bench_attraction(self) -> None:
        from keyprojects.attraction.models import Event, Lead

        runs, year, as_of = self.options["runs"], self.year, self.as_of
        admin, reader = self.client(self.city_admin), self.client(self.province_reader)
        clerk = self.client(User.objects.get(username=f"{USERNAME_PREFIX}{self.county.code}"))
        leads = Lead.objects.filter(region__path__startswith=self.province.path)
        city = leads.filter(region__path__startswith=self.city.path)
        self.stdout.write(f"attraction: {leads.count():,} leads in {self.province.name}, {city.count():,} in "
                          f"{self.city.name}; {Event.objects.filter(region__path__startswith=self.city.path).count():,}"
                          f" events in {self.city.name}")
        dated = f"year={year}&as_of={as_of}"
        pages = [
            ("attraction ledger, city admin, page 1", admin, f"/attraction/?{dated}", "p95 ≤ 200 ms"),
            ("attraction ledger, city admin, signed in the year", admin, f"/attraction/?{dated}&reached=signed",
             "p95 ≤ 200 ms"),
            ("attraction ledger, province (province reader), page 1", reader, f"/attraction/?{dated}", "p95 ≤ 200 ms"),
            (f"attraction ledger, {self.county.name} clerk, page 1", clerk, f"/attraction/?{dated}", "p95 ≤ 200 ms"),
            ("attraction events, city admin, page 1", admin, f"/attraction/events/?{dated}", "p95 ≤ 200 ms"),
            ("attraction figures by unit, leader and chain, city admin", admin,
             f"/attraction/summary/?{dated}&region={self.city.pk}", "p95 ≤ 300 ms"),
            ("attraction figures, province (province reader)", reader,
             f"/attraction/summary/?{dated}&region={self.province.pk}", "p95 ≤ 300 ms"),
            (f"attraction figures, {self.county.name} clerk", clerk, f"/attraction/summary/?{dated}", "p95 ≤ 300 ms"),
            ("1+1托4 packages, city admin", admin, f"/attraction/packages/?year={year}", "p95 ≤ 300 ms"),
        ]
        for name, client, url, target in pages:
            self.add(f"{name}, after a write in {self.county.name}",
                     timed(self.get(client, url), runs, before=self.county_write), None, target)
            self.add(f"{name}, repeat view", timed(self.get(client, url), runs), None, target)
        sizes: list[int] = []

        def export() -> None:
            response = admin.get(f"/attraction/export/?{dated}")
            assert response.status_code == 200, response.status_code
            sizes.append(len(response.content))

        self.add(f"attraction ledger export .xlsx, city ({self.city.name}), after a write in {self.county.name}",
                 timed(export, 3, before=self.county_write), None, "≤ 10 s",
                 f"{city.count():,} leads, {sizes[-1] // 1024:,} KB")

    # --- funding rounds: the figures, the application list, a round, its .xlsx ---------------------
    def bench_funding(self) -> None:
        from keyprojects.funding.models import Application, Round

        runs, year, as_of = self.options["runs"], self.year, self.as_of
        admin, reader = self.client(self.city_admin), self.client(self.province_reader)
        clerk = self.client(User.objects.get(username=f"{USERNAME_PREFIX}{self.county.code}"))
        rows = Application.objects.filter(project__region__path__startswith=self.province.path, round__year=year)
        self.stdout.write(f"funding: {Round.objects.filter(region__path__startswith=self.province.path, year=year).count():,}"
                          f" rounds and {rows.count():,} applications in {self.province.name} {year}, "
                          f"{rows.filter(round__region=self.city).count():,} in {self.city.name}")
        dated = f"year={year}&as_of={as_of}"
        pages = [
            ("funding figures by kind, round and county, city admin", admin, f"/funding/?{dated}", "p95 ≤ 300 ms"),
            ("funding figures, province (province reader)", reader, f"/funding/?{dated}&region={self.province.pk}",
             "p95 ≤ 300 ms"),
            (f"funding figures, {self.county.name} clerk", clerk, f"/funding/?{dated}", "p95 ≤ 300 ms"),
            ("funding applications, city admin, page 1", admin, f"/funding/applications/?{dated}", "p95 ≤ 200 ms"),
            ("funding applications, city admin, issued", admin, f"/funding/applications/?{dated}&stage=issued",
             "p95 ≤ 200 ms"),
            ("funding applications, province (province reader), page 1", reader,
             f"/funding/applications/?{dated}&region={self.province.pk}", "p95 ≤ 200 ms"),
            (f"funding applications, {self.county.name} clerk, page 1", clerk, f"/funding/applications/?{dated}",
             "p95 ≤ 200 ms"),
        ]
        biggest = (Round.objects.filter(region=self.city, year=year).annotate(n=Count("applications"))
                   .order_by("-n", "pk").first())
        if biggest is not None:
            pages += [(f"a round's page ({biggest.n} applications, screened), city admin", admin,
                       f"/funding/rounds/{biggest.pk}/?as_of={as_of}", "p95 ≤ 300 ms"),
                      (f"a round's page, {self.county.name} clerk", clerk, f"/funding/rounds/{biggest.pk}/?as_of={as_of}",
                       "p95 ≤ 300 ms")]
        for name, client, url, target in pages:
            self.add(f"{name}, after a write in {self.county.name}",
                     timed(self.get(client, url), runs, before=self.county_write), None, target)
            self.add(f"{name}, repeat view", timed(self.get(client, url), runs), None, target)
        if biggest is None:
            self.notes.append(f"funding: no round of {year} in {self.city.name} — the export skipped")
            return
        self.add(f"a round's applications .xlsx, city admin ({biggest.n} applications)",
                 timed(self.get(admin, f"/funding/rounds/{biggest.pk}/export/"), 3, before=self.county_write), None,
                 "≤ 10 s")

    # --- the provincial exchange: the city's sheet, its check list, the returned list, the pull ----
    def bench_exchange(self) -> None:
        from keyprojects.exchange import services as exchange_services
        from keyprojects.exchange.models import Profile, Return
        from keyprojects.exchange.sheet import sheet, workbook

        profile = Profile.objects.filter(province_code=self.province.code).first()
        if profile is None:
            self.notes.append(f"exchange: no profile of {self.province.name}")
            return
        runs, admin = max(3, self.options["runs"] // 4), self.client(self.city_admin)
        query = f"profile={profile.pk}&region={self.city.pk}&year={self.year}&month={self.period.month}"
        found = sheet(self.city_admin, profile, self.city, self.year, self.period.month, self.as_of)
        rows = f"{len(found.rows):,} rows"
        self.add("exchange page with its check list, city admin", timed(self.get(admin, f"/exchange/?{query}"), runs),
                 None, "p95 ≤ 2 s", rows)
        self.add("exchange sheet .xlsx, city admin", timed(self.get(admin, f"/exchange/export/?{query}"), runs),
                 None, "p95 ≤ 2 s", rows)
        content = workbook(found)

        def upload() -> None:
            exchange_services.upload_return(self.city_admin, profile, self.city, self.year, self.period.month,
                                            "bench.xlsx", content, today=self.as_of)

        self.add("province's returned list read and compared", timed(upload, runs), None, "≤ 5 s", rows)
        with audit_context(Source.COMMAND, detail="bench"):
            for stored in Return.objects.filter(file_name="bench.xlsx"):
                stored.delete()  # (the bench's own rows)
        since = f"{self.year - 5}-01-01T00:00:00%2B08:00"
        self.add("API pull of changed projects, 100 a page, city admin",
                 timed(self.get(admin, f"/api/projects/changes/?changed_since={since}&limit=100"), runs), None,
                 "p95 ≤ 500 ms")

    # --- the map (一张图): its page and its points, a province's added up in cells -------------------
    def bench_map(self) -> None:
        runs, dated = self.options["runs"], f"year={self.year}&as_of={self.as_of}"
        admin, reader = self.client(self.city_admin), self.client(self.province_reader)
        clerk = self.client(User.objects.get(username=f"{USERNAME_PREFIX}{self.county.code}"))
        for name, client, url in (
            ("map page, city admin", admin, f"/map/?{dated}"),
            ("map points, province (province reader)", reader, f"/map/points.json?{dated}"),
            ("map points, city admin", admin, f"/map/points.json?{dated}"),
            (f"map points, {self.county.name} clerk", clerk, f"/map/points.json?{dated}"),
        ):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            note = f"{len(response.content) // 1024:,} KB"
            if url.startswith("/map/points.json"):
                found = response.json()
                note = (f"{found['count']:,} of {found['total']:,} projects as {len(found['points']):,} "
                        f"{'cells' if found['aggregated'] else 'points'}, {note}")
            self.add(f"{name}, after a write in {self.county.name}",
                     timed(self.get(client, url), runs, before=self.county_write), None, "p95 ≤ 500 ms", note)
            self.add(f"{name}, repeat view", timed(self.get(client, url), runs), None, "p95 ≤ 500 ms", note)

    # --- the Huludao demo pages (when the demo is loaded in this database) -----------------------
    def bench_demo(self) -> None:
        from keyprojects.demo.management.commands.load_demo import Command as _Demo  # noqa: F401

        admin, clerk = User.objects.filter(username="admin").first(), User.objects.filter(username="lianshan").first()
        if admin is None or clerk is None:
            self.notes.append("demo pages: the Huludao demo is not loaded here (keyprojects load_demo) — skipped")
            return
        may = ReportingPeriod.objects.filter(region__name="葫芦岛市", year=2022, month=5).first()
        pages = [("demo: dashboard, 葫芦岛市", admin, "/dashboard/?as_of=2022-06-05"),
                 ("demo: dashboard, 连山区", clerk, "/dashboard/?as_of=2022-06-05"),
                 ("demo: project list 2022, page 1", admin, "/projects/?year=2022"),
                 ("demo: filing screen May 2022 (连山区)", clerk, f"/reporting/periods/{may.pk}/fill/" if may else "")]
        for name, user, url in pages:
            if url:
                self.add(name, timed(self.get(self.client(user), url), self.options["runs"]), None, "p95 ≤ 300 ms")

    # --- briefings ------------------------------------------------------------------------------
    def bench_briefing(self) -> None:
        """A briefing's content, .docx and .pdf, with the figures' cache emptied before each run
        (a briefing is written after the month's reports moved the figures): the demo cities, and
        the synthetic city and province when they are loaded."""
        from django.core.cache import caches

        from keyprojects.briefings import charts, content, render

        cases = []
        for name, username, as_of in (("葫芦岛市", "admin", date(2022, 6, 5)), ("定西市", "dingxi", date(2022, 4, 20))):
            user = User.objects.filter(username=username).first()
            if user is not None:
                cases.append((f"briefing: {name} (demo)", user, Region.objects.find(name), as_of, "≤ 3 s"))
        if self.synthetic:
            cases.append((f"briefing: {self.city.name} (synthetic city)", self.city_admin, self.city, self.as_of, "≤ 3 s"))
            cases.append((f"briefing: {self.province.name} (synthetic province)", self.superuser, self.province,
                          self.as_of, "≤ 10 s"))
        if not cases:
            self.notes.append("briefing: neither the demo nor the synthetic province is loaded — skipped")
        runs = max(1, min(self.options["runs"], 5))  # seconds each: a few runs say enough
        for label, user, region, as_of, target in cases:
            built = content.build(user, region, as_of.year, as_of)
            text = render.Text(f"{region.name}重点项目建设工作简报", "第1期", region.name, built["headline"])
            drawn = charts.draw(built)
            steps: dict[str, Callable[[], Any]] = {
                "content": functools.partial(content.build, user, region, as_of.year, as_of),
                "charts": functools.partial(charts.draw, built),
                "docx": functools.partial(render.docx, built, text, drawn=drawn),
                "pdf": functools.partial(render.pdf, built, text, drawn)}
            times = {key: timed(step, runs, caches["default"].clear) for key, step in steps.items()}
            whole = [sum(parts) for parts in zip(*times.values(), strict=True)]
            parts = ", ".join(f"{key} p50 {statistics.median(t):.0f} ms" for key, t in times.items())
            self.add(label, whole, None, target, f"content, charts, .docx, .pdf; {parts}")

    # --- month-end burst ------------------------------------------------------------------------
    def bench_burst(self) -> None:
        try:
            import requests  # noqa: F401
        except ImportError:
            self.notes.append("burst: requests is not installed — skipped")
            return
        levels = [int(n) for n in self.options["burst"].split(",") if n.strip()]
        clerks = self.burst_clerks(max(levels))
        port = free_port()
        server = self.start_server(port)
        try:
            for n in levels:
                self.burst(n, clerks[:n], f"http://127.0.0.1:{port}")
        finally:
            server.terminate()
            server.wait(timeout=30)

    def start_server(self, port: int) -> subprocess.Popen:
        env = {**os.environ, "KEYPROJECTS_LOG_LEVEL": "ERROR"}
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "keyprojects.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(self.options["workers"]), "--worker-class", "sync", "--timeout", "120",
             "--backlog", "2048", "--log-level", "warning"],
            env=env, stdout=subprocess.DEVNULL, stderr=sys.stderr,
        )
        import requests

        for _ in range(120):
            try:
                requests.get(f"http://127.0.0.1:{port}/login/", timeout=2)
                return server
            except requests.RequestException:
                time.sleep(0.5)
        server.terminate()
        raise CommandError("gunicorn did not start")

    def burst_clerks(self, n: int) -> list[User]:
        """County clerks for the burst: the generator's one per county, plus bench clerks so that
        every client is a different person (two or three per county at most)."""
        counties = list(Region.objects.filter(parent__parent=self.province, level=Region.Level.COUNTY).order_by("code"))
        clerks = list(User.objects.filter(username__in=[f"{USERNAME_PREFIX}{c.code}" for c in counties]).order_by("username"))
        password = make_password(DEMO_PASSWORD)
        k = 2
        with audit_context(Source.COMMAND, detail="bench"):
            while len(clerks) < n:
                for county in counties:
                    username = f"bench{county.code}_{k}"
                    user = User.objects.filter(username=username).first()
                    if user is None:
                        unit = Unit.objects.get(region=county, name=f"{county.name}发展和改革局")
                        user = User(username=username, password=password, role=User.Role.COUNTY_CLERK,
                                    display_name=f"{county.name}填报员{k}", unit=unit)
                        user.save()
                    clerks.append(user)
                    if len(clerks) >= n:
                        break
                k += 1
        return clerks

    def reset_drafts(self, reports: list[ProgressReport]) -> None:
        """Reports an earlier burst submitted go back to draft (recorded) so a re-run has work."""
        from simple_history.utils import bulk_update_with_history

        submitted = [r for r in reports if r.status != ProgressReport.Status.DRAFT]
        for r in submitted:
            r.status, r.submitted_at, r.submitted_by_id, r.late = ProgressReport.Status.DRAFT, None, None, False
            r.version += 1
        if submitted:
            bulk_update_with_history(submitted, ProgressReport, ["status", "submitted_at", "submitted_by", "late", "version"],
                                     custom_historical_attrs={"history_source": Source.COMMAND, "history_detail": "bench"})

    def burst(self, n: int, clerks: list[User], base: str) -> None:
        import requests

        per = self.options["per_client"]
        # Each client gets its own draft reports of its county in the open (last) period;
        # two clients of one county never share a report.
        by_county: dict[int, list[ProgressReport]] = {}
        county_of = {c.pk: c.unit.region_id for c in User.objects.filter(pk__in=[c.pk for c in clerks]).select_related("unit")
                     if c.unit is not None}
        open_periods = list(ReportingPeriod.objects.filter(region__parent=self.province, year=self.period.year,
                                                           month=self.period.month))
        candidates = (ProgressReport.objects.filter(period__in=open_periods, project__region_id__in=set(county_of.values()))
                      .filter(status__in=[ProgressReport.Status.DRAFT, ProgressReport.Status.SUBMITTED])
                      .filter(return_reason="").order_by("project__region_id", "pk"))
        for report in candidates.select_related("project"):
            by_county.setdefault(report.project.region_id, []).append(report)
        work: dict[int, list[ProgressReport]] = {}
        taken: dict[int, int] = {}
        for clerk in clerks:
            county = county_of[clerk.pk]
            first = taken.get(county, 0)
            work[clerk.pk] = by_county.get(county, [])[first:first + per]
            taken[county] = first + per
        chosen = [r for reports in work.values() for r in reports]
        self.reset_drafts(chosen)
        clerks = list(User.objects.filter(pk__in=[c.pk for c in clerks]).select_related("unit__region"))
        versions = {r.pk: r.version for r in ProgressReport.objects.filter(pk__in=[r.pk for r in chosen])}

        sessions: dict[int, requests.Session] = {}
        login_times: list[float] = []
        lock = threading.Lock()

        def login(clerk: User) -> None:
            s = requests.Session()
            s.get(f"{base}/login/")
            start = time.perf_counter()
            r = s.post(f"{base}/login/", data={"username": clerk.username, "password": DEMO_PASSWORD,
                                                "csrfmiddlewaretoken": s.cookies.get("csrftoken", "")},
                       headers={"Referer": f"{base}/login/"}, allow_redirects=False)
            with lock:
                login_times.append((time.perf_counter() - start) * 1000)
            if r.status_code != 302:
                raise CommandError(f"login failed for {clerk.username}: {r.status_code}")
            sessions[clerk.pk] = s

        self.run_threads([functools.partial(login, c) for c in clerks], limit=8)

        fill_times: list[float] = []
        submit_times: list[float] = []
        errors: list[str] = []
        barrier = threading.Barrier(len(clerks))

        def client(clerk: User) -> None:
            s = sessions[clerk.pk]
            token = s.cookies.get("csrftoken") or ""
            barrier.wait()
            try:
                start = time.perf_counter()
                r = s.get(f"{base}/reporting/periods/{self.period_for(clerk, open_periods)}/fill/", timeout=120)
                with lock:
                    fill_times.append((time.perf_counter() - start) * 1000)
                if r.status_code != 200:
                    errors.append(f"fill {r.status_code}")
                for report in work[clerk.pk]:
                    data = {
                        "csrfmiddlewaretoken": token, "version": versions[report.pk], "submit": "1",
                        "completed_month": str(report.completed_month), "completed_ytd": str(report.completed_ytd),
                        "completed_since_start": str(report.completed_since_start), "progress": report.progress or "主体施工",
                        "started_on": report.started_on.isoformat() if report.started_on else "",
                        "problems": report.problems, "next_steps": report.next_steps or "加快施工进度",
                    }
                    if report.started:
                        data["started"] = "on"
                    start = time.perf_counter()
                    r = s.post(f"{base}/reporting/reports/{report.pk}/save/", data=data, allow_redirects=False,
                               headers={"Referer": f"{base}/reporting/reports/{report.pk}/", "X-CSRFToken": token},
                               timeout=120)
                    with lock:
                        submit_times.append((time.perf_counter() - start) * 1000)
                    if r.status_code != 302:
                        errors.append(f"submit {r.status_code}")
            except requests.RequestException as exc:
                errors.append(type(exc).__name__)

        start = time.perf_counter()
        self.run_threads([functools.partial(client, c) for c in clerks], limit=len(clerks))
        wall = time.perf_counter() - start
        submitted = ProgressReport.objects.filter(pk__in=[r.pk for r in chosen], status=ProgressReport.Status.SUBMITTED).count()
        lost = len(chosen) - submitted
        note = (f"{len(chosen)} reports, {len(chosen) / wall:.0f} submits/s, wall {wall:.1f} s, errors {len(errors)}, "
                f"lost {lost}")
        self.add(f"burst {n} clients: save+submit (p99 {percentile(submit_times, 0.99):,.0f} ms)", submit_times, None,
                 "0 errors, 0 lost, p99 ≤ 500 ms", note)
        self.add(f"burst {n} clients: filing screen GET (p99 {percentile(fill_times, 0.99):,.0f} ms)", fill_times, None,
                 "—", f"{statistics.mean(len(v) for v in by_county.values()):.0f} draft reports/county")
        self.add(f"burst {n} clients: login (8 at a time, before the burst)", login_times, None, "—", "PBKDF2 hashing")
        if errors:
            self.notes.append(f"burst {n}: errors {sorted(set(errors))[:5]}")

    @staticmethod
    def period_for(clerk: User, periods: list[ReportingPeriod]) -> int:
        region = clerk.region
        assert region is not None  # (a synthetic clerk has a county's unit)
        return next(p.pk for p in periods if p.region_id == region.parent_id)

    @staticmethod
    def run_threads(actions: list[Callable[[], None]], limit: int) -> None:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=limit) as pool:
            for future in [pool.submit(a) for a in actions]:
                future.result()

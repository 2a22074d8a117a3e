"""keyprojects bench_import [--rows 20000]: generate a messy ledger, time reading it alone, a
dry run (validated and written inside a transaction that is rolled back), the real import
(committed), importing the same file again (nothing changes) and the next month's ledger (the
same projects, their year-to-date figures grown: a report each, the usual monthly import);
with each, the time its statements took in the database.

It writes the synthetic projects for good, into the database it runs on: with ``--scratch`` it
runs instead in new databases it makes and removes, ``--runs`` times each: SQLite in a
temporary folder, and PostgreSQL (a database made on the ``--postgres`` server) when that
server answers, each with 辽宁省's regions; then it prints each one's median. ``make bench``
runs it so. A benchmark, not a test: it prints figures. ``--write-csv FILE`` only writes a CSV
ledger of ``--rows`` rows, each with its own owner company, to measure a preview's memory with."""

from __future__ import annotations

import contextlib
import csv
import functools
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import xlsxwriter
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from keyprojects.core import chain
from keyprojects.core.audit import Source, audit_context
from keyprojects.ledgers.importer import Importer
from keyprojects.ledgers.layout import detect
from keyprojects.ledgers.reader import read
from keyprojects.regions.models import Region

COUNTIES = ["连山区", "龙港区", "南票区", "绥中县", "建昌县", "兴城市"]
# A run, as ``handle`` prints it; ``--scratch`` prints the median of the runs in MEDIANS.
RUN = re.compile(r"^(?P<label>[^:\n]+): (?P<seconds>[\d.]+) s (?P<rest>= [\d,]+ rows/s, \d+× the read-alone time)",
                 re.MULTILINE)
MEDIANS = ("import (committed)", "the next month's ledger (a new report for every project)")
READ_ALONE = re.compile(r"read alone \(calamine \+ layout, best of 3\): ([\d.]+) s")
# ``--scratch``'s line for a database: its median run.
MEDIAN = re.compile(r"^== (?P<database>\w+): (?P<label>[^:\n]+), median of (?P<runs>\d+): (?P<seconds>[\d.]+) s "
                    r"= (?P<rate>[\d,]+) rows/s, \d+× the read-alone time \((?P<read>[\d.]+) s\)$", re.MULTILINE)
POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


def write_ledger(path: Path, rows: int, seed: int = 7, month: int = 5) -> None:
    """A ledger of ``rows`` projects as of the end of ``month``: the same projects for the same
    seed, each started one's year-to-date figure growing with the month."""
    rng = random.Random(seed)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": False})
    sheet = book.add_worksheet("台账")
    sheet.merge_range(0, 0, 0, 9, "葫芦岛市2023年重点项目推进情况表")
    sheet.write(1, 8, "单位：万元")
    heads = ["序号", "项目名称", "所在县区", "建设性质", "行业领域", "总投资（亿元）", "2023年度", "", "是否开复工", "开复工时间"]
    for c, head in enumerate(heads):
        if c not in (6, 7):
            sheet.merge_range(2, c, 3, c, head)
    sheet.merge_range(2, 6, 2, 7, "2023年度")
    sheet.write(3, 6, "计划投资")
    sheet.write(3, 7, f"1-{month}月完成投资")
    r = 4
    per_county = rows // len(COUNTIES)
    for i, county in enumerate(COUNTIES):
        sheet.write(r, 0, f"{'一二三四五六'[i]}、{county}（{per_county}个）")
        r += 1
        for n in range(per_county):
            total = rng.randint(600, 90000)
            plan = total // rng.randint(3, 8)
            started = rng.random() < 0.7
            sheet.write_row(r, 0, [n + 1, f"{county}测试项目{n:05d}号", county, rng.choice(["新建", "续建"]),
                                   rng.choice(["装备制造", "新能源", "基础设施"]), f"{total / 10000:.4f}",
                                   f"{plan:,}", plan * month // 15 if started else 0, "是" if started else "否",
                                   f"2023年{rng.randint(1, 5)}月{rng.randint(1, 28)}日" if started else ""])
            r += 1
        r += 1  # spacer
    sheet.write(r + 1, 0, "注：本表为性能测试生成的数据。")
    book.close()


def write_csv_ledger(path: Path, rows: int, seed: int = 7) -> None:
    """A CSV ledger of ``rows`` projects, 15 columns, each row naming its own owner company, a
    责任单位 and a 包抓领导: the file the importer's memory is measured with (a preview of it)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([["葫芦岛市2023年重点项目推进情况表"], ["单位：万元"]])
        writer.writerow(["序号", "项目名称", "所在县区", "建设性质", "行业领域", "总投资", "年度计划投资", "1-5月完成投资",
                         "是否开复工", "开复工时间", "业主单位", "责任单位", "包抓领导", "建设内容及规模", "备注"])
        for n in range(rows):
            county = COUNTIES[n % len(COUNTIES)]
            total = rng.randint(600, 90000)
            plan = total // rng.randint(3, 8)
            started = rng.random() < 0.7
            writer.writerow([n + 1, f"{county}测试项目{n:06d}号", county, rng.choice(["新建", "续建"]),
                             rng.choice(["装备制造", "新能源", "基础设施"]), total, plan, plan * 5 // 15 if started else 0,
                             "是" if started else "否", f"2023年{rng.randint(1, 5)}月{rng.randint(1, 28)}日" if started else "",
                             f"葫芦岛{county}第{n}实业有限公司", f"{county}发展和改革局", f"张{n % 997}",
                             f"新建厂房{rng.randint(1, 90)}万平方米及配套设施", ""])


class Command(BaseCommand):
    help = "台账导入性能基准 / ledger import benchmark"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rows", type=int, default=20000)
        parser.add_argument("--scratch", action="store_true", help="each run in a new database, SQLite and PostgreSQL")
        parser.add_argument("--runs", type=int, default=3, help="with --scratch: runs on each database")
        parser.add_argument("--postgres", default=POSTGRES, help="with --scratch: the PostgreSQL server to use")
        parser.add_argument("--write-csv", metavar="FILE", help="only write a CSV ledger of --rows rows to FILE (for "
                            "measuring a preview's memory: import_ledger FILE --dry-run)")

    def handle(self, *args, **options) -> None:
        if options["write_csv"]:
            write_csv_ledger(Path(options["write_csv"]), options["rows"])
            return
        if options["scratch"]:
            self.scratch(options["rows"], options["runs"], options["postgres"])
            return
        region = Region.objects.find("葫芦岛市")
        with tempfile.TemporaryDirectory() as folder:
            path, next_month = Path(folder) / "bench.xlsx", Path(folder) / "bench-june.xlsx"
            write_ledger(path, options["rows"])
            write_ledger(next_month, options["rows"], month=6)
            read_alone = float("inf")
            for _attempt in range(3):  # the best of three: one read is too short to time once
                start = time.perf_counter()
                layouts = [detect(s) for s in read(path)]  # (the rows classified as they are walked: here, counted)
                rows = sum(1 for layout in layouts if layout for row in layout.rows if row.kind == "data")
                read_alone = min(read_alone, time.perf_counter() - start)
            self.stdout.write(f"rows: {rows}; read alone (calamine + layout, best of 3): {read_alone:.2f} s")
            runs = [("dry run (validated, written, rolled back)", path, True), ("import (committed)", path, False),
                    ("same file again (nothing changes)", path, False),
                    ("the next month's ledger (a new report for every project)", next_month, False)]
            # PostgreSQL takes the rows by COPY, on the driver's own cursor: no wrapper sees it; nor the time of
            # the statements sent in pipeline mode (history and roll-up rows), done while the import goes on.
            uncounted = ", COPY and pipeline not counted" if connection.vendor == "postgresql" else ""
            for label, ledger, dry_run in runs:
                if ledger is next_month and connection.vendor == "postgresql":
                    # A month on, autovacuum has long counted the rows imported (this server may run without it)
                    with connection.cursor() as cursor:
                        cursor.execute("ANALYZE")
                in_database, sealing = DatabaseTime(), SealingTime()
                with audit_context(Source.IMPORT, detail="bench_import"), connection.execute_wrapper(in_database), \
                        mock.patch.object(chain, "seal", sealing.timed(chain.seal)):
                    start = time.perf_counter()
                    result = Importer(None, 2023, region, dry_run=dry_run, skip_invalid=True).run(ledger)
                    took = time.perf_counter() - start
                self.stdout.write(
                    f"{label}: {took:.1f} s = {rows / took:,.0f} rows/s, {took / read_alone:.0f}× the read-alone time "
                    f"(in the database: {in_database.seconds:.1f} s, {in_database.statements:,} statements{uncounted}; "
                    f"sealing {sealing.rows:,} history rows into the audit chain after the commit: {sealing.seconds:.1f} s); "
                    f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}, "
                    f"problems {len(result.problems)}")

    def scratch(self, rows: int, runs: int, postgres: str) -> None:
        """Each run in a database of its own, made with 辽宁省's regions and removed after it: a
        second run on the same database would find the first one's projects and change nothing."""
        for name, database in (("SQLite", _sqlite), ("PostgreSQL", functools.partial(_postgres, postgres))):
            timed: dict[str, list[tuple[float, str, str]]] = {label: [] for label in MEDIANS}
            for run in range(1, runs + 1):
                with database() as env:
                    if env is None:
                        self.stdout.write(f"== {name}: no server at {postgres}, skipped")
                        break
                    for command in (["migrate", "--noinput", "--verbosity", "0"], ["load_regions", "--province", "辽宁省"]):
                        _keyprojects(env, command)
                    printed = _keyprojects(env, ["bench_import", "--rows", str(rows)])
                self.stdout.write(f"== {name}, run {run} of {runs}, a new database\n{printed.strip()}")
                read_alone = READ_ALONE.search(printed)
                for found in RUN.finditer(printed):
                    if found["label"] in timed and read_alone:
                        timed[found["label"]].append((float(found["seconds"]), found["rest"], read_alone[1]))
            for label, times in timed.items():
                if times:
                    seconds, rest, alone = sorted(times)[len(times) // 2]
                    self.stdout.write(f"== {name}: {label}, median of {len(times)}: {seconds} s {rest} ({alone} s)")


class SealingTime:
    """The time ``core.chain.seal`` takes (after the import's commit, inside the timed run)."""

    def __init__(self) -> None:
        self.seconds, self.rows = 0.0, 0

    def timed(self, seal: Callable[..., int]) -> Callable[..., int]:
        def run(*args: Any, **kwargs: Any) -> int:
            start = time.perf_counter()
            try:
                sealed = seal(*args, **kwargs)
                self.rows += sealed
                return sealed
            finally:
                self.seconds += time.perf_counter() - start
        return run


class DatabaseTime:
    """An ``execute_wrapper`` adding up the time statements take in the database (and its
    driver): the part of an import no change to the importer's Python makes shorter."""

    def __init__(self) -> None:
        self.seconds, self.statements = 0.0, 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.statements += 1


def _keyprojects(env: dict[str, str], command: list[str]) -> str:
    """Run the CLI with ``env`` (its own database); what it printed."""
    done = subprocess.run([sys.executable, "-m", "keyprojects", *command], env=env, capture_output=True, text=True)
    if done.returncode:
        raise CommandError(f"keyprojects {' '.join(command)}: {done.stderr.strip()[-2000:]}")
    return done.stdout


@contextlib.contextmanager
def _sqlite() -> Iterator[dict[str, str]]:
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        yield {**env, "KEYPROJECTS_VAR_DIR": folder}


@contextlib.contextmanager
def _postgres(server: str) -> Iterator[dict[str, str] | None]:
    """A new database on ``server`` (None if it does not answer), dropped afterwards."""
    import psycopg

    name = f"kp_bench_import_{os.getpid()}"
    try:
        admin = psycopg.connect(server, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError:
        yield None
        return
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield {**os.environ, "DATABASE_URL": urlsplit(server)._replace(path=f"/{name}").geturl()}
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

"""A period's ranking: the live inputs of a scheme's members from the indicator module
(``collect``, what a snapshot freezes), the ranking computed from a snapshot alone
(``compute``), the corrections since (``corrections``) and the rank history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from keyprojects.accounts.models import Unit
from keyprojects.core.permissions import Actor, sees_all_of
from keyprojects.indicators import figures
from keyprojects.indicators.engine import percent
from keyprojects.regions.models import Region

from . import periods
from .models import EVENTS, MemberKind, Scheme, Snapshot, Value
from .periods import Period
from .scoring import GroupRanking, dec, rank_group, tie_break_rule

LINE_FIELDS = ("name", "value", "formula", "weight", "target", "benchmark", "benchmark_value", "points_per_unit",
               "cap", "floor")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def rules_of(scheme: Scheme) -> dict[str, Any]:
    """The scheme's rules as a snapshot freezes them (numbers as text, exact)."""
    return {
        "tie_break": scheme.tie_break, "list_size": scheme.list_size, "period_kind": scheme.period_kind,
        "groups": [{"id": g.pk, "name": g.name, "member_kind": g.member_kind,
                    "lines": [{name: _text(getattr(line, name)) if name in ("weight", "target", "benchmark_value",
                                                                           "points_per_unit", "cap", "floor")
                               else getattr(line, name) for name in LINE_FIELDS} for line in g.lines.all()]}
                   for g in scheme.groups.prefetch_related("lines")],
    }


def _values(stats: dict[str, Any]) -> dict[str, str | None]:
    rates = stats["rates"]
    return {Value.COMPLETION_RATE: _text(rates["completion_rate"]),
            Value.START_OR_RESUME_RATE: _text(rates["start_or_resume_rate"]),
            Value.NEW_START_RATE: _text(rates["new_start_rate"]),
            Value.PROGRESS_GAP: _text(rates["progress_gap"]),
            Value.COMPLETED_INVESTMENT: _text(stats["completed_investment"])}


def collect(actor: Actor, scheme: Scheme, period: Period, as_of: date) -> dict[str, Any]:
    """Each group's members and their values on ``as_of`` (``member_values``), with the city's
    own figures and time progress (the benchmarks of per-point lines)."""
    totals = figures.year_figures(actor, scheme.year, as_of, scheme.region)
    return {"as_of": as_of.isoformat(), "time_progress": _text(totals["rates"]["time_progress"]),
            "city": _values(totals), "groups": member_values(actor, scheme, period, as_of)}


def member_values(actor: Actor, scheme: Scheme, period: Period, as_of: date) -> dict[str, list[dict[str, Any]]]:
    """Each group's members and their values on ``as_of``, by group id, through the indicator
    module in the actor's scope: by county and zone (``figures.year_figures_of``), by
    responsible unit (``figures.breakdown``), and the events of the period
    (``figures.assessment_events``)."""
    city, year = scheme.region, scheme.year
    events = figures.assessment_events(actor, year, as_of, period.months, city)
    tasks = _task_rows(actor, year, as_of, city)
    return {str(group.pk): _members(actor, group.member_kind, city, year, as_of, events, tasks)
            for group in scheme.groups.all()}


def _task_rows(actor: Actor, year: int, as_of: date, city: Region) -> list[dict[str, Any]]:
    """The task list's figures by lead unit (``figures.tasks``), each with the unit's region path."""
    rows = figures.tasks(actor, year, as_of, city)["by"]["unit"]
    paths = dict(Unit.objects.filter(pk__in=[r["key"] for r in rows]).values_list("pk", "region__path"))
    return [{**row, "unit": row["key"], "path": paths.get(row["key"], "")} for row in rows]


class _Counts:
    """The events and tasks of members added up: a unit's rows are those of the unit, a region's
    those under its path. The rows are indexed once by unit and by path, so that a member costs
    the distinct paths, not every row (a city's events are thousands of rows)."""

    def __init__(self, events: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> None:
        self.events: dict[str, dict[Any, list[dict[str, Any]]]] = {"unit": {}, "path": {}}
        self.tasks: dict[str, dict[Any, list[dict[str, Any]]]] = {"unit": {}, "path": {}}
        for rows, index in ((events, self.events), (tasks, self.tasks)):
            for row in rows:
                index["unit"].setdefault(row["unit"], []).append(row)
                index["path"].setdefault(row["path"] or "", []).append(row)

    def of_unit(self, unit: int) -> dict[str, str | None]:
        return self._values(self.events["unit"].get(unit, []), self.tasks["unit"].get(unit, []))

    def of_region(self, path: str) -> dict[str, str | None]:
        def under(index: dict[Any, list[dict[str, Any]]]) -> list[dict[str, Any]]:
            return [row for at, rows in index.items() if at.startswith(path) for row in rows]
        return self._values(under(self.events["path"]), under(self.tasks["path"]))

    @staticmethod
    def _values(events: list[dict[str, Any]], led: list[dict[str, Any]]) -> dict[str, str | None]:
        found: dict[str, str | None] = {
            e: str(sum(r["count"] for r in events if r["event"] == e)) for e in EVENTS if e != Value.OVERDUE_TASKS}
        on_time, done, overdue = (sum(r[key] for r in led) for key in ("on_time", "done", "overdue"))
        found[Value.OVERDUE_TASKS] = str(overdue)
        found[Value.TASK_ON_TIME_RATE] = _text(percent(on_time, done + overdue))
        return found


def _members(actor: Actor, kind: str, city: Region, year: int, as_of: date,
             events: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts = _Counts(events, tasks)
    members = []
    if kind == MemberKind.UNIT:
        rows = {r["key"]: r for r in figures.breakdown(actor, year, as_of, "unit", city)}
        units = Unit.objects.filter(pk__in=list(rows), region=city, kind=Unit.Kind.DEPARTMENT).order_by("name")
        for unit in units:
            members.append({"key": f"unit:{unit.pk}", "name": unit.name, "order": unit.name,
                            "values": {**_values(rows[unit.pk]), **counts.of_unit(unit.pk)}})
        return members
    level = Region.Level.COUNTY if kind == MemberKind.COUNTY else Region.Level.ZONE
    regions = list((Region.objects.filter(parent=city, level=level) if level == Region.Level.COUNTY
                    else Region.objects.filter(path__startswith=city.path, level=level)).order_by("code"))
    stats = figures.year_figures_of(actor, year, as_of, regions, city)
    for region in regions:
        members.append({"key": region.code, "name": region.name, "order": region.code,
                        "values": {**_values(stats[region.code]), **counts.of_region(region.path)}})
    return members


@dataclass
class Ranking:
    scheme: Scheme
    period: Period
    snapshot: Snapshot
    groups: list[GroupRanking]
    tie_break_rule: str
    time_progress: Decimal | None
    previous: Period | None = None
    notes: list[str] = field(default_factory=list)


def compute(snapshot: Snapshot, previous: Snapshot | None = None) -> Ranking:
    """The ranking of a snapshot, from its frozen rules and inputs alone (and the ranks of the
    previous period's snapshot, for the movement)."""
    rules, inputs = snapshot.rules, snapshot.inputs
    period = periods.parse(snapshot.period)
    before = compute(previous) if previous is not None else None
    groups = []
    for group in rules["groups"]:
        earlier = next((g for g in before.groups if g.name == group["name"]), None) if before else None
        groups.append(rank_group(group, inputs["groups"].get(str(group["id"]), []), inputs,
                                 rules["tie_break"], rules["list_size"],
                                 {r.key: r.rank for r in earlier.rows} if earlier else None))
    return Ranking(snapshot.scheme, period, snapshot, groups, tie_break_rule(rules["tie_break"]),
                   dec(inputs.get("time_progress")), periods.parse(previous.period) if previous else None)


def previous_snapshot(snapshot: Snapshot) -> Snapshot | None:
    """The published snapshot of the period before (the movement's base)."""
    before = periods.parse(snapshot.period).previous()
    if before is None:
        return None
    return Snapshot.objects.filter(scheme=snapshot.scheme_id, period=before.key, published_at__isnull=False).first()


def ranking_of(snapshot: Snapshot) -> Ranking:
    return compute(snapshot, previous_snapshot(snapshot))


def read(actor: Actor, snapshot: Snapshot) -> Ranking:
    """The ranking as ``actor`` reads it (the page, the API): with the corrections since for who
    reads the whole city; a county or department reads the published bulletin as circulated (the
    corrections are the city's figures now, outside their view)."""
    ranking = ranking_of(snapshot)
    if sees_all_of(actor, snapshot.scheme.region):
        ranking.notes = corrections(actor, snapshot)
    return ranking


def corrections(actor: Actor, snapshot: Snapshot) -> list[str]:
    """What differs between the snapshot's inputs and the figures now for the same date: each a
    note ("安定区 投资完成率：取数时 23.4，现为 24.1"); the ranks stay the snapshot's."""
    now = member_values(actor, snapshot.scheme, periods.parse(snapshot.period), snapshot.as_of)
    used = {line["value"] for g in snapshot.rules["groups"] for line in g["lines"]}
    labels = {key: str(label) for key, label in Value.choices}
    notes = []
    for group_id, members in snapshot.inputs["groups"].items():
        current = {m["key"]: m for m in now.get(group_id, [])}
        for member in members:
            fresh = current.get(member["key"])
            if fresh is None:
                notes.append(f"{member['name']}：现已不在考核范围内")
                continue
            for key in sorted(used):
                was, is_ = dec(member["values"].get(key)), dec(fresh["values"].get(key))
                if was != is_:
                    notes.append(f"{member['name']} {labels[key]}：取数时 {_shown(was)}，现为 {_shown(is_)}")
        taken = {m["key"] for m in members}
        notes += [f"{m['name']}：取数后新增" for key, m in current.items() if key not in taken]
    return notes


def _shown(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.normalize():f}"


def history(scheme: Scheme, upto: Period) -> list[dict[str, Any]]:
    """Each group's members' ranks in the scheme's published periods up to ``upto``: rows of
    (name, ranks by period key), and the periods."""
    snapshots = [s for s in scheme.snapshots.filter(published_at__isnull=False).order_by("period")
                 if _sort_key(periods.parse(s.period)) <= _sort_key(upto)]
    computed = [(s.period, compute(s)) for s in snapshots]
    result = []
    for group in scheme.groups.all():
        names: dict[str, str] = {}
        ranks: dict[str, dict[str, int]] = {}
        for key, ranking in computed:
            for g in ranking.groups:
                if g.name == group.name:
                    for row in g.rows:
                        names.setdefault(row.key, row.name)
                        ranks.setdefault(row.key, {})[key] = row.rank
        rows = [{"name": names[k], "ranks": [ranks[k].get(p) for p, _ in computed]} for k in names]
        rows.sort(key=lambda r: (r["ranks"][-1] is None, r["ranks"][-1] or 0))  # as the latest period ranks them
        result.append({"name": group.name, "periods": [k for k, _ in computed], "rows": rows})
    return result


def _sort_key(period: Period) -> tuple[int, int]:
    return period.year, period.months[-1]


def to_json(ranking: Ranking) -> dict[str, Any]:
    snapshot = ranking.snapshot
    return {
        "region": ranking.scheme.region.name, "region_code": ranking.scheme.region.code,
        "scheme": {"id": ranking.scheme.pk, "name": ranking.scheme.name, "year": ranking.scheme.year},
        "period": ranking.period.key, "as_of": snapshot.as_of.isoformat(),
        "taken_at": snapshot.taken_at.isoformat(), "published": snapshot.published,
        "tie_break": ranking.tie_break_rule, "time_progress": _text(ranking.time_progress),
        "groups": [{
            "name": g.name, "member_kind": g.member_kind, "lines": [line["name"] for line in g.lines],
            "rows": [{"rank": r.rank, "key": r.key, "name": r.name, "score": str(r.score),
                      "points": [str(p) for p in r.points], "movement": r.movement,
                      "values": {k: _text(v) for k, v in r.values.items()}} for r in g.rows],
            "red_list": [r.name for r in g.top], "black_list": [r.name for r in g.bottom],
        } for g in ranking.groups],
        "notes": ranking.notes,
    }


def published(actor: Actor, region: Region, period: Period) -> Ranking | None:
    """The published ranking of ``region``'s scheme for ``period`` that the actor may see (the
    first scheme by name if several), or None: what a briefing's ranking paragraph reads
    (``text.paragraph(published(...))``)."""
    snapshot = (Snapshot.objects.visible_to(actor).filter(scheme__region=region, period=period.key,
                                                          published_at__isnull=False)
                .select_related("scheme__region").order_by("scheme__name").first())
    return ranking_of(snapshot) if snapshot is not None else None

"""Scores and ranks from a snapshot: pure functions of the frozen rules and inputs, so that a
published period gives the same ranks whenever it is computed again.

A line's points (rounded half-up to 0.01, then its cap and floor):
- ratio to the best: weight × value ÷ the group's best value (0 without a positive best);
- ratio to a target: weight × value ÷ target;
- per point: weight + (value − benchmark) × points per point (time progress, the group's
  average, the city's own figure or a fixed value);
- per event: count × points per event (negative for a deduction).
A member without the value (no plan rows) scores 0 on a ratio or per-point line. A score is the
sum of its lines' points. Equal scores share a rank (1, 1, 3); the scheme's tie-break orders
them on the page, then the member's order (region code, unit name).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .models import EVENTS, Benchmark, Formula, Value

CENT = Decimal("0.01")


def dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


@dataclass
class Row:
    key: str
    name: str
    order: str
    values: dict[str, Decimal | None]
    points: list[Decimal]
    score: Decimal
    rank: int = 0
    previous_rank: int | None = None
    cells: list[tuple[Decimal, Decimal | None]] = field(default_factory=list)  # each line's points and value

    @property
    def movement(self) -> str:
        """↑2, ↓1 or — against the previous period's rank; blank without one."""
        if self.previous_rank is None:
            return ""
        change = self.previous_rank - self.rank
        return f"↑{change}" if change > 0 else f"↓{-change}" if change < 0 else "—"


@dataclass
class GroupRanking:
    name: str
    member_kind: str
    lines: list[dict[str, Any]]
    rows: list[Row]
    list_size: int  # the N of the red and black lists in this group
    top: list[Row] = field(default_factory=list)
    bottom: list[Row] = field(default_factory=list)


def line_points(line: dict[str, Any], value: Decimal | None, group_values: list[Decimal | None],
                benchmarks: dict[str, Any]) -> Decimal:
    formula, weight = line["formula"], dec(line["weight"]) or Decimal(0)
    points = Decimal(0)
    if formula == Formula.PER_EVENT:
        points = (value or Decimal(0)) * (dec(line["points_per_unit"]) or Decimal(0))
    elif value is not None:
        if formula == Formula.RATIO_BEST:
            best = max((v for v in group_values if v is not None), default=None)
            points = weight * value / best if best is not None and best > 0 else Decimal(0)
        elif formula == Formula.RATIO_TARGET:
            target = dec(line["target"])
            points = weight * value / target if target else Decimal(0)
        elif formula == Formula.PER_POINT:
            base = benchmark_of(line, group_values, benchmarks)
            points = weight + (value - base) * (dec(line["points_per_unit"]) or Decimal(0)) if base is not None else weight
    points = points.quantize(CENT, ROUND_HALF_UP) + 0  # (+ 0: no "-0.00" for nothing deducted)
    cap, floor = dec(line.get("cap")), dec(line.get("floor"))
    if cap is not None:
        points = min(points, cap)
    if floor is not None:
        points = max(points, floor)
    return points


def benchmark_of(line: dict[str, Any], group_values: list[Decimal | None], benchmarks: dict[str, Any]) -> Decimal | None:
    kind = line["benchmark"]
    if kind == Benchmark.TIME_PROGRESS:
        return dec(benchmarks.get("time_progress"))
    if kind == Benchmark.CITY:
        return dec(benchmarks.get("city", {}).get(line["value"]))
    if kind == Benchmark.FIXED:
        return dec(line["benchmark_value"])
    present = [v for v in group_values if v is not None]
    return sum(present, Decimal(0)) / len(present) if present else None


def rank_group(group: dict[str, Any], members: list[dict[str, Any]], benchmarks: dict[str, Any], tie_break: str,
               list_size: int, previous: dict[str, int] | None = None) -> GroupRanking:
    """The group's members scored, ranked and ordered, with its 红榜 and 黑榜."""
    lines = group["lines"]
    values = [{k: dec(v) for k, v in m["values"].items()} for m in members]
    rows = []
    for member, own in zip(members, values, strict=True):
        points = [line_points(line, own.get(line["value"]), [v.get(line["value"]) for v in values], benchmarks)
                  for line in lines]
        rows.append(Row(member["key"], member["name"], member.get("order", member["name"]), own, points,
                        sum(points, Decimal(0)),
                        cells=[(p, own.get(line["value"])) for p, line in zip(points, lines, strict=True)]))
    rows.sort(key=lambda r: (-r.score, _tie_key(r, tie_break), r.order))
    for row in rows:
        row.rank = 1 + sum(1 for other in rows if other.score > row.score)
        if previous is not None:
            row.previous_rank = previous.get(row.key)
    # N of each list, at most half the group; members tied at a list's edge are all on it, and a
    # member on the red list is never on the black one too (a group of equal scores)
    n = min(list_size, len(rows) // 2)
    top = [r for r in rows if r.rank <= n]
    bottom = [r for r in rows if 1 + sum(1 for o in rows if o.score < r.score) <= n and r not in top]
    return GroupRanking(group["name"], group["member_kind"], lines, rows, n, top, bottom)


def _tie_key(row: Row, tie_break: str) -> tuple[bool, Decimal]:
    """Fewer events first; more of any other value first; a member without it last."""
    value = row.values.get(tie_break)
    if value is None:
        return (True, Decimal(0))
    return (False, value if tie_break in EVENTS else -value)


def tie_break_rule(tie_break: str) -> str:
    """The stated rule, as the page prints it."""
    name = Value(tie_break).label
    order = "少者在前" if tie_break in EVENTS else "高者在前"
    return f"得分相同者名次并列；并列者按{name}{order}排列，再按区划代码（部门按名称）排列。"

"""Funding rounds of a demo city: Dingxi's 2022 special bonds (257 projects of 568 亿元; in the
first quarter 25.17 亿元 issued to 85 projects of 170.5 亿元) and a small central-budget round,
written through ``core.bulk.save_in_bulk`` like the rest of Dingxi. Which projects got money,
the amounts and documents are invented, the published sums exact."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from keyprojects.core.bulk import save_in_bulk
from keyprojects.core.validation import Checked, validate
from keyprojects.funding.models import Application, Round
from keyprojects.projects.models import Project
from keyprojects.regions.models import Region

BONDS_ISSUED = (85, 251_700, 1_705_000)  # projects, issued, their total investment (万元), first quarter
BONDS_APPROVED_LATER = 40  # approved by the as-of date, money not yet issued
ISSUE_DAYS = [date(2022, 1, 21), date(2022, 2, 25), date(2022, 3, 29)]
CENTRAL_BUDGET = (12, 6, 4)  # applications, approved, issued


def exact_subset(values: list[int], k: int, target: int, rng: random.Random) -> list[int]:
    """Indexes of ``k`` of ``values`` summing exactly to ``target``: a random start, then swaps
    of one or two members that bring the sum nearest (deterministic for a seeded ``rng``)."""
    chosen = set(rng.sample(range(len(values)), k))
    for _round in range(200):
        diff = target - sum(values[i] for i in chosen)
        if diff == 0:
            return sorted(chosen)
        outside = [j for j in range(len(values)) if j not in chosen]
        swaps: dict[int, tuple[int, int]] = {}
        for i in sorted(chosen):
            for j in outside:
                swaps.setdefault(values[j] - values[i], (i, j))
        if diff in swaps:
            i, j = swaps[diff]
            chosen ^= {i, j}
            continue
        pair = next(((a, b) for d, a in swaps.items() if (b := swaps.get(diff - d)) is not None
                     and len({*a, *b}) == 4), None)
        if pair is not None:
            for i, j in pair:
                chosen ^= {i, j}
            continue
        step = min(swaps, key=lambda d: abs(diff - d))  # nearer, then try again
        if abs(diff - step) >= abs(diff):
            break
        chosen ^= set(swaps[step])
    raise ValueError("no subset found")


def shares(total: int, weights: list[int]) -> list[int]:
    """Whole amounts proportional to ``weights`` summing exactly to ``total`` (to the hundred 万元
    where it can, the largest taking what rounding leaves)."""
    whole = sum(weights)
    amounts = [max(100, round(total * w / whole, -2)) for w in weights]
    amounts[max(range(len(amounts)), key=amounts.__getitem__)] += total - sum(amounts)
    return [int(a) for a in amounts]


def write_dingxi(city: Region, bonds: list[Project], others: list[Project], rng: random.Random) -> int:
    """The rounds and applications; the number of applications."""
    special = Round(region=city, kind=Round.Kind.SPECIAL_BONDS, year=2022, batch="第一批",
                    deadline=date(2021, 12, 10), note="2022年新增地方政府专项债券项目（提前批）",
                    approvals_complete=True, min_start_rate_issued=Decimal("50.0"), start_within_months=3,
                    spend_within_months=12)
    central = Round(region=city, kind=Round.Kind.CENTRAL_BUDGET, year=2022, batch="第一批",
                    deadline=date(2022, 2, 28), note="2022年中央预算内投资计划（第一批）",
                    approvals_complete=True, start_within_months=3, spend_within_months=12)
    for round_ in (special, central):
        validate(round_)
        round_.save()
    checked = Checked()
    count, issued_total, issued_investment = BONDS_ISSUED
    issued_at = exact_subset([int(p.total_investment) for p in bonds], count, issued_investment, rng)
    issued_projects = [bonds[i] for i in issued_at]
    amounts = dict(zip((p.pk for p in issued_projects),
                       shares(issued_total, [int(p.total_investment) for p in issued_projects]), strict=True))
    rest = [p for p in bonds if p.pk not in amounts]
    approved_later = {p.pk for p in rng.sample(rest, BONDS_APPROVED_LATER)}
    applications = []
    for n, project in enumerate(bonds):
        proposed_on = date(2021, 11, 1) + timedelta(days=rng.randint(0, 38))
        a = Application(round=special, project=project, proposed_on=proposed_on,
                        state=Application.State.RECOMMENDED, screened_on=date(2021, 12, 20))
        total = int(project.total_investment)
        if project.pk in amounts:
            grant = amounts[project.pk]
            a.requested = Decimal(min(total, round(grant * rng.uniform(1.1, 1.5), -2) or grant))
            a.requested = max(a.requested, Decimal(grant))
            _approve(a, grant, date(2022, 1, 10), f"甘财债〔2022〕{3 + n % 4}号")
            day = ISSUE_DAYS[n % len(ISSUE_DAYS)]
            a.issued, a.issued_on, a.issue_number = Decimal(grant), day, f"定财债〔2022〕{ISSUE_DAYS.index(day) + 1}号"
            spent = round(grant * rng.uniform(0.2, 0.9))
            a.spent, a.spent_on = Decimal(spent), date(2022, 4, 15)
        else:
            a.requested = Decimal(max(100, min(total, round(total * rng.uniform(0.1, 0.3), -2))))
            if project.pk in approved_later:
                _approve(a, int(a.requested), date(2022, 3, 30), "甘财债〔2022〕11号")
        validate(a, checked)
        applications.append(a)
    for n, project in enumerate(others[:CENTRAL_BUDGET[0]]):
        total = int(project.total_investment)
        a = Application(round=central, project=project, proposed_on=date(2022, 2, 10) + timedelta(days=n),
                        requested=Decimal(max(100, min(total, round(total * 0.2, -2)))),
                        state=Application.State.RECOMMENDED, screened_on=date(2022, 3, 2))
        if n < CENTRAL_BUDGET[1]:
            _approve(a, int(a.requested) // 2, date(2022, 3, 25), "发改投资〔2022〕356号")
        if n < CENTRAL_BUDGET[2]:
            assert a.approved is not None
            a.issued, a.issued_on, a.issue_number = a.approved, date(2022, 4, 8), "定发改投资〔2022〕41号"
        validate(a, checked)
        applications.append(a)
    save_in_bulk(Application, applications)
    return len(applications)


def _approve(a: Application, amount: int, on: date, number: str) -> None:
    a.state, a.approved, a.approved_on, a.approval_number = Application.State.APPROVED, Decimal(amount), on, number

"""Shared helpers for the demo cities: exact splits of published totals, names, units."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from keyprojects.accounts.models import Unit, User
from keyprojects.regions.models import Region

DEMO_PASSWORD = "demo12345"


def split_exact(total: int, n: int, rng: random.Random, minimum: int, sigma: float = 1.0,
                fixed: Sequence[int] = ()) -> list[int]:
    """``n`` whole amounts (万元) summing exactly to ``total``, each >= ``minimum``, heavy-tailed.

    ``fixed`` amounts (e.g. a published mega-project) come first and are kept as given.
    """
    free = n - len(fixed)
    rest = total - sum(fixed)
    if free <= 0 or rest < free * minimum:
        raise ValueError("cannot split: the total is too small for the minimum")
    weights = [rng.lognormvariate(0, sigma) for _ in range(free)]
    spread = rest - free * minimum
    scale = spread / sum(weights)
    amounts = [minimum + int(w * scale) for w in weights]
    amounts[max(range(free), key=amounts.__getitem__)] += rest - sum(amounts)
    return [*fixed, *amounts]


def split_capped(total: int, caps: list[int], shares: list[float]) -> list[int]:
    """Whole amounts proportional to ``shares``, each <= its cap, summing exactly to ``total``.

    Raises ValueError if the caps cannot hold the total.
    """
    if sum(caps) < total:
        raise ValueError("caps too small for the total")
    amounts = [0] * len(caps)
    remaining = total
    active = [i for i in range(len(caps)) if caps[i] > 0]
    while remaining > 0 and active:
        weight = sum(shares[i] for i in active)
        given = 0
        for i in active:
            want = max(1, int(remaining * shares[i] / weight))
            take = min(want, caps[i] - amounts[i], remaining - given)
            amounts[i] += take
            given += take
            if given >= remaining:
                break
        remaining -= given
        active = [i for i in active if amounts[i] < caps[i]]
    return amounts


def day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def unit(name: str, region: Region, kind: str, **extra) -> Unit:
    found = Unit.objects.filter(region=region, name=name).first()
    if found:
        return found
    created = Unit(name=name, region=region, kind=kind, **extra)
    created.full_clean()
    created.save()
    return created


def demo_user(username: str, display_name: str, role: str, at: Unit) -> User:
    user = User.objects.filter(username=username).first() or User(username=username)
    user.display_name, user.role, user.unit = display_name, role, at
    user.set_password(DEMO_PASSWORD)
    user.full_clean(exclude=["password"])
    user.save()
    return user


def wan(value: int) -> Decimal:
    return Decimal(value)

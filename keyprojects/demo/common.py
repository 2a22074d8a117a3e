"""Shared helpers for the demo cities: exact splits of published totals, names, units."""

from __future__ import annotations

import contextlib
import functools
import random
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from keyprojects.accounts.models import Unit, User
from keyprojects.core import clock
from keyprojects.core.bulk import save_in_bulk
from keyprojects.projects.models import Project
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


@functools.cache
def _password_hash() -> str:
    """The demo password hashed once: a strong hasher takes a noticeable time per user."""
    return make_password(DEMO_PASSWORD)


def demo_user(username: str, display_name: str, role: str, at: Unit | None) -> User:
    user = User.objects.filter(username=username).first() or User(username=username, date_joined=timezone.now())
    user.display_name, user.role, user.unit = display_name, role, at
    user.password = _password_hash()
    user.full_clean(exclude=["password"])
    user.save()
    return user


def wan(value: int) -> Decimal:
    return Decimal(value)


def cumulative_path(final: int, first_month: int, last_month: int) -> dict[int, int]:
    """Year-to-date figures month by month, rising slowly in winter, reaching ``final`` in
    ``last_month``; 0 before the project started (``first_month``)."""
    span = last_month - first_month + 1
    path = {}
    for month in range(1, last_month + 1):
        if month < first_month:
            path[month] = 0
        else:
            share = ((month - first_month + 1) / span) ** 1.4
            path[month] = final if month == last_month else int(final * share)
    return path


def write_reports(entries, periods: dict, approved_at, filer_of, reviewer) -> int:
    """Approved monthly reports for demo projects.

    ``entries``: (project, plan, ytd by month, start date or None). Written as rows a county
    filed and the city approved (``approved_at(month)`` is when), in bulk with their history
    (``core.bulk.save_in_bulk``), and the plans' roll-up rebuilt from them.
    """
    from keyprojects.reporting import progress
    from keyprojects.reporting.models import ProgressReport

    reports: dict[int, list[ProgressReport]] = {month: [] for month in periods}
    for project, plan, path, started_on in entries:
        previous = 0
        for month, period in sorted(periods.items()):
            ytd = path[month]
            started = started_on is not None and started_on.month <= month
            reports[month].append(ProgressReport(
                project=project, period=period, completed_month=Decimal(ytd - previous),
                completed_ytd=Decimal(ytd), completed_since_start=plan.prior_completed + ytd,
                progress="按计划推进" if started else "办理前期手续", started=started,
                started_on=started_on if started else None, status=ProgressReport.Status.APPROVED,
                submitted_by=filer_of(project), submitted_at=approved_at(month) - timedelta(days=5),
                reviewed_by=reviewer, reviewed_at=approved_at(month),
            ))
            previous = ytd
    for month, of_month in sorted(reports.items()):
        with clock.at(approved_at(month)):  # each month's history rows dated with its approval
            save_in_bulk(ProgressReport, of_month)
    progress.refresh([plan.pk for _project, plan, _path, _started_on in entries])
    return sum(len(of_month) for of_month in reports.values())


def on_its_day(day: date | None) -> contextlib.AbstractContextManager[object]:
    """A change the demo dates later than the moment it is writing (a start in April written
    with January's plan) is recorded on its own day; an earlier one when it is written."""
    if day is None or clock.moment(day) <= timezone.now():
        return contextlib.nullcontext()
    return clock.at(day)


UNLOCATED_SHARE = 0.03  # a few demo projects left without a position: the map lists them to be placed


def place(project: Project) -> Project:
    """Put a demo project at a plausible point inside its region's vendored outline (its county,
    or anywhere in its city for the city's own), drawn from its own seed (region, name, total) so
    the demo's other draws, and so its published figures, do not change; a few stay unplaced."""
    from keyprojects.maps.geo import point_in

    if project.longitude is not None:
        return project
    rng = random.Random(f"{project.region.code}:{project.name}:{project.total_investment}")
    if rng.random() < UNLOCATED_SHARE:
        return project
    region = project.region
    if region.level == Region.Level.ZONE and region.parent is not None:
        region = region.parent  # a development zone has no outline of its own: somewhere in its county
    point = point_in(region.code, rng)
    if point is not None:
        project.longitude, project.latitude = point
    return project

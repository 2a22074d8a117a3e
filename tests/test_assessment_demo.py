"""The Dingxi demo's assessment: January–April published, the counties' April ranks pinned and
recomputed here by hand from the dashboard's county table and the events counted directly."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db.models import Q

from keyprojects.alerts.models import Warning, open_on_q, red_on_q
from keyprojects.assessment.models import Scheme, Snapshot
from keyprojects.assessment.ranking import ranking_of
from keyprojects.core.permissions import SYSTEM
from keyprojects.dispatch.models import Problem, overdue_on_q
from keyprojects.indicators import figures
from keyprojects.regions.models import Region
from keyprojects.reporting.models import ProgressReport

pytestmark = pytest.mark.django_db

APRIL = ["漳县", "陇西县", "通渭县", "临洮县", "渭源县", "岷县", "安定区"]  # pinned: see the hand computation


def cent(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_dingxi_has_four_published_months(demo):
    scheme = Scheme.objects.get(region__name="定西市", year=2022)
    assert list(scheme.snapshots.filter(published_at__isnull=False).values_list("period", flat=True)) == [
        "2022-01", "2022-02", "2022-03", "2022-04"]
    assert [g.name for g in scheme.groups.all()] == ["县区", "开发区", "市直部门"]


def test_dingxi_april_county_ranks_recomputed_by_hand(demo):
    city = Region.objects.get(name="定西市")
    snapshot = Snapshot.objects.get(scheme__region=city, period="2022-04")
    as_of = snapshot.as_of
    table = {row["label"]: row for row in figures.region_table(SYSTEM, 2022, as_of, city)}
    counties = [r for r in Region.objects.filter(parent=city, level=Region.Level.COUNTY)]
    best = max(table[c.name]["rates"]["completion_rate"] for c in counties)
    average = sum(table[c.name]["rates"]["start_or_resume_rate"] for c in counties) / len(counties)
    scores = {}
    for county in counties:
        rates = table[county.name]["rates"]
        inside = Q(region__path__startswith=county.path)
        overdue = Problem.objects.filter(inside, overdue_on_q(as_of), raised_on__lte=as_of).count()
        late = ProgressReport.objects.filter(project__region__path__startswith=county.path, period__year=2022,
                                             period__month=4).filter(Q(late=True) | ~Q(status__in=("submitted", "approved"))).count()
        red = Warning.objects.filter(inside, open_on_q(as_of), red_on_q(as_of)).count()
        scores[county.name] = sum([
            cent(40 * rates["completion_rate"] / best),
            min(max(cent(30 + (rates["start_or_resume_rate"] - average) * Decimal("0.5")), Decimal(10)), Decimal(40)),
            min(max(cent(20 + rates["progress_gap"] * Decimal("0.5")), Decimal(0)), Decimal(25)),
            max(Decimal(-overdue), Decimal(-10)), max(cent(Decimal("-0.5") * late), Decimal(-5)),
            max(cent(Decimal("-0.5") * red), Decimal(-10)),
        ])
    by_hand = sorted(scores, key=lambda name: -scores[name])
    computed = ranking_of(snapshot).groups[0].rows
    assert [(r.name, r.score) for r in computed] == [(name, scores[name]) for name in by_hand]
    assert [r.name for r in computed] == APRIL
    assert [r.rank for r in computed] == [1, 2, 3, 4, 5, 6, 7]

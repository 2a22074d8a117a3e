"""The demo cities' open data: each city publishes the largest government-invested projects of its
plan year (what a commission would put out first: public money, public works)."""

from __future__ import annotations

from datetime import date

from keyprojects.core.permissions import SYSTEM
from keyprojects.opendata import services
from keyprojects.projects.models import Project
from keyprojects.regions.models import Region

PUBLISHED = 20


def publish(city: Region, as_of: date) -> int:
    projects = (Project.objects.filter(region__path__startswith=city.path, plans__year=as_of.year,
                                       investment_nature=Project.InvestmentNature.GOVERNMENT)
                .order_by("-total_investment", "pk").values_list("pk", flat=True)[:PUBLISHED])
    for pk in projects:
        services.publish(SYSTEM, pk, "演示：政府投资重大项目", on=as_of)
    return len(projects)

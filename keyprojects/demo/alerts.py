"""The demo cities' warnings: each city's default rule set (Dingxi's dated start targets too),
evaluated on the city's as-of date so that the dashboard, the list and ``stats`` have warnings
that make sense for that day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from keyprojects.alerts import services
from keyprojects.core.permissions import SYSTEM
from keyprojects.regions.models import Region

# Dingxi's "2月底前开复工60%以上，4月底前全部开复工" (seed 001).
DINGXI_TARGETS = [(date(2022, 2, 28), Decimal(60), "2月底前开复工60%以上"), (date(2022, 4, 30), Decimal(100), "4月底前全部开复工")]


def warn(city: Region, as_of: date, targets: list[tuple[date, Decimal, str]] | None = None) -> dict[str, int]:
    services.create_default_rules(SYSTEM, city)
    for by_date, rate, note in targets or []:
        services.save_target(SYSTEM, city, None, {"year": by_date.year, "by_date": by_date, "rate": rate, "note": note})
    return services.evaluate(as_of, city)

"""What the leaders' pages read of the "1+1托4" packages."""

from __future__ import annotations

from typing import Any

from keyprojects.accounts.models import Leader
from keyprojects.core.permissions import Actor

from .models import Package, PackageItem


def leader_packages(user: Actor, leader: Leader, year: int) -> list[dict[str, Any]]:
    """The leader's packages of ``year`` the user may view, each with its items grouped by kind
    (in the order of ``PackageItem.Kind``) and their state."""
    packages = list(Package.objects.visible_to(user).filter(leader=leader, year=year)
                    .select_related("lead_unit").prefetch_related("units"))
    items = (PackageItem.objects.filter(package__in=packages).select_related("project", "enterprise", "lead")
             .order_by("kind", "pk"))
    grouped: dict[int, dict[str, list[PackageItem]]] = {p.pk: {k: [] for k in PackageItem.Kind.values} for p in packages}
    for item in items:
        grouped[item.package_id][item.kind].append(item)
    return [{"package": p, "kinds": [(label, grouped[p.pk][kind]) for kind, label in PackageItem.Kind.choices]}
            for p in packages]

"""The demo's units: each one's type fits its name and its region (issue 21: 葫芦岛市人民政府 was
a 县区政府 and 连山区发展和改革局 a 市直部门)."""

import pytest

from keyprojects.accounts.models import Unit
from keyprojects.regions.models import Region

pytestmark = pytest.mark.django_db


def misfits(unit: Unit, regions: list[Region]) -> list[str]:
    """What is wrong with a unit's type, given its name and region (empty when it fits)."""
    wrong = []
    region, kind, name = unit.region, unit.kind, unit.name
    if (kind == Unit.Kind.GOVERNMENT) != name.endswith("人民政府"):
        wrong.append("a government is named 人民政府, and only a government is")
    if kind == Unit.Kind.GOVERNMENT and name != f"{region.name}人民政府":
        wrong.append("a government is its region's")
    if kind == Unit.Kind.DEPARTMENT and region.name.endswith(("区", "县")):
        wrong.append("a district's or a county's department is not a 市直部门")
    if kind == Unit.Kind.COUNTY_DEPARTMENT and region.level not in (Region.Level.COUNTY, Region.Level.ZONE):
        wrong.append("a 县区部门 belongs to a county, a district or a zone")
    if (kind == Unit.Kind.ENTERPRISE) != name.endswith("公司"):
        wrong.append("an enterprise is a 公司, and a 公司 is an enterprise")
    if kind == Unit.Kind.ZONE_COMMITTEE and "管委会" not in name and "管理委员会" not in name:
        wrong.append("a zone committee is named 管委会")
    named_after = max((r for r in regions if name.startswith(r.name)), key=lambda r: len(r.name), default=None)
    if named_after is not None and kind != Unit.Kind.ENTERPRISE and not region.path.startswith(named_after.path):
        wrong.append(f"named after {named_after.name}, placed in {region.name}")
    return wrong


def test_every_demo_units_type_fits_its_name_and_region(demo):
    regions = list(Region.objects.all())
    units = list(Unit.objects.select_related("region"))
    assert len(units) > 400
    found = {f"{u.name}（{u.region.name}，{u.get_kind_display()}）": misfits(u, regions) for u in units}
    assert {unit: wrong for unit, wrong in found.items() if wrong} == {}


def test_the_rule_refuses_the_units_issue_21_found(db):
    # (no cast: its units would collide with the demo's when both are loaded)
    regions = list(Region.objects.all())
    city, lianshan = Region.objects.get(name="葫芦岛市"), Region.objects.get(name="连山区")
    assert misfits(Unit(name="连山区发展和改革局", region=lianshan, kind=Unit.Kind.DEPARTMENT), regions)
    assert misfits(Unit(name="葫芦岛市人民政府", region=lianshan, kind=Unit.Kind.GOVERNMENT), regions)
    assert misfits(Unit(name="葫芦岛市人民政府", region=city, kind=Unit.Kind.DEPARTMENT), regions)
    assert not misfits(Unit(name="葫芦岛市人民政府", region=city, kind=Unit.Kind.GOVERNMENT), regions)
    assert not misfits(Unit(name="连山区发展和改革局", region=lianshan, kind=Unit.Kind.COUNTY_DEPARTMENT), regions)

"""The exchange on the demo cities: Huludao's sheet in Liaoning's layout and Dingxi's in Gansu's,
their totals those of the project list, and a sheet sent back unchanged showing no difference."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.management import call_command

from keyprojects.accounts.models import User
from keyprojects.core.permissions import SYSTEM
from keyprojects.exchange import services
from keyprojects.exchange.sheet import checks, sheet, workbook
from keyprojects.regions.models import Region

pytestmark = pytest.mark.django_db


def stats(capsys, region: str, year: int, as_of: str) -> dict:
    call_command("stats", region=region, year=year, as_of=as_of, json=True)
    return json.loads(capsys.readouterr().out)


def test_stats_counts_huludaos_projects_without_a_code(demo, capsys):
    assert stats(capsys, "葫芦岛市", 2022, "2022-06-05")["project_codes"] == {"missing": 52, "mismatch": 0}
    assert stats(capsys, "定西市", 2022, "2022-04-20")["project_codes"] == {"missing": 0, "mismatch": 0}


@pytest.mark.parametrize(("city", "province", "admin"), [("葫芦岛市", "210000", "admin"), ("定西市", "620000", "dingxi")])
def test_a_demo_citys_sheet_sent_back_unchanged_shows_no_difference(demo, city, province, admin):
    profile = next(p for p in services.load_profiles(SYSTEM) if p.province_code == province)
    user, region = User.objects.get(username=admin), Region.objects.get(name=city)
    found = sheet(user, profile, region, 2022, 5, date(2022, 6, 5))
    assert len(found.rows) >= 50
    by_key = {c.key: c for c in checks(user, found)}
    assert by_key["totals"].items == [] or "逐项四舍五入所致" in by_key["totals"].items[0]
    returned = services.upload_return(user, profile, region, 2022, 5, "原样.xlsx", workbook(found), today=date(2022, 6, 5))
    assert [r for r in returned.rows if r["diffs"]] == []
    assert sum(r["match"] == "code" for r in returned.rows) == sum(1 for r in found.rows if r.values["code"])
    assert len(returned.rows) == len(found.rows)

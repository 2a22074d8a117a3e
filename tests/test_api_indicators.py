"""The indicators endpoint on the demo: the same JSON as `keyprojects stats --json`, scoped
to the token's user. (Its own module: the demo fixture is loaded once per module.)"""

import io
import json
from decimal import Decimal, InvalidOperation

import pytest
from conftest import api
from django.core.management import call_command

from keyprojects.accounts.models import User

pytestmark = pytest.mark.django_db


def as_numbers(value):
    """Decimal strings as numbers, so "26198000" and "26198000.0000" compare equal."""
    if isinstance(value, dict):
        return {key: as_numbers(item) for key, item in value.items()}
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


# --- indicators --------------------------------------------------------------------------------

def test_indicators_equal_the_stats_command_and_carry_breakdowns(demo):
    out = io.StringIO()
    call_command("stats", region="葫芦岛市", year=2022, as_of="2022-06-05", json=True, stdout=out)
    expected = json.loads(out.getvalue())
    body = api(User.objects.get(username="admin")).get(
        "/api/indicators/", {"region": "211400", "year": 2022, "as_of": "2022-06-05"}).json()
    breakdowns = body.pop("breakdowns")
    for key in ("tasks", "project_codes"):  # (the command's task-list and code-check figures: not the API's)
        expected.pop(key, None)
    assert as_numbers(body) == as_numbers(expected)  # the same figures, the API's amounts with four places
    assert body["plan"] == {"count": 500, "total_investment": "26198000.0000", "annual_plan": "3251000.0000"}
    assert body["rates"]["start_or_resume_rate"] == "65.8"
    counties = breakdowns["region"]
    assert sum(row["plan"]["count"] for row in counties) == 500
    assert set(breakdowns) == {"region", "sector", "level", "batch", "nature", "leader", "list"}
    only_batch = api(User.objects.get(username="admin")).get(
        "/api/indicators/", {"region": "葫芦岛市", "year": 2022, "as_of": "2022-06-05", "by": "batch"}).json()
    assert set(only_batch["breakdowns"]) == {"batch"}


def test_indicators_are_scoped_to_the_token(demo):
    clerk = api(User.objects.get(username="lianshan"))
    mine = clerk.get("/api/indicators/", {"year": 2022, "as_of": "2022-06-05"}).json()
    assert mine["region"] == "连山区" and mine["plan"]["count"] == 84
    assert clerk.get("/api/indicators/", {"region": "绥中县", "year": 2022}).status_code == 404
    assert clerk.get("/api/indicators/", {"year": "x", "as_of": "2022-13-01", "by": "colour"}).status_code == 400




def test_indicators_carry_each_rates_change_on_the_same_day_a_year_before(demo):
    body = api(User.objects.get(username="dingxi")).get(
        "/api/indicators/", {"year": 2022, "as_of": "2022-04-20", "by": "batch"}).json()
    assert body["region"] == "定西市" and body["rates"]["start_or_resume_rate"] == "99.1"
    assert body["year_on_year"]["start_or_resume_rate"] == "20.3"
    assert body["approvals"]["completion_rate"] == "99.0" and body["year_on_year"]["approvals_completion_rate"] == "42.0"
    huludao = api(User.objects.get(username="admin")).get("/api/indicators/", {"year": 2022}).json()
    assert set(huludao["year_on_year"].values()) == {None}  # no 2021 plan in Huludao

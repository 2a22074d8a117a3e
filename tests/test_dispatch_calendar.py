"""调度日历 and the pages that set the cadence rules: what each role sees (a county clerk its
county's rules only, a department clerk none), the year's tally whose counts list their rows,
recording a meeting for a rule from the calendar, and the rules' form (city admins only)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from keyprojects.dispatch import cadence, services
from keyprojects.dispatch.models import CadenceRule

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
MONDAY_WEEKS_AGO = TODAY - timedelta(days=TODAY.weekday() + 7 * 9)  # a Monday nine weeks back


def add_rule(cast, region, name: str, **extra) -> CadenceRule:
    return services.save_cadence_rule(cast.admin, None, {
        "name": name, "region": region, "chair": cast.leader, "kind": "concentrated", "every": 2,
        "interval": "weeks", "weekday": 1, "starts_on": MONDAY_WEEKS_AGO, "reminder_days": 2} | extra)


@pytest.fixture
def rules(cast) -> dict[str, CadenceRule]:
    made = {"city": add_rule(cast, cast.city, "常务副市长调度会"),
            "lianshan": add_rule(cast, cast.lianshan, "连山区项目调度会", every=7, interval="days", weekday=None),
            "suizhong": add_rule(cast, cast.suizhong, "绥中县项目调度会", every=7, interval="days", weekday=None)}
    first = cadence.occurrences(made["city"], MONDAY_WEEKS_AGO, MONDAY_WEEKS_AGO)[0]
    services.save_meeting(cast.admin, None, None, {
        "kind": "concentrated", "title": "第一次调度会", "region": cast.city, "date": first.scheduled,
        "chair": cast.leader, "cadence_rule": made["city"]})
    return made


def calendar(client, **params):
    response = client.get(reverse("dispatch:calendar"), params)
    assert response.status_code == 200
    return response


def rule_names(response) -> set[str]:
    return {item.rule.name for item, _url in response.context["items"]} | {
        rule.name for rule, _tally, _links in response.context["rules"]}


def test_the_city_admin_sees_every_rule_of_the_city_and_its_counties(cast, login, rules):
    response = calendar(login(cast.admin), start=f"{MONDAY_WEEKS_AGO:%Y-%m}", end=f"{TODAY:%Y-%m}")
    assert rule_names(response) == {"常务副市长调度会", "连山区项目调度会", "绥中县项目调度会"}
    assert response.context["several_regions"]


def test_a_county_clerk_sees_their_countys_rules_and_no_other_countys_nor_the_citys(cast, login, rules):
    client = login(cast.lianshan_clerk)
    response = calendar(client, start=f"{MONDAY_WEEKS_AGO:%Y-%m}", end=f"{TODAY:%Y-%m}")
    assert rule_names(response) == {"连山区项目调度会"}
    assert "绥中县项目调度会" not in response.content.decode()
    assert rule_names(calendar(client, region=cast.suizhong.pk)) == {"连山区项目调度会"}  # not a choice: ignored
    assert calendar(client, rule=rules["suizhong"].pk).context["items"] == []


def test_a_department_clerk_sees_no_rules_the_calendar_is_the_secretariats(cast, login, rules):
    response = calendar(login(cast.dept_clerk))
    assert response.context["rules"] == [] and response.context["items"] == []


def test_each_count_of_the_year_links_to_the_calendar_listing_exactly_its_rows(cast, login, rules):
    client = login(cast.admin)
    response = calendar(client)
    (rule, tally, links), = [row for row in response.context["rules"] if row[0] == rules["city"]]
    if MONDAY_WEEKS_AGO.year == TODAY.year:  # (early January the first meetings were last year)
        assert tally.held == 1 and tally.missed >= 3 and tally.due >= tally.held + tally.missed
    for state, count in (("due", tally.due), ("held", tally.held), ("missed", tally.missed)):
        listed = calendar(client, **dict(re.findall(r"(\w+)=([\w-]+)", links[state])))
        assert len(listed.context["items"]) == count
        assert f'data-count="occurrences">{count}<' in listed.content.decode()


def test_a_missed_meeting_is_red_with_a_link_recording_it_prefilled(cast, login, rules):
    client = login(cast.admin)
    response = calendar(client, start=f"{MONDAY_WEEKS_AGO:%Y-%m}", end=f"{TODAY:%Y-%m}", state="missed",
                        rule=rules["city"].pk)
    item, url = response.context["items"][0]
    assert item.state == cadence.State.MISSED and url.replace("&", "&amp;") in response.content.decode()
    assert 'class="table-danger"' in response.content.decode()
    form = client.get(url).context["form"]
    assert {name: form[name].value() for name in ("cadence_rule", "region", "chair", "kind", "title", "date")} == {
        "cadence_rule": rules["city"].pk, "region": cast.city.pk, "chair": cast.leader.pk, "kind": "concentrated",
        "title": "常务副市长调度会", "date": item.scheduled}


def test_recording_for_a_rule_one_cannot_see_is_not_found(cast, login, rules):
    response = login(cast.lianshan_clerk).get(reverse("dispatch:meeting_create"), {"rule": rules["suizhong"].pk})
    assert response.status_code == 404


def test_months_are_checked_and_the_range_is_bounded(cast, login, rules):
    client = login(cast.admin)
    response = calendar(client, start="2022-07", end="2022-05")
    assert "截止月份不能早于起始月份" in response.content.decode()
    assert (response.context["start"], response.context["end"]) == (date(2022, 7, 1), date(2022, 8, 31))
    assert "一次最多查看 24 个月" in calendar(client, start="2020-01", end="2022-12").content.decode()
    assert "请按“2022-07”的格式填写月份" in calendar(client, start="July").content.decode()


def test_the_calendar_runs_as_many_queries_for_nine_rules_as_for_three(cast, login, rules):
    client = login(cast.admin)
    months = {"start": f"{MONDAY_WEEKS_AGO:%Y-%m}", "end": f"{TODAY:%Y-%m}"}
    with CaptureQueriesContext(connection) as three:
        calendar(client, **months)
    for i in range(6):
        add_rule(cast, cast.city, f"专题调度会{i}", every=1 + i)
    with CaptureQueriesContext(connection) as nine:
        assert len(calendar(client, **months).context["rules"]) == 9
    assert len(nine) == len(three) <= 18


# --- setting the rules -----------------------------------------------------------------------

def rule_form(**extra) -> dict[str, object]:
    return {"name": "市长调度会", "region": "", "chair": "", "kind": "concentrated", "every": "4", "interval": "weeks",
            "weekday": "4", "starts_on": "2022-07-07", "reminder_days": "3", "active": "on"} | extra


def test_a_city_admin_adds_and_changes_a_rule(cast, login):
    client = login(cast.admin)
    response = client.post(reverse("dispatch:cadence_rule_create"),
                           rule_form(region=cast.city.pk, chair=cast.leader.pk))
    assert response.status_code == 302
    rule = CadenceRule.objects.get(name="市长调度会")
    assert (rule.every, rule.weekday, rule.region, rule.history.count()) == (4, 4, cast.city, 1)
    client.post(reverse("dispatch:cadence_rule_edit", args=[rule.pk]),
                rule_form(region=cast.city.pk, chair=cast.leader.pk, every="6", active=""))
    rule.refresh_from_db()
    assert (rule.every, rule.active) == (6, False)
    assert "市长调度会" in client.get(reverse("dispatch:cadence_rules")).content.decode()


def test_a_rule_whose_first_date_is_not_its_weekday_is_refused_naming_the_field(cast, login):
    response = login(cast.admin).post(reverse("dispatch:cadence_rule_create"),
                                      rule_form(region=cast.city.pk, chair=cast.leader.pk, starts_on="2022-07-08"))
    assert response.status_code == 200
    assert response.context["form"].errors["starts_on"] == ["首次调度日期应是星期四"]
    assert not CadenceRule.objects.exists()


def test_only_city_admins_set_rules(cast, login, rules):
    for who in ("lianshan_clerk", "dept_clerk", "leader_user", "viewer"):
        client = login(getattr(cast, who))
        assert client.get(reverse("dispatch:cadence_rule_create")).status_code == 403
        assert client.post(reverse("dispatch:cadence_rule_create"),
                           rule_form(region=cast.lianshan.pk, chair=cast.leader.pk)).status_code == 403
    edit = reverse("dispatch:cadence_rule_edit", args=[rules["suizhong"].pk])
    assert login(cast.lianshan_clerk).get(edit).status_code == 404  # another county's: not even seen
    assert login(cast.outsider).get(edit).status_code == 404
    assert CadenceRule.objects.count() == 3


def test_a_meeting_is_held_for_a_rule_of_its_own_region_only(cast, rules):
    with pytest.raises(ValidationError) as refused:
        services.save_meeting(cast.admin, None, None, {
            "kind": "concentrated", "title": "连山区调度会", "region": cast.lianshan, "date": TODAY,
            "cadence_rule": rules["city"]})
    assert refused.value.message_dict == {"cadence_rule": ["调度规则“常务副市长调度会”属于葫芦岛市，与调度会所属区划不一致"]}


def test_the_meeting_form_offers_the_rules_the_user_sees(cast, login, rules):
    form = login(cast.lianshan_clerk).get(reverse("dispatch:meeting_create")).context["form"]
    assert list(form.fields["cadence_rule"].queryset) == [rules["lianshan"]]


def test_the_tally_is_of_the_year_the_calendar_shows(cast, login):
    rule = add_rule(cast, cast.city, "市长调度会", starts_on=date(2022, 7, 4))  # every 2 weeks: 13 Mondays in 2022
    services.save_meeting(cast.admin, None, None, {
        "kind": "concentrated", "title": "市长调度会", "region": cast.city, "date": date(2022, 7, 5),
        "chair": cast.leader, "cadence_rule": rule})
    client = login(cast.admin)
    (shown, tally, links), = calendar(client, start="2022-07").context["rules"]
    assert tally == cadence.Tally(due=13, held=1, missed=12)
    assert links["missed"] == f"?rule={rule.pk}&start=2022-01&end=2022-12&state=missed"
    assert len(calendar(client, **dict(re.findall(r"(\w+)=([\w-]+)", links["missed"]))).context["items"]) == 12

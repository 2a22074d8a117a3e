"""The warnings' pages and API: the dashboard card's counts equal the totals of the lists they
link to; the list, its export, a warning's page with the acknowledge form; the rules page for
the city's admins; scope (a county sees its warnings only); the API's list and acknowledge."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import api
from django.urls import reverse

from keyprojects.accounts.models import User
from keyprojects.alerts import services
from keyprojects.alerts.models import Kind, Warning, WarningRule
from keyprojects.core.permissions import SYSTEM
from keyprojects.indicators import figures
from keyprojects.regions.models import Region

pytestmark = pytest.mark.django_db

YEAR = 2022


@pytest.fixture
def warned(cast):
    services.create_default_rules(cast.admin, cast.city)
    for project, month in ((cast.p_lianshan, 3), (cast.p_suizhong, 1)):
        plan = project.plans.get(year=YEAR)
        plan.planned_start_month = month
        plan.save()
    services.evaluate(date(YEAR, 2, 10))  # 绥中: January gone, yellow
    services.evaluate(date(YEAR, 4, 20))  # 绥中 red now, 连山 yellow
    return cast


def test_the_figures_count_the_warnings_open_on_the_date(warned):
    city = warned.city
    assert {k: figures.warnings(SYSTEM, date(YEAR, 4, 20), city)[k] for k in ("red", "yellow")} == {"red": 1, "yellow": 1}
    assert {k: figures.warnings(SYSTEM, date(YEAR, 2, 10), city)[k] for k in ("red", "yellow")} == {"red": 0, "yellow": 1}
    assert figures.warnings(SYSTEM, date(YEAR, 2, 9), city)["yellow"] == 0
    by_region = {row["label"]: (row["red"], row["yellow"]) for row in figures.warnings(SYSTEM, date(YEAR, 4, 20), city)["by_region"]}
    assert by_region == {"连山区": (0, 1), "绥中县": (1, 0)}
    county = figures.warnings(warned.lianshan_clerk, date(YEAR, 4, 20), warned.lianshan)
    assert (county["red"], county["yellow"]) == (0, 1)


def test_each_count_of_the_dashboard_card_links_to_a_list_whose_total_equals_it(warned, client):
    client.force_login(warned.admin)
    page = client.get(reverse("dashboard"), {"as_of": "2022-04-20", "region": warned.city.pk, "year": YEAR})
    card = page.context["warnings"]
    linked = [card["counts"]["red"], card["counts"]["yellow"]]
    linked += [row["links"][c] for row in card["by_kind"] + card["by_region"] for c in ("red", "yellow")]
    assert card["counts"]["red"].value == 1 and len(linked) == 2 + 2 * 3
    for figure in linked:
        url = urlparse(figure.url)
        listed = client.get(url.path, {k: v[0] for k, v in parse_qs(url.query).items()})
        assert listed.context["totals"]["count"] == figure.value, figure.url
    assert "预警" in page.content.decode()


def test_the_list_shows_the_open_warnings_and_exports_them(warned, client):
    client.force_login(warned.admin)
    page = client.get(reverse("alerts:list"))
    assert page.context["totals"] == {"count": 2, "red": 1, "yellow": 1}
    assert "计划3月开工，截至4月20日未开工" in page.content.decode()
    red = client.get(reverse("alerts:list"), {"colour": "red"})
    assert [w.project for w in red.context["page"]] == [warned.p_suizhong]
    export = client.get(reverse("alerts:export"), {"colour": "red"})
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_county_sees_its_own_warnings_and_not_the_others(warned, client):
    client.force_login(warned.lianshan_clerk)
    page = client.get(reverse("alerts:list"))
    assert [w.project for w in page.context["page"]] == [warned.p_lianshan]
    other = Warning.objects.get(project=warned.p_suizhong)
    assert client.get(reverse("alerts:warning", args=[other.pk])).status_code == 404


def test_a_county_acknowledges_on_the_warnings_page_and_the_city_still_sees_it(warned, client):
    warning = Warning.objects.get(project=warned.p_lianshan)
    client.force_login(warned.lianshan_clerk)
    page = client.get(reverse("alerts:warning", args=[warning.pk]))
    assert page.context["can_acknowledge"]
    client.post(reverse("alerts:acknowledge", args=[warning.pk]), {"note": "已协调施工单位进场", "version": warning.version})
    warning.refresh_from_db()
    assert warning.acknowledged_note == "已协调施工单位进场" and warning.closed_on is None
    client.force_login(warned.admin)
    assert warning in client.get(reverse("alerts:list")).context["page"]


def test_the_city_admin_edits_a_rule_and_a_county_clerk_cannot_reach_it(warned, client):
    rule = WarningRule.objects.get(region=warned.city, kind=Kind.LATE_START)
    client.force_login(warned.lianshan_clerk)
    assert client.get(reverse("alerts:rule_edit", args=[rule.pk])).status_code == 404  # the city's rules: not in its scope
    client.force_login(warned.admin)
    assert "计划开工月已过未开工" in client.get(reverse("alerts:rules")).content.decode()
    response = client.post(reverse("alerts:rule_edit", args=[rule.pk]), {"yellow": "5", "red": "40", "active": "on",
                                                                         "tell_county": "on"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.yellow, rule.red, rule.tell_responsible_unit) == (5, 40, False)
    created = client.post(reverse("alerts:target_create") + f"?region={warned.city.pk}",
                          {"year": YEAR, "by_date": "2022-05-31", "rate": "80", "note": "5月底前开复工80%"})
    assert created.status_code == 302 and warned.city.start_targets.get().rate == 80


def test_a_city_without_rules_is_offered_the_defaults(cast, client):
    client.force_login(cast.admin)
    page = client.get(reverse("alerts:rules"))
    assert "使用默认预警规则" in page.content.decode()
    client.post(reverse("alerts:default_rules"), {"region": cast.city.pk})
    assert WarningRule.objects.filter(region=cast.city).count() == len(Kind.values)


def test_the_api_lists_filters_and_acknowledges_within_scope(warned):
    county = api(warned.lianshan_clerk)
    listed = county.get("/api/warnings/").json()
    assert [w["project"] for w in listed["results"]] == [warned.p_lianshan.pk]
    city = api(warned.admin)
    assert city.get("/api/warnings/", {"colour": "red"}).json()["count"] == 1
    assert city.get("/api/warnings/", {"open_on": "2022-02-10"}).json()["count"] == 1
    other = Warning.objects.get(project=warned.p_suizhong)
    assert county.post(f"/api/warnings/{other.pk}/acknowledge/", {"note": "x"}, format="json").status_code == 404
    mine = Warning.objects.get(project=warned.p_lianshan)
    done = county.post(f"/api/warnings/{mine.pk}/acknowledge/", {"note": "已协调", "version": mine.version},
                       format="json")
    assert done.status_code == 200 and done.json()["acknowledged_note"] == "已协调"
    stale = county.post(f"/api/warnings/{mine.pk}/acknowledge/", {"note": "再次", "version": mine.version},
                        format="json")
    assert stale.status_code == 409
    assert api(User.objects.get(username="leader")).post(
        f"/api/warnings/{mine.pk}/acknowledge/", {"note": "x"}, format="json").status_code == 403
    assert "/api/warnings/" in city.get("/api/schema/").content.decode()


def test_regions_of_the_other_province_see_nothing(warned):
    assert not Warning.objects.visible_to(warned.outsider).exists()
    assert Region.objects.filter(pk=warned.city.pk).exists()


def test_my_warnings_on_the_leaders_page_count_the_packaged_projects_and_link_to_them(warned, client):
    client.force_login(warned.leader_user)
    page = client.get(reverse("leaders:me"), {"as_of": "2022-04-20", "year": YEAR})
    found = page.context["warnings"]
    assert (found["red"], found["yellow"]) == (0, 1)  # 连山 is packaged, 绥中 is not
    url = urlparse(found["links"]["yellow"])
    listed = client.get(url.path, {k: v[0] for k, v in parse_qs(url.query).items()})
    assert listed.context["totals"]["count"] == 1 and "我的预警" in page.content.decode()


def test_projects_carry_a_badge_of_their_open_warnings(warned, client):
    client.force_login(warned.admin)
    listed = client.get(reverse("projects:list"), {"year": YEAR})
    badges = {p.pk: p.warning_badge for p in listed.context["page"]}
    assert badges[warned.p_suizhong.pk] == {"red": 1, "yellow": 0}
    assert f'/alerts/?project={warned.p_suizhong.pk}' in listed.content.decode()
    detail = client.get(reverse("projects:detail", args=[warned.p_lianshan.pk]))
    assert detail.context["warning_badge"] == {"red": 0, "yellow": 1}

"""一张图: the map's points are the project list's projects (same filter, same scope), its
count agrees with the list's totals line, a province's worth of points is added up in cells,
and a position is set through the service, checked and audited."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from keyprojects.core.audit import Source, audit_context
from keyprojects.demo.common import place
from keyprojects.indicators import figures
from keyprojects.maps import geo, queries
from keyprojects.projects import services
from keyprojects.projects.models import Project, Stage

pytestmark = pytest.mark.django_db


def locate(project: Project, lng: str, lat: str) -> None:
    with audit_context(Source.SYSTEM, detail="test"):
        project.longitude, project.latitude = Decimal(lng), Decimal(lat)
        project.save()


def points(client, query: str = "year=2022") -> dict:
    response = client.get(f"{reverse('maps:points')}?{query}")
    assert response.status_code == 200
    return json.loads(response.content)


def list_total(client, query: str) -> int:
    page = client.get(f"{reverse('projects:list')}?{query}")
    return page.context["totals"]["count"]


def test_the_points_and_the_unplaced_add_up_to_the_lists_total(cast, login):
    locate(cast.p_lianshan, "120.60", "40.90")
    client = login(cast.admin)
    found = points(client)
    assert [p["id"] for p in found["points"]] == [cast.p_lianshan.pk]
    assert found["total"] == list_total(client, "year=2022") == 2  # 锦州's project is not the city's
    page = client.get(reverse("maps:map") + "?year=2022")
    assert page.context["missing_count"] == 1 and [p for p, _e in page.context["missing"]] == [cast.p_suizhong]
    assert page.context["located_count"] + page.context["missing_count"] == page.context["totals"]["count"]
    assert "1 个项目未标注位置" in page.content.decode()
    # the "未标注位置" link opens the list of exactly those
    assert list_total(client, "year=2022&located=no") == 1
    assert list_total(client, "year=2022&located=yes") == found["count"] == 1


def test_a_filter_narrows_the_points_and_the_list_alike(cast, login):
    locate(cast.p_lianshan, "120.60", "40.90")
    locate(cast.p_suizhong, "120.00", "40.30")
    with audit_context(Source.SYSTEM, detail="test"):
        cast.p_suizhong.stage = Stage.CONSTRUCTION
        cast.p_suizhong.save()
    client = login(cast.admin)
    for query in ("year=2022&stage=construction", f"year=2022&region={cast.lianshan.pk}", "year=2022&q=风电"):
        found = points(client, query)
        assert found["count"] == found["total"] == list_total(client, query) == 1, query


def test_a_county_clerk_gets_the_points_of_their_county_only(cast, login):
    locate(cast.p_lianshan, "120.60", "40.90")
    locate(cast.p_suizhong, "120.00", "40.30")
    locate(cast.p_jinzhou, "121.10", "41.10")
    client = login(cast.lianshan_clerk)
    assert [p["id"] for p in points(client)["points"]] == [cast.p_lianshan.pk]
    query = f"year=2022&region={cast.suizhong.pk}"  # not a region of theirs: the list refuses it (400), so does the map
    for url in (reverse("projects:list"), reverse("maps:points"), reverse("maps:map")):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400 and "区划" in response.content.decode()


def test_past_the_cap_the_points_are_added_up_in_cells_that_keep_count_and_investment(cast, login, monkeypatch):
    rng = random.Random(7)
    with audit_context(Source.SYSTEM, detail="test"):
        for i in range(12):
            p = cast.project(f"连山区项目{i}", cast.lianshan, Decimal(1000 + i))
            lng, lat = geo.point_in("211402", rng)
            p.longitude, p.latitude = lng, lat
            p.save()
    monkeypatch.setattr(queries, "MAX_POINTS", 5)
    client = login(cast.admin)
    found = points(client, f"year=2022&region={cast.lianshan.pk}")
    assert found["aggregated"] and found["count"] == 12
    assert sum(c["count"] for c in found["points"]) == 12
    assert sum(Decimal(c["investment"]) for c in found["points"]) == sum(Decimal(1000 + i) for i in range(12))
    # a cell's box, asked for, gives its projects one by one
    cell = max(found["points"], key=lambda c: c["count"])
    inside = points(client, f"year=2022&region={cast.lianshan.pk}&box={','.join(map(str, cell['box']))}")
    assert inside["count"] >= cell["count"] and (inside["aggregated"] or len(inside["points"]) == inside["count"])


def test_a_point_carries_its_card_and_its_warning_colour(cast, login):
    from datetime import date

    from keyprojects.alerts.models import Kind, Warning, WarningRule

    locate(cast.p_lianshan, "120.60", "40.90")
    locate(cast.p_suizhong, "120.00", "40.30")
    with audit_context(Source.SYSTEM, detail="test"):
        rule = WarningRule.objects.create(region=cast.city, kind=Kind.LATE_START, yellow=Decimal(10), red=Decimal(30))
        Warning.objects.create(rule=rule, kind=Kind.LATE_START, colour="red", project=cast.p_lianshan,
                               region=cast.lianshan, key="2022", reason="计划开工月已过未开工", opened_on=date(2022, 5, 1))
    found = {p["id"]: p for p in points(login(cast.admin))["points"]}
    point = found[cast.p_lianshan.pk]
    assert point["name"] == cast.p_lianshan.name and point["owner"] == cast.company.name
    assert Decimal(point["investment"]) == cast.p_lianshan.total_investment and point["stage"] == cast.p_lianshan.stage
    assert (point["warning"], found[cast.p_suizhong.pk]["warning"]) == ("red", "")


def test_setting_a_position_goes_through_the_service_checked_and_recorded(cast, login):
    client = login(cast.lianshan_clerk)
    p = cast.p_lianshan
    url = reverse("maps:location", args=[p.pk])
    response = client.post(url, {"longitude": "120.612345", "latitude": "40.901234", "version": p.version})
    assert response.status_code == 200
    p.refresh_from_db()
    assert (p.longitude, p.latitude, p.version) == (Decimal("120.612345"), Decimal("40.901234"), 2)
    last = p.history.first()
    assert last.history_user == cast.lianshan_clerk and last.longitude == Decimal("120.612345")
    # outside China: refused with a message naming it, nothing saved
    refused = client.post(url, {"longitude": "2.35", "latitude": "48.85", "version": p.version})
    assert refused.status_code == 400 and "境内" in json.loads(refused.content)["error"]
    p.refresh_from_db()
    assert p.longitude == Decimal("120.612345") and p.version == 2
    # a position that is not a number, or no version (the edit-conflict check needs it): 400, not 500
    for bad in ({"longitude": "NaN", "latitude": "40.5", "version": 2}, {"longitude": "x", "latitude": "40.5", "version": 2},
                {"longitude": "120.5", "latitude": "40.5", "version": "abc"}, {"longitude": "120.5", "latitude": "40.5"}):
        assert client.post(url, bad).status_code == 400, bad
    # an old version is a conflict, not an overwrite
    assert client.post(url, {"longitude": "120.5", "latitude": "40.5", "version": 1}).status_code == 409
    # another county's project: not found
    assert client.post(reverse("maps:location", args=[cast.p_suizhong.pk]),
                       {"longitude": "120.0", "latitude": "40.3"}).status_code == 404
    with pytest.raises(ValidationError):
        services.set_location(cast.admin, p.pk, None, Decimal("140"), Decimal("40"))


def test_a_county_is_drawn_from_its_citys_file_alone_and_a_city_from_its_own(cast):
    assert geo.outline(cast.lianshan) == geo.Outline("211400", ("211402",))
    assert geo.outline(cast.city) == geo.Outline("211400", None)
    assert geo.contains("211402", 120.6, 40.9) is not geo.contains("211421", 120.6, 40.9)


def test_the_demo_places_a_project_inside_its_county_the_same_way_every_time(cast):
    first = place(Project(name="绥中县某项目", region=cast.suizhong, total_investment=Decimal("5000")))
    again = place(Project(name="绥中县某项目", region=cast.suizhong, total_investment=Decimal("5000")))
    assert first.longitude is not None and (first.longitude, first.latitude) == (again.longitude, again.latitude)
    assert geo.contains("211421", float(first.longitude), float(first.latitude))


def test_the_choropleth_gives_each_county_its_rate_from_the_figures(cast, login):
    page = login(cast.admin).get(reverse("maps:map") + "?year=2022&as_of=2022-06-05&shade=start_or_resume_rate")
    shades = {s["code"]: s for s in page.context["config"]["shades"]}
    rows = {r["region"].code: r for r in figures.breakdown(cast.admin, 2022, __import__("datetime").date(2022, 6, 5),
                                                           "region", cast.city) if r.get("region")}
    assert set(shades) == {"211402", "211421"}
    for code, shade in shades.items():
        rate = rows[code]["rates"]["start_or_resume_rate"]
        assert shade["value"] == (float(rate) if rate is not None else None)
        assert shade["count"] == rows[code]["plan"]["count"]


def test_the_points_cost_a_few_queries_however_many_projects(cast, login, django_assert_max_num_queries):
    rng = random.Random(3)
    with audit_context(Source.SYSTEM, detail="test"):
        for i in range(30):
            p = cast.project(f"连山区项目{i}", cast.lianshan, Decimal(1000 + i))
            p.longitude, p.latitude = geo.point_in("211402", rng)
            p.save()
    client = login(cast.admin)
    points(client)  # (the list's totals and the plan years, remembered)
    with django_assert_max_num_queries(12):
        assert points(client)["count"] == 30
    with django_assert_max_num_queries(40):
        assert client.get(reverse("maps:map") + "?year=2022").status_code == 200

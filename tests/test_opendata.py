"""Open data in OC4IDS: who may publish (the city), what is published (only what it marks), the
mapping of each field (docs/oc4ids.md), the endpoint's access, and the demo's package through the
standard's own validator (libcoveoc4ids)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.http import Http404
from django.urls import reverse

from keyprojects.opendata import oc4ids, services
from keyprojects.opendata.models import Publication
from keyprojects.projects.models import Project, Stage
from tests.conftest import api

pytestmark = pytest.mark.django_db
URI = "https://xm.example.gov.cn/opendata/oc4ids/211400.json"


def test_a_county_clerk_cannot_publish_a_project(cast):
    with pytest.raises(PermissionDenied):
        services.publish(cast.lianshan_clerk, cast.p_lianshan.pk)
    assert not Publication.objects.exists()


def test_a_department_clerk_and_another_citys_admin_cannot_publish(cast):
    with pytest.raises(PermissionDenied):
        services.publish(cast.dept_clerk, cast.p_lianshan.pk)
    with pytest.raises(Http404):  # 锦州's admin does not even see it
        services.publish(cast.outsider, cast.p_lianshan.pk)
    assert not Publication.objects.exists()


def test_the_city_admin_publishes_and_withdraws_and_both_are_in_the_history(cast):
    publication = services.publish(cast.admin, cast.p_lianshan.pk, "政府投资项目", on=date(2022, 6, 1))
    assert (publication.published_on, publication.published_by) == (date(2022, 6, 1), cast.admin)
    services.unpublish(cast.admin, cast.p_lianshan.pk)
    history = Publication.history.filter(project_id=cast.p_lianshan.pk).order_by("history_date")
    assert [h.history_type for h in history] == ["+", "-"]
    assert all(h.history_user == cast.admin for h in history)
    assert not Publication.objects.exists()


def test_withdrawing_a_project_not_published_names_the_field(cast):
    with pytest.raises(ValidationError) as error:
        services.unpublish(cast.admin, cast.p_lianshan.pk)
    assert "project" in error.value.message_dict


def test_only_published_projects_of_the_region_are_in_the_package(cast):
    assert oc4ids.package(cast.city, 2022, URI) is None  # nothing published: no package
    services.publish(cast.admin, cast.p_lianshan.pk)
    package = oc4ids.package(cast.city, 2022, URI)
    assert package is not None
    titles = [p["title"] for p in package["projects"]]
    assert titles == [cast.p_lianshan.name]  # 绥中's project is not published
    assert oc4ids.package(cast.suizhong, 2022, URI) is None  # a region below: only its own


def test_a_project_record_maps_identifiers_money_location_parties_and_status(cast):
    project = cast.p_lianshan
    project.code, project.address = "2022-211402-26-03-000123", "连山区化工园区"
    project.longitude, project.latitude = Decimal("120.812345"), Decimal("40.755432")
    project.total_investment = Decimal("52000.1234")
    project.investment_nature, project.stage = Project.InvestmentNature.ENTERPRISE, Stage.CONSTRUCTION
    project.save()
    plan = project.plans.get()
    plan.planned_investment = Decimal("13000.0308")
    plan.save()
    services.publish(cast.admin, project.pk)
    record = oc4ids.package(cast.city, 2022, URI)["projects"][0]  # type: ignore[index]
    assert record["id"] == f"oc4ids-kp0000-{project.pk}"
    assert record["identifiers"] == [{"id": "2022-211402-26-03-000123", "scheme": oc4ids.CODE_SCHEME}]
    assert record["budget"]["amount"] == {"amount": 520001234, "currency": "CNY"}  # 万元 → yuan, exact
    assert record["budget"]["budgetBreakdown"][0]["amount"]["amount"] == 130000308
    assert record["locations"][0]["geometry"] == {"type": "Point", "coordinates": [120.812345, 40.755432]}
    assert record["locations"][0]["gazetteer"]["identifiers"] == ["211402"]
    assert record["status"] == "implementation"
    roles = {p["name"]: p["roles"] for p in record["parties"]}
    assert roles == {cast.company.name: ["buyer"], cast.gxj.name: ["administrativeEntity"]}
    assert record["sector"] == ["economy"]  # 化工 → economy


@pytest.mark.parametrize(("stage", "started", "status"), [
    (Stage.PLANNING, False, "identification"), (Stage.PREPARATION, False, "preparation"),
    (Stage.CONSTRUCTION, True, "implementation"), (Stage.COMPLETED, True, "completion"),
    (Stage.OPERATING, True, "completed"), (Stage.TERMINATED, False, "cancelled"),
    (Stage.SUSPENDED, True, "implementation"), (Stage.SUSPENDED, False, "preparation"),
])
def test_the_status_follows_the_stage(stage, started, status):
    project = Project(stage=stage, actual_start=date(2022, 3, 1) if started else None)
    assert oc4ids.status(project) == status


@pytest.mark.parametrize(("name", "codes"), [
    ("连山区寺儿堡镇污水处理厂提标改造工程", ["waterAndWaste"]),
    ("绥中四方台风电项目", ["energy", "energy.wind"]),
    ("葫芦岛市第二中学教学楼", ["education"]),
    ("某某项目", []),  # nothing says: no code (the sector's name is still a classification)
    ("兴城市滨海公路大修工程", ["transport", "transport.road"]),
    ("建昌县人民医院门诊楼", ["health"]),
])
def test_the_sector_is_mapped_to_the_oc4ids_codelist(name, codes):
    project = Project(name=name, project_type=Project.Type.INFRASTRUCTURE)
    assert oc4ids.sectors(project) == codes


def test_the_export_command_writes_the_package_and_refuses_a_region_with_nothing_published(cast, tmp_path):
    out = tmp_path / "hld.json"
    with pytest.raises(CommandError, match="没有公开的项目"):
        call_command("export_oc4ids", region="葫芦岛市", output=str(out))
    services.publish(cast.admin, cast.p_lianshan.pk)
    call_command("export_oc4ids", region="葫芦岛市", year=2022, output=str(out))
    package = json.loads(out.read_text(encoding="utf-8"))
    assert package["version"] == "0.9" and len(package["projects"]) == 1
    assert package["uri"].endswith("/opendata/oc4ids/211400.json?year=2022")


def test_the_endpoint_wants_a_token_unless_the_city_makes_it_public(cast, client, settings):
    services.publish(cast.admin, cast.p_lianshan.pk)
    url = reverse("opendata:package", args=[cast.city.code])
    settings.KEYPROJECTS_OC4IDS_ACCESS = "token"
    assert client.get(url).status_code == 401
    assert api(cast.admin).get(url).status_code == 200
    assert api(cast.lianshan_clerk).get(url).status_code == 404  # the city is outside a county clerk's view
    own = api(cast.lianshan_clerk).get(reverse("opendata:package", args=[cast.lianshan.code]))
    assert [p["title"] for p in json.loads(own.content)["projects"]] == [cast.p_lianshan.name]
    settings.KEYPROJECTS_OC4IDS_ACCESS = "public"
    response = client.get(url)
    assert response.status_code == 200
    assert json.loads(response.content)["projects"][0]["title"] == cast.p_lianshan.name
    assert client.get(reverse("opendata:package", args=["999999"])).status_code == 404
    assert client.get(url + "?year=abc").status_code == 400


def test_the_page_publishes_for_the_city_admin_and_refuses_a_county_clerk(cast, login):
    clerk = login(cast.lianshan_clerk)
    response = clerk.post(reverse("opendata:publish"), {"project": cast.p_lianshan.pk}, follow=True)
    assert "只有市级管理员" in response.content.decode()
    assert not Publication.objects.exists()
    admin = login(cast.admin)
    response = admin.post(reverse("opendata:publish"), {"project": cast.p_lianshan.pk}, follow=True)
    assert Publication.objects.filter(project=cast.p_lianshan).exists()
    assert cast.p_lianshan.name in response.content.decode()

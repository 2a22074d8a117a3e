"""The units, users and leaders pages: a page at a time, searched by name, filtered by type."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from keyprojects.accounts.models import Unit, department_kind
from keyprojects.accounts.views import PAGE_SIZE

pytestmark = pytest.mark.django_db
EDIT_LINK = re.compile(r'href="/people/units/\d+/"')


def many_units(cast, n: int, first: int = 0) -> None:
    Unit.objects.bulk_create([Unit(name=f"葫芦岛市测试单位{i:03}", region=cast.city, kind=Unit.Kind.OTHER)
                              for i in range(first, first + n)])


def test_units_page_shows_one_page_at_a_time_and_says_how_many(cast, client):
    many_units(cast, PAGE_SIZE + 10)
    client.force_login(cast.admin)
    first = client.get(reverse("accounts:people", args=["units"])).content.decode()
    in_city = Unit.objects.filter(region__path__startswith=cast.city.path).count()
    assert f'<strong class="num">{in_city}</strong>' in first
    assert len(EDIT_LINK.findall(first)) == PAGE_SIZE
    second = client.get(reverse("accounts:people", args=["units"]), {"page": 2}).content.decode()
    assert len(EDIT_LINK.findall(second)) == in_city - PAGE_SIZE


def test_units_page_makes_as_many_queries_for_ten_units_as_for_three_hundred(cast, client, django_assert_max_num_queries):
    client.force_login(cast.admin)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    search = {"q": "测试", "kind": "other"}
    many_units(cast, 5)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("accounts:people", args=["units"]), search).status_code == 200
    many_units(cast, 300, first=5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("accounts:people", args=["units"]), search).status_code == 200
    # A later page reads the list's keys once more (core.paging), however long the list.
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        assert client.get(reverse("accounts:people", args=["units"]), {**search, "page": 6}).status_code == 200


def test_unit_search_ignores_spaces_width_and_traditional_characters(cast, client):
    Unit.objects.create(name="葫芦岛ABC能源有限公司", region=cast.city, kind=Unit.Kind.ENTERPRISE)
    client.force_login(cast.admin)
    for typed in ("ＡＢＣ 能源", "葫蘆島abc", " abc能源 "):
        page = client.get(reverse("accounts:people", args=["units"]), {"q": typed}).content.decode()
        assert "葫芦岛ABC能源有限公司" in page, typed
        assert "葫芦岛市工业和信息化局" not in page, typed


def test_units_filtered_by_type_show_only_that_type(cast, client):
    client.force_login(cast.admin)
    page = client.get(reverse("accounts:people", args=["units"]), {"kind": "government"}).content.decode()
    assert "葫芦岛市人民政府" in page and "葫芦岛市工业和信息化局" not in page and "有限责任公司" not in page
    assert '<strong class="num">1</strong>' in page


def test_units_filtered_by_a_county_show_that_countys_units(cast, client):
    client.force_login(cast.admin)
    page = client.get(reverse("accounts:people", args=["units"]), {"region": cast.lianshan.pk}).content.decode()
    assert "连山区发展和改革局" in page and "绥中县发展和改革局" not in page


@pytest.mark.parametrize("query", [{"kind": "nonsense"}, {"region": "x"}, {"region": "999999"}, {"role": "king"}])
def test_a_filter_value_the_people_pages_cannot_use_is_a_400(cast, client, query):
    client.force_login(cast.admin)
    kind = "users" if "role" in query else "units"
    assert client.get(reverse("accounts:people", args=[kind]), query).status_code == 400


def test_users_searched_by_their_units_name_and_filtered_by_role(cast, client):
    client.force_login(cast.admin)
    page = client.get(reverse("accounts:people", args=["users"]), {"q": "连山区"}).content.decode()
    assert ">lianshan</a>" in page and ">suizhong</a>" not in page
    page = client.get(reverse("accounts:people", args=["users"]), {"role": "leader"}).content.decode()
    assert ">leader</a>" in page and ">admin</a>" not in page


def test_leaders_searched_by_title(cast, client):
    client.force_login(cast.admin)
    assert "王建国" in client.get(reverse("accounts:people", args=["leaders"]), {"q": "副市长"}).content.decode()
    assert "王建国" not in client.get(reverse("accounts:people", args=["leaders"]), {"q": "书记"}).content.decode()


def test_search_does_not_reach_units_outside_the_admins_city(cast, client):
    client.force_login(cast.admin)
    page = client.get(reverse("accounts:people", args=["units"]), {"q": "锦州"}).content.decode()
    assert "锦州市发展和改革委员会" not in page and '<strong class="num">0</strong>' in page


def test_a_countys_department_is_not_a_city_department(cast):
    unit = Unit(name="连山区自然资源局", region=cast.lianshan, kind=Unit.Kind.DEPARTMENT)
    with pytest.raises(ValidationError) as refused:
        unit.full_clean()
    assert "县区部门" in str(refused.value.message_dict["kind"])
    unit.kind = Unit.Kind.COUNTY_DEPARTMENT
    unit.full_clean()
    with pytest.raises(ValidationError):
        Unit(name="葫芦岛市自然资源局", region=cast.city, kind=Unit.Kind.COUNTY_DEPARTMENT).full_clean()


def test_a_county_level_citys_bureaus_are_its_city_departments():
    from keyprojects.regions.models import Region

    assert department_kind(Region.objects.get(name="迁安市")) == Unit.Kind.DEPARTMENT
    assert department_kind(Region.objects.get(name="连山区")) == Unit.Kind.COUNTY_DEPARTMENT
    assert department_kind(Region.objects.get(name="葫芦岛市")) == Unit.Kind.DEPARTMENT

"""The dashboard: every number links to the list of projects behind it, whose totals equal it."""

from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from keyprojects.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("username", "query"), [
    ("admin", {"as_of": "2022-06-05"}),
    ("lianshan", {"as_of": "2022-06-05"}),
    ("qianan", {"as_of": "2022-07-15"}),
    ("leader", {"as_of": "2022-12-31"}),
    ("owner", {"as_of": "2022-06-05"}),  # unit scopes: the figures count only their projects
    ("fgw", {"as_of": "2022-06-05"}),
    ("zhangye", {"as_of": "2023-04-07"}),  # with the task list's card
])
def test_every_dashboard_figure_equals_its_list_total(demo, client, username, query):
    client.force_login(User.objects.get(username=username))
    response = client.get(reverse("dashboard"), query)
    assert response.status_code == 200
    figures = response.context["figures"]
    assert len(figures) > 10
    checked = {}
    for figure in figures:
        if figure.url not in checked:
            listing = client.get(figure.url)
            assert listing.status_code == 200
            checked[figure.url] = listing.context["totals"]
        assert checked[figure.url][figure.total] == figure.value, (figure.url, figure.total)


def test_dashboard_headline_reproduces_huludao(demo, client):
    client.force_login(User.objects.get(username="admin"))
    response = client.get(reverse("dashboard"), {"as_of": "2022-06-05"})
    stats = response.context["stats"]
    assert stats["plan"]["count"] == 500 and stats["started_or_resumed"]["count"] == 329
    page = response.content.decode()
    assert "65.8%" in page and "43.7%" in page and "91.4%" in page and "2,619.80" in page
    assert [row["label"] for row in response.context["region_rows"]][:1]  # a ranked table by county
    assert {row["rank"] for row in response.context["region_rows"]} == set(range(1, 7))


def test_county_clerk_sees_only_the_county(demo, client):
    client.force_login(User.objects.get(username="lianshan"))
    response = client.get(reverse("dashboard"), {"as_of": "2022-06-05", "region": "211400"})
    assert response.context["region"].name == "连山区"  # the city is outside the clerk's scope
    assert response.context["stats"]["plan"]["count"] < 500


def test_qianan_dashboard_shows_the_completion_rate(demo, client):
    client.force_login(User.objects.get(username="qianan"))
    response = client.get(reverse("dashboard"), {"as_of": "2022-07-15"})
    assert str(response.context["stats"]["rates"]["completion_rate"]) == "58.7"
    assert "157.20" in response.content.decode()


def test_leader_sees_own_packages(demo, client):
    client.force_login(User.objects.get(username="leader"))
    response = client.get(reverse("dashboard"), {"as_of": "2022-06-05"})
    assert response.context["my_package"]["projects"] and "我包抓的项目" in response.content.decode()


def test_dashboard_query_count_is_bounded(demo, client, django_assert_max_num_queries):
    client.force_login(User.objects.get(username="admin"))
    # (25 before the card 问题协调, which adds 9 at most: its data versions, its parts' (the
    # counties') versions, the counties twice (the parts, their grouping), the problem counts, the
    # meetings by kind, the days to sign-off, and the names of the lead units and leaders; then
    # 8 for the card 前期手续: its versions, the counties, and for this year and last year each
    # its parts (the counties), their versions and the counts of the parts not remembered; and
    # the card 预警, 6: its data versions, its parts' versions, the counties twice (the parts,
    # their grouping), the counts, the counties' names; the card 任务清单, 3: whether a list above
    # the region holds its tasks, its data versions, the counts)
    with django_assert_max_num_queries(51):
        client.get(reverse("dashboard"), {"as_of": "2022-06-05"})


def test_list_query_count_is_bounded(demo, client, django_assert_max_num_queries):
    client.force_login(User.objects.get(username="admin"))
    # (19: the page's keys and then its rows are two queries; the cached plan years and totals
    # each ask the data version; the totals, summed a county at a time, the versions of the
    # counties and the city's counties, twice; the header's unread messages, one)
    # (+1: the badges of the page's open warnings; +1: a plan year more in the demo, Zhangye's 2023;
    # +1: the province profiles the 省平台 filter offers)
    with django_assert_max_num_queries(22):
        client.get(reverse("projects:list"), {"year": 2022, "as_of": "2022-06-05", "started": "yes"})


def test_figure_links_carry_the_dashboard_filters(demo, client):
    client.force_login(User.objects.get(username="admin"))
    response = client.get(reverse("dashboard"), {"as_of": "2022-06-05"})
    started = response.context["headline"]["plan"]["started"]
    query = parse_qs(urlparse(started.url).query)
    assert query["started"] == ["yes"] and query["as_of"] == ["2022-06-05"] and query["year"] == ["2022"]


def test_county_table_downloads_with_the_dashboards_figures(demo, client, tmp_path):
    from keyprojects.ledgers.reader import read

    client.force_login(User.objects.get(username="admin"))
    page = client.get(reverse("dashboard"), {"as_of": "2022-06-05"})
    response = client.get(reverse("dashboard_export"), {"as_of": "2022-06-05"})
    assert response.status_code == 200
    path = tmp_path / "counties.xlsx"
    path.write_bytes(response.content)
    rows = read(path)[0].rows
    shown = {row["label"]: row["plan"]["count"] for row in page.context["region_rows"]}
    exported = {r[1]: int(r[2]) for r in rows[2:2 + len(shown)]}
    assert exported == shown


def test_a_provinces_region_table_names_its_cities(demo, client, tmp_path):
    from keyprojects.ledgers.reader import read
    from keyprojects.regions.models import Region

    client.force_login(User.objects.create_superuser("root", password="x" * 12))
    province = Region.objects.get(name="辽宁省")
    query = {"region": province.pk, "year": 2022, "as_of": "2022-06-05"}
    page = client.get(reverse("dashboard"), query).content.decode()
    assert "分地市情况" in page and "<th>地市</th>" in page and "分县区情况" not in page
    response = client.get(reverse("dashboard_export"), query)
    assert "%E5%88%86%E5%9C%B0%E5%B8%82" in response["Content-Disposition"]  # 分地市, in the file name
    path = tmp_path / "cities.xlsx"
    path.write_bytes(response.content)
    assert read(path)[0].rows[1][1] == "地市"
    city = client.get(reverse("dashboard"), {**query, "region": Region.objects.get(name="葫芦岛市").pk})
    assert "分县区情况" in city.content.decode()


def test_a_countys_dashboard_has_no_table_of_one_row_repeating_its_figures(demo, client):
    """连山区 has no zones: its region table would be the one 本级 row, the headline again. A
    city's keeps a row per county."""
    client.force_login(User.objects.get(username="lianshan"))
    page = client.get(reverse("dashboard"), {"as_of": "2022-06-05"})
    assert page.context["stats"]["plan"]["count"] == 84 and page.context["region_rows"] == []
    assert "分县区情况" not in page.content.decode()
    client.force_login(User.objects.get(username="admin"))
    assert "分县区情况" in client.get(reverse("dashboard"), {"as_of": "2022-06-05"}).content.decode()


def test_without_a_date_the_dashboard_counts_to_the_last_approved_month_and_says_so(demo, client):
    """A past year's reports stop in May, approved on 2 June: the default is that day (May counted),
    not 31 December (time progress 100 %) nor 31 May (May's reports not yet approved then)."""
    from keyprojects.core.permissions import SYSTEM
    from keyprojects.indicators import figures

    client.force_login(User.objects.get(username="admin"))
    response = client.get(reverse("dashboard"), {"year": 2022})
    assert response.context["as_of"].isoformat() == "2022-06-02"
    assert "最近一次审核通过月报之日" in response.content.decode()
    assert response.context["stats"]["completed_investment"] == figures.year_figures(
        SYSTEM, 2022, date(2022, 12, 31), response.context["region"])["completed_investment"]  # every report counted
    asked = client.get(reverse("dashboard"), {"year": 2022, "as_of": "2022-06-05"})
    assert asked.context["as_of"].isoformat() == "2022-06-05" and "最近一次审核" not in asked.content.decode()

    today = figures.timezone.localdate()
    assert figures.data_date(SYSTEM, today.year) == (today, "今天")
    assert figures.data_date(SYSTEM, 2019)[0].isoformat() == "2019-12-31"  # no reports that year


def test_the_api_and_the_export_take_the_same_default_date(demo, client):
    from keyprojects.accounts.models import User as U
    from tests.conftest import api

    payload = api(U.objects.get(username="admin")).get("/api/indicators/", {"year": 2022}).json()
    assert payload["as_of"] == "2022-06-02"
    client.force_login(U.objects.get(username="admin"))
    response = client.get(reverse("dashboard_export"), {"year": 2022})
    assert "20220602" in response["Content-Disposition"]


@pytest.mark.parametrize(("username", "says"), [("fgw", "本单位负责的项目"), ("owner", "本单位建设的项目"), ("admin", None)])
def test_a_unit_scoped_dashboard_says_so_in_its_title(demo, client, username, says):
    client.force_login(User.objects.get(username=username))
    page = client.get(reverse("dashboard"), {"as_of": "2022-06-05"}).content.decode()
    title = page.split("<h2", 1)[1].split("</h2>", 1)[0] if "<h2" in page else page
    if says:
        assert says in title
    else:
        assert "本单位" not in title


def test_the_three_batches_are_always_three(demo, client):
    """Qian'an's plan holds no reserve-batch project: the panel still lists it, at zero."""
    client.force_login(User.objects.get(username="qianan"))
    rows = client.get(reverse("dashboard"), {"as_of": "2022-07-15"}).context["batch_rows"]
    assert [row["label"] for row in rows] == ["开工建设一批", "前期推进一批", "谋划储备一批"]
    assert any(row["plan"]["count"] == 0 for row in rows)

"""Figures are cached until the data changes: every committed write moves the data version
(``core.audit.data_version``) that ``core.cache.cached`` keys them by. These tests'
writes really commit (``committed_db``), as a server's do."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from test_ledgers import ledger_rows, write_xlsx

from keyprojects.core.audit import Source, audit_context, data_version
from keyprojects.core.cache import cached
from keyprojects.indicators.engine import plans_in, year_stats
from keyprojects.ledgers.importer import import_ledger
from keyprojects.projects import services as project_services
from keyprojects.projects.models import AnnualPlan
from keyprojects.reporting import progress

pytestmark = pytest.mark.usefixtures("committed_db")
DAY = date(2022, 6, 5)


@pytest.fixture(autouse=True)
def real_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "test-cache"}}


def stats(cast) -> dict:
    return cached(year_stats, 2022, DAY, cast.city)


def add_project(cast, name: str = "葫芦岛新港物流园项目") -> None:
    with transaction.atomic(), audit_context(Source.SYSTEM, detail="test"):
        cast.project(name, cast.lianshan, Decimal("9000"))  # a project and its plan


def test_a_cached_figure_costs_one_query_and_each_committed_write_renews_it(cast):
    assert stats(cast)["plan"]["count"] == 2
    with CaptureQueriesContext(connection) as queries:
        assert stats(cast)["plan"]["count"] == 2
    assert len(queries) == 1  # the data version

    before = data_version()
    project_services.save_annual_plan(cast.admin, cast.p_suizhong.pk, 2022, {"planned_investment": Decimal("1")})
    assert data_version() == before + 1
    assert stats(cast)["plan"]["annual_plan"] == Decimal("13000") + Decimal("1")

    add_project(cast)
    assert data_version() == before + 2  # one transaction of several saves: one step
    assert stats(cast)["plan"]["count"] == 3


def test_a_write_rolled_back_does_not_move_the_version(cast):
    before = data_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        add_project(cast, "未保存的项目")
        raise RuntimeError("rolled back")
    assert data_version() == before
    assert not AnnualPlan.objects.filter(project__name="未保存的项目").exists()


def test_logging_in_is_not_a_change_of_the_data(cast, client):
    before = data_version()
    assert client.login(username="admin", password="secret-test-pw")
    assert data_version() == before


def test_a_ledger_import_renews_cached_figures(cast, tmp_path):
    """The importer writes in bulk (no save signals): its writes count all the same."""
    as_of = date(2023, 6, 30)
    assert cached(year_stats, 2023, as_of, cast.city)["plan"]["count"] == 0
    import_ledger(None, write_xlsx(tmp_path / "ledger.xlsx", ledger_rows()), 2023, region=cast.city)
    assert cached(year_stats, 2023, as_of, cast.city)["plan"]["count"] == plans_in(2023, cast.city).count() > 0
    before = data_version()
    progress.refresh()  # bulk rows alone (``insert_rows``), no model saved
    assert data_version() > before


def test_figures_are_kept_apart_by_scope(cast):
    city_wide = cached(year_stats, 2022, DAY, cast.city)
    county = cached(year_stats, 2022, DAY, cast.city, AnnualPlan.objects.visible_to(cast.lianshan_clerk))
    assert (city_wide["plan"]["count"], county["plan"]["count"]) == (2, 1)


def test_the_dashboard_serves_repeat_views_from_the_cache(cast, client):
    client.force_login(cast.admin)
    url = reverse("dashboard") + "?year=2022&as_of=2022-06-05"
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).context["stats"]["plan"]["count"] == 2
    with CaptureQueriesContext(connection) as again:
        assert client.get(url).context["stats"]["plan"]["count"] == 2
    assert len(again) <= len(first) - 3  # not the overview, last year's figures nor the leaders'
    add_project(cast)
    assert client.get(url).context["stats"]["plan"]["count"] == 3

"""Figures are cached until the data changes: every committed write moves the data version
(``core.versions.data_version``) that ``core.cache.cached`` keys them by. These tests'
writes really commit (``committed_db``), as a server's do."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from test_bulk import reliance
from test_ledgers import ledger_rows, write_xlsx

from keyprojects import settings as project_settings
from keyprojects.accounts import services as account_services
from keyprojects.core import versions as core_versions
from keyprojects.core.audit import Source, audit_context
from keyprojects.core.models import DataVersion
from keyprojects.core.permissions import SYSTEM
from keyprojects.core.versions import VersionScope, changed, data_version, region_scopes, versions
from keyprojects.indicators import figures
from keyprojects.indicators.engine import plan_stats, plans_in
from keyprojects.ledgers.importer import import_ledger
from keyprojects.projects import services as project_services
from keyprojects.projects.models import AnnualPlan, Sector
from keyprojects.reporting import progress
from keyprojects.reporting import services as reporting_services
from keyprojects.reporting.models import ReportingPeriod

pytestmark = pytest.mark.usefixtures("committed_db")
DAY = date(2022, 6, 5)
EVERY_WRITE, UNPLACED, LABEL_WRITES = VersionScope.every_write(), VersionScope.unplaced(), VersionScope.labels()


@pytest.fixture(autouse=True)
def real_cache(settings):
    settings.CACHES = project_settings.CACHES  # (the test settings have none)
    cache.clear()  # each test's database starts its data versions afresh: so must the cache


def stats(cast) -> dict:
    return figures.year_figures(SYSTEM, 2022, DAY, cast.city)


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
    assert figures.year_figures(SYSTEM, 2023, as_of, cast.city)["plan"]["count"] == 0
    import_ledger(None, write_xlsx(tmp_path / "ledger.xlsx", ledger_rows()), 2023, region=cast.city)
    assert figures.year_figures(SYSTEM, 2023, as_of, cast.city)["plan"]["count"] == plans_in(2023, cast.city).count() > 0
    before = data_version()
    progress.refresh()  # bulk rows alone (``insert_rows``), no model saved
    assert data_version() > before


def test_figures_are_kept_apart_by_scope(cast):
    city_wide = figures.year_figures(SYSTEM, 2022, DAY, cast.city)
    department = figures.year_figures(cast.dept_clerk, 2022, DAY, cast.city)  # the city: its unit's projects
    assert (city_wide["plan"]["count"], department["plan"]["count"]) == (2, 1)


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


# --- a region's figures are remembered a part at a time ----------------------------------
def scopes_of(*regions) -> list[VersionScope]:
    return sorted({UNPLACED} | {scope for r in regions for year in (None, 2021, 2022) for scope in region_scopes(r.path, year)},
                  key=str)


def moved(before: dict[VersionScope, int]) -> set[VersionScope]:
    return {scope for scope, n in versions(before).items() if n != before[scope]}


def test_a_write_in_one_county_moves_the_versions_of_its_regions_alone(cast):
    before = versions(scopes_of(cast.lianshan, cast.suizhong))
    project_services.save_annual_plan(cast.admin, cast.p_suizhong.pk, 2022, {"planned_investment": Decimal("1")})
    # 绥中县, 葫芦岛市, 辽宁省 and 绥中县 itself, for any write and for the figures of 2022
    assert moved(before) == region_scopes(cast.suizhong.path, 2022)
    city, lianshan = VersionScope.region(cast.city.path), VersionScope.region(cast.lianshan.path)
    assert city in moved(before) and lianshan not in moved(before)
    assert city.for_year(2022) in moved(before) and city.for_year(2021) not in moved(before)


def test_a_project_that_moves_counts_for_the_region_it_left_and_the_one_it_joined(cast):
    before = versions(scopes_of(cast.lianshan, cast.suizhong))
    project = cast.p_suizhong
    project_services.update_project(cast.admin, project.pk, project.version, {"region": cast.lianshan})
    # every year's figures, where it was and where it is
    assert moved(before) == region_scopes(cast.suizhong.path, None) | region_scopes(cast.lianshan.path, None)


def test_a_write_that_names_no_region_moves_every_figure(cast):
    before = versions(scopes_of(cast.lianshan))
    with transaction.atomic(), audit_context(Source.SYSTEM, detail="test"):
        Sector.objects.create(name="临时行业").delete()  # a deleted label's projects change groups unseen
    assert moved(before) == {UNPLACED}
    before = versions(scopes_of(cast.lianshan))
    with transaction.atomic(), audit_context(Source.SYSTEM, detail="test"):
        cast.leader.projects.add(cast.p_suizhong)  # linked from the leader's side
    assert moved(before) == {UNPLACED}
    before = versions(scopes_of(cast.lianshan))
    progress.refresh()  # every plan's roll-up rebuilt
    assert moved(before) == {UNPLACED}
    before = versions(scopes_of(cast.lianshan))
    progress.refresh([cast.p_lianshan.plans.get().pk])  # one plan's: its region, its year
    assert moved(before) == region_scopes(cast.lianshan.path, 2022)


def test_an_accounts_write_moves_no_figure(cast):
    before = versions([EVERY_WRITE, *scopes_of(cast.lianshan)])
    token, _key = account_services.create_token(cast.lianshan_clerk, cast.lianshan_clerk, "手机")
    account_services.revoke_token(cast.lianshan_clerk, token.pk)
    with transaction.atomic(), audit_context(Source.SYSTEM, detail="test"):
        cast.lianshan_clerk.display_name = "连山区填报员（新）"
        cast.lianshan_clerk.save()
    assert moved(before) == {EVERY_WRITE}  # the count of every write, and no figure's


def test_a_period_locked_counts_for_its_city_alone(cast):
    period = reporting_services.create_period(cast.admin, cast.city, 2022, 5, date(2022, 5, 20), date(2022, 5, 25))
    before = versions([*scopes_of(cast.lianshan), *region_scopes(cast.city.path, None)])
    reporting_services.set_period_state(cast.admin, period.pk, ReportingPeriod.State.LOCKED)
    # the city's (and the province's) versions of every year's figures; not the unplaced one, not a county's
    assert moved(before) == region_scopes(cast.city.path, None)


def test_a_sector_renamed_relabels_the_dashboard_from_the_sums_it_remembers(cast, client):
    client.force_login(cast.admin)
    url = reverse("dashboard") + "?year=2022&as_of=2022-06-05"
    assert "精细化工" in client.get(url).content.decode()
    before = versions([EVERY_WRITE, LABEL_WRITES, *scopes_of(cast.lianshan)])
    with transaction.atomic(), audit_context(Source.SYSTEM, detail="test"):
        sector = Sector.objects.get(pk=cast.sector.pk)
        sector.name = "精细化工及新材料"
        sector.save()
    assert moved(before) == {EVERY_WRITE, LABEL_WRITES}  # the labels' version, not a region's, not every figure's
    with CaptureQueriesContext(connection) as captured:
        page = client.get(url).content.decode()
    assert "精细化工及新材料" in page
    assert not [q["sql"] for q in captured if "SUM(" in q["sql"].upper()]  # the sums stood


def test_after_a_write_in_one_county_only_its_rows_are_computed_again(cast):
    as_of = date(2022, 12, 31)
    whole = figures.overview(SYSTEM, 2022, as_of, cast.city, by=("region", "sector", "batch"))
    assert {row["label"] for row in whole["region"]} == {"连山区", "绥中县"}
    project_services.save_annual_plan(cast.admin, cast.p_suizhong.pk, 2022, {"planned_investment": Decimal("7")})
    with CaptureQueriesContext(connection) as queries:
        after = figures.overview(SYSTEM, 2022, as_of, cast.city, by=("region", "sector", "batch"))
    sums = [q["sql"] for q in queries if "SUM(" in q["sql"].upper()]
    assert len(sums) == 1 and cast.suizhong.path in sums[0] and cast.lianshan.path not in sums[0]
    # the figures put together from remembered and fresh rows are those computed afresh
    assert after["stats"]["plan"] == plan_stats(plans_in(2022, cast.city), as_of)["plan"]
    assert after["stats"]["plan"]["annual_plan"] == Decimal("13000") + Decimal("7")
    rows = {row["label"]: row for row in after["region"]}
    assert rows["绥中县"]["plan"] == plan_stats(plans_in(2022, cast.suizhong), as_of)["plan"]
    assert rows["连山区"] == next(row for row in whole["region"] if row["label"] == "连山区")
    assert after["sector"] == figures.breakdown(SYSTEM, 2022, as_of, "sector", cast.city)


def test_after_a_write_in_one_county_only_its_approvals_are_counted_again(cast):
    from keyprojects.approvals import services as approval_services

    approval_services.install_catalogue(cast.admin, cast.city)
    for project in (cast.p_lianshan, cast.p_suizhong):
        approval_services.schedule_project(cast.admin, project.pk, date(2022, 6, 1))
    whole = figures.approvals(SYSTEM, 2022, DAY, cast.city)
    approval = cast.p_suizhong.approvals.filter(required=True).order_by("pk").first()
    approval_services.record(cast.admin, approval.pk, approval.version, {"obtained_on": date(2022, 4, 1)})
    with CaptureQueriesContext(connection) as queries:
        after = figures.approvals(SYSTEM, 2022, DAY, cast.city)
    counts = [q["sql"] for q in queries if "approvals_projectapproval" in q["sql"]]
    assert len(counts) == 2  # this year's and last year's, of that county alone
    assert all(cast.suizhong.path in sql and cast.lianshan.path not in sql for sql in counts)
    assert (after["required"], after["obtained"]) == (whole["required"], whole["obtained"] + 1)
    cache.clear()
    assert figures.approvals(SYSTEM, 2022, DAY, cast.city) == after  # as computed afresh


def test_a_provinces_city_is_put_together_from_its_counties_rows(cast):
    as_of, province = date(2022, 12, 31), cast.city.parent
    by = ("region", "sector", "batch")
    figures.overview(SYSTEM, 2022, as_of, province, by=by)  # every city's rows remembered, in one query
    project_services.save_annual_plan(cast.admin, cast.p_suizhong.pk, 2022, {"planned_investment": Decimal("7")})
    figures.overview(SYSTEM, 2022, as_of, province, by=by)  # 葫芦岛市 again, and now each of its counties' rows
    project_services.save_annual_plan(cast.admin, cast.p_suizhong.pk, 2022, {"planned_investment": Decimal("8")})
    with CaptureQueriesContext(connection) as queries:
        after = figures.overview(SYSTEM, 2022, as_of, province, by=by)
    [sums] = [q["sql"] for q in queries if "SUM(" in q["sql"].upper()]
    assert cast.suizhong.path in sums and cast.lianshan.path not in sums  # that county alone
    cities = {row["label"]: row for row in after["region"]}
    assert len(cities) >= 2 and cities["葫芦岛市"]["plan"] == plan_stats(plans_in(2022, cast.city), as_of)["plan"]
    cache.clear()
    assert figures.overview(SYSTEM, 2022, as_of, province, by=by) == after  # as computed afresh, to the last figure


def test_the_parts_of_a_scoped_figure_are_kept_apart_from_the_whole_regions(cast):
    assert figures.year_figures(SYSTEM, 2022, DAY, cast.city)["plan"]["count"] == 2
    assert figures.year_figures(cast.dept_clerk, 2022, DAY, cast.city)["plan"]["count"] == 1
    assert figures.year_figures(SYSTEM, 2022, DAY, cast.city)["plan"]["count"] == 2


def regions_read(sql: str) -> set[int]:
    """The regions a query restricted to some regions' own projects (``region_cells``) read."""
    return {int(pk) for pk in re.findall(r'"region_id" = (\d+)', sql)}


@pytest.mark.parametrize("who", ["admin", "superuser"])  # a city's scope, and no one region's
def test_a_list_total_after_a_write_in_one_county_sums_that_county_alone(cast, client, who):
    client.force_login(getattr(cast, who))
    url = reverse("projects:list") + "?year=2022"
    before = client.get(url).context["totals"]
    old = AnnualPlan.objects.get(project=cast.p_suizhong, year=2022).planned_investment
    project_services.save_annual_plan(cast.admin, cast.p_suizhong.pk, 2022, {"planned_investment": Decimal("7")})
    with CaptureQueriesContext(connection) as queries:
        totals = client.get(url).context["totals"]
    [sums] = [q["sql"] for q in queries if 'AS "total_sum"' in q["sql"]]
    assert regions_read(sums) == {cast.suizhong.pk}  # that county's projects alone
    assert totals["count"] == before["count"] and totals["annual_plan"] == before["annual_plan"] - old + 7
    cache.clear()
    assert client.get(url).context["totals"] == totals  # as summed afresh
    # a filter narrows every part alike: the county's list, the neighbour's part empty
    county = client.get(url + f"&region={cast.lianshan.pk}").context["totals"]
    assert (county["count"], county["annual_plan"]) == (1, Decimal("13000"))


@pytest.mark.parametrize("who", ["admin", "superuser"])
def test_the_approvals_list_after_a_write_in_one_county_counts_that_county_alone(cast, client, who):
    from keyprojects.approvals import services as approvals
    from keyprojects.approvals.filters import totals
    from keyprojects.approvals.models import ProjectApproval

    approvals.install_catalogue(cast.admin, cast.city)
    for project in (cast.p_lianshan, cast.p_suizhong):
        approvals.schedule_project(cast.admin, project.pk, date(2022, 6, 1))
    client.force_login(getattr(cast, who))
    url = reverse("approvals:list") + "?as_of=2022-05-20"
    before = client.get(url).context
    filing = ProjectApproval.objects.get(project=cast.p_suizhong, item__code="filing")
    assert filing.planned_on < date(2022, 5, 20)  # late on the day
    approvals.record(cast.suizhong_clerk, filing.pk, filing.version, {"obtained_on": date(2022, 3, 1)})
    with CaptureQueriesContext(connection) as queries:
        after = client.get(url).context
    [counts] = [q["sql"] for q in queries if 'AS "n_pending"' in q["sql"]]
    # a city admin's counts: that county's items alone; a superuser's (no one region): all again
    assert regions_read(counts) == ({cast.suizhong.pk} if who == "admin" else set())
    line = {**before["totals"], "obtained": before["totals"]["obtained"] + 1, "late": before["totals"]["late"] - 1}
    assert after["totals"] == line == totals(ProjectApproval.objects.all(), date(2022, 5, 20))
    issuer = {(r["item__issuer_name"], r["issuer_id"]): (r["pending"], r["late"]) for r in after["issuers"]}
    was = {(r["item__issuer_name"], r["issuer_id"]): (r["pending"], r["late"]) for r in before["issuers"]}
    key = (filing.item.issuer_name, filing.issuer_id)
    assert issuer[key] == (was[key][0] - 1, was[key][1] - 1)
    assert [r["late"] for r in after["issuers"]] == sorted((r["late"] for r in after["issuers"]), reverse=True)
    cache.clear()
    fresh = client.get(url).context
    assert (fresh["totals"], fresh["issuers"]) == (after["totals"], after["issuers"])  # as counted afresh


def test_a_lists_key_order_is_the_databases_and_a_write_sorts_its_part_again(cast):
    from keyprojects.indicators.figures import _list_keys as list_keys
    from keyprojects.projects.models import Project
    from keyprojects.regions.services import add_zone

    with transaction.atomic(), audit_context(Source.SYSTEM, detail="test"):
        zone = add_zone(cast.admin, cast.city, "葫芦岛高新技术产业开发区")  # code "…K01" among the counties
        for name, where in [("高新区新材料产业园项目", zone), ("葫芦岛市级统筹项目", cast.city),
                            ("连山区北部物流园项目", cast.lianshan), ("绥中县滨海旅游项目", cast.suizhong),
                            ("连山区安居工程", cast.lianshan), ("兴城市温泉康养项目", cast.suizhong)]:
            cast.project(name, where, Decimal("5000"))
    projects = Project.objects.filter(region__path__startswith=cast.city.path).order_by("region__code", "name", "pk")

    def in_database(rows=projects) -> list[int]:
        return list(rows.values_list("pk", flat=True))

    def sorted_again(region=cast.city) -> list[set[int]]:  # the regions each key query of list_keys read
        with CaptureQueriesContext(connection) as captured:
            keys = list_keys(projects, region)
        assert keys == in_database()
        return [regions_read(q["sql"]) for q in captured if "ORDER BY" in q["sql"] and "projects_project" in q["sql"]]

    assert sorted_again() == [set()]  # the whole city, once
    assert sorted_again() == []  # remembered
    project = cast.p_lianshan  # renamed: it may move within its county's run
    project_services.update_project(cast.admin, project.pk, project.version, {"name": "一号连山区化工项目"})
    assert sorted_again() == [{cast.lianshan.pk}]  # that county's projects alone
    project.refresh_from_db()  # moved to another county: both counties, in one query
    project_services.update_project(cast.admin, project.pk, project.version, {"region": cast.suizhong})
    assert sorted_again() == [{cast.lianshan.pk, cast.suizhong.pk}]
    assert sorted_again(None) == [set()]  # no one region (a superuser's list): every region's runs, once
    cast.project("连山区新建项目", cast.lianshan, Decimal("100"))
    assert sorted_again(None) == [{cast.lianshan.pk}]
    by_amount = projects.order_by("-total_investment", "pk")  # another order: the whole list, remembered
    assert list_keys(by_amount, cast.city) == in_database(by_amount)


def test_a_write_to_this_years_figures_leaves_last_years_standing(cast):
    def figure_queries(year: int) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            figures.year_figures(SYSTEM, year, date(year, 6, 5), cast.city)
        return [q["sql"] for q in queries if "SUM(" in q["sql"].upper()]

    figure_queries(2021), figure_queries(2022)
    project_services.save_annual_plan(cast.admin, cast.p_suizhong.pk, 2022, {"planned_investment": Decimal("7")})
    assert figure_queries(2021) == []  # every part remembered
    assert len(figure_queries(2022)) == 1
    project = cast.p_suizhong  # a project's own figures (its total) count in every year
    project_services.update_project(cast.admin, project.pk, project.version, {"total_investment": Decimal("90000")})
    assert len(figure_queries(2021)) == 1


def test_a_plan_moved_to_another_year_counts_for_every_year(cast):
    plan = AnnualPlan.objects.get(project=cast.p_suizhong, year=2022)
    assert plan.touched() == {(cast.suizhong.pk, 2022)}
    plan.year = 2021
    assert plan.touched() == {(cast.suizhong.pk, None)}


def test_a_write_in_a_region_deleted_since_moves_every_figure(cast):
    from keyprojects.regions.models import Region

    gone = Region.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    before = versions(scopes_of(cast.lianshan))
    changed(touches={(gone, 2022)})  # outside a transaction: counted at once
    assert moved(before) == {UNPLACED}


def test_the_counters_are_stored_under_the_scope_strings_they_always_had(cast):
    """``DataVersion.scope`` holds ``VersionScope.key``: the strings counters were stored
    under before the type existed, so a database's counters go on counting (no migration)."""
    assert [str(s) for s in (EVERY_WRITE, UNPLACED, LABEL_WRITES)] == ["", "*", "~"]
    assert [VersionScope.region("/210000/211400/").key, VersionScope.region_alone("/210000/211400/").key,
            VersionScope.region("/210000/").for_every_year().key,
            VersionScope.region_alone("/210000/211400/").for_year(2022).key] == [
        "/210000/211400/", "=/210000/211400/", "/210000/#", "=/210000/211400/@2022"]
    moving = ["", "/210000/", "/210000/211400/", "/210000/211400/211421/", "=/210000/211400/211421/",
              "/210000/@2022", "/210000/211400/@2022", "/210000/211400/211421/@2022", "=/210000/211400/211421/@2022"]
    standing = ["*", "~", "/210000/211400/211402/", "/210000/#", "/210000/@2021"]

    def stored() -> dict[str, int]:
        found = dict(DataVersion.objects.filter(scope__in=moving + standing).values_list("scope", "n"))
        return {scope: found.get(scope, 0) for scope in moving + standing}

    before = stored()
    project_services.save_annual_plan(cast.admin, cast.p_suizhong.pk, 2022, {"planned_investment": Decimal("1")})
    after = stored()
    assert {scope: after[scope] - before[scope] for scope in moving + standing} == {
        **dict.fromkeys(moving, 1), **dict.fromkeys(standing, 0)}


def test_only_a_regions_scope_is_narrowed_to_plan_years_and_only_once():
    with pytest.raises(ValueError, match="narrowed"):
        VersionScope.labels().for_year(2022)
    with pytest.raises(ValueError, match="narrowed"):
        VersionScope.region("/210000/").for_year(2022).for_every_year()
    with pytest.raises(ValueError, match="not a region path"):
        VersionScope.region_alone("210000")


def test_a_transaction_of_many_writes_registers_one_on_commit_callback(cast, django_capture_on_commit_callbacks):
    """``changed`` finds the callback it left in Django's ``connection.run_on_commit``, so a
    transaction moves each counter once, however many writes it makes."""
    before = versions([EVERY_WRITE, LABEL_WRITES, *scopes_of(cast.lianshan, cast.suizhong)])
    with reliance("Django's connection.run_on_commit entries being (savepoint ids, callback, robust): "
                  "core.versions.changed"):
        with transaction.atomic(), audit_context(Source.SYSTEM, detail="test"):
            with django_capture_on_commit_callbacks() as callbacks:
                for plan in AnnualPlan.objects.filter(project__in=[cast.p_lianshan, cast.p_suizhong], year=2022):
                    plan.planned_investment += 1
                    plan.save()
                sector = Sector.objects.get(pk=cast.sector.pk)
                sector.name = "精细化工及新材料"
                sector.save()
            # (besides those that seal the history rows into the audit chain)
            assert len([c for c in callbacks if getattr(c, "func", None) is core_versions._bump]) == 1
        after = versions(before)
        assert {scope: after[scope] - n for scope, n in before.items() if after[scope] != n} == dict.fromkeys(
            {EVERY_WRITE, LABEL_WRITES} | region_scopes(cast.lianshan.path, 2022) | region_scopes(cast.suizhong.path, 2022),
            1)


def test_a_history_row_written_alone_is_not_counted_as_a_write(cast):
    """History rows go with a write already counted: ``count_writes`` leaves the history models
    out, which it knows by simple-history's base class."""
    before = versions([EVERY_WRITE, *scopes_of(cast.lianshan)])
    with reliance("simple-history's history models subclassing HistoricalChanges: core.versions.count_writes"):
        with transaction.atomic(), audit_context(Source.SYSTEM, detail="test"):
            record = cast.p_lianshan.history.earliest("history_id")
            record.history_change_reason = "补记"
            record.save()
        assert moved(before) == set()


def test_a_write_before_the_counters_table_exists_is_left_uncounted(cast):
    """A data migration may write before the counters' own migration has run: its writes are
    not counted, and do not fail (``connection.introspection.table_names`` tells)."""
    with connection.schema_editor() as editor:
        editor.delete_model(DataVersion)
    try:
        with reliance("connection.introspection.table_names(): core.versions._bump"):
            changed(touches={(cast.lianshan.pk, 2022)})  # outside a transaction: counted at once
    finally:
        with connection.schema_editor() as editor:
            editor.create_model(DataVersion)
    assert not DataVersion.objects.exists()


def test_a_long_lists_order_and_years_stand_through_writes_in_other_cities(cast, client):
    with transaction.atomic(), audit_context(Source.SYSTEM, detail="test"):
        for n in range(55):
            cast.project(f"连山区测试项目{n:02d}", cast.lianshan, Decimal("600"))
    client.force_login(cast.admin)  # 葫芦岛市's: the list holds its projects only
    url = reverse("projects:list") + "?year=2022&page=2"

    def order_queries() -> tuple[int, list[str]]:
        """How many times the list's whole key order and its plan years were found; page 2."""
        with CaptureQueriesContext(connection) as queries:
            names = [p.name for p in client.get(url).context["page"]]
        return len([q for q in queries if ('"projects_project"."id" AS "pk"' in q["sql"] and "LIMIT" not in q["sql"])
                    or 'MIN("projects_annualplan"."year")' in q["sql"]]), names

    count, names = order_queries()
    assert count == 2 and len(names) == 7  # the city's 57 projects: the last 7 on page 2
    project = cast.p_jinzhou  # another city's project changes: the order stands
    project_services.update_project(cast.superuser, project.pk, project.version, {"name": "锦州港扩建工程（二期）"})
    assert order_queries() == (0, names)
    project = cast.p_suizhong  # one of the city's: the order is found again, and shows the change
    project_services.update_project(cast.admin, project.pk, project.version, {"name": "绥中风电项目"})
    count, names = order_queries()
    assert count == 2 and "绥中风电项目" in names


def test_a_citys_dashboard_stands_through_writes_in_other_cities(cast, client):
    client.force_login(cast.admin)
    url = reverse("dashboard") + "?year=2022&as_of=2022-06-05"

    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return [q["sql"] for q in captured]

    queries()
    repeat = len(queries())  # served from memory
    project = cast.p_jinzhou  # 锦州市's: as if nothing was written
    project_services.update_project(cast.superuser, project.pk, project.version, {"total_investment": Decimal("1")})
    assert len(queries()) == repeat
    project = cast.p_suizhong  # 葫芦岛市's: its figures are found again
    project_services.update_project(cast.admin, project.pk, project.version, {"total_investment": Decimal("90000")})
    assert [q for q in queries() if "SUM(" in q.upper()]

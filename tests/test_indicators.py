"""The indicator module on small hand-checked cases, and the stats command."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from keyprojects.indicators.engine import INDICATORS, percent, plan_stats, plans_in, to_json
from keyprojects.projects.models import AnnualPlan, Nature, Project

pytestmark = pytest.mark.django_db


def add(cast, name, nature, total, plan, started_on=None, where=None):
    project = Project.objects.create(name=name, region=where or cast.lianshan, total_investment=Decimal(total))
    AnnualPlan.objects.create(
        project=project, year=2021, nature=nature, planned_investment=Decimal(plan),
        started=started_on is not None, started_on=started_on,
    )
    return project


@pytest.fixture
def small(cast):
    """2021: two new (one started 3-10), three continuing (resumed 2-20 and 6-01, one 竣工 not resumed)."""
    add(cast, "新A", Nature.NEW, "1000", "400", date(2021, 3, 10))
    add(cast, "新B", Nature.NEW, "2000", "500")
    add(cast, "续C", Nature.CONTINUING, "30000", "6000", date(2021, 2, 20))
    add(cast, "续D", Nature.CONTINUING, "5000.5", "1000.25", date(2021, 6, 1), where=cast.suizhong)
    add(cast, "竣E", Nature.COMPLETING, "800", "300")


def test_counts_sums_and_rates_by_hand(cast, small):
    stats = plan_stats(plans_in(2021, cast.city), as_of=date(2021, 5, 31))
    assert stats["plan"] == {"count": 5, "total_investment": Decimal("38800.5"), "annual_plan": Decimal("8200.25")}
    assert stats["new_planned"]["count"] == 2 and stats["continuing_planned"]["count"] == 3
    assert stats["new_started"] == {"count": 1, "total_investment": Decimal("1000"), "annual_plan": Decimal("400")}
    # 续D resumed on 6-01: after the as-of date, so not counted yet
    assert stats["continuing_resumed"] == {"count": 1, "total_investment": Decimal("30000"), "annual_plan": Decimal("6000")}
    assert stats["started_or_resumed"]["count"] == 2
    assert stats["rates"] == {
        "start_or_resume_rate": Decimal("40.0"),  # 2 / 5
        "new_start_rate": Decimal("50.0"),  # 1 / 2
        "continuing_resume_rate": Decimal("33.3"),  # 1 / 3
        "completion_rate": Decimal("0.0"),  # no approved report yet
    }


def test_as_of_date_moves_the_figures(cast, small):
    stats = plan_stats(plans_in(2021, cast.city), as_of=date(2021, 6, 1))
    assert stats["continuing_resumed"]["count"] == 2
    assert stats["rates"]["continuing_resume_rate"] == Decimal("66.7")  # 2/3 rounds half-up


def test_region_narrows_to_the_county(cast, small):
    stats = plan_stats(plans_in(2021, cast.suizhong), as_of=date(2021, 12, 31))
    assert stats["plan"]["count"] == 1 and stats["continuing_resumed"]["count"] == 1


def test_rates_are_none_when_nothing_is_planned(cast):
    stats = plan_stats(plans_in(1999, cast.city))
    assert stats["plan"]["count"] == 0
    assert stats["rates"]["start_or_resume_rate"] is None


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(329, 500, "65.8"), (117, 268, "43.7"), (212, 232, "91.4"), (1, 8, "12.5"), (1, 3, "33.3"), (2, 3, "66.7"),
     (1, 16, "6.3")],  # 6.25 rounds half-up, not to even
)
def test_percent_rounds_half_up(numerator, denominator, expected):
    assert percent(numerator, denominator) == Decimal(expected)


def test_every_indicator_has_both_names_and_definitions():
    for indicator in INDICATORS.values():
        assert indicator.name_zh and indicator.name_en and indicator.definition_zh and indicator.definition_en


def test_json_amounts_are_decimal_strings():
    payload = to_json({"plan": {"count": 2, "total_investment": Decimal("26198000.0000"),
                                "annual_plan": Decimal("1234.5600")},
                       "rates": {"start_or_resume_rate": Decimal("50.0")}})
    assert payload == {"plan": {"count": 2, "total_investment": "26198000", "annual_plan": "1234.56"},
                       "rates": {"start_or_resume_rate": "50.0"}}


def test_stats_command_prints_json(cast, small, capsys):
    call_command("stats", region="葫蘆島市", year=2021, as_of="2021-05-31", json=True)
    payload = json.loads(capsys.readouterr().out)
    assert payload["plan"] == {"count": 5, "total_investment": "38800.5", "annual_plan": "8200.25"}
    assert payload["rates"]["start_or_resume_rate"] == "40.0"


def test_stats_command_prints_a_chinese_table(cast, small, capsys):
    call_command("stats", region="葫芦岛市", year=2021, as_of="2021-05-31")
    out = capsys.readouterr().out
    assert "开复工率：40.0%" in out and "年度计划项目" in out


@pytest.mark.parametrize(("options", "message"), [
    ({"region": "不存在市"}, "找不到区划"),
    ({"region": "葫芦岛市", "as_of": "2021-13-01"}, "格式不正确"),
])
def test_stats_command_errors_are_clear(cast, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("stats", year=2021, **options)


def test_year_on_year_amounts_in_percent_rates_in_points(cast):
    from keyprojects.core.permissions import SYSTEM
    from keyprojects.indicators import figures
    from keyprojects.indicators.engine import same_day_last_year, year_on_year

    def plan(name, year, nature, total, annual, started_on=None):
        project = Project.objects.create(name=name, region=cast.lianshan, total_investment=Decimal(total))
        AnnualPlan.objects.create(project=project, year=year, nature=nature, planned_investment=Decimal(annual),
                                  started=started_on is not None, started_on=started_on)

    # 2020: 2 projects, 1 started by 05-31 (50.0 %); 2021: 4 projects, 3 started (75.0 %)
    plan("旧甲", 2020, Nature.NEW, "1000", "400", date(2020, 4, 1))
    plan("旧乙", 2020, Nature.NEW, "1000", "600")
    for i, started in enumerate([date(2021, 3, 1), date(2021, 4, 1), date(2021, 5, 1), None]):
        plan(f"新{i}", 2021, Nature.NEW, "1000", "500", started)
    now = figures.year_figures(SYSTEM, 2021, date(2021, 5, 31), cast.lianshan)
    before = figures.year_figures(SYSTEM, 2020, same_day_last_year(date(2021, 5, 31)), cast.lianshan)
    yoy = year_on_year(now, before)
    assert yoy["plan"]["count"] == Decimal("100.0")  # 4 against 2 projects: +100 %
    assert yoy["plan"]["annual_plan"] == Decimal("100.0")  # 2000 against 1000 万元
    assert yoy["started_or_resumed"]["count"] == Decimal("200.0")  # 3 against 1
    assert yoy["rates"]["start_or_resume_rate"] == Decimal("25.0")  # 75.0 % − 50.0 % = 25 points
    assert yoy["completed_investment"] is None  # nothing completed a year ago: no base to compare


def test_same_day_last_year_handles_29_february():
    from keyprojects.indicators.engine import same_day_last_year

    assert same_day_last_year(date(2024, 2, 29)) == date(2023, 2, 28)


def test_breakdown_by_list_and_leader_counts_each_membership(cast):
    from keyprojects.core.permissions import SYSTEM
    from keyprojects.indicators import figures
    from keyprojects.projects.models import ProjectList

    bonds = ProjectList.objects.create(name="专项债券项目", year=2022)
    cast.p_lianshan.lists.add(bonds)
    cast.p_suizhong.lists.add(bonds)
    rows = {r["label"]: r for r in figures.breakdown(SYSTEM, 2022, date(2022, 12, 31), "list", cast.city)}
    assert rows["2022年专项债券项目"]["plan"]["count"] == 2
    leaders = {r["label"]: r for r in figures.breakdown(SYSTEM, 2022, date(2022, 12, 31), "leader", cast.city)}
    assert leaders["王建国（副市长）"]["plan"]["count"] == 1


def test_time_progress_counts_a_month_on_its_last_day():
    from keyprojects.indicators.engine import months_elapsed

    assert months_elapsed(2022, date(2022, 6, 5)) == 5
    assert months_elapsed(2022, date(2022, 6, 30)) == 6
    assert months_elapsed(2022, date(2023, 1, 1)) == 12
    assert months_elapsed(2022, date(2021, 12, 31)) == 0


def test_indicator_docs_are_current():
    """docs/indicators.md is generated from the indicator module: regenerate it after a change."""
    from io import StringIO
    from pathlib import Path

    out = StringIO()
    call_command("indicator_docs", stdout=out)
    committed = (Path(__file__).resolve().parent.parent / "docs" / "indicators.md").read_text(encoding="utf-8")
    assert committed.strip() == out.getvalue().strip()


def test_every_aggregate_whose_rows_are_added_up_is_a_plain_count_or_sum():
    """figures.py adds up the rows of the regions' parts (engine.add_up): exact for COUNT and
    SUM only. An average, a maximum or a distinct count added up would be wrong."""
    from django.db.models import Count, Sum, Value
    from django.db.models.functions import Coalesce

    from keyprojects.indicators import engine

    day = date(2022, 6, 5)
    aggregates = {**engine._aggregates(day), **engine._month_sums(day), **engine.LIST_SUMS,
                  **engine._problem_aggregates(date(2022, 1, 1), day), **engine._task_aggregates(day),
                  **engine._funding_aggregates(day)}
    assert len(aggregates) > 20
    for name, expression in aggregates.items():
        if isinstance(expression, Coalesce):  # COALESCE(SUM(...), 0): a sum with a zero for none
            expression, default = expression.get_source_expressions()
            assert isinstance(default, Value), name
        assert type(expression) in (Count, Sum) and not expression.distinct, f"{name} is not additive"


def test_stats_json_gives_each_rates_change_in_points_on_the_same_day_a_year_before(cast, capsys):
    def plan(name, year, total, started_on=None):
        project = Project.objects.create(name=name, region=cast.lianshan, total_investment=Decimal(total))
        AnnualPlan.objects.create(project=project, year=year, nature=Nature.NEW, planned_investment=Decimal("500"),
                                  started=started_on is not None, started_on=started_on)

    # 2020 on 05-31: 1 of 2 started (50.0 %); 2021: 3 of 4 (75.0 %), one started after 05-31
    plan("旧甲", 2020, "1000", date(2020, 4, 1))
    plan("旧乙", 2020, "1000", date(2020, 6, 1))
    for i, started in enumerate([date(2021, 3, 1), date(2021, 4, 1), date(2021, 5, 31), None]):
        plan(f"新{i}", 2021, "1000", started)
    call_command("stats", region="连山区", year=2021, as_of="2021-05-31", json=True)
    payload = json.loads(capsys.readouterr().out)
    assert set(payload["year_on_year"]) == {"start_or_resume_rate", "new_start_rate", "continuing_resume_rate",
                                            "completion_rate", "approvals_completion_rate"}
    assert payload["year_on_year"]["start_or_resume_rate"] == "25.0"  # points, with its one decimal
    assert payload["year_on_year"]["new_start_rate"] == "25.0"
    assert payload["year_on_year"]["continuing_resume_rate"] is None  # no continuing project either year
    call_command("stats", region="连山区", year=2021, as_of="2021-05-31")
    assert "开复工率：75.0%（同比 +25.0 个百分点）" in capsys.readouterr().out
    call_command("stats", region="连山区", year=2020, as_of="2020-05-31", json=True)
    assert set(json.loads(capsys.readouterr().out)["year_on_year"].values()) == {None}  # no 2019 plan (nor approvals)

"""One rule for amounts on a page (core.money.format_amount): sums in 亿元 with two decimals,
a single project's in 万元, the unit said once in the table's header."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse

from keyprojects.core import money


def test_a_sum_is_shown_in_yi_with_two_decimals_and_a_single_project_in_wan():
    assert money.format_amount(Decimal("26198000"), money.AGGREGATE) == "2,619.80"
    assert money.format_amount(Decimal("30"), money.AGGREGATE) == "0.00"  # why a project's is not in 亿元
    assert money.format_amount(Decimal("30"), money.SINGLE) == "30"
    assert money.format_amount(Decimal("12345.6700"), money.SINGLE) == "12,345.67"
    assert money.format_amount(None, money.SINGLE) == money.NO_VALUE


def test_an_amount_of_no_known_kind_is_refused():
    with pytest.raises(ValueError):
        money.format_amount(Decimal(1), "yi")


def test_the_templates_say_the_rule_and_its_unit():
    shown = Template('{% load money %}{{ a|aggregate }}|{{ a|single }}|{% unit_note "aggregate" %}|'
                     '{% unit_note "single" %}').render(Context({"a": Decimal("52000")}))
    assert shown == "5.20|52,000|单位：亿元|单位：万元"


@pytest.mark.django_db
def test_project_list_rows_are_in_wan_and_its_totals_in_yi(cast, client):
    client.force_login(cast.admin)
    page = client.get(reverse("projects:list"), {"year": 2022}).content.decode()
    assert "合计（单位：亿元）" in page
    assert '<strong class="num" data-total="total_investment">13.20</strong>' in page  # 52,000 + 80,000 万元
    assert "总投资（万元）" in page and '<td class="num">52,000</td>' in page
    assert "金额单位：万元（列表与合计以亿元显示）" not in page  # the footer that contradicted it


@pytest.mark.django_db
def test_funding_and_dashboard_tables_state_their_unit_in_the_header(cast, client):
    client.force_login(cast.admin)
    funding = client.get(reverse("funding:rounds")).content.decode()
    assert "单位：亿元" in funding and "（万元）" not in funding
    dashboard = client.get(reverse("dashboard"), {"year": 2022}).content.decode()
    assert "单位：亿元" in dashboard and "金额单位：亿元" in dashboard


@pytest.mark.django_db
def test_the_project_page_shows_the_projects_amounts_in_wan_only(cast, client):
    client.force_login(cast.admin)
    page = client.get(reverse("projects:detail", args=[cast.p_lianshan.pk])).content.decode()
    assert '<span class="num">52,000</span> 万元' in page
    assert "年度计划（万元）" in page
    assert "亿元" not in page  # a single project's 5.20 亿元 beside it said the amount twice

"""Amounts as people read them: 万元 stored, 亿元 shown, rounded half up, never through float."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from keyprojects.core.money import format_pct, format_wan, format_yi, parse_yi_to_wan, to_yi


def test_wan_converts_to_yi_exactly():
    assert to_yi(Decimal("26198000")) == Decimal("2619.8")
    assert to_yi(Decimal("0.0001")) == Decimal("0.00000001")
    assert to_yi(500) == Decimal("0.05")


@pytest.mark.parametrize(("wan", "shown"), [
    (Decimal("26198000"), "2,619.80"),
    (Decimal("26198000.0000"), "2,619.80"),
    (Decimal("0"), "0.00"),
    (Decimal("500"), "0.05"),
    (Decimal("49.9999"), "0.00"),
    (Decimal("50"), "0.01"),  # half up, not to even
    (Decimal("250"), "0.03"),  # banker's rounding would give 0.02
    (Decimal("1234567890.1234"), "123,456.79"),
    (Decimal("-150"), "-0.02"),
    (Decimal("-1"), "0.00"),  # never "-0.00"
    ("26198000", "2,619.80"),
    (None, "—"),
    ("", "—"),
])
def test_yi_shows_two_decimals_with_separators(wan, shown):
    assert format_yi(wan) == shown


def test_yi_can_show_other_precisions():
    assert format_yi(Decimal("26198000"), places=1) == "2,619.8"
    assert format_yi(Decimal("26198000"), places=0) == "2,620"


@pytest.mark.parametrize(("wan", "shown"), [
    (Decimal("12345.6700"), "12,345.67"),
    (Decimal("500.0000"), "500"),
    (Decimal("1000.5000"), "1,000.5"),
    (Decimal("0.0000"), "0"),
    (Decimal("12345.6750"), "12,345.68"),  # half up
    (Decimal("12345.6749"), "12,345.67"),
    (Decimal("0.0049"), "0"),
    (Decimal("-0.0049"), "0"),
    (Decimal("-2500.1000"), "-2,500.1"),
    (Decimal("1E+3"), "1,000"),
    (100, "100"),
    (None, "—"),
])
def test_wan_trims_trailing_zeros_to_at_most_two_decimals(wan, shown):
    assert format_wan(wan) == shown


@pytest.mark.parametrize(("rate", "shown"), [
    (Decimal("65.8"), "65.8%"),
    (Decimal("65.75"), "65.8%"),
    (Decimal("65.749"), "65.7%"),
    (Decimal("100"), "100.0%"),
    (Decimal("0"), "0.0%"),
    (Decimal("-3.25"), "-3.3%"),
    (Decimal("1234.5"), "1,234.5%"),
    (None, "—"),
])
def test_pct_shows_one_decimal(rate, shown):
    assert format_pct(rate) == shown


@pytest.mark.parametrize("text", [
    "2619.8", "2619.80", "2,619.80", " 2619.8 ", "２６１９．８", "2619.8亿元", "2619.8 亿", "２，６１９．８０亿元",
])
def test_yi_typed_or_pasted_is_read_into_wan(text):
    assert parse_yi_to_wan(text) == Decimal("26198000")


def test_yi_read_into_wan_keeps_the_stored_four_decimals():
    assert parse_yi_to_wan("0.00000001") == Decimal("0.0001")
    assert parse_yi_to_wan("0.000000015") == Decimal("0.0002")  # half up
    assert parse_yi_to_wan(Decimal("1.5")) == Decimal("15000")
    assert parse_yi_to_wan(3) == Decimal("30000")


@pytest.mark.parametrize("text", ["", "  ", "亿元", "abc", "NaN", "Infinity", "1.2.3", "一亿"])
def test_anything_but_a_number_is_refused_when_reading_yi(text):
    with pytest.raises(ValueError):
        parse_yi_to_wan(text)


@pytest.mark.parametrize("wan", [Decimal("26198000"), Decimal("12345.6789"), Decimal("0.5"), Decimal("99999999")])
def test_shown_yi_reads_back_within_half_a_hundredth(wan):
    assert abs(parse_yi_to_wan(format_yi(wan)) - wan) <= Decimal("50")


@pytest.mark.parametrize("format_amount", [format_yi, format_wan, format_pct, to_yi, parse_yi_to_wan])
def test_floats_are_refused_everywhere(format_amount):
    with pytest.raises(TypeError):
        format_amount(0.1)


def render(source, **context):
    return Template("{% load money %}" + source).render(Context(context))


def test_filters_format_amounts_in_templates():
    shown = render("{{ total|yi }} {{ total|yi:1 }} {{ plan|wan }} {{ rate|pct }} {{ missing|yi }} {{ none|wan }}",
                   total=Decimal("26198000"), plan=Decimal("12345.6700"), rate=Decimal("65.75"), none=None)
    assert shown == "2,619.80 2,619.8 12,345.67 65.8% — —"


def test_filters_show_a_non_number_as_it_is():
    assert render("{{ v|yi }}|{{ v|wan }}|{{ v|pct }}", v="未填报") == "未填报|未填报|未填报"

"""The one number formatter: hand-written expected strings for every kind of unit."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from aibm_core.core.formatting import format_bare, format_frame, format_range, format_value
from aibm_core.core.tree import format_value as tree_format_value


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (0.0026, "USD per request", "$0.00260 per request"),
        (60e6, "USD per month", "$60M per month"),
        (1.2e9, "USD", "$1.2B"),
        (37.76e6, "USD per month", "$37.76M per month"),
        (999_999_999.0, "USD", "$1B"),
        (12_345.4, "USD per contract", "$12,345 per contract"),
        (3.0, "USD per 1M tokens", "$3.00 per 1M tokens"),
        (0.035, "USD per 1K tokens", "$0.035 per 1K tokens"),
        (-1.5e6, "USD per month", "-$1.5M per month"),
        (2.5, "$ per GPU-hour", "$2.50 per GPU-hour"),
        (2.8e-11, "USD per month", "$0 per month"),  # rounding noise
        (0.5, "fraction", "50.0%"),
        (0.03, "fraction per month", "3.0% per month"),
        (0.0004, "fraction", "0.040%"),
        (-0.0, "fraction", "0.0%"),
        (12_345.6, "customers", "12,346 customers"),
        (1.23e9, "tokens per day", "1.23B tokens per day"),
        (4.5, "M tokens per customer per month", "4.5 M tokens per customer per month"),
        (14.23, "months", "14.2 months"),
        (36, "months", "36 months"),
        (12, "month", "month 12"),
        (4.5, "ratio", "4.5×"),
        (math.inf, "months", "never"),
        (math.inf, "USD per customer", "unbounded"),
        (-math.inf, "ratio", "-unbounded"),
        (math.nan, "fraction", "n/a"),
        (None, "USD", ""),
        (True, "switch", "on"),
        ("mix", "choice", "mix"),
    ],
)
def test_values_read_as_people_write_them(value, unit, expected):
    assert format_value(value, unit) == expected
    assert tree_format_value(value, unit) == expected  # the tree delegates


@pytest.mark.parametrize("value", [1e-7, 3.3e-5, 1e15, 123456789012.0, 7e20])
def test_never_scientific_notation(value):
    for unit in ("USD", "fraction", "customers", ""):
        text = format_value(value, unit)
        assert "e+" not in text and "e-" not in text, text


def test_ranges_say_the_unit_once():
    assert format_range(1.2e6, 2.5e6, "USD per month") == "$1.2M to $2.5M per month"
    assert format_range(0.4, 0.6, "fraction") == "40.0% to 60.0%"
    assert format_range(4, math.inf, "months") == "4 months to never"


def test_bare_values_drop_the_unit_words():
    assert format_bare(37.76e6, "USD per month") == "$37.76M"
    assert format_bare(0.03, "fraction per month") == "3.0%"
    assert format_bare(12_345, "customers") == "12,345"
    assert format_bare(math.inf, "months") == "never"


def test_a_frame_is_formatted_row_by_row_with_its_unit_column():
    frame = pd.DataFrame(
        {"base": [60e6, 0.5, 0.0026], "bear": [1.2e9, 0.25, math.nan], "unit": ["USD", "fraction", "USD"]},
        index=["revenue", "margin", "cost per request"],
    )
    out = format_frame(frame)
    assert list(out.columns) == ["base", "bear"]
    assert out.loc["revenue"].tolist() == ["$60M", "$1.2B"]
    assert out.loc["margin"].tolist() == ["50.0%", "25.0%"]
    assert out.loc["cost per request"].tolist() == ["$0.00260", "n/a"]
    assert format_frame(frame[["base"]], units="fraction").loc["margin", "base"] == "50.0%"
    assert format_frame(frame, keep_unit=True)["unit"].tolist() == ["USD", "fraction", "USD"]


def test_zero_reads_as_zero_not_as_cents():
    assert format_value(0.0, "USD per month") == "$0 per month"
    assert format_value(-0.0, "USD") == "$0"
    assert format_value(0.0, "customers") == "0 customers"
    assert format_bare(0.0, "USD per month") == "$0"
    assert format_value(0.004, "USD") == "$0.00400", "a small amount keeps its digits"


def test_projection_tables_show_exact_zeros_as_zero():
    from aibm_core.analysis.results import evaluate_scenario

    table = evaluate_scenario("ai_hardware", "seed").projection_summary()
    software = table.loc["Software revenue (USD per month)"].tolist()
    assert software == ["$0"] * len(software)  # the seed's hardware maker sells no software
    assert not table.isin(["$0.00", "0.00"]).to_numpy().any()


def test_projection_tables_show_counts_as_whole_numbers():
    from aibm_core.analysis.results import evaluate_scenario
    from aibm_core.core.formatting import is_count

    evaluation = evaluate_scenario("open_source_freemium", "seed")
    frame = evaluation.projection()
    assert 0 < frame.at[2, "enterprise_contracts"] % 1  # the model's expected count: 49.5 contracts
    table = evaluation.projection_summary(months=(2,))
    assert table.loc["Enterprise contracts (contracts)", "month 2"] in ("50", "49")
    assert is_count("contracts") and not is_count("USD per contract")

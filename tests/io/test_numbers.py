"""The number grammar of statistics offices: separators never change a value.
"""

from __future__ import annotations

import pandas as pd
import pytest

from quartier.errors import ConfigError, InputDataError
from quartier.io.numbers import parse_numbers
from quartier.pipeline.load import load_city
from tests.conftest import tiny_config


def parse(text: str, decimal: str = ",", thousands: str | None = None) -> float:
    values, _ = parse_numbers(pd.Series([text]), decimal, thousands, set(), "f.csv", "c",
                              pd.Series([2]))
    return float(values.iloc[0])


@pytest.mark.parametrize(("decimal", "thousands", "value", "fragment"), [
    (",", ".", "4.22594", "valid only before groups of exactly three digits"),
    (".", ",", "5,4", "valid only before groups of exactly three digits"),
    (",", None, "4.2", "decimal point"),
    (".", None, "4,2", "decimal comma"),
    (",", None, "1e400", "overflow to infinity"),
    (",", None, "inf", "not numbers"),
    (",", None, "12 5", "not numbers"),
])
def test_separators_never_change_a_value(tmp_path, decimal, thousands, value, fragment):
    csv_text = f"ID;EW;SGB2\n001;1000;{value}\n002;2000;20\n003;500;5\n004;800;12\n"
    cfg = tiny_config(tmp_path, csv=csv_text, table={"decimal": decimal, "thousands": thousands})
    with pytest.raises(InputDataError) as err:
        load_city(cfg)
    msg = str(err.value)
    assert "table.csv" in msg and "'SGB2'" in msg and "lines 2" in msg and fragment in msg


def test_valid_thousands_are_read(tmp_path):
    csv_text = "ID;EW;SGB2\n001;1.675;12,5\n002;12.345.678;−3,25\n003;1 500;5\n004;800;1.000,5\n"
    cfg = tiny_config(tmp_path, csv=csv_text, table={"thousands": "."},
                      **{"population_column": None})
    units, _ = load_city(cfg)
    assert units["ew"].tolist() == [1675, 12345678, 1500, 800]
    assert units["share_sgb2_pct"].tolist() == [12.5, -3.25, 5, 1000.5]


def test_decimal_and_thousands_must_differ(tmp_path):
    with pytest.raises(ConfigError, match="thousands and decimal are both ','"):
        tiny_config(tmp_path, table={"decimal": ",", "thousands": ","})
    with pytest.raises(ConfigError, match="decimal = ''"):
        tiny_config(tmp_path, table={"decimal": ""})
    with pytest.raises(ConfigError, match="sep = ';;'"):
        tiny_config(tmp_path, table={"sep": ";;"})


@pytest.mark.parametrize("text", ["0.675", "00.850", "٨٥٠", "８５０"])
def test_no_grouped_number_starts_with_zero_and_digits_are_ascii(text):
    with pytest.raises(InputDataError, match="not numbers|valid only before groups"):
        parse(text, ",", ".")


def test_a_trailing_percent_sign_is_read():
    assert parse("12,5 %") == 12.5 and parse("7%") == 7.0

"""Monitoring series as published: values and years checked, the file and line named.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quartier.errors import ConfigError, InputDataError
from tests.conftest import tiny_config


def series_config(tmp_path: Path, csv_text: str, **series) -> object:
    (tmp_path / "s.csv").write_text(csv_text, encoding="utf-8")
    spec = {"indicator": "anteil", "path": "s.csv", "key": "ID", "id_width": 3,
            "year_column": "Jahr", "value_column": "Wert", "sep": ";", "decimal": ",", **series}
    return tiny_config(tmp_path, monitor={"series": [spec]})


@pytest.mark.parametrize(("rows", "fragment"), [
    ("001;2020;150", "must lie in 0…100"),
    ("001;2020,7;10", "hold no year"),
    ("001;2020/21;10", "hold no year"),
    ("001;;10", "hold no year"),
])
def test_series_values_and_years_are_checked(tmp_path, rows, fragment):
    from quartier.io.series import read_series

    cfg = series_config(tmp_path, f"ID;Jahr;Wert\n{rows}\n", unit="%")
    with pytest.raises(InputDataError, match=fragment):
        read_series(cfg.monitor.series[0])


def test_yearly_files_name_the_file_and_its_line(tmp_path):
    from quartier.io.series import read_series

    (tmp_path / "y2020.csv").write_text("ID;Wert\n001;1\n002;abc\n", encoding="utf-8")
    (tmp_path / "y2021.csv").write_text("ID;Wert\n001;1\n", encoding="utf-8")
    (tmp_path / "y2022.csv").write_text("ID;Betrag\n001;1\n", encoding="utf-8")
    spec = {"indicator": "a", "files": {"2020": "y2020.csv", "2021": "y2021.csv"}, "key": "ID",
            "id_width": 3, "value_column": "Wert", "sep": ";"}
    cfg = tiny_config(tmp_path, monitor={"series": [spec]})
    with pytest.raises(InputDataError, match="y2020.csv line 3"):
        read_series(cfg.monitor.series[0])
    spec["files"] = {"2021": "y2021.csv", "2022": "y2022.csv"}
    cfg = tiny_config(tmp_path, monitor={"series": [spec]})
    with pytest.raises(InputDataError, match=r"y2022.csv: series column\(s\) 'Wert' not found"):
        read_series(cfg.monitor.series[0])
    with pytest.raises(ConfigError, match="keys must be years"):
        tiny_config(tmp_path, monitor={"series": [{**spec, "files": {"20x0": "y2021.csv"}}]})

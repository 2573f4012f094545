"""The city config: files that are no config, labels that clash, names that become columns.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from quartier.cli import app
from quartier.config import load_config, parse_config
from quartier.errors import ConfigError, InputDataError
from quartier.pipeline.load import load_city
from tests.conftest import tiny_config, tiny_units
from tests.hostile import write_city


def test_config_without_tables_checks(tmp_path):
    cfg = tmp_path / "c.toml"
    tiny_units().to_file(tmp_path / "units.gpkg")
    cfg.write_text('[city]\nname = "x"\n[units]\npath = "units.gpkg"\nid_column = "ID"\n'
                   'name_column = "NAME"\n', encoding="utf-8")
    res = CliRunner().invoke(app, ["check", str(cfg)])
    assert res.exit_code == 0, res.output
    assert "4 units" in res.output


def test_config_with_a_byte_order_mark(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_bytes(b"\xef\xbb\xbf" + '[city]\nname = "Köln"\ncrs = "EPSG:25832"\n'.encode())
    assert load_config(cfg).city.name == "Köln"


def test_deeply_nested_json_and_toml(tmp_path):
    (tmp_path / "t.json").write_text("[" * 200_000)
    cfg = tiny_config(tmp_path, table={"format": "json", "path": "t.json", "json_year": "2020"})
    with pytest.raises(InputDataError, match="not valid JSON"):
        load_city(cfg)
    (tmp_path / "c.toml").write_text("a = " + "[" * 5000 + "]" * 5000)
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "c.toml")


def test_config_that_is_a_folder(tmp_path):
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(tmp_path)


def test_duplicate_class_labels_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="status_labels must differ"):
        tiny_config(tmp_path, index={"status": [{"column": "share_sgb2_pct"}],
                                     "status_labels": ["a", "b", "b", "c"]})


def test_category_names_are_identifiers(tmp_path):
    raw = write_city(tmp_path)
    raw["access"]["categories"][r"k\x3cimg"] = {"label": "x", "good_m": 1, "limit_m": 2}
    with pytest.raises(ConfigError, match="become column names"):
        parse_config(raw, tmp_path)

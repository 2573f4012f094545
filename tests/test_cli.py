"""The CLI is thin: it calls the pipeline, prints reports and fails cleanly on user errors."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from quartier.analysis.priority import PRIORITY_COLUMNS
from quartier.cli import app
from quartier.paths import BERLIN_CONFIG

# the Berlin demo run is shared by these modules: keep them on one test worker
pytestmark = pytest.mark.xdist_group("berlin_demo")

runner = CliRunner()


def test_flag_writes_priority_contract(tmp_path):
    """`quartier flag` on Berlin's units and tables (the access part is tested by the demo)."""
    import tomllib

    import tomli_w

    raw = tomllib.loads(BERLIN_CONFIG.read_text(encoding="utf-8"))
    for section in ("pois", "access", "gaps", "sites", "monitor"):
        raw.pop(section, None)
    raw["units"]["path"] = str(BERLIN_CONFIG.parent / raw["units"]["path"])
    for t in raw["tables"]:
        t["path"] = str(BERLIN_CONFIG.parent / t["path"])
    cfg = tmp_path / "berlin_flag.toml"
    cfg.write_bytes(tomli_w.dumps(raw).encode("utf-8"))
    res = runner.invoke(app, ["flag", str(cfg), "--out", str(tmp_path), "--top", "5"])
    assert res.exit_code == 0, res.output
    assert "Top 5 priority units" in res.output
    df = pd.read_csv(tmp_path / "priority.csv", dtype={"unit_id": str}, encoding="utf-8-sig")
    assert list(df.columns[: len(PRIORITY_COLUMNS)]) == PRIORITY_COLUMNS
    assert len(df) == 542 and df["unit_id"].str.len().eq(8).all()
    assert (tmp_path / "priority.gpkg").exists() and (tmp_path / "priority.xlsx").exists()


def test_demo_prints_join_report_and_writes_everything(demo_run):
    out, output = demo_run
    assert "542 units" in output and "542/542" in output
    assert "ungültig (EW unter 300)" in output and "10100205" in output
    assert "people housed" in output and "gap candidates" in output
    for name in ("quartier_map.html", "report.html", "priority.csv", "access_units.csv",
                 "gaps.gpkg", "sites.csv", "review.sqlite"):
        assert (out / name).exists(), name


def test_check_user_error_is_a_message_not_a_traceback(tmp_path):
    bad = tmp_path / "quartier.toml"
    bad.write_text('[city]\nname = "X"\n[units]\npath = "nope.gpkg"\nid_column = "a"\n'
                   'name_column = "b"\n', encoding="utf-8")
    res = runner.invoke(app, ["check", str(bad)])
    assert res.exit_code == 2
    assert "file not found (units.path)" in res.output
    assert "Traceback" not in res.output


def test_init_template_has_every_section_and_key(tmp_path):
    """`quartier init PATH` without files: every key of every section, commented; never
    overwrites an existing file."""
    import tomllib
    from typing import get_origin

    from quartier.config import QuartierConfig
    from quartier.onboard.template import _model_of

    path = tmp_path / "stadt" / "quartier.toml"
    res = runner.invoke(app, ["init", str(path)])
    assert res.exit_code == 0, res.output
    text = path.read_text(encoding="utf-8")
    assert tomllib.loads(text) == {}          # all commented: nothing is assumed
    for key, fld in QuartierConfig.model_fields.items():
        model = _model_of(fld.annotation)
        if key == "base_dir":
            continue
        if model is None:
            assert f"# {key} = " in text
            continue
        assert f"[{key}]" in text
        for sub, sf in model.model_fields.items():
            assert f"# {sub} = " in text or f"   {sub} = {{" in text or (
                f"# [{key}.{sub}]" in text), (key, sub)
            inner = _model_of(sf.annotation)
            if inner is not None and get_origin(sf.annotation) is not dict and (
                    f"# [{key}.{sub}]" in text):   # a sub-table (units.grid): its keys too
                block = text.split(f"# [{key}.{sub}]", 1)[1]
                assert all(f"# {k} = " in block for k in inner.model_fields), (key, sub)
    again = runner.invoke(app, ["init", str(path)])
    assert again.exit_code == 2 and "not overwritten" in again.output

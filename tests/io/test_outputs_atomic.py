"""The one writer of output files: atomic, never outside ``out``, safe in a spreadsheet, and
nothing lost when a write fails, is interrupted or killed.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from quartier import pipeline
from quartier.errors import ConfigError
from quartier.io.escape import safe_filename
from quartier.io.outputs import OutputError, write_csv, write_table
from tests.conftest import tiny_config
from tests.hostile import hostile_config


def _complete(path: Path) -> bool:
    """A file that parses completely in its format."""
    if path.suffix == ".xlsx":
        load_workbook(path)
        return True
    if path.suffix == ".html":
        return path.read_text(encoding="utf-8").rstrip().endswith("</html>")
    if path.suffix == ".gpkg":
        return len(gpd.read_file(path)) >= 0
    return True


def test_negative_numbers_stay_numbers_in_xlsx(tmp_path):
    write_table(pd.DataFrame({"v": [-1.5, 2.0], "t": ["-1,5", "=2"]}), tmp_path / "x.csv")
    ws = load_workbook(tmp_path / "x.xlsx").active
    assert [c.value for c in ws["A"]][1:] == [-1.5, 2]
    assert [c.value for c in ws["B"]][1:] == ["-1,5", "'=2"]


def test_output_file_cannot_leave_out(tmp_path):
    with pytest.raises(ConfigError, match="not a column name"):
        tiny_config(tmp_path, map={"indicator": "../../x"})
    with pytest.raises(ConfigError, match="file name"):
        safe_filename("../x.html", "map.indicator")
    with pytest.raises(ConfigError, match="not a usable column name"):
        tiny_config(tmp_path, table={"columns": {"EW": {"name": "../ew"}}})


def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "priority.csv"
    write_csv(pd.DataFrame({"a": [1]}), target)
    old = target.read_bytes()

    def full_disk(self, path, *args, **kwargs):
        Path(path).write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    with pytest.raises(OutputError, match="the disk is full"):
        write_csv(pd.DataFrame({"a": [2]}), target)
    assert target.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["priority.csv"]


def test_ctrl_c_during_writing_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "t.csv"
    write_csv(pd.DataFrame({"a": [1]}), target)
    old = target.read_bytes()

    def interrupted(self, path, *args, **kwargs):
        Path(path).write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_csv(pd.DataFrame({"a": [2]}), target)
    assert target.read_bytes() == old and len(list(tmp_path.iterdir())) == 1


def test_out_that_is_a_file_or_unwritable(tmp_path):
    cfg = tiny_config(tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="--out must be a folder"):
        pipeline.run(cfg, tmp_path / "file")
    with pytest.raises(OutputError, match="cannot write"):
        pipeline.run(cfg, Path("/proc/quartier-out"))


def test_stale_temp_files_are_removed(tmp_path):
    cfg = tiny_config(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / ".priority.123.quartier-tmp.csv").write_text("half")
    pipeline.run(cfg, out)
    assert not list(out.glob(".*quartier-tmp*"))


@pytest.mark.slow
def test_kill_9_at_20_random_points_leaves_complete_files(tmp_path):
    """`quartier run` on the hostile city, killed with SIGKILL at 20 random moments: every
    output file is afterwards byte-identical to the complete old or the complete new version."""
    city = tmp_path / "city"
    hostile_config(city)
    exe = [sys.executable, "-m", "quartier.cli", "run", str(city / "cfg.toml"), "--out"]
    out = tmp_path / "out"
    subprocess.run([*exe, str(out)], check=True, capture_output=True, timeout=600)
    old = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.suffix != ".sqlite"}
    new_run = tmp_path / "ref"
    started = time.monotonic()
    subprocess.run([*exe, str(new_run)], check=True, capture_output=True, timeout=600)
    duration = time.monotonic() - started
    # tables are deterministic: a complete CSV equals the reference byte for byte
    tables = [n for n in old if n.endswith(".csv")]
    assert len(tables) >= 6
    assert all((new_run / n).read_bytes() == old[n] for n in tables)
    rng = np.random.default_rng(20)
    for delay in rng.uniform(0.5, duration, 20):
        proc = subprocess.Popen([*exe, str(out)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for p in out.iterdir():
            if p.name in tables:
                assert p.read_bytes() == old[p.name], f"{p.name} damaged by kill at {delay:.1f} s"
            elif p.name in old:
                # xlsx, gpkg and html hold timestamps or random element ids: parse them whole
                assert _complete(p), f"{p.name} is half-written after kill at {delay:.1f} s"
        with pytest.raises(ProcessLookupError):
            os.killpg(proc.pid, 0)   # no process of the run survived


def test_xlsx_cells_longer_than_excel_allows(tmp_path):
    from openpyxl import load_workbook

    from quartier.io.outputs import write_table

    write_table(pd.DataFrame({"t": ["x" * 40_000]}), tmp_path / "t.csv")
    cell = load_workbook(tmp_path / "t.xlsx").active["A2"].value
    assert len(cell) <= 32767 and cell.endswith("vollständig in der CSV]")
    assert len(pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig")["t"][0]) == 40_000

"""The one writer of output files: a failed write keeps the previous file and says why."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap

import geopandas as gpd
import pyogrio
import pytest
import tomli_w
from shapely.geometry import box

from quartier.io.outputs import OutputError, write_gpkg
from tests.conftest import tiny_units


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def layer(n: int = 3) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"a": range(n)}, geometry=[box(i, 0, i + 1, 1) for i in range(n)],
                            crs="EPSG:25833")


def test_gdal_error_while_writing_a_geopackage_keeps_the_old_file(tmp_path, monkeypatch):
    """Issue 20.10: a full disk while writing priority.gpkg ended in pyogrio's DataSourceError
    traceback (GDAL's errors are not OSError)."""
    target = tmp_path / "priority.gpkg"
    write_gpkg(layer(), target, "priority")
    old = sha(target)

    def full_disk(self, path, *args, **kwargs):
        (tmp_path / path).write_bytes(b"half")
        raise pyogrio.errors.DataSourceError("sqlite3_exec(COMMIT) failed: database or disk is full")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", full_disk)
    with pytest.raises(OutputError) as err:
        write_gpkg(layer(5), target, "priority")
    msg = str(err.value)
    assert "priority.gpkg: cannot write (the disk is full)" in msg and "unchanged" in msg
    assert sha(target) == old and [p.name for p in tmp_path.iterdir()] == ["priority.gpkg"]


@pytest.mark.skipif(sys.platform != "linux", reason="file size limit of a Linux process")
def test_flag_on_a_full_disk_is_a_message_and_the_old_outputs_stay(tmp_path):
    """A real write failure: the process may write files of at most 60 KB (RLIMIT_FSIZE, as a
    nearly full disk); a GeoPackage needs more. `quartier flag` exits with 2 and a message."""
    tiny_units().to_file(tmp_path / "units.gpkg", driver="GPKG")
    (tmp_path / "t.csv").write_text("ID;EW;SGB2;ALG\n001;1000;10,5;3\n002;2000;20,0;4\n"
                                    "003;500;5,25;5\n004;800;12,0;7\n", encoding="utf-8")
    cfg = {"city": {"name": "Test (generated)", "crs": "EPSG:25833"},
           "units": {"path": "units.gpkg", "id_column": "ID", "id_width": 3,
                     "name_column": "NAME"},
           "tables": [{"name": "t", "path": "t.csv", "sep": ";", "decimal": ",", "key": "ID",
                       "id_width": 3, "columns": {"EW": {"name": "ew"},
                                                  "SGB2": {"name": "sgb2"}, "ALG": {"name": "alg"}}}],
           "population_column": "ew",
           "index": {"status": [{"column": "sgb2"}, {"column": "alg"}], "min_population": 0}}
    (tmp_path / "c.toml").write_bytes(tomli_w.dumps(cfg).encode())
    out = tmp_path / "out"
    first = subprocess.run([sys.executable, "-m", "quartier", "flag", str(tmp_path / "c.toml"),
                            "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    old = sha(out / "priority.gpkg")
    script = textwrap.dedent(f"""
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a write beyond the limit fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))
        from quartier.cli import app
        sys.argv = ["quartier", "flag", {str(tmp_path / 'c.toml')!r}, "--out", {str(out)!r}]
        app()
    """)
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300)
    output = res.stdout + res.stderr
    assert res.returncode == 2, output
    assert "priority.gpkg: cannot write" in output.replace("\n", "")
    assert "Traceback" not in output
    assert sha(out / "priority.gpkg") == old
    assert not [p for p in out.iterdir() if "quartier-tmp" in p.name]

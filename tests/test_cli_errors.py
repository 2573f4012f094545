"""The command line's errors: every QuartierError is exit 2 with a message, Ctrl-C exit 130.
"""

from __future__ import annotations

import builtins
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from quartier import pipeline
from quartier.cli import app
from tests.conftest import tiny_units
from tests.hostile import hostile_config


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (the ``ps`` that lists them excluded)."""
    out = subprocess.run(["ps", "-o", "pid=,comm=", "--ppid", str(pid)], capture_output=True,
                         text=True)
    return [int(line.split()[0]) for line in out.stdout.splitlines() if line.split()[1:] != ["ps"]]


runner = CliRunner()


def test_ctrl_c_in_the_cli_is_a_message_and_exit_130(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "run", interrupted)
    cfg = tmp_path / "c.toml"
    cfg.write_text('[city]\nname = "x"\n', encoding="utf-8")
    res = CliRunner().invoke(app, ["run", str(cfg), "--out", str(tmp_path / "o")])
    assert res.exit_code == 130 and "Abgebrochen (Ctrl-C)" in res.output


def test_every_quartier_error_is_exit_2_without_traceback(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[city]\nname = "x"\ncrs = "EPSG:3857"\n[units]\npath = "u.gpkg"\n'
                   'id_column = "ID"\nname_column = "NAME"\n', encoding="utf-8")
    tiny_units().to_file(tmp_path / "u.gpkg")
    res = CliRunner().invoke(app, ["check", str(cfg)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "stretches distances" in res.output


def test_flag_starts_no_worker_processes(tmp_path):
    """esda's G_Local defaults to n_jobs=-1: loky workers that outlive a killed parent."""
    cfg = hostile_config(tmp_path / "city")
    before = set(_children(os.getpid()))
    pipeline.flag(cfg, tmp_path / "out")
    assert set(_children(os.getpid())) - before == set()


def test_init_under_a_file_is_a_message(tmp_path):
    (tmp_path / "afile").write_text("x")
    res = runner.invoke(app, ["init", str(tmp_path / "afile" / "x.toml")])
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_ctrl_c_while_importing_is_a_message(monkeypatch, capsys):
    from quartier import __main__ as entry

    real_import = builtins.__import__

    def interrupted(name, *args, **kwargs):
        if name == "quartier.cli":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "quartier.cli", raising=False)
    monkeypatch.setattr(builtins, "__import__", interrupted)
    with pytest.raises(SystemExit) as exc:
        entry.main()
    assert exc.value.code == 130 and "Abgebrochen (Ctrl-C)" in capsys.readouterr().err

"""The API reference builds without a warning (mkdocs --strict), and the layer map in
docs/layers.md names every module of the package."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_api_reference_builds_strictly(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                           "-d", str(tmp_path / "site")], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "site" / "api" / "flag" / "index.html").read_text(encoding="utf-8")
    assert "Getis, A. and Ord" in page and "Parameters" in page


def test_layer_map_names_every_module():
    text = (ROOT / "docs" / "layers.md").read_text(encoding="utf-8")
    modules = [p.relative_to(ROOT).as_posix() for p in (ROOT / "quartier").rglob("*.py")
               if p.name != "__init__.py"]
    assert [m for m in modules if f"`{m}`" not in text] == []

"""Golden outputs of the Berlin demo (issue 21): the values of priority.csv, areas.csv,
access_units.csv, sites.csv, robustness.csv and the gap ids, pinned column by column, so that a
refactoring provably changes nothing. Timestamps and file bytes are not compared; floats are
compared to 9 significant digits.

After a deliberate change of results, write the new digests with
``QUARTIER_UPDATE_GOLDEN=1 pytest tests/pipeline/test_golden.py`` and say in the commit what changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

pytestmark = pytest.mark.xdist_group("berlin_demo")   # one demo run per worker
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "berlin_demo.json"
#: file → the column its rows are sorted by
FILES = {"priority.csv": "unit_id", "areas.csv": "area_id", "access_units.csv": "unit_id",
         "sites.csv": "site_id", "robustness.csv": "unit_id"}


def canonical(values: pd.Series) -> str:
    """A column as text: numbers to 9 significant digits, missing as empty."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        x = values.to_numpy(dtype="float64")
        return "\n".join("" if not np.isfinite(v) else f"{v:.9g}" for v in x)
    return "\n".join("" if pd.isna(v) else str(v) for v in values)


def digests(out: Path) -> dict[str, dict[str, str]]:
    result = {}
    for name, key in FILES.items():
        df = pd.read_csv(out / name, encoding="utf-8-sig", dtype={key: str, "unit_id": str})
        df = df.sort_values(key, kind="stable").reset_index(drop=True)
        result[name] = {c: hashlib.sha256(canonical(df[c]).encode()).hexdigest()[:16]
                        for c in df.columns}
        result[name]["__rows__"] = str(len(df))
    gaps = pyogrio.read_dataframe(out / "gaps.gpkg", layer="candidates", read_geometry=False)
    result["gaps.gpkg"] = {"gap_id": hashlib.sha256("\n".join(sorted(gaps["gap_id"])).encode())
                           .hexdigest()[:16], "__rows__": str(len(gaps))}
    return result


def test_berlin_demo_outputs_are_unchanged(demo_run):
    out, _ = demo_run
    got = digests(out)
    if os.environ.get("QUARTIER_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        pytest.skip("golden digests written")
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    changed = {f: sorted(c for c in set(want[f]) | set(got.get(f, {}))
                         if want[f].get(c) != got.get(f, {}).get(c)) for f in want}
    changed = {f: c for f, c in changed.items() if c}
    assert not changed, f"outputs changed (file: columns): {changed}"

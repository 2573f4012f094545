"""Where the data shipped with quartier lies: ``data/`` in a checkout, ``quartier/_data`` in an
installed wheel."""

from __future__ import annotations

from pathlib import Path

#: Folder of the embedded data: ``data/`` in a checkout, ``quartier/_data`` in a wheel.
_HERE = Path(__file__).resolve().parent   # the package folder (data/ beside it in a checkout)

DATA_DIR = next(
    (p for p in (_HERE / "_data", _HERE.parent / "data") if (p / "berlin").is_dir()),
    _HERE.parent / "data",
)

BERLIN_CONFIG = DATA_DIR / "berlin" / "quartier.toml"

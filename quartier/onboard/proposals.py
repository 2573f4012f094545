"""What `init` proposes beyond reading the files: shares from counts (``[[derive]]``), residents
from the census grid shipped with quartier where no table holds them, the index and areas.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from quartier.analysis.derive import looks_like_count
from quartier.onboard.document import Section
from quartier.onboard.units import slug

#: The Zensus 2011 1 km grid of residents shipped with quartier (data/germany_1km).
CENSUS_GRID_FILE = "continuous_Einwohner.parquet"
CENSUS_GRID_YEAR = 2011
#: Germany in lon/lat (the census grid covers it).
GERMANY_LONLAT = (5.8, 47.2, 15.1, 55.1)
#: Columns counting households: their shares are of the households' total, not of residents.
HOUSEHOLDS = re.compile(r"(^|_)hh|haushalt")
#: Words that say how a column counts, not what: dropped when columns are compared.
_COUNT_WORDS = {"anzahl", "anteil", "in", "pct", "prozent", "quote", "x", "je", "von", "der",
                "an", "und", "insgesamt"}


def _tokens(name: str) -> set[str]:
    return {t for t in slug(name).split("_") if t and t not in _COUNT_WORDS}


def derive_proposals(values: dict[str, pd.Series], units: dict[str, str], labels: dict[str, str],
                     population: str | None, used: set[str]) -> list[Section]:
    """``[[derive]]`` ratios for the count columns: ``count / parent × 100`` where a count
    column's name extends another's (``hh_priv_1`` of ``hh_priv``, ``einwohner_auslaender`` of
    ``einwohner``) and it never exceeds it, else ``count / population × 100``. Counts that are
    population-sized themselves (the population of another year) and counts that have a share
    column beside them are left as they are."""
    pop = values.get(population) if population else None
    whole = [n for n, v in values.items() if n != population and units.get(n, "") != "%"
             and _whole_counts(v)]
    counts = [n for n in whole if looks_like_count(n, values[n], units.get(n, ""), pop)]
    shares = [n for n, u in units.items() if u == "%"]
    out = []
    for name in whole:
        num = values[name]
        if any(_tokens(name) and _tokens(name) == _tokens(s) for s in shares):
            continue
        parents = [p for p in [*whole, *([population] if population else [])]
                   if p != name and name.startswith(p) and _at_most(num, values[p])]
        family = [p for p in whole if HOUSEHOLDS.search(p) and p != name
                  and _at_most(num, values[p])] if HOUSEHOLDS.search(name) else []
        if HOUSEHOLDS.search(name) and not family:
            continue   # the households' total itself, or households without a total
        if not parents and not family and name not in counts:
            continue
        den = max(parents, key=len) if parents else (family[0] if family else population)
        if den is None or den not in values:
            continue
        ratio = (num / values[den].where(values[den] > 0)).dropna()
        if not len(ratio) or (den == population and ratio.median() > 0.8):
            continue
        new = f"{name}_anteil_pct"
        if new in used:
            continue
        used.add(new)
        sec = Section("derive", array=True)
        sec.add("name", new)
        sec.add("kind", "ratio")
        sec.add("columns", [name, den], f"{labels.get(name, name)} is a count: its share of "
                f"{labels.get(den, den)} measures need, the count measures size")
        sec.add("unit", "%")
        sec.add("label", f"{labels.get(name, name)} je 100 {labels.get(den, den)}")
        out.append(sec)
    return out


def _whole_counts(v: pd.Series) -> bool:
    x = v.dropna()
    return len(x) >= 3 and bool((x == x.round()).all()) and x.min() >= 0 and x.median() >= 20


def _at_most(a: pd.Series, b: pd.Series) -> bool:
    both = pd.concat([a, b], axis=1, join="inner").dropna()
    return len(both) >= 3 and bool((both.iloc[:, 0] <= both.iloc[:, 1] * 1.0001).mean() >= 0.95)


def census_population(data_dir: Path, base: Path, lonlat_bounds: tuple[float, ...]
                      ) -> Section | None:
    """``[population] grid`` from the census grid shipped with quartier, when the city lies in
    Germany (the grid's extent)."""
    path = data_dir / "germany_1km" / CENSUS_GRID_FILE
    w, s, e, n = lonlat_bounds
    x0, y0, x1, y1 = GERMANY_LONLAT
    if not path.is_file() or not (x0 <= w and e <= x1 and y0 <= s and n <= y1):
        return None
    sec = Section("population", comment=f"residents from the Zensus {CENSUS_GRID_YEAR} 1 km grid "
                  "shipped with quartier: no table holds residents per unit")
    rel = _relative(path, base)
    sec.add("grid", {"path": rel, "value": "Einwohner", "x": "x", "y": "y", "cell_m": 1000,
                     "crs": "EPSG:3035"},
            f"residents in {CENSUS_GRID_YEAR} (Zensus), 1 km cells split by area: a coarse "
            "estimate — a population table of your office is better", "likely")
    sec.add("column", f"einwohner_zensus{CENSUS_GRID_YEAR}")
    return sec


def _relative(path: Path, base: Path) -> str:
    import os

    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return os.path.relpath(path.resolve(), base.resolve())


def index_candidates(units: dict[str, str], values: dict[str, pd.Series], derived: list[str]
                     ) -> list[str]:
    """Shares first (a higher share is more need for most social indicators), then the rest."""
    shares = [n for n, u in units.items() if u == "%"] + derived
    return shares or [n for n in values if not re.search(r"(^|_)x?\d{4}$", n)]

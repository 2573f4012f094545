"""Which column of a table holds the units' keys, at which level, and which rows are no unit.

A key is the column whose values match the units' ids or names best — exactly, then after
normalising the spelling (:func:`quartier.io.names.normalise_name`), then by a close spelling that is
proposed as an alias — never a column of measures. Rows that match no unit are classified: the
city total (its name, "Gesamt", "insgesamt", "Summe", values equal to the sum of the units), a
coarser area (a Bezirk row in a table of Ortsteile), persons not assigned to any area; those are
dropped with their evidence. A close spelling is never proposed for such a row: "Hamburg" is the
city, not the quarter "Harburg".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from quartier.errors import rows_preview
from quartier.io.names import normalise_name
from quartier.io.tables import join_columns
from quartier.onboard.units import KeyOption

#: Rows that total the city or a district.
TOTAL = re.compile(r"\b(gesamt|insgesamt|summe|total|zusammen|gesamtstadt|stadtgebiet|"
                   r"stadt insgesamt)\b|^stadt\b|^(landkreis|kreis|land|region)\b", re.I)
#: Words of a total beside a name ("Stadt München", "Jena (gesamt)", "Berlin insgesamt").
TOTAL_WORDS = re.compile(r"\b(stadt|gesamt|insgesamt|summe|total|gesamtstadt)\b", re.I)
#: Words naming the level of a row ("Bezirk Altona", "Stadtbezirk Mitte").
LEVEL_WORDS = re.compile(r"\b(stadtbezirk|bezirk|bezirksamt|bezirksregion|stadtteil|ortsteil|"
                         r"ortsamt|ortsamtsbereich|stadtbereich|planungsraum)\b", re.I)
#: Rows of persons or cases that no area holds.
UNASSIGNED = re.compile(r"nicht zu(geordnet|zuordnen|ordenbar)|au(ß|ss)erhalb|sonstige|unbekannt|"
                        r"ohne (angabe|zuordnung)|keine zuordnung|n\. ?z\.", re.I)
#: Column names of measures: numbers under them are values, not ids.
MEASURE_HINT = re.compile(r"wert|anzahl|anteil|quote|%|prozent|rang|dichte|\bje\b|summe|zahl|"
                          r"betrag|index|saldo|value|count|rate|score|menge|fläche|flaeche")
#: A close spelling counts from this similarity (0–100, rapidfuzz ratio of normalised names).
FUZZY_CUTOFF = 85.0


def key_text(values: pd.Series) -> pd.Series:
    """Cells as key text: stripped, '12.0' (a spreadsheet number) as '12'."""
    codes, uniques = pd.factorize(values.astype("string").fillna(""))
    u = pd.Series(uniques, dtype="string").str.strip().str.replace(r"^(\d+)\.0$", r"\1",
                                                                   regex=True)
    return pd.Series(u.to_numpy()[codes], index=values.index, dtype="string")


@dataclass
class Keys:
    """A column's distinct key texts with their row codes: long tables repeat each key once per
    year and variable, so matching works on the distinct values."""

    index: pd.Index
    codes: np.ndarray
    text: list[str]
    counts: np.ndarray
    measure: bool

    @cached_property
    def normalised(self) -> list[str]:
        return [normalise_name(k) if k else "" for k in self.text]


def column_keys(values: pd.Series) -> Keys:
    text = key_text(values)
    codes, uniques = pd.factorize(text)
    u = [str(x) for x in uniques]
    counts = np.bincount(codes, minlength=len(u)) if len(u) else np.zeros(0, int)
    filled = [k for k in u if k]
    decimals = sum(1 for k in filled if _DECIMAL.fullmatch(k))
    return Keys(values.index, codes, u, counts, bool(filled) and decimals > 0.5 * len(filled))


_DECIMAL = re.compile(r"-?\d+[.,]\d*[1-9]\d*")


@dataclass
class Target:
    """What a table key may match: the units' ids (one option), their names, or a coarser
    area's ids or names."""

    join: str
    level: str
    column: str
    values: pd.Series
    option: KeyOption | None = None
    width: int | None = None

    @cached_property
    def lookup(self) -> dict[str, str]:
        if self.join == "id":
            return {v: v for v in self.values}
        return {normalise_name(v): v for v in self.values}

    @cached_property
    def n(self) -> int:
        return max(int(self.values.nunique()), 1)

    @cached_property
    def exact(self) -> set[str]:
        return set(self.values)

    @cached_property
    def by_number(self) -> dict[str, str]:
        """Digit ids by their number ('01100101' and '1100101' are one id): where a file lost
        its leading zeros, on either side. Numbers two ids share are left out."""
        numbers: dict[str, list[str]] = {}
        for v in self.values:
            if v.isdigit():
                numbers.setdefault(v.lstrip("0") or "0", []).append(v)
        return {n: vs[0] for n, vs in numbers.items() if len(vs) == 1}

    @cached_property
    def position(self) -> dict[str, int]:
        """Each value's unit (its position), for values that name one unit only."""
        counts = self.values.value_counts()
        return {v: i for i, v in enumerate(self.values) if counts[v] == 1}


@dataclass
class Match:
    """A table column (or several, joined) matched to a target."""

    columns: list[str]
    target: Target
    keys: Keys
    hits: list[str]             # per distinct key: the target value it matches ('' if none)
    rate: float                 # matched rows / non-empty rows
    coverage: float             # targets with a row / targets
    spelled: int = 0            # rows matched only after normalising the spelling
    padded: bool = False

    @property
    def score(self) -> tuple:
        return (round(self.coverage, 3), round(self.rate, 3), self.target.level == "unit",
                self.target.join == "id", -len(self.columns), -self.spelled)

    @cached_property
    def matched(self) -> pd.Series:
        """Per row the target value it matches ('' if none)."""
        hits = np.asarray(self.hits, dtype=object)
        return pd.Series(hits[self.keys.codes] if len(hits) else [], index=self.keys.index,
                         dtype="string")


def match_keys(keys: Keys, target: Target, columns: list[str]) -> Match | None:
    """The match of a column's keys with a target, or None when no key matches."""
    lookup = target.lookup
    padded = False
    if target.join == "id":
        numbers = target.by_number
        hits = [lookup.get(k) or (numbers.get(k.lstrip("0") or "0", "") if k.isdigit() else "")
                for k in keys.text]
        padded = any(h and h != k for k, h in zip(keys.text, hits, strict=True))
        spelled = 0
    else:
        hits = [lookup.get(n, "") if n else "" for n in keys.normalised]
        spelled = int(sum(c for k, h, c in zip(keys.text, hits, keys.counts, strict=True)
                          if h and k not in target.exact))
    hit = np.array([bool(h) for h in hits])
    if not hit.any():
        return None
    filled = np.array([bool(k) for k in keys.text])
    rate = float(keys.counts[hit].sum() / max(keys.counts[filled].sum(), 1))
    coverage = len({h for h in hits if h}) / target.n
    return Match(columns, target, keys, hits, rate, coverage, spelled, padded)


def match_column(values: pd.Series, target: Target) -> tuple[pd.Series, int, bool]:
    """Per row the target value it matches ('' if none), the rows matched only after
    normalising, and whether ids were zero-padded."""
    m = match_keys(column_keys(values), target, [])
    if m is None:
        return pd.Series("", index=values.index, dtype="string"), 0, False
    return m.matched, m.spelled, m.padded


def best_match(df: pd.DataFrame, targets: list[Target], skip: set[str],
               cache: dict[str, Keys] | None = None) -> Match | None:
    """The column (or pair/triple of digit columns joined) whose values match a target best;
    ``cache`` keeps each column's distinct keys between calls on the same table."""
    cache = {} if cache is None else cache
    found: list[Match] = []
    for c in df.columns:
        if c in skip:
            continue
        if c not in cache:
            cache[c] = column_keys(df[c])
        keys = cache[c]
        if not any(keys.text):
            continue
        for t in targets:
            m = match_keys(keys, t, [c])
            # numbers with decimals, or numbers under a measure's name ("Wert", "Rang"), are
            # a key only where they match (nearly) every unit and row: "1.01" may be a code,
            # "1, 2, 3" in a value column is no id
            measure = keys.measure or (MEASURE_HINT.search(str(c).casefold()) is not None
                                       and all(k.isdigit() for k in keys.text if k))
            if m is not None and (not measure or min(m.coverage, m.rate) >= 0.9):
                found.append(m)
    whole = max((m.coverage for m in found if m.target.level == "unit"), default=0.0)
    if whole < 0.5:
        found += _split_ids(df, [t for t in targets if t.join == "id" and t.level == "unit"])
    if not found:
        return None
    return _consistent(max(found, key=lambda m: m.score), found)


def _consistent(best: Match, found: list[Match]) -> Match:
    """A column of small numbers (a rank, a count of Kitas) can match the units' numbers
    1…n by chance: where a name column of the same table matches the units too, the two must
    name the same unit in each row, else the names are the key."""
    if best.target.join != "id" or best.target.level != "unit":
        return best
    names = [m for m in found if m.target.join == "name" and m.target.level == "unit"
             and m.coverage >= 0.9 and m.columns != best.columns
             and len(m.target.values) == len(best.target.values)]
    for m in sorted(names, key=lambda m: m.score, reverse=True):
        a = best.matched.map(best.target.position)
        b = m.matched.map(m.target.position)
        both = a.notna() & b.notna()
        if both.any() and (a[both] == b[both]).mean() < 0.9:
            return m
    return best


def _split_ids(df: pd.DataFrame, targets: list[Target]) -> list[Match]:
    """Ids split over neighbouring columns (Bezirk + Ortsteil + Block)."""
    digits = [c for c in df.columns
              if key_text(df[c]).str.fullmatch(r"\d+").fillna(False).mean() > 0.9]
    out = []
    for size in (2, 3, 4):
        for i in range(len(digits) - size + 1):
            cols = digits[i:i + size]
            keys = column_keys(join_columns(df, cols))
            for t in targets:
                m = match_keys(keys, t, cols)
                if m is not None and m.coverage >= 0.5 and m.rate >= 0.5:
                    out.append(m)   # chance matches of class codes are none
    return out


# ------------------------------------------------------------------------- rows that are no unit


@dataclass
class RowVerdict:
    """Rows of a table that match no unit, and why each is dropped or kept."""

    drop: dict[str, str] = field(default_factory=dict)      # key → reason
    keep: list[str] = field(default_factory=list)
    aliases: dict[str, str | list[str]] = field(default_factory=dict)
    alias_evidence: list[str] = field(default_factory=list)


def _row_text(df: pd.DataFrame, index: object) -> str:
    return " ".join(str(v) for v in df.loc[index].tolist() if str(v).strip())


def classify_rows(df: pd.DataFrame, key: pd.Series, match: Match, *, city: str | None,
                  groups: list[pd.Series], values: pd.DataFrame | None) -> RowVerdict:
    """Sort the unmatched keys into dropped rows (totals, coarser areas, unassigned) with their
    reason, aliases (a close spelling, or several unit names joined by 'und'/'/'), and kept rows
    (listed by the join report as unmatched).

    A row is the city's when its key, without the words of a total ("Stadt", "gesamt"), is the
    city's name — "Hamburg-Nord" in another column or "HafenCity (Hamburg)" are not. A row whose
    values are the sum of the units' (counts) or their average (shares) is a total whatever it
    is called: that keeps "Hamburg" from becoming an alias of "Harburg" when the city's name is
    not known.
    """
    verdict = RowVerdict()
    unmatched = key[match.matched.eq("") & key.ne("")]
    if not len(unmatched):
        return verdict
    city_key = normalise_name(city) if city else None
    group_names = {normalise_name(v) for g in groups for v in g if v}
    target = match.target
    lookup = target.lookup if target.join == "name" else {}
    used = set(match.matched[match.matched.ne("")])
    order = _unit_order(match, unmatched.index)
    names_elsewhere = target.join == "id"   # an id key: the row's name is in another cell
    for k, rows in unmatched.groupby(unmatched, sort=False):
        text = _row_text(df, rows.index[0]) if names_elsewhere else k
        nk = normalise_name(TOTAL_WORDS.sub(" ", k))
        if TOTAL.search(k) or TOTAL.search(text):
            verdict.drop[k] = "a total row (its name says so)"
        elif city_key and (nk == city_key or (names_elsewhere and city_key in {
                normalise_name(TOTAL_WORDS.sub(" ", c)) for c in df.loc[rows.index[0]]})):
            verdict.drop[k] = "the city's own row"
        elif UNASSIGNED.search(k) or UNASSIGNED.search(text):
            verdict.drop[k] = "persons or cases not assigned to any area"
        elif normalise_name(LEVEL_WORDS.sub(" ", k)) in group_names and target.level == "unit":
            verdict.drop[k] = "a row of a coarser area (a district)"
        elif values is not None and (why := _aggregate(values, rows.index[0], match)):
            verdict.drop[k] = why
        else:
            alias = _alias(k, lookup, used) if target.join == "name" else None
            if alias is not None and isinstance(alias[0], str) and not order(rows.index[0], alias[0]):
                verdict.keep.append(k)   # a close spelling out of place: another area (a total)
                verdict.alias_evidence.append(f"{k!r} resembles {alias[0]!r} but does not sit "
                                              f"where that unit's row belongs: not taken as it")
                continue
            if alias is not None:
                verdict.aliases[k] = alias[0]
                verdict.alias_evidence.append(alias[1])
                used |= set([alias[0]] if isinstance(alias[0], str) else alias[0])
            else:
                verdict.keep.append(k)
    return verdict


def _unit_order(match: Match, unmatched: pd.Index):
    """A test whether a row sits where a unit's row belongs. Tables list their areas in an
    order: where the matched rows follow the units' order, a misspelled unit sits between the
    rows of its neighbours in that order; a total sits first or last. Where the table has no
    such order, a row is out of place only when it is the first or the last."""
    rows = match.matched[match.matched.ne("")]
    pos = rows.map(match.target.position).dropna()
    first, last = match.matched.index.min(), match.matched.index.max()
    ordered = len(pos) >= 5 and float(pd.Series(pos.index).corr(pd.Series(pos.to_numpy()),
                                                                method="spearman")) >= 0.9

    def fits(row: object, unit: str) -> bool:
        if not ordered:
            return row not in (first, last)
        p = match.target.position.get(unit)
        if p is None:
            return True
        before = pos[pos < p]
        after = pos[pos > p]
        lo = before.index.max() if len(before) else first
        hi = after.index.min() if len(after) else last
        return lo <= row <= hi
    return fits


def _aggregate(values: pd.DataFrame, row: object, match: Match) -> str:
    """Why the row is a total: its values are the sum of the units' rows (±1 %, counts) or
    their average (within 0.15 standard deviations of the mean, shares) in most columns."""
    units = values[match.matched.ne("")]
    x = values.loc[row]
    cols = [c for c in values.columns if pd.notna(x[c]) and units[c].notna().sum() >= 3]
    if not cols:
        return ""
    total, mean, sd = units[cols].sum(), units[cols].mean(), units[cols].std()
    summed = ((x[cols] - total).abs() <= 0.01 * total.abs()) & (total.abs() > 0)
    averaged = (x[cols] - mean).abs() <= 0.15 * sd
    if summed.mean() >= 0.5:
        return "its values are the sum of the units' rows"
    if len(cols) >= 2 and (averaged | summed).mean() >= 0.8:
        return "its values are the average of the units' rows (a total of shares)"
    return ""


def _alias(key: str, lookup: dict[str, str], used: set[str]) -> tuple[str | list[str], str] | None:
    parts = [p.strip() for p in re.split(r"\s+und\s+|\s*/\s*|\s*,\s*|\s+u\.\s+|\s*&\s*", key)
             if p.strip()]
    if len(parts) > 1 and all(normalise_name(p) in lookup for p in parts):
        names = [lookup[normalise_name(p)] for p in parts]
        return names, f"{key!r} covers {len(names)} units ({', '.join(names)})"
    free = {n: v for n, v in lookup.items() if v not in used}
    if not free:
        return None
    best = process.extractOne(normalise_name(key), list(free), scorer=fuzz.ratio,
                              score_cutoff=FUZZY_CUTOFF)
    if best is None:
        return None
    name = free[best[0]]
    return name, (f"{key!r} ≈ {name!r} (similarity {best[1]:.0f} %; that unit has no row of its "
                  "own) — check it")


def describe_drops(verdict: RowVerdict, lines: dict[str, list[int]]) -> str:
    by_reason: dict[str, list[str]] = {}
    for k, why in verdict.drop.items():
        by_reason.setdefault(why, []).append(f"{k!r} (line {rows_preview(lines.get(k, []), 3)})")
    return "; ".join(f"{rows_preview(v, 4)}: {why}" for why, v in by_reason.items())

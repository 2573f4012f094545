"""`quartier init`: inspect a city's files and write a working config, every guess with its
evidence and its confidence.

The order of the decisions: every table is read and matched against every column of the
boundary file that could be the units' id or name; the id column is the one the tables' keys
match (not a feature number that happens to be unique); then each table's block is guessed
against that choice; then what the files lack is proposed (shares from counts, residents from
the census grid). Where the files cannot decide, the question goes to ``decide`` and `check`
fails until it is answered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from quartier import vocab
from quartier.errors import InputDataError, rows_preview
from quartier.io.quality import density_outliers
from quartier.onboard.document import Confidence, Section, render
from quartier.onboard.keys import TOTAL, Target, best_match
from quartier.onboard.proposals import (
    census_population,
    derive_proposals,
    index_candidates,
)
from quartier.onboard.tables import Prepared, TableGuess, column_spec, guess_table, prepare
from quartier.onboard.units import (
    GROUP_HINT,
    ID_HINT,
    NAME_HINT,
    KeyOption,
    UnitsInfo,
    group_options,
    has_letters,
    inspect_units,
    option_key,
    slug,
    text_of,
)
from quartier.paths import DATA_DIR


def _relative(path: Path, base: Path) -> str:
    import os

    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return os.path.relpath(path.resolve(), base.resolve())


def _feature_targets(info: UnitsInfo) -> list[Target]:
    """Every column that could be matched: id options, name columns, coarser areas."""
    targets = [Target("id", "unit", k.column, k.ids, option=k, width=k.width) for k in info.keys]
    targets += [Target("name", "unit", c, v) for c, v in info.names.items()]
    n = len(info.features)
    for c in info.features.columns:
        t = text_of(info.features[c])
        if 2 <= t.nunique() <= max(2, n // 2) and not t.eq("").any() and t.str.len().mean() <= 80:
            join = "name" if has_letters(t) else "id"
            targets.append(Target(join, "group", c, pd.Series(pd.unique(t), dtype="string")))
    return targets


def _coverage(prepared: list[Prepared], targets: list[Target]) -> float:
    """How many units the tables reach, summed over the tables (each by its best column)."""
    total = 0.0
    for p in prepared:
        m = best_match(p.cells.df, targets, set(), p.cells.keys)
        total += m.coverage if m is not None else 0.0
    return total


def _choose_option(info: UnitsInfo, prepared: list[Prepared]) -> tuple[KeyOption, str | None]:
    """The id column and name column the tables' keys reach best (summed over the tables, each
    table by its id or its name column); on a tie the column named and shaped most like an id:
    a name is no id, and a feature number that happens to be unique is none either."""
    def name_for(k: KeyOption) -> str | None:
        cands = [c for c in info.names if c != k.column]
        if not cands:
            return None

        def score(c: str) -> tuple:
            per_unit = info.per_unit(k, c)
            return (bool(NAME_HINT.search(slug(c))), not bool(ID_HINT.search(slug(c))),
                    per_unit.nunique() / len(per_unit))
        best = max(cands, key=score)
        return best if info.per_unit(k, best).nunique() >= 0.5 * len(k.ids) else None

    def targets(k: KeyOption, name: str | None) -> list[Target]:
        out = [Target("id", "unit", k.column, k.ids, option=k, width=k.width)]
        if name is not None:
            out.append(Target("name", "unit", name, info.per_unit(k, name)))
        return out

    scored = []
    for k in info.keys:
        name = name_for(k)
        ts = targets(k, name)
        scored.append(((round(_coverage(prepared, ts), 3), k.hint, not k.merge_parts), k, name))
    _, option, name = max(scored, key=lambda s: s[0])
    return option, name


@dataclass
class Choice:
    option: KeyOption
    name_column: str | None
    group_name: str | None = None
    group_id: str | None = None
    targets: list[Target] = field(default_factory=list)
    groups: list[pd.Series] = field(default_factory=list)


def _lost_zeros(option: KeyOption, prepared: list[Prepared]) -> int | None:
    """The id width of the tables, where the boundary file lost the ids' leading zeros
    (stored as numbers: 1100101 for 01100101): every table writes its ids with that width."""
    ids = option.ids
    if option.width or not ids.str.fullmatch(r"\d+").all():
        return None
    target = Target("id", "unit", option.column, ids, option=option)
    widths = set()
    for p in prepared:
        m = best_match(p.cells.df, [target], set(), p.cells.keys)
        if m is None or not m.padded:
            continue
        keys = pd.Series([k for k, h in zip(m.keys.text, m.hits, strict=True) if h])
        widths |= set(keys.str.len())
    width = widths.pop() if len(widths) == 1 else None
    return width if width and width > ids.str.len().min() else None


def _choose(info: UnitsInfo, prepared: list[Prepared]) -> Choice:
    option, name_col = _choose_option(info, prepared)
    width = _lost_zeros(option, prepared)
    if width:
        option.width = width
        option.ids = option.ids.str.zfill(width)
        option.lost_zeros = True
    choice = Choice(option, name_col)
    choice.targets.append(Target("id", "unit", option.column, option.ids, option=option,
                                 width=option.width))
    if name_col:
        names = info.per_unit(option, name_col)
        if not names.duplicated().any():
            choice.targets.append(Target("name", "unit", name_col, names))
    groups = group_options(info, option, {name_col} if name_col else set())
    matched = [p.match.target.column for p in prepared
               if p.match is not None and p.match.target.level == "group"]

    def rank(c: str) -> tuple:
        # a column a table is keyed by, then one named like a district, then the coarsest
        return (c in matched, bool(GROUP_HINT.search(slug(c))), -groups[c].nunique())
    text = sorted((c for c, v in groups.items() if has_letters(v)), key=rank, reverse=True)
    ids = sorted((c for c, v in groups.items() if v.str.fullmatch(r"\d{1,6}").all()), key=rank,
                 reverse=True)
    if text and ids:
        # the ids of the same areas: one id per name
        same = [c for c in ids if groups[c].nunique() == groups[text[0]].nunique()
                and pd.crosstab(groups[c], groups[text[0]]).gt(0).sum(axis=1).eq(1).all()]
        ids = same + [c for c in ids if c not in same] if same else ids
    if text:
        choice.group_name = text[0]
        choice.groups.append(groups[text[0]])
        choice.targets.append(Target("name", "group", text[0], pd.Series(pd.unique(groups[text[0]]),
                                                                         dtype="string")))
    if ids:
        choice.group_id = ids[0]
        values = pd.Series(pd.unique(groups[ids[0]]), dtype="string")
        width = int(values.str.len().iloc[0]) if values.str.len().nunique() == 1 and \
            values.str.startswith("0").any() else None
        choice.targets.append(Target("id", "group", ids[0], values, width=width))
    return choice


def _group_id_width(choice: Choice, guesses: list[TableGuess]) -> int | None:
    """The width of the coarser areas' ids where the boundary file lost their zeros and a
    table keeps them (1 in the file, "01" in the table)."""
    widths = set()
    for g in guesses:
        m = g.match
        if m.target.level == "group" and m.target.join == "id" and m.padded and not m.target.width:
            widths |= {len(k) for k, h in zip(m.keys.text, m.hits, strict=True) if h and k != h}
    return widths.pop() if len(widths) == 1 else None


def _units_section(info: UnitsInfo, choice: Choice, base: Path) -> Section:
    sec = Section("units", comment="the spatial units (statistical districts)")
    sec.add("path", _relative(info.path, base))
    if info.layer:
        sec.add("layer", info.layer)
    for line in info.lines:
        sec.lines.append(line)
    opt = choice.option
    n = len(opt.ids)
    sec.add("id_column", opt.column, f"{n} units" + (
        ", all digits" if opt.ids.str.fullmatch(r"\d+").all() else ""))
    if opt.width and opt.lost_zeros:
        sec.add("id_width", opt.width, f"the boundary file lost the ids' leading zeros (stored "
                f"as numbers); the tables write {opt.width} digits")
    elif opt.width:
        sec.add("id_width", opt.width, f"all ids have {opt.width} digits, "
                f"{int(opt.ids.str.startswith('0').sum())} start with 0 (kept where a table lost them)")
    if opt.merge_parts:
        repeated = text_of(info.features[opt.column])
        parts = repeated[repeated.duplicated(keep=False)]
        sec.add("merge_parts", True, f"{len(info.features)} features for {n} units: "
                f"{rows_preview(sorted(set(parts)), 4)} occur in several features with the same "
                "attributes (parts of one unit)")
    names = info.per_unit(opt, choice.name_column) if choice.name_column else opt.ids
    totals = opt.ids[names.map(lambda v: bool(TOTAL.search(str(v))))]
    if len(totals):
        sec.add("drop_ids", totals.tolist(), f"feature(s) named {rows_preview(names[totals.index])}"
                ": the whole city, not a unit")
    if choice.name_column:
        sec.add("name_column", choice.name_column, f"text, {names.nunique()} distinct names")
    if choice.group_name:
        sec.add("group_column", choice.group_name, f"{choice.groups[0].nunique()} coarser areas")
    if choice.group_id:
        sec.add("group_id_column", choice.group_id, "ids of the coarser areas")
    return sec


@dataclass
class Attributes:
    """Indicators stored as attributes of the boundary file: a table of their own."""

    section: Section
    values: dict[str, pd.Series]
    units_of: dict[str, str]
    labels: dict[str, str]
    persons: list[str] = field(default_factory=list)


def _attribute_table(info: UnitsInfo, choice: Choice, base: Path, used: set[str]
                     ) -> Attributes | None:
    skip = {choice.option.column, choice.name_column, choice.group_name, choice.group_id}
    ids = text_of(info.features[choice.option.column])
    numeric = [c for c in info.numeric if c not in skip
               and not text_of(info.features[c]).equals(ids)]
    if not numeric:
        return None
    sec = Section("tables", array=True, comment="indicators stored as attributes of the "
                  "boundary file")
    sec.add("name", "attribute")
    sec.add("path", _relative(info.path, base))
    sec.add("format", "vector", f"{len(numeric)} numeric attributes")
    sec.add("key", choice.option.column)
    if choice.option.width:
        sec.add("id_width", choice.option.width)
    cols = Section("columns", comment="source column = { name in quartier, label, unit }")
    out = Attributes(sec, {}, {}, {})
    key = option_key(info, choice.option)
    for c in numeric:
        values = pd.to_numeric(info.features[c], errors="coerce")
        spec, why = column_spec(str(c), slug(c), values)
        while spec["name"] in used:
            spec["name"] += "_attr"
        used.add(spec["name"])
        cols.add(str(c), spec, why, "likely" if why else "sure")
        per_unit = pd.Series(values.to_numpy(), index=key.to_numpy())
        out.values[spec["name"]] = per_unit[~per_unit.index.duplicated()]
        out.units_of[spec["name"]] = spec.get("unit", "")
        out.labels[spec["name"]] = spec["label"]
        if spec.get("unit") == "Personen":
            out.persons.append(spec["name"])
    sec.subtables["columns"] = cols
    return out


def write_config(target: Path, units_path: Path, tables: list[Path], *, name: str | None = None,
                 index: list[str] | None = None, population: Path | None = None,
                 layer: str | None = None, sheet: str | int | None = None
                 ) -> tuple[str, list[str]]:
    """Inspect the files and return the config text and what the user should look at.

    Parameters
    ----------
    target : Path
        Where the config will be written (paths in it are relative to its folder).
    units_path : Path
        The boundary file.
    tables : list of Path
        The statistics tables (CSV, xlsx, vector files with attributes, parquet).
    name : str, optional
        The city's name (also used to recognise the city's total row).
    index : list of str, optional
        Columns of the index (quartier names, as the config will call them).
    population : Path, optional
        A population raster or census grid, where no table holds residents.
    layer, sheet : optional
        Layer of the boundary file; sheet of the workbooks (default: the one that matches).
    """
    # the config's comments and the notes are English: so are the readers' notes quoted in them
    with vocab.use_language("en"):
        return _write_config(target, units_path, tables, name=name, index=index,
                             population=population, layer=layer, sheet=sheet)


def _write_config(target: Path, units_path: Path, tables: list[Path], *, name: str | None,
                  index: list[str] | None, population: Path | None, layer: str | None,
                  sheet: str | int | None) -> tuple[str, list[str]]:
    base = target.parent
    info = inspect_units(units_path, layer)
    targets = _feature_targets(info)
    prepared: list[Prepared] = []
    for i, path in enumerate(tables):
        table_name = slug(path.stem)[:30] or f"t{i + 1}"
        while table_name in {p.name for p in prepared}:
            table_name += f"_{i + 1}"
        prepared.append(prepare(path, table_name, targets, sheet))
    choice = _choose(info, prepared)
    used: set[str] = set()
    city = Section("city")
    city.add("name", name or "Meine Stadt", "" if name else "the city's name (--name)",
             "sure" if name else "unsure")
    city.add("crs", info.city_crs, info.city_evidence)
    sections = [city, _units_section(info, choice, base)]
    guesses: list[TableGuess] = []
    attribute = _attribute_table(info, choice, base, used)
    if attribute is not None:
        sections.append(attribute.section)
    notes: list[str] = []
    for p in prepared:
        m = best_match(p.cells.df, choice.targets, set(), p.cells.keys)
        if m is None:
            if len(prepared) == 1:
                raise InputDataError(
                    f"{p.path}: no column of the table holds the units' ids "
                    f"({choice.option.column}: {rows_preview(choice.option.ids, 3)}) or names, "
                    "nor those of their coarser areas: set key and join by hand")
            notes.append(f"{p.path.name}: left out — no column holds the units' ids "
                         f"({choice.option.column}) or names (a table of contents? a table of "
                         "another area?); add it by hand if it belongs")
            continue
        g = guess_table(p, m, _relative(p.path, base), targets=choice.targets, city=name,
                        groups=choice.groups, units_have_names=choice.name_column is not None,
                        used=used)
        guesses.append(g)
        sections.append(g.section)
    group_width = _group_id_width(choice, guesses)
    if group_width:
        sections[1].add("group_id_width", group_width, "the boundary file lost the zeros of the "
                        f"coarser areas' ids; the tables write {group_width} digits")
    notes += [n for g in guesses for n in g.notes]
    questions = [q for g in guesses for q in g.questions]
    top = Section("")
    sections.insert(0, top)
    _population(top, sections, guesses, attribute, info, choice, base, population, DATA_DIR,
                notes)
    values = {n: v for g in guesses if g.match.target.level == "unit" for n, v in g.values.items()}
    units_of = {n: u for g in guesses for n, u in g.units_of.items()}
    if attribute is not None:
        values.update(attribute.values)
        units_of.update(attribute.units_of)
    labels = {ln.value["name"]: ln.value.get("label", ln.key) for g in guesses
              for ln in g.columns.lines if isinstance(ln.value, dict)}   # column specs
    labels.update(attribute.labels if attribute is not None else {})
    pop = top.text("population_column")
    derived = derive_proposals(values, units_of, labels, pop, used)
    sections += derived
    derived_names = [name for d in derived if (name := d.text("name")) is not None]
    _index(sections, top, index, units_of, values, derived_names, pop, notes)
    if questions:
        top.add("decide", questions, "answer each in the config, then delete its line; `check` "
                "fails until then")
    header = ["quartier config written by `quartier init`: every guess says why and how sure it "
              "is (likely / UNSURE); check it with `quartier check`"]
    return render(sections, header), notes


#: A column of all residents, not of a group of them.
RESIDENTS = re.compile(r"einwohner|bevoelkerung|population|inhabitants|(^|_)ew($|_)|gesamt$")


def _population(top: Section, sections: list[Section], guesses: list[TableGuess],
                attributes: Attributes | None, info: UnitsInfo, choice: Choice, base: Path,
                population: Path | None, data_dir: Path, notes: list[str]) -> None:
    persons = {n: g.values[n] for g in guesses for n in g.persons}
    if attributes is not None:
        persons.update({n: attributes.values[n] for n in attributes.persons})
    if population is not None:
        p = Section("population", comment="residents from a raster or census grid (--population)")
        if population.suffix.lower() in (".tif", ".tiff"):
            p.add("raster", _relative(population, base))
            p.add("raster_values", "count", "cells hold residents; use 'relative' + total for a "
                  "density surface")
        else:
            p.add("grid", {"path": _relative(population, base)}, "census grid (EPSG:3035, -1/-9 "
                  "are missing)")
        sections.append(p)
        return
    if persons:
        # the residents, not a group of them: named so, and the largest count; of two counts
        # of the residents within 10 % (two tables of one census), the first table's
        strong = [n for n in persons if RESIDENTS.search(n)] or list(persons)
        largest = max(persons[n].median() for n in strong)
        best = next(n for n in strong if persons[n].median() >= 0.9 * largest)
        others = [n for n in persons if n != best]
        evidence = "a whole-number column named like a population count" + (
            f", the largest of {len(persons)} ({rows_preview(others, 3)} are parts of it)"
            if others else "")
        area = info.area_of(choice.option)
        area.index = choice.option.ids.to_numpy()
        names = info.per_unit(choice.option, choice.name_column) if choice.name_column else \
            choice.option.ids
        names.index = choice.option.ids.to_numpy()
        bad = density_outliers(persons[best], area, names)
        confidence: Confidence = "sure"
        if bad:
            evidence += f"; IMPLAUSIBLE values: {rows_preview(bad, 3)} — a data error? check the file"
            confidence = "unsure"
            notes.append(f"population column {best!r}: implausible density in {rows_preview(bad, 3)}")
        top.add("population_column", best, evidence, confidence)
        return
    grid = census_population(data_dir, base, info.lonlat)
    if grid is None:
        notes.append("no population column and no census grid for this place: the minimum-"
                     "population rule is off; add a population table or --population")
        return
    sections.append(grid)
    notes.append("no table holds residents: proposed [population] from the Zensus 2011 1 km grid "
                 "shipped with quartier")


def _index(sections: list[Section], top: Section, index: list[str] | None,
           units_of: dict[str, str], values: dict[str, pd.Series], derived: list[str],
           pop: str | None, notes: list[str]) -> None:
    known = [*units_of, *derived]
    idx = Section("index", comment="the indicators of the index: shares where a higher value "
                  "means more need (`quartier init … --index a,b`)")
    has_pop = pop is not None or any(s.name == "population" for s in sections)
    if index:
        unknown = [c for c in index if c not in known]
        if unknown:
            raise InputDataError(f"--index {unknown}: not among the columns init found: "
                                 f"{', '.join(known)}")
        idx.add("name", "Sozialindex")
        idx.add("status", [{"column": c} for c in index])
        if not has_pop:
            idx.add("min_population", 0, "no residents known: the minimum-population rule is off")
        counts = [c for c in index if units_of.get(c) == "Personen"
                  or f"{c}_anteil_pct" in derived]
        for c in counts:
            notes.append(f"index column {c!r} is a count: it measures a quarter's size, not its "
                         f"need" + (f" — use {c}_anteil_pct" if f"{c}_anteil_pct" in derived else ""))
        sections.append(idx)
        if has_pop:
            sections.append(Section("areas", comment="action areas: contiguous groups of flagged "
                                    "units with 5,000–40,000 residents (defaults)"))
    else:
        cands = index_candidates(units_of, values, derived)
        idx.active = False
        idx.add("status", [{"column": c} for c in cands[:3]])
        notes.append(f"no --index: choose the index columns among {rows_preview(cands, 12)}")
        sections.append(idx)
    shown = index or index_candidates(units_of, values, derived)
    if shown and shown[0]:
        m = Section("map")
        m.add("indicator", shown[0], "shown as choropleth by `quartier run`")
        sections.append(m)

"""Priority of the units: the score, the rank, the flag and its reasons in words; single
facilities screened; what makes an index misleading."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier import vocab
from quartier.analysis import dynamics as dynamics_mod
from quartier.analysis.derive import looks_like_count
from quartier.config import (
    FlagConfig,
    PriorityConfig,
    flag_class_problem,
)
from quartier.errors import ConfigError
from quartier.io.quality import repeated_values
from quartier.vocab import HotSpot


def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def screen_single_facilities(
    units: pd.DataFrame, index: pd.DataFrame, population_column: str | None, cfg: FlagConfig,
    labels: dict[str, str],
) -> pd.Series:
    """Units that one institution (shelter, care home) may dominate.

    Rule: fewer than ``single_facility_max_population`` inhabitants **and** an index indicator
    with ``|z| ≥ single_facility_min_abs_z``. A few hundred residents of whom a shelter houses many
    push shares to extremes and can flip a class; such units are listed for a manual check, not
    removed from the official index. Returns the screening text ("" when not touched).
    """
    if population_column is None:
        return pd.Series("", index=units.index, dtype="string")
    pop = units[population_column]
    zcols = [c for c in index.columns if c.startswith("z_")]
    out = pd.Series("", index=units.index, dtype="string")
    small = pop.lt(cfg.single_facility_max_population) & index["valid"]
    for c in zcols:
        extreme = small & index[c].abs().ge(cfg.single_facility_min_abs_z)
        name = labels.get(c[2:], c[2:])
        text = (f"Einzeleinrichtung prüfen: {name} z=" + index[c].map(lambda v: _fmt(v))
                + " bei " + pop.fillna(0).astype(int).astype(str) + " Einwohnern")
        out = out.mask(extreme, out.where(out.eq(""), out + "; ") + text)
    return out


def _num(values: pd.Series, digits: int) -> pd.Series:
    """German number text ("1,5") of every value; "" where missing."""
    text = values.map(lambda v: _fmt(v, digits), na_action="ignore")
    return text.astype("string").fillna("")


def _join(parts: list[pd.Series]) -> pd.Series:
    """Join the non-empty texts of each row with "; "."""
    out = parts[0]
    for part in parts[1:]:
        out = out + ("; " + part).where(part.ne("") & out.ne(""), part)
    return out


def reasons_text(table: pd.DataFrame, labels: dict[str, str]) -> pd.Series:
    """The reasons of every unit in words, built column-wise (a row-wise apply takes 10 s on a
    census grid): status class and index; each indicator at least 1 SD from the mean; the
    dynamics class; a Gi* Hot/Cold Spot with its neighbours; the threshold rules; screening.
    Unscored units say why they are not scored."""
    empty = pd.Series("", index=table.index, dtype="string")

    def text(column: str) -> pd.Series:
        return table[column].astype("string").fillna("") if column in table else empty

    parts = [("Status " + text("status_class") + " (Index " + _num(table["status_index"], 2)
              + ")").where(table["status_index"].notna(), "")]
    for c in [c for c in table.columns if c.startswith("z_")]:
        v = table[c]
        side = pd.Series(np.where(v > 0, "über", "unter"), index=table.index, dtype="string")
        parts.append((f"{labels.get(c[2:], c[2:])} " + _num(v.abs(), 1) + " SD " + side
                      + " dem Mittel").where(v.abs().ge(1).fillna(False), ""))
    if "dynamics_class" in table:
        parts.append(("Dynamik " + text("dynamics_class") + " (Index "
                      + _num(table["dynamics_index"], 2) + ")").where(
                          table["dynamics_class"].notna(), ""))
    if "hotspot" in table:
        spot = table["hotspot"].isin([HotSpot.HOT, HotSpot.COLD])
        parts.append((text("hotspot") + " (Gi*, " + text("n_neighbours") + " Nachbarn)").where(
            spot, ""))
    rules = text("rule_flags")
    parts.append(("Grenzwert: " + rules).where(rules.ne(""), ""))
    parts.append(text("screening"))
    scored = _join(parts)
    return scored.where(table["valid"].astype(bool),
                        "nicht bewertet: " + text("invalid_reason"))


def priority(table: pd.DataFrame, labels: dict[str, str], p: PriorityConfig,
             status_labels: list[str], dynamics_labels: list[str] | None = None) -> pd.DataFrame:
    """``priority_score``, a unique ``priority_rank`` (1 = most urgent; ties broken by the
    status index, then the unit id), ``flagged`` with ``flag_reason``, and ``reasons`` in words.

    ``priority_score = w_s · status_index + w_d · dynamics_index + w_h · [Hot Spot]
    + w_r · rule_count`` with the weights of ``[priority]`` (see the module docstring). A unit is
    flagged when any configured criterion holds: its status class is one of ``flag_classes``
    (default: the two lowest classes), it hits ``flag_min_rules`` threshold rules, or it is among
    the ``flag_top_pct`` % highest scores, or (``flag_attention``) it is one of MSS's *Gebiete mit
    besonderem Aufmerksamkeitsbedarf* (:func:`quartier.dynamics.attention`).
    """
    dyn = table["dynamics_index"].fillna(0) if "dynamics_index" in table else 0.0
    score = (p.status_weight * table["status_index"] + p.dynamics_weight * dyn
             + p.hotspot_weight * table["hotspot"].eq(HotSpot.HOT)
             + p.rule_weight * table["rule_count"])
    score = score.where(table["valid"])
    order = pd.DataFrame({"s": score, "i": table["status_index"], "u": table["unit_id"]})
    order = order[order["s"].notna()].sort_values(["s", "i", "u"], ascending=[False, False, True])
    rank = pd.Series(pd.NA, index=table.index, dtype="Int64")
    rank[order.index] = np.arange(1, len(order) + 1)
    problem = flag_class_problem(p.flag_classes, status_labels)
    if problem:
        raise ConfigError(problem)
    classes = p.flag_classes if p.flag_classes is not None else status_labels[-2:]
    why = pd.Series("", index=table.index, dtype="string")

    def add(hit: pd.Series, text: pd.Series | str) -> pd.Series:
        return why.mask(hit, why.where(why.eq(""), why + "; ") + text)

    status = table["status_class"].astype("string")
    by_class = status.isin(classes).fillna(False) & table["valid"]
    why = add(by_class, "Status " + status.fillna(""))
    if p.flag_attention:
        hit, text = dynamics_mod.attention(status, table["dynamics_class"],
                                           status_labels=status_labels,
                                           dynamics_labels=dynamics_labels or [])
        # a unit flagged by its class already says so: no second "Status niedrig"
        hit = hit & table["valid"] & ~by_class
        why = add(hit, text)
    if p.flag_min_rules is not None:
        many = table["rule_count"].ge(p.flag_min_rules) & table["valid"]
        why = add(many, table["rule_count"].astype(str) + f" Grenzwerte (≥ {p.flag_min_rules})")
    if p.flag_top_pct is not None:
        top = rank.le(np.ceil(len(order) * p.flag_top_pct / 100)).fillna(False).astype(bool)
        why = add(top, f"Priorität unter den oberen {p.flag_top_pct:g} %")
    flagged = why.ne("")
    reasons = reasons_text(table, labels)
    return pd.DataFrame({"priority_score": score, "priority_rank": rank, "flagged": flagged,
                         "flag_reason": why, "reasons": reasons})


def index_warnings(units: gpd.GeoDataFrame, columns: list[str], units_of: dict[str, str],
                   labels: dict[str, str], population: str | None) -> list[str]:
    """What makes an index misleading: a count among its indicators (it measures a quarter's
    size, not its need), and values repeated for the units of a coarser area (neighbours made
    alike: hot spots and clusters are inflated)."""
    pop = units[population] if population and population in units else None
    out = []
    for c in columns:
        if c in units and looks_like_count(c, units[c], units_of.get(c, ""), pop):
            out.append(vocab.note("index.count_indicator", name=repr(labels.get(c, c))))
    present = [c for c in columns if c in units]
    groups = repeated_values(units[present], units["unit_id"], units.geometry)
    if groups:
        n = sum(len(g) for g in groups)
        out.append(vocab.note("index.repeated", n=str(n),
                              groups=vocab.preview(["=".join(g[:3]) for g in groups], 4)))
    return out

PRIORITY_COLUMNS = ["unit_id", "unit_name", "status_index", "status_class", "dynamics_index",
                    "dynamics_class", "rule_flags", "cluster", "hotspot", "priority_rank", "reasons",
                    "flagged"]

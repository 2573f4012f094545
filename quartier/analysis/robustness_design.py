"""The design of the robustness analysis (:mod:`quartier.analysis.robustness`): every variant
index computed once (normalisation × left-out indicator × dynamics measure, in the units' tie
order), and the evaluation of a block of variants as one matrix product ``W @ F`` followed by
row-wise ranks and the flag rule."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from quartier.analysis.composite import (
    NORMALISATIONS,
    Composite,
    FlagRule,
    class_codes,
    composite,
    rank_rows,
)


@dataclass
class Design:
    """Every variant index, precomputed, one row per variant column and one column per unit
    (units in tie order, see :func:`rank_robustness`)."""

    F: np.ndarray                    # columns × units: status variants, dynamics variants, H, R
    n_status_leave: int
    n_dyn_leave: int
    n_measures: int
    status_pos: np.ndarray           # leave level → position among the status leave variants
    dyn_pos: np.ndarray
    flag_s: np.ndarray               # status variants × units: class flags
    low_s: np.ndarray                # two lowest classes (attention)
    mid_s: np.ndarray                # third-lowest class (attention)
    worst_d: np.ndarray              # dynamics variants × units: worst dynamics class
    rules_hit: np.ndarray
    top_pct_n: int | None
    attention: bool

    @property
    def n_status(self) -> int:
        return len(NORMALISATIONS) * self.n_status_leave

    @property
    def n_dyn(self) -> int:
        return self.n_measures * len(NORMALISATIONS) * self.n_dyn_leave


def variants(comp: Composite, order: np.ndarray, leaves: list[int | None], ddof: int
              ) -> np.ndarray:
    """Rows (normalisation-major, then left-out indicator) of one composite's variants."""
    values = comp.values[order]
    cols = []
    for how in NORMALISATIONS:
        for leave in leaves:
            idx = composite(values, comp.weights, how=how, leave=leave, ddof=ddof)
            if how == "z" and leave is None and comp.default is not None:
                default = np.asarray(comp.default, dtype="float64")[order]
                if not np.allclose(idx, default, rtol=0, atol=1e-9):
                    raise ValueError("robustness: the recomputed index differs from the index "
                                     "step's; the inputs do not belong together")
                idx = default
            cols.append(idx)
    return np.vstack(cols)


def evaluate(d: Design, spec: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Ranks (1 = most urgent; int32) and flags, variants × units (tie order), of each variant
    of ``spec`` (arrays of equal length: ``ws, wd, wh, wr, leave, norm, dyn, hot, meas``)."""
    b = len(spec["ws"])
    rows = np.arange(b)
    cs = spec["norm"] * d.n_status_leave + d.status_pos[spec["leave"]]
    w = np.zeros((b, d.F.shape[0]))
    w[rows, cs] = spec["ws"]
    cd = None
    if d.n_dyn:
        cd = (spec["meas"] * len(NORMALISATIONS) + spec["norm"]) * d.n_dyn_leave + \
            d.dyn_pos[spec["leave"]]
        w[rows, d.n_status + cd] = spec["wd"] * spec["dyn"]
    w[:, -2] = spec["wh"] * spec["hot"]
    w[:, -1] = spec["wr"]
    ranks = rank_rows(w @ d.F)
    flagged = d.flag_s[cs] | d.rules_hit[None, :]
    if d.attention:
        mid = d.mid_s[cs]
        if cd is not None:
            mid = mid & d.worst_d[cd] & spec["dyn"][:, None]
        else:
            mid = np.zeros_like(mid)
        flagged = flagged | d.low_s[cs] | mid
    if d.top_pct_n is not None:
        flagged = flagged | (ranks <= d.top_pct_n)
    return ranks, flagged


def default_spec(weights: Mapping[str, float], b: int = 1) -> dict[str, np.ndarray]:
    return {"ws": np.full(b, float(weights["status"])), "wd": np.full(b, float(weights["dynamics"])),
            "wh": np.full(b, float(weights["hotspot"])), "wr": np.full(b, float(weights["rule"])),
            "leave": np.zeros(b, dtype=np.intp), "norm": np.zeros(b, dtype=np.intp),
            "dyn": np.ones(b, dtype=bool), "hot": np.ones(b, dtype=bool),
            "meas": np.zeros(b, dtype=np.intp)}


@dataclass
class Layout:
    """The design matrix of the variants and what it was built from."""

    design: Design
    levels: list[tuple[str, int]]
    level_names: list[str]
    dyn_comps: list[Composite]
    measures: list[str]
    hot: np.ndarray
    rule_count: np.ndarray


def layout(status: Composite, dynamics: Sequence[tuple[str, Composite]], hotspot: np.ndarray,
            rules: np.ndarray, flag: FlagRule, order: np.ndarray, ddof: int,
            vary: Collection[str], skipped: list[tuple[str, str]]) -> Layout:
    """Leave-out levels (none, each status indicator, each dynamics indicator — not a lone
    one) and the rows of every variant component, in the tie order."""
    n = len(order)
    ks = status.values.shape[1]
    dyn_comps = [c for _, c in dynamics]
    measures = [m for m, _ in dynamics]
    kd = dyn_comps[0].values.shape[1] if dyn_comps else 0
    levels: list[tuple[str, int]] = [("", -1)]
    if ks > 1:
        levels += [("status", j) for j in range(ks)]
    if kd > 1:
        levels += [("dynamics", j) for j in range(kd)]
    level_names = ["keiner"] + [(status.names[j] if part == "status" else dyn_comps[0].names[j])
                                for part, j in levels[1:]]
    status_pos = np.array([1 + j if part == "status" else 0 for part, j in levels], dtype=np.intp)
    dyn_pos = np.array([1 + j if part == "dynamics" else 0 for part, j in levels], dtype=np.intp)
    s_leaves = [None, *range(ks)] if ks > 1 else [None]
    d_leaves = [None, *range(kd)] if kd > 1 else [None]
    if ks == 1 and "leave_out" in vary:
        skipped.append(("leave_out", "der Status-Index hat nur einen Indikator: er wird nicht "
                        "weggelassen"))
    s_var = variants(status, order, s_leaves, ddof)
    s_codes = class_codes(s_var, status.thresholds)
    n_status_classes = len(status.thresholds) + 1
    rows = [s_var]
    worst_d = np.zeros((0, n), dtype=bool)
    if dyn_comps:
        d_var = np.vstack([variants(c, order, d_leaves, ddof) for c in dyn_comps])
        rows.append(d_var)
        worst_d = class_codes(d_var, dyn_comps[0].thresholds) == len(dyn_comps[0].thresholds)
    hot = np.asarray(hotspot, dtype=bool)[order]
    rule_count = np.asarray(rules, dtype="float64")[order]
    rows += [hot.astype("float64")[None, :], rule_count[None, :]]
    design = Design(
        F=np.ascontiguousarray(np.vstack(rows)), n_status_leave=len(s_leaves),
        n_dyn_leave=len(d_leaves), n_measures=len(dyn_comps), status_pos=status_pos,
        dyn_pos=dyn_pos, flag_s=np.isin(s_codes, flag.status_codes),
        low_s=s_codes >= n_status_classes - 2, mid_s=s_codes == n_status_classes - 3,
        worst_d=worst_d,
        rules_hit=(rule_count >= flag.min_rules) if flag.min_rules is not None
        else np.zeros(n, dtype=bool),
        top_pct_n=int(np.ceil(n * flag.top_pct / 100)) if flag.top_pct is not None else None,
        attention=flag.attention)
    return Layout(design, levels, level_names, dyn_comps, measures, hot, rule_count)

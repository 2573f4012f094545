"""How robust is each unit's priority rank? Uncertainty and sensitivity analysis of the priority.

The priority (:func:`quartier.analysis.priority.priority`) rests on choices an analyst could defensibly make
otherwise. Following the OECD/JRC *Handbook on Constructing Composite Indicators* (2008, ch. 5:
uncertainty and sensitivity analysis; Saisana, Saltelli & Tarantola 2005, *JRSS A* 168: 307–323;
COINr), every unit is re-ranked under ``N`` variants drawn at random (fixed seed), each variant a
combination of these choices:

=====================  ==========================================================================
choice                 levels (drawn independently, uniformly)
=====================  ==========================================================================
weights                each of ``w_status``, ``w_dynamics``, ``w_hotspot``, ``w_rule`` from its
                       range (default 0.5× to 1.5× the configured weight)
leave_out              none, or one index indicator left out (status or dynamics; not when it
                       is the only one of its index)
normalisation          z-scores (MSS), ranks (average ranks), min–max (0–1), for every indicator
dynamics               on / off (the dynamics term of the score; the attention rule's
                       "mittel with negative dynamics" goes with it)
hotspot                Gi* hot-spot bonus on / off
dynamics_measure       percentage points / residual change (:mod:`quartier.dynamics`), where both
                       are known
=====================  ==========================================================================

A variant's score, for the scored units (``T`` the normalisation, ``L`` the indicators kept)::

    S_i   = standardise( Σ_{j ∈ L} w_j · sign_j · T(x_ij) )        (status; dynamics likewise)
    score = w_s · S_i + on_d · w_d · D_i + on_h · w_h · [Hot Spot_i] + w_r · rules_i

``standardise`` is the MSS step ``(s − mean) / sd`` (``ddof`` of the index), so every variant's
index is in SD units and the class thresholds keep their meaning; with all choices at their
default it is the index of :func:`quartier.analysis.indicators.compute_index` (used bit for bit). Ranks
are unique as in the priority list (ties: higher default status index, then the id). A unit is
*flagged* in a variant by the configured rule evaluated on that variant: status class among the
flag classes, ``flag_min_rules`` rules, the top ``flag_top_pct`` %, MSS's attention rule.

**Per unit**: the default rank, the median rank and the 5–95 % interval of the ranks over the
draws (5th and 95th percentile, ``inverted_cdf``: ranks that occurred; 90 % of the variants lie
within), ``flagged_share_pct`` (share of variants in which it is flagged) and ``top_share_pct``
(share in which it is among the first ``N`` of the ranking, ``N`` = the number flagged by
default — "on the list of the same length"), and the choices its rank and its flag depend on
most (the largest first-order share, below, of the unit's own variance).

**Per choice**: one-at-a-time, each alternative level with every other choice at its default
(weights at the ends of their range): units whose flag changes, units entering (= leaving) the
first ``N``, median and largest rank change; and the Sobol first-order share of the choice in the
variance of the ranks (and of the flags), summed over units::

    S_f = Σ_u Var(E[rank_u | X_f]) / Σ_u Var(rank_u)

estimated from the same draws by conditional means (discrete choices by level, weights in
:data:`WEIGHT_BINS` equal-width classes of their range; Plischke, Borgonovo & Smith 2013,
*EJOR* 226: 536–550; Saltelli et al. 2008, *Global Sensitivity Analysis: The Primer*). The shares
need not sum to 100 %: the rest is interaction. Their bias is about (levels − 1)/N of the
variance (≈ 1 point at 1,000 draws and 10 classes).

Computation: the indices of every (normalisation × left-out indicator × dynamics measure) are
computed once (a few dozen columns); a block of draws is one matrix product ``F @ W`` (units ×
columns times columns × draws, ``W`` holding each draw's weights in the rows of its variant),
ranked row by row (:func:`rank_rows`: an introsort, stable only where scores tie); ranks are
kept as 16- or 32-bit integers (draws × units) for the percentiles.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from quartier import vocab
from quartier.analysis.composite import (
    NORMALISATIONS,
    Composite,
    FlagRule,
    composite,
)
from quartier.analysis.robustness_design import Design, Layout, default_spec, evaluate, layout
from quartier.errors import InputDataError

#: The choices that can vary (``[priority] robustness_vary``).
VARY_ALL = ("weights", "leave_out", "normalisation", "dynamics", "hotspot", "dynamics_measure")
#: Labels of the normalisations (:data:`~quartier.analysis.composite.NORMALISATIONS`).
NORMALISATION_LABELS = {"z": "z-Werte", "rank": "Ränge", "minmax": "Min–Max (0–1)"}
#: The weights of the priority score.
WEIGHTS = ("status", "dynamics", "hotspot", "rule")
WEIGHT_LABELS = {"status": "Gewicht Status", "dynamics": "Gewicht Dynamik",
                 "hotspot": "Gewicht Hot Spot", "rule": "Gewicht Grenzwerte"}
#: Factor labels in the choices table and the per-unit ``rank_main_choice``.
FACTOR_LABELS = {**{f"weight_{w}": WEIGHT_LABELS[w] for w in WEIGHTS},
                 "leave_out": "ein Indikator weggelassen", "normalisation": "Normierung",
                 "dynamics": "Dynamik an/aus", "hotspot": "Hot-Spot-Bonus an/aus",
                 "dynamics_measure": "Dynamik in Prozentpunkten oder bereinigt"}
MEASURE_LABELS = {"pp": "Dynamik in Prozentpunkten", "residual": "Dynamik bereinigt (Ausgangsniveau)"}
#: Classes of a weight's range for the first-order shares.
WEIGHT_BINS = 10
#: Elements (units × draws) of one block: bounds the memory of scores and argsort.
BLOCK_ELEMENTS = 4_000_000
#: A unit is robustly flagged (or not) at this share of the variants.
ROBUST_PCT = 95.0
#: Columns added to priority.csv.
UNIT_COLUMNS = ["rank_median", "rank_p05", "rank_p95", "flagged_share_pct", "top_share_pct",
                "rank_main_choice"]


@dataclass
class RobustnessResult:
    """``units``: one row per scored unit (input order) with ``rank_default`` and
    :data:`UNIT_COLUMNS`; ``choices``: one row per alternative of a choice (and per skipped
    choice); ``draws``: the choices of every draw; ``notes``: what was varied and skipped."""

    units: pd.DataFrame
    choices: pd.DataFrame
    draws: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    top_n: int = 0
    n_draws: int = 0
    seed: int = 0


# ----------------------------------------------------------------------------------- the analysis


def rank_robustness(
    *, status: Composite, hotspot: np.ndarray, rules: np.ndarray, ids: Sequence[str],
    weights: Mapping[str, float], ranges: Mapping[str, tuple[float, float]], flag: FlagRule,
    dynamics: Sequence[tuple[str, Composite]] = (), vary: Collection[str] = VARY_ALL,
    draws: int = 1000, seed: int = 42, ddof: int = 0, block: int | None = None,
) -> RobustnessResult:
    """Re-rank the scored units under ``draws`` variants of the priority's choices.

    Parameters
    ----------
    status : Composite
        The status index's indicators over the scored units.
    hotspot : array of bool
        Gi* Hot Spot per unit (the bonus).
    rules : array of int
        Threshold rules hit per unit.
    ids : sequence of str
        Unit ids (ties in the ranking: higher default status index, then the id).
    weights : mapping
        Default weights ``status``, ``dynamics``, ``hotspot``, ``rule``.
    ranges : mapping
        ``(low, high)`` per weight for the draws.
    flag : FlagRule
        The flag rule.
    dynamics : sequence of (measure, Composite)
        The dynamics index, the configured measure first (``"pp"`` or ``"residual"``), the other
        measure second where it is known; empty without dynamics.
    vary : collection of str
        The choices that vary (:data:`VARY_ALL`); the others stay at their default.
    draws, seed : int
        Number of variants and the seed of NumPy's generator (same seed, same result).
    ddof : int
        Degrees of freedom of the index's SD (0 = MSS).
    block : int, optional
        Draws per block (default: :data:`BLOCK_ELEMENTS` / units).

    Returns
    -------
    RobustnessResult
        ``units`` (per unit: ``rank_default``, ``rank_median``, ``rank_p05``, ``rank_p95``,
        ``flagged_share_pct``, ``top_share_pct`` in %, and the choice the rank and the flag
        depend on most), ``choices`` (one row per alternative), ``draws``, ``notes``.

    Examples
    --------
    The tiny city's status index of two indicators, the two highest of four classes flagged,
    200 variants (weights, one indicator left out, normalisation; the choices without data are
    skipped and said in the notes):

    >>> import numpy as np
    >>> from quartier.analysis.composite import Composite, FlagRule
    >>> from quartier.testing import tiny_city
    >>> city = tiny_city()
    >>> status = Composite(values=city[["share_sgb2_pct", "share_unemployed_pct"]].to_numpy(),
    ...                    weights=np.array([1.0, 1.0]), names=["SGB II", "Arbeitslose"],
    ...                    thresholds=[-1.5, 1.0, 1.5])
    >>> weights = {"status": 1.0, "dynamics": 0.5, "hotspot": 0.5, "rule": 0.25}
    >>> result = rank_robustness(
    ...     status=status, hotspot=np.zeros(36, dtype=bool), rules=np.zeros(36),
    ...     ids=city["unit_id"].tolist(), weights=weights,
    ...     ranges={k: (0.5 * v, 1.5 * v) for k, v in weights.items()},
    ...     flag=FlagRule(status_codes=(2, 3)), draws=200, seed=1)
    >>> top = result.units.assign(unit_id=city["unit_id"]).sort_values("rank_default").head(6)
    >>> top[["unit_id", "rank_default", "rank_p05", "rank_p95", "top_share_pct"]]
       unit_id  rank_default  rank_p05  rank_p95  top_share_pct
    34     T35             1         1         2          100.0
    35     T36             2         1         2          100.0
    29     T30             3         3         3          100.0
    23     T24             4         4         6          100.0
    28     T29             5         5         5          100.0
    33     T34             6         6         7           72.0

    T34, sixth by default, is among the first six in only 72 % of the variants.
    """
    unknown = sorted(set(vary) - set(VARY_ALL))
    if unknown:
        raise ValueError(f"unknown choices {unknown}; use {VARY_ALL}")
    id_text = np.asarray(ids, dtype=str)
    n = len(id_text)
    if n < 3:
        raise InputDataError("robustness: fewer than 3 scored units")
    status_default = (np.asarray(status.default, dtype="float64") if status.default is not None
                      else composite(status.values, status.weights, ddof=ddof))
    # tie order: higher default status index, then the id; stable sorts keep it for equal scores
    _, id_rank = np.unique(id_text, return_inverse=True)
    order = np.lexsort((id_rank, -status_default))
    skipped: list[tuple[str, str]] = []
    lay = layout(status, dynamics, hotspot, rules, flag, order, ddof, vary, skipped)
    # the default and the one-at-a-time alternatives
    r0, f0 = evaluate(lay.design, default_spec(weights))
    r0, f0 = r0[0], f0[0]
    top_n = int(f0.sum())
    spec, factors = _draw_choices(lay, weights, ranges, vary, draws, seed, skipped)
    acc = _run_draws(lay.design, spec, factors, draws, n, top_n, block)
    units, first_r, first_f, total_r, total_f = _per_unit(acc, factors, draws, order, r0, f0)
    choices = _choices_table(lay.design, acc.keys, factors, weights, ranges, skipped, r0, f0,
                             top_n, first_r, first_f, total_r, total_f)
    draws_table = pd.DataFrame({
        "draw": np.arange(1, draws + 1), "w_status": spec["ws"], "w_dynamics": spec["wd"],
        "w_hotspot": spec["wh"], "w_rule": spec["wr"],
        "left_out": np.asarray(lay.level_names, dtype=object)[spec["leave"]],
        "normalisation": np.asarray(NORMALISATIONS, dtype=object)[spec["norm"]],
        "dynamics_on": spec["dyn"] if lay.dyn_comps else False, "hotspot_on": spec["hot"],
        "dynamics_measure": (np.asarray(lay.measures, dtype=object)[spec["meas"]]
                             if lay.dyn_comps else "")})
    varied = [FACTOR_LABELS[k] for k in acc.keys]
    notes = [vocab.note("robustness.varied", n=draws, seed=str(seed), top=str(top_n),
                        varied=(", ".join(varied) if varied
                                else vocab.note("robustness.nothing_varied")))]
    notes += [vocab.note("robustness.fixed" if why.startswith("Bereich") else "robustness.skipped",
                         choice=FACTOR_LABELS[k], why=why) for k, why in skipped]
    if acc.keys and total_r == 0:
        notes.append(vocab.note("robustness.no_rank_change"))
    return RobustnessResult(units=units, choices=choices, draws=draws_table, notes=notes,
                            top_n=top_n, n_draws=draws, seed=seed)


#: Config weight → column of the variant spec.
_W_COLUMNS = {"status": "ws", "dynamics": "wd", "hotspot": "wh", "rule": "wr"}


def _weight_skip(w: str, lo: float, hi: float, lay: Layout) -> str:
    """Why a weight does not vary ('' when it does)."""
    if w == "dynamics" and not lay.dyn_comps:
        return "keine Dynamik-Indikatoren"
    if w == "hotspot" and not lay.hot.any():
        return "kein Hot Spot unter den bewerteten Einheiten"
    if w == "rule" and not (lay.rule_count > 0).any():
        return "keine Grenzwertregel getroffen"
    if hi == lo:
        return f"Bereich {vocab.decimal(lo)}–{vocab.decimal(hi)}: fest"
    return ""


def _draw_choices(lay: Layout, weights: Mapping[str, float],
                  ranges: Mapping[str, tuple[float, float]], vary: Collection[str], draws: int,
                  seed: int, skipped: list[tuple[str, str]]
                  ) -> tuple[dict[str, np.ndarray], dict[str, tuple[np.ndarray, int, list[str]]]]:
    """The variant spec per draw and the factors (key → level per draw, levels, names). The
    random stream is drawn in one fixed order whatever varies: a seed gives the same draws."""
    factors: dict[str, tuple[np.ndarray, int, list[str]]] = {}
    rng = np.random.default_rng(seed)
    spec = default_spec(weights, draws)
    for w in WEIGHTS:
        lo, hi = ranges[w]
        values = rng.uniform(lo, hi, draws)     # drawn always: a seed gives the same stream
        if "weights" not in vary:
            continue
        why = _weight_skip(w, lo, hi, lay)
        if why:
            skipped.append((f"weight_{w}", why))
            continue
        spec[_W_COLUMNS[w]] = values
        lev = np.minimum(((values - lo) / (hi - lo) * WEIGHT_BINS).astype(np.intp), WEIGHT_BINS - 1)
        factors[f"weight_{w}"] = (lev, WEIGHT_BINS, [])
    leave = rng.integers(0, len(lay.levels), draws)
    norm = rng.integers(0, len(NORMALISATIONS), draws)
    dyn_on = rng.random(draws) < 0.5
    hot_on = rng.random(draws) < 0.5
    meas = rng.integers(0, max(len(lay.dyn_comps), 1), draws)
    if "leave_out" in vary and len(lay.levels) > 1:
        spec["leave"] = leave
        factors["leave_out"] = (leave, len(lay.levels), lay.level_names)
    if "normalisation" in vary:
        spec["norm"] = norm
        factors["normalisation"] = (norm, len(NORMALISATIONS),
                                    [NORMALISATION_LABELS[h] for h in NORMALISATIONS])
    _switch("dynamics", vary, bool(lay.dyn_comps), dyn_on, "keine Dynamik-Indikatoren",
            "dyn", spec, factors, skipped)
    _switch("hotspot", vary, bool(lay.hot.any()), hot_on,
            "kein Hot Spot unter den bewerteten Einheiten", "hot", spec, factors, skipped)
    if "dynamics_measure" in vary:
        if len(lay.dyn_comps) > 1:
            spec["meas"] = meas
            factors["dynamics_measure"] = (meas, 2, [MEASURE_LABELS[m] for m in lay.measures])
        else:
            skipped.append(("dynamics_measure", "keine Dynamik-Indikatoren" if not lay.dyn_comps
                            else "Ausgangsniveau der Dynamik unbekannt (index.dynamics_levels): "
                            "nur Prozentpunkte"))
    return spec, factors


def _switch(key: str, vary: Collection[str], possible: bool, on: np.ndarray, why_not: str,
            column: str, spec: dict[str, np.ndarray],
            factors: dict[str, tuple[np.ndarray, int, list[str]]],
            skipped: list[tuple[str, str]]) -> None:
    """An on/off choice: varied where it varies and is possible, else skipped with its reason."""
    if key not in vary:
        return
    if not possible:
        skipped.append((key, why_not))
        return
    spec[column] = on
    factors[key] = (on.astype(np.intp), 2, ["aus", "an"])


@dataclass
class _Draws:
    """Sums over the draws (per unit) and per factor level."""

    store: np.ndarray
    flag_count: np.ndarray
    top_count: np.ndarray
    sum_r: np.ndarray
    sum_r2: np.ndarray
    keys: list[str]
    widths: list[int]
    offsets: np.ndarray
    cond_r: np.ndarray
    cond_f: np.ndarray
    level_count: np.ndarray


def _run_draws(d: Design, spec: dict[str, np.ndarray],
               factors: dict[str, tuple[np.ndarray, int, list[str]]], draws: int, n: int,
               top_n: int, block: int | None) -> _Draws:
    """Rank every variant, block by block of draws (memory stays bounded)."""
    if block is None:
        block = int(np.clip(BLOCK_ELEMENTS // n, 8, 512))
    rank_dtype = np.uint16 if n < np.iinfo(np.uint16).max else np.uint32
    keys = list(factors)
    widths = [factors[k][1] for k in keys]
    offsets = np.concatenate([[0], np.cumsum(widths)]).astype(np.intp)
    levels = int(offsets[-1])
    acc = _Draws(np.empty((draws, n), dtype=rank_dtype), np.zeros(n), np.zeros(n), np.zeros(n),
                 np.zeros(n), keys, widths, offsets, np.zeros((levels, n)), np.zeros((levels, n)),
                 np.zeros(levels))
    for b0 in range(0, draws, block):
        b1 = min(b0 + block, draws)
        ranks, flagged = evaluate(d, {k: v[b0:b1] for k, v in spec.items()})
        acc.store[b0:b1] = ranks
        acc.flag_count += flagged.sum(axis=0)
        acc.top_count += (ranks <= top_n).sum(axis=0)
        rf = ranks.astype("float64")
        acc.sum_r += rf.sum(axis=0)
        acc.sum_r2 += (rf * rf).sum(axis=0)
        if keys:
            onehot = np.zeros((levels, b1 - b0))
            for k, off in zip(keys, offsets[:-1], strict=True):
                onehot[off + factors[k][0][b0:b1], np.arange(b1 - b0)] = 1.0
            acc.cond_r += onehot @ rf
            acc.cond_f += onehot @ flagged.astype("float64")
            acc.level_count += onehot.sum(axis=1)
    return acc


def _per_unit(acc: _Draws, factors: dict[str, tuple[np.ndarray, int, list[str]]], draws: int,
              order: np.ndarray, r0: np.ndarray, f0: np.ndarray
              ) -> tuple[pd.DataFrame, dict, dict, float, float]:
    """Per unit: percentiles of the ranks, shares flagged and in the list, the choice its rank
    and its flag depend on most (first-order variance shares: Σ_levels p_l (E[r|l] − E[r])²)."""
    n = len(order)
    qs = np.empty((n, 3))
    step = max(1, BLOCK_ELEMENTS // max(draws, 1))
    for u0 in range(0, n, step):
        qs[u0:u0 + step] = np.quantile(acc.store[:, u0:u0 + step], [0.05, 0.5, 0.95], axis=0,
                                       method="inverted_cdf").T
    mean_r = acc.sum_r / draws
    var_r = np.maximum(acc.sum_r2 / draws - mean_r ** 2, 0.0)
    p_flag = acc.flag_count / draws
    var_f = p_flag * (1 - p_flag)
    first_r, first_f = {}, {}
    for k, off, width in zip(acc.keys, acc.offsets[:-1], acc.widths, strict=True):
        cnt = acc.level_count[off:off + width]
        seen = cnt > 0
        share = cnt[seen] / draws
        mr = acc.cond_r[off:off + width][seen] / cnt[seen][:, None]
        mf = acc.cond_f[off:off + width][seen] / cnt[seen][:, None]
        first_r[k] = ((mr - mean_r[None, :]) ** 2 * share[:, None]).sum(axis=0)
        first_f[k] = ((mf - p_flag[None, :]) ** 2 * share[:, None]).sum(axis=0)
    main = np.full(n, "", dtype=object)
    flag_main = np.full(n, "", dtype=object)
    if acc.keys:
        names = np.asarray([FACTOR_LABELS[k] for k in acc.keys], dtype=object)
        best = np.column_stack([first_r[k] for k in acc.keys]).argmax(axis=1)
        main[var_r > 0] = names[best[var_r > 0]]
        best = np.column_stack([first_f[k] for k in acc.keys]).argmax(axis=1)
        flag_main[var_f > 0] = names[best[var_f > 0]]
    back = np.empty(n, dtype=np.intp)
    back[order] = np.arange(n)
    units = pd.DataFrame({
        "rank_default": r0[back], "rank_median": pd.array(qs[back, 1].astype(np.int64), "Int64"),
        "rank_p05": pd.array(qs[back, 0].astype(np.int64), "Int64"),
        "rank_p95": pd.array(qs[back, 2].astype(np.int64), "Int64"),
        "flagged_default": f0[back], "flagged_share_pct": 100 * p_flag[back],
        "top_share_pct": 100 * acc.top_count[back] / draws, "rank_main_choice": main[back],
        "flag_main_choice": flag_main[back]})
    return units, first_r, first_f, float(var_r.sum()), float(var_f.sum())


def _choices_table(d: Design, keys: list[str],
                   factors: dict[str, tuple[np.ndarray, int, list[str]]],
                   weights: Mapping[str, float], ranges: Mapping[str, tuple[float, float]],
                   skipped: list[tuple[str, str]], r0: np.ndarray, f0: np.ndarray, top_n: int,
                   first_r: dict, first_f: dict, total_r: float, total_f: float) -> pd.DataFrame:
    """Per choice: each alternative one at a time against the default, and its first-order
    shares of the rank and flag variance (%)."""
    share_r = {k: 100 * first_r[k].sum() / total_r if total_r > 0 else np.nan for k in keys}
    share_f = {k: 100 * first_f[k].sum() / total_f if total_f > 0 else np.nan for k in keys}
    alternatives = _alternatives(keys, factors, weights, ranges)
    table_rows: list[dict[str, object]] = []
    if alternatives:
        alt_spec = default_spec(weights, len(alternatives))
        for i, (_, _, changes) in enumerate(alternatives):
            for col, value in changes.items():
                alt_spec[col][i] = value
        ra, fa = evaluate(d, alt_spec)
        in0 = r0 <= top_n
        for i, (key, text, _) in enumerate(alternatives):
            moved = np.abs(ra[i] - r0)
            table_rows.append({
                "choice": FACTOR_LABELS[key], "variant": text,
                "flag_added": int((fa[i] & ~f0).sum()), "flag_removed": int((~fa[i] & f0).sum()),
                "list_changed": int(((ra[i] <= top_n) & ~in0).sum()),
                "rank_change_median": float(np.median(moved)), "rank_change_max": int(moved.max()),
                "first_order_rank_pct": share_r[key], "first_order_flag_pct": share_f[key],
                "note": ""})
    for key, why in skipped:
        table_rows.append({
            "choice": FACTOR_LABELS[key], "variant": "–", "flag_added": pd.NA, "flag_removed": pd.NA,
            "list_changed": pd.NA, "rank_change_median": np.nan, "rank_change_max": pd.NA,
            "first_order_rank_pct": np.nan, "first_order_flag_pct": np.nan,
            "note": f"übersprungen: {why}"})
    choices = pd.DataFrame(table_rows, columns=[
        "choice", "variant", "flag_added", "flag_removed", "list_changed", "rank_change_median",
        "rank_change_max", "first_order_rank_pct", "first_order_flag_pct", "note"])
    for c in ("flag_added", "flag_removed", "list_changed", "rank_change_max"):
        choices[c] = choices[c].astype("Int64")
    return choices


def _alternatives(keys: list[str], factors: Mapping[str, tuple[np.ndarray, int, list[str]]],
                  weights: Mapping[str, float], ranges: Mapping[str, tuple[float, float]]
                  ) -> list[tuple[str, str, dict[str, object]]]:
    """(factor, text, spec changes) of every one-at-a-time alternative of the varied choices."""
    out: list[tuple[str, str, dict[str, object]]] = []
    columns = {"status": "ws", "dynamics": "wd", "hotspot": "wh", "rule": "wr"}
    for key in keys:
        if key.startswith("weight_"):
            w = key.removeprefix("weight_")
            for end in ranges[w]:
                if end != weights[w]:
                    out.append((key, f"{WEIGHT_LABELS[w]} = {vocab.decimal(end)} (statt "
                                     f"{vocab.decimal(weights[w])})", {columns[w]: end}))
        elif key == "leave_out":
            out += [(key, f"ohne {name}", {"leave": i})
                    for i, name in enumerate(factors[key][2]) if i > 0]
        elif key == "normalisation":
            out += [(key, name, {"norm": i}) for i, name in enumerate(factors[key][2]) if i > 0]
        elif key == "dynamics":
            out.append((key, "ohne Dynamik", {"dyn": False}))
        elif key == "hotspot":
            out.append((key, "ohne Hot-Spot-Bonus", {"hot": False}))
        elif key == "dynamics_measure":
            out.append((key, factors[key][2][1], {"meas": 1}))
    return out

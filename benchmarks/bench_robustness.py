"""Benchmark: the rank robustness (1,000 variants of the priority) against a plain loop that
recomputes the priority per draw with pandas, for Berlin (536 scored PLR) and the Zensus 2011
1 km grid of Germany (101,107 scored cells).

"Same work": the plain loop takes quartier's own draws (``robustness_draws``), and for each draw
normalises the indicators with pandas (z-scores, ``DataFrame.rank``, min–max), leaves the drawn
indicator out, sums, standardises, adds dynamics, hot-spot bonus and rules with the drawn weights,
ranks by ``sort_values`` (ties: status index, then id), flags by class (and top list); at the end
the 5/50/95 % quantiles of the ranks (``DataFrame.quantile``, interpolation "lower" = quartier's
``inverted_cdf`` for 1,000 draws) and the shares. It leaves out the one-at-a-time variants and the
first-order shares, so it does a little less than quartier. The ranks of both are compared.

Run: python benchmarks/bench_robustness.py [--only berlin|grid] [--plain-draws N]
"""

from __future__ import annotations

import sys
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

from _common import report


def flagged_table(name: str):
    from quartier.config import load_config
    from quartier.paths import BERLIN_CONFIG, DATA_DIR
    from quartier.pipeline.flag import flag_units
    from quartier.pipeline.load import load_city

    cfg = load_config(BERLIN_CONFIG if name == "berlin" else DATA_DIR / "germany_1km" / "quartier.toml")
    units, _ = load_city(cfg)
    warnings.simplefilter("ignore")
    return flag_units(units, cfg).table, cfg


def quartier_kwargs(cfg) -> dict:
    from quartier.analysis import robustness as R

    ix, p = cfg.index, cfg.priority
    return dict(status=[(r.name, r.weight * r.sign) for r in ix.status],
                status_thresholds=ix.status_thresholds, status_labels=ix.status_labels,
                flag_classes=p.flag_classes if p.flag_classes is not None else ix.status_labels[-2:],
                weights={w: getattr(p, f"{w}_weight") for w in R.WEIGHTS},
                ranges={w: p.weight_range(w) for w in R.WEIGHTS},
                dynamics=[(r.name, r.weight * r.sign) for r in ix.dynamics],
                dynamics_thresholds=ix.dynamics_thresholds, dynamics_measure=ix.dynamics_method,
                labels=cfg.labels(), draws=p.robustness_draws, seed=p.robustness_seed, ddof=ix.ddof)


def plain_robustness(table: pd.DataFrame, kw: dict, draws: pd.DataFrame) -> pd.DataFrame:
    """The plain way: the priority recomputed per draw with pandas."""
    labels = kw["labels"]
    sub = table[table["valid"]]
    s_cols = [c for c, _ in kw["status"]]
    s_w = pd.Series({c: w for c, w in kw["status"]})
    d_cols = [c for c, _ in kw["dynamics"]]
    d_w = pd.Series({c: w for c, w in kw["dynamics"]})
    frames = {"pp": sub[d_cols]}
    if d_cols and all(f"resid_{c}" in sub for c in d_cols):
        frames["residual"] = sub[[f"resid_{c}" for c in d_cols]].set_axis(d_cols, axis=1)
    left = {labels.get(c, c): c for c in [*s_cols, *d_cols]}
    hot = sub["hotspot"].eq("Hot Spot").astype(float)
    rules = sub["rule_count"].astype(float)
    tie = pd.DataFrame({"i": sub["status_index"], "u": sub["unit_id"].astype(str)})
    cut = kw["status_thresholds"]
    flag_codes = {i for i, lab in enumerate(kw["status_labels"]) if lab in set(kw["flag_classes"])}
    ranks = np.empty((len(sub), len(draws)), dtype=np.int32)   # units × draws, table order
    flags = np.empty((len(sub), len(draws)), dtype=bool)
    position = pd.Series(np.arange(len(sub)), index=sub.index)

    def index(frame: pd.DataFrame, weights: pd.Series, how: str, out: str | None) -> pd.Series:
        cols = [c for c in frame.columns if c != out]
        if how == "z":
            t = frame[cols].apply(lambda c: (c - c.mean()) / c.std(ddof=0))
        elif how == "rank":
            t = frame[cols].rank()
        else:
            t = frame[cols].apply(lambda c: (c - c.min()) / (c.max() - c.min()))
        s = (t * weights[cols]).sum(axis=1)
        return (s - s.mean()) / s.std(ddof=0)

    for k, d in enumerate(draws.itertuples()):
        out = left.get(d.left_out)
        status = index(sub[s_cols], s_w, d.normalisation, out)
        score = d.w_status * status + d.w_hotspot * d.hotspot_on * hot + d.w_rule * rules
        if d_cols and d.dynamics_on:
            score = score + d.w_dynamics * index(frames[d.dynamics_measure], d_w, d.normalisation,
                                                 out)
        order = tie.assign(s=score).sort_values(["s", "i", "u"], ascending=[False, False, True])
        ranks[position[order.index].to_numpy(), k] = np.arange(1, len(order) + 1)
        code = pd.cut(status, [-np.inf, cut[0] - 1e-12, *cut[1:], np.inf], labels=False)
        flags[:, k] = code.isin(flag_codes).to_numpy()
    # quantile "lower" = quartier's inverted_cdf for 1,000 draws (pandas' quantile(axis=1) of a
    # 101,107 × 1,000 frame needs ~10 GB: NumPy on the same numbers)
    q = np.quantile(ranks, [0.05, 0.5, 0.95], axis=1, method="lower")
    return pd.DataFrame({"rank_p05": q[0], "rank_median": q[1], "rank_p95": q[2],
                         "flagged_share_pct": 100 * flags.mean(axis=1)}, index=sub.index)


CASES = {"berlin": "robustness Berlin (536 PLR, 1,000 variants)",
         "grid": "robustness Zensus grid (101,107 cells, 1,000 v.)"}


def main() -> None:
    from quartier.analysis.robustness_table import robustness_of_table

    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    plain_draws = (int(sys.argv[sys.argv.index("--plain-draws") + 1])
                   if "--plain-draws" in sys.argv else None)
    for name in [only] if only else list(CASES):
        t0 = time.perf_counter()
        table, cfg = flagged_table(name)
        kw = quartier_kwargs(cfg)
        prep = time.perf_counter() - t0
        robustness_of_table(table, **{**kw, "draws": 20})            # warm-up
        times = []
        for _ in range(3 if name == "berlin" else 1):
            t0 = time.perf_counter()
            res = robustness_of_table(table, **kw)
            times.append(time.perf_counter() - t0)
        ours = min(times)
        tracemalloc.start()
        robustness_of_table(table, **kw)
        peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        n_plain = plain_draws or kw["draws"]
        t0 = time.perf_counter()
        plain = plain_robustness(table, kw, res.draws.head(n_plain))
        plain_s = (time.perf_counter() - t0) * kw["draws"] / n_plain
        what = "pandas loop per draw" + (f", {n_plain} draws × {kw['draws'] / n_plain:g}"
                                         if n_plain != kw["draws"] else "")
        report(CASES[name], ours, plain_s, what)
        print(f"{'':<48} {len(res.units):,} units, {kw['draws']:,} draws; load + flag {prep:.1f} s; "
              f"peak memory of the analysis (tracemalloc) {peak_mb:,.0f} MB")
        if n_plain == kw["draws"]:
            u = res.units
            same = {c: float((plain[c].to_numpy() == u[c].to_numpy(dtype="float64")).mean())
                    for c in ("rank_p05", "rank_median", "rank_p95")}
            share = float(np.abs(plain["flagged_share_pct"].to_numpy()
                                 - u["flagged_share_pct"].to_numpy()).max())
            print(f"{'':<48} equal to the plain loop: " + ", ".join(
                f"{c} {100 * v:.1f} %" for c, v in same.items())
                + f"; flagged share max. difference {share:.2f} points")


if __name__ == "__main__":
    main()

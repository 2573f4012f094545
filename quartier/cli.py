"""Command line: thin wrappers around the functions in :mod:`quartier.pipeline`."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from quartier import onboard, pipeline, vocab
from quartier.analysis.robustness import ROBUST_PCT
from quartier.analysis.robustness_table import robust_groups
from quartier.config import load_config
from quartier.errors import INTERRUPTED, ConfigError, QuartierError
from quartier.io.escape import console_text, visible_controls
from quartier.io.joinreport import JoinReport
from quartier.io.outputs import write_text
from quartier.pipeline import check as check_mod
from quartier.review import store as review
from quartier.vocab import OriginSource

app = typer.Typer(help="quartier: small-area housing and social monitoring", no_args_is_help=True,
                  pretty_exceptions_enable=False)
console = Console(width=None if Console().is_terminal else 120)

ConfigArg = Annotated[Path, typer.Argument(help="city config (TOML)")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="output folder")]


@contextmanager
def _user_errors():
    """Errors in the user's data or config: a message and exit code 2, never a traceback.
    Ctrl-C: a message and exit code 130; every output is written atomically, so the previous
    run's files are intact."""
    try:
        yield
    except QuartierError as exc:
        console.print(f"[bold red]Fehler:[/] {console_text(exc)}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        say_plain(INTERRUPTED, "bold yellow")
        raise typer.Exit(130) from None


@contextmanager
def _unexpected(command: str, files: list[Path]):
    """The first command a new city runs never ends in a traceback: an error quartier did not
    foresee in a file becomes a message naming the files (and asking for a report)."""
    try:
        yield
    except (QuartierError, KeyboardInterrupt, typer.Exit):
        raise
    except Exception as exc:  # a file quartier has not seen the like of: say so, exit 2
        raise QuartierError(
            f"`quartier {command}` could not inspect {', '.join(map(str, files))}: "
            f"{type(exc).__name__}: {str(exc)[:300]}. Write the config by hand from the README "
            "(`quartier init PATH` writes a template), and please report this file shape") from None


def say_plain(text: object, style: str | None = None) -> None:
    """Print text that may hold data (names, paths, notes) without interpreting it."""
    console.print(Text(visible_controls(str(text)), style=style or ""), highlight=False,
                  soft_wrap=True)


@contextmanager
def _status(title: str):
    with console.status(console_text(title)) as status:
        def say(msg: str) -> None:
            status.update(f"{console_text(title)}: {console_text(msg)}")
            console.log(Text(visible_controls(msg)))
        yield say


def _cell(value: object) -> Text:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return Text("–")
    return Text(visible_controls(f"{value:.2f}" if isinstance(value, float) else str(value)))


def print_frame(df: pd.DataFrame, title: str, max_rows: int = 20) -> None:
    table = Table(title=console_text(title), show_lines=False)
    for col in df.columns:
        table.add_column(_cell(col), overflow="fold")
    for row in df.head(max_rows).itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    console.print(table)


def print_notes(notes: list[str], prefix: str = "Hinweis") -> None:
    for note in notes:
        say_plain(f"{prefix}: {note}", "yellow")


def print_join_report(report: JoinReport) -> None:
    if report.n_units == 0 and not report.tables:
        say_plain("no [units] in this config (a gaps-only city): nothing to join")
        return
    say_plain(f"{report.n_units} units" + (f" — {'; '.join(report.unit_notes)}"
                                           if report.unit_notes else ""), "bold")
    frame = report.to_frame()
    if len(frame):
        print_frame(frame.drop(columns="details"), "Join report")
    for t in report.tables:
        for warning in t.warnings:
            say_plain(f"Warnung: {warning}", "bold yellow")
        for note in t.notes:
            say_plain(f"  {t.name}: {note}")
        if t.only_in_table and not t.cells:   # grid tables: counted in the notes above
            say_plain(f"{t.name}: {len(t.only_in_table)} key(s) only in the table (not dropped, "
                      f"listed here): {'; '.join(t.unmatched()[:20])}", "yellow")
        if t.only_in_units:
            say_plain(f"{t.name}: {len(t.only_in_units)} unit(s) without a row: "
                      f"{', '.join(t.only_in_units[:20])}", "yellow")


def _print_files(files: list[Path]) -> None:
    for f in files:
        say_plain(f"  wrote {f}")


def _run(config: Path, out: Path, say: Callable[[str], None]) -> pipeline.RunResult:
    return pipeline.run(load_config(config), out, progress=say)


def print_run(result: pipeline.RunResult) -> None:
    """Everything a run produced, in the order of the pipeline."""
    print_join_report(result.report)
    if result.access is not None:
        print_access(result.access)
    print_priority(result)
    print_robustness(result)
    print_areas(result)
    if result.gaps is not None:
        print_gaps(result.gaps)
    if result.sites is not None:
        print_sites(result.sites)
    if result.monitor is not None:
        print_monitor(result.monitor)
    _print_files(result.files)


@app.command()
def check(config: ConfigArg) -> None:
    """Validate a city's config and inputs and print the join report."""
    with _user_errors(), _status("check") as say:
        _, report = check_mod.check(load_config(config), progress=say)
    print_join_report(report)
    console.print("[green]OK[/]: config and inputs are usable.")


@app.command()
def run(config: ConfigArg, out: OutOpt = Path("out")) -> None:
    """Run the pipeline for any city described by CONFIG."""
    with _user_errors(), _status("run") as say:
        result = _run(config, out, say)
    print_run(result)


def print_priority(result: pipeline.RunResult, top: int = 15) -> None:
    if result.flags is None:
        return
    t = result.flags.table.sort_values("priority_rank", na_position="last", kind="stable")
    # a grid cell's own name repeats its id: its Gemeinde and Kreis say where it is
    names = ["place_name", "place_group"] if "place_name" in t else ["unit_name"]
    cols = ["priority_rank", "unit_id", *names, "status_class", "dynamics_class", "hotspot",
            "reasons"]
    shown = t[cols].head(top).assign(
        reasons=lambda d: d["reasons"].str.slice(0, 140).where(d["reasons"].str.len() <= 140,
                                                               d["reasons"].str.slice(0, 139) + "…"))
    print_frame(shown, f"Top {top} priority units (of {int(t['valid'].sum())} scored)")
    print_notes(result.flags.notes)
    if result.flags.clusters is not None:
        m = result.flags.clusters.metrics
        console.print(f"clusters: KMeans k={m['k_kmeans']} (silhouette {m['silhouette_kmeans']:.2f}, "
                      f"bootstrap ARI {m['stability_ari_mean']:.2f}), Ward k={m['k_ward']}, "
                      f"GMM k={m['k_gmm']} (BIC); {m['n_not_clustered']} units not clustered "
                      f"(missing context values); {m['sample']}; regions: {m['regions']}",
                      markup=False)
    counts = t["hotspot"].value_counts()
    say_plain("hot spots (Gi*, FDR): " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@app.command()
def flag(config: ConfigArg, out: OutOpt = Path("out"),
         top: Annotated[int, typer.Option(help="rows of the priority list to print")] = 15) -> None:
    """Compute the index, flag conspicuous units and write DIR/priority.csv (+ .gpkg, .xlsx)."""
    with _user_errors(), _status("flag") as say:
        result = pipeline.flag(load_config(config), out, progress=say)
    print_join_report(result.report)
    print_priority(result, top)
    _print_files(result.files)


def print_robustness(result: pipeline.RunResult) -> None:
    """Which flagged units are robust, and what moves the ranking."""

    rob = result.robustness
    if rob is None or result.flags is None:
        return
    t = result.flags.table
    scored = t[t["priority_rank"].notna()]
    groups = robust_groups(scored["flagged"], scored["flagged_share_pct"])
    ids = scored["unit_id"].astype(str)
    n_flag = len(groups["robust"]) + len(groups["fragile"])
    say_plain(f"robustness ({rob.n_draws:,} variants, seed {rob.seed}): {len(groups['robust'])} "
              f"of {n_flag} flagged units are flagged in ≥ {ROBUST_PCT:.0f} % of the variants",
              "bold")
    if len(groups["fragile"]):
        say_plain(f"  flagged in fewer: {', '.join(ids.loc[groups['fragile']].tolist()[:40])}")
    if len(groups["unflagged_robust"]):
        say_plain(f"  unflagged but flagged in ≥ {ROBUST_PCT:.0f} %: "
                  f"{', '.join(ids.loc[groups['unflagged_robust']].tolist()[:40])}")
    shown = rob.choices[["variant", "flag_added", "flag_removed", "list_changed",
                         "first_order_rank_pct", "first_order_flag_pct"]].rename(columns={
        "flag_added": "flag +", "flag_removed": "flag −", "list_changed": f"new in top {rob.top_n}",
        "first_order_rank_pct": "rank var. %", "first_order_flag_pct": "flag var. %"})
    print_frame(shown, "what moves the ranking: one choice at a time (first-order shares of the "
                "variance over all variants)", 40)
    for note in rob.choices.loc[rob.choices["note"].ne(""), "note"]:
        say_plain(f"  {note}")


@app.command()
def robustness(config: ConfigArg, out: OutOpt = Path("out"),
               draws: Annotated[int | None, typer.Option(help="variants (default: "
                                                         "priority.robustness_draws, 1,000)")] = None,
               seed: Annotated[int | None, typer.Option(help="seed of the draws (default: "
                                                        "priority.robustness_seed)")] = None,
               top: Annotated[int, typer.Option(help="rows of the priority list to print")] = 15
               ) -> None:
    """How robust is each rank? Re-rank under N variants of the priority's choices: DIR/
    robustness.csv, robustness_choices.csv, priority.csv with rank_median, rank_p05, rank_p95,
    flagged_share_pct."""
    with _user_errors(), _status("robustness") as say:
        cfg = load_config(config)
        update = {k: v for k, v in (("robustness_draws", draws), ("robustness_seed", seed))
                  if v is not None}
        if update:
            if draws is not None and draws < 1:
                raise ConfigError("--draws must be at least 1")
            cfg = cfg.model_copy(update={"priority": cfg.priority.model_copy(update=update)})
        result = pipeline.robustness(cfg, out, progress=say)
    print_priority(result, top)
    print_robustness(result)
    _print_files(result.files)


def print_areas(result: pipeline.RunResult) -> None:
    if result.flags is None or result.flags.areas is None:
        return
    a = result.flags.areas
    cols = ["area_id", "area_name", "n_members", "n_gap_closers", "residents",
            "mean_status_index", "dominant_reasons"]
    print_frame(a.areas[cols], f"{len(a.areas)} action areas (Aktionsräume)", 50)
    print_notes(a.notes)


@app.command()
def areas(config: ConfigArg, out: OutOpt = Path("out")) -> None:
    """Propose action areas: contiguous groups of flagged units, DIR/areas.csv (+ .xlsx, .gpkg)."""
    with _user_errors(), _status("areas") as say:
        result = pipeline.areas(load_config(config), out, progress=say)
    print_areas(result)
    _print_files(result.files)


def print_access(result: pipeline.AccessResult) -> None:
    for w in result.report.warnings:
        say_plain(f"POI: {w}", "yellow")
    print_notes(result.notes)
    t = result.table
    cats = [c.removeprefix("dist_").removesuffix("_m") for c in t.columns if c.startswith("dist_")]
    summary = pd.DataFrame({
        "category": cats,
        "units_with_value": [int(t[f"dist_{c}_m"].notna().sum()) for c in cats],
        "median_dist_m": [t[f"dist_{c}_m"].median() for c in cats],
        "median_share_within_pct": [t[f"share_within_{c}_pct"].median() for c in cats],
    })
    measured = ("residents' straight-line distance" if (t["origin"] != OriginSource.POINT).all()
                else "straight-line distance from one point per unit where no residents are known")
    print_frame(summary, f"Access of {len(t)} units ({measured}; walking = × detour factor)")
    if result.detour is not None:
        print_frame(result.detour[["category", "n_pois", "network_median_m", "straight_median_m",
                                   "detour_median", "n_origins"]],
                    "Detour factor measured on the street network")
    if result.key_share_pct is not None:
        say_plain(vocab.text("figure.key_access", dist=vocab.metres(result.key_within_m),
                             category=result.key_label) + ": " + vocab.pct(result.key_share_pct))


@app.command()
def access(config: ConfigArg, out: OutOpt = Path("out")) -> None:
    """Walking access to everyday infrastructure per unit: DIR/access_units.csv."""
    with _user_errors(), _status("access") as say:
        run_result, result = pipeline.access(load_config(config), out, progress=say)
    print_access(result)
    _print_files(run_result.files)


gaps_app = typer.Typer(help="Baulückenkataster: detect candidates, review them, export",
                       no_args_is_help=True)
app.add_typer(gaps_app, name="gaps")
StoreArg = Annotated[Path, typer.Argument(help="review store (SQLite), e.g. out/review.sqlite")]


def print_gaps(result: pipeline.GapsResult) -> None:
    c = result.candidates
    summary = c.groupby("gap_type").agg(n=("gap_id", "size"), area_m2=("area_m2", "sum"),
                                        mean_confidence=("confidence", "mean")).reset_index()
    print_frame(summary, f"{len(c)} gap candidates")
    s = result.sync
    say_plain(f"review store {result.store}: run {s.run_id}: {s.new} new, {s.unchanged} "
              f"unchanged, {s.changed} changed (decisions carried over, flagged), "
              f"{s.revived} detected again (decisions kept), {s.orphaned} orphaned (kept)")


@gaps_app.command("detect")
def gaps_detect(config: ConfigArg, out: OutOpt = Path("out"),
                store: Annotated[Path | None, typer.Option(help="review store")] = None) -> None:
    """Detect gap candidates: DIR/gaps.gpkg (layer candidates) + the review store."""
    with _user_errors(), _status("gaps") as say:
        result = pipeline.gaps(load_config(config), out, store, progress=say)
    print_gaps(result)
    _print_files(result.files)


@gaps_app.command("review")
def gaps_review(
    store: StoreArg,
    set_id: Annotated[str | None, typer.Option("--set", help="gap_id to decide on")] = None,
    status: Annotated[str | None, typer.Option(help="offen, bestätigt, verworfen, "
                                               "mobilisierbar, in Planung")] = None,
    reviewer: Annotated[str, typer.Option(help="your name")] = "",
    note: Annotated[str, typer.Option(help="reason, remark")] = "",
    expected: Annotated[int | None, typer.Option(help="decision id you saw (0: none); refuses "
                                                 "if someone decided meanwhile")] = None,
    history_of: Annotated[str | None, typer.Option("--history", help="show a gap's history")] = None,
) -> None:
    """Set a decision (--set ID --status S --reviewer NAME) or list candidates (filter --status)."""

    with _user_errors():
        # listing and history never write: a store is opened for writing only to decide
        con = review.open_store(store, readonly=not set_id)
        try:
            if status and status not in review.STATUSES:
                raise review.ReviewStoreError(f"status {status!r} unknown; use one of: "
                                              f"{', '.join(review.STATUSES)}")
            if set_id:
                if not status:
                    raise review.ReviewStoreError("--set needs --status")
                did = review.decide(con, set_id, status, reviewer, note, expected,
                                    on_wait=lambda msg: say_plain(msg, "yellow"))
                say_plain(f"decision {did}: {set_id} → {status} ({reviewer})")
            elif history_of:
                print_frame(review.history(con, history_of), f"history of {history_of}", 200)
            else:
                cad = review.cadastre(con).drop(columns="geometry")
                if status:
                    cad = cad[cad["status"] == status]
                cols = ["gap_id", "gap_type", "area_m2", "confidence", "state", "status",
                        "reviewer", "decision_id"]
                print_frame(cad[cols], f"{len(cad)} candidates", 50)
        finally:
            con.close()


@gaps_app.command("export")
def gaps_export(store: StoreArg, out: OutOpt = Path("out")) -> None:
    """Export the cadastre with current decisions as GeoPackage, CSV and xlsx."""

    with _user_errors():
        con = review.open_store(store, readonly=True)
        try:
            files = review.export(con, out)
        finally:
            con.close()
    _print_files(files)


def _serve_module():
    """The review web app; its libraries are the optional extra ``quartier[serve]``."""
    try:
        from quartier.review import app
    except ModuleNotFoundError as exc:
        raise ConfigError(f"'quartier gaps serve' needs {exc.name}, which is not installed: "
                          "pip install 'quartier[serve]'") from None
    return app


@gaps_app.command("serve")
def gaps_serve(
    store: StoreArg,
    config: Annotated[Path | None, typer.Option(help="city config: buildings, streets and units "
                                                "on the map")] = None,
    host: Annotated[str, typer.Option(help="address to listen on; anything but loopback needs "
                                      "the token printed at start")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port (0: a free one)")] = 8765,
    token: Annotated[str | None, typer.Option(help="token required on every request (at least "
                                              "16 characters; default for --host other than "
                                              "loopback: a random one). Use it on loopback too "
                                              "on a machine shared with other accounts")] = None,
) -> None:
    """Review the candidates in the browser: map, list, facts, history, decisions, export."""
    with _user_errors():
        serve = _serve_module()
        if token is None and not serve.is_loopback(host):
            token = serve.generate_token()
        with _status("gaps serve") as say:
            say("reading the store" + (" and the config's buildings, streets, units" if config
                                       else ""))
            app_ = serve.create_app(store, load_config(config) if config else None, host, token)
            sock = serve.bind(host, port)
        say_plain(f"Baulückenkataster: open {serve.address(host, sock, token)} in a browser "
                  "(Ctrl-C stops)", "bold")
        if token and not serve.is_loopback(host):
            say_plain("reachable from other machines: the token in the address is required on "
                      "every request; share it only with the reviewers")
        elif token:
            say_plain(f"only this machine can connect, and every request needs the token "
                      f"{token} (in the address above): other accounts of this machine cannot "
                      "read or decide without it")
        else:
            say_plain(f"only this machine can connect ({host}), but other accounts of this "
                      "machine can too: they could read the candidates and write decisions. On "
                      "a shared machine start with --token (at least 16 characters; it works on "
                      "loopback too)", "yellow")
        serve.run_server(app_, sock)


def print_sites(result) -> None:
    for w in result.warnings:
        say_plain(w, "yellow")
    t = result.table
    chosen = t[t["selected"]]
    say_plain(f"{result.housed} of {result.people} people housed at {len(chosen)} sites "
              f"({result.status}); objective Σ score·places = {result.objective:,.0f}", "bold")
    if result.binding:
        say_plain("binding constraints: " + "; ".join(result.binding[:12]))
    cols = ["site_id", "name", "places", "capacity", "score", "unit_id", "reasons"]
    print_frame(chosen[cols], "selected sites", 40)
    runners = t[~t["selected"] & t["reasons"].str.startswith(vocab.note("sites.not_selected"))]
    print_frame(runners[cols].head(5), "runner-up sites", 5)


@app.command()
def sites(config: ConfigArg,
          people: Annotated[int, typer.Option("--people", "-n", help="people to house")],
          out: OutOpt = Path("out"),
          store: Annotated[Path | None, typer.Option(help="review store of the gaps")] = None
          ) -> None:
    """Select sites for N people in integrated locations: DIR/sites.csv."""
    with _user_errors(), _status("sites") as say:
        run_result, result = pipeline.sites(load_config(config), people, out, store, progress=say)
    print_sites(result)
    _print_files(run_result.files)


def print_monitor(result) -> None:
    for n in result.notes:
        say_plain(f"  {n}")
    if result.city_rent is not None:
        say_plain("city median offer rent (€/m², median of units with enough listings): "
                  + ", ".join(f"{y}: {v:.2f}" for y, v in result.city_rent.items()))
    if not result.targets.empty:
        city = result.targets[result.targets["unit_id"] == "Stadt"]
        print_frame(city.pivot_table(index="year", columns="label", values="status",
                                     aggfunc="first").reset_index(), "targets (city)", 40)


@app.command()
def monitor(config: ConfigArg, out: OutOpt = Path("out")) -> None:
    """Time series per unit, boundary changes, housing signals, targets: DIR/monitoring.csv."""
    with _user_errors(), _status("monitor") as say:
        run_result, result = pipeline.monitor(load_config(config), out, progress=say)
    print_monitor(result)
    _print_files(run_result.files)


@app.command()
def profile(
    config: ConfigArg,
    unit_ids: Annotated[list[str] | None, typer.Argument(help="units to profile (default: the "
                                                        "flagged ones)")] = None,
    every: Annotated[bool, typer.Option("--all", help="a profile for every unit")] = False,
    flagged: Annotated[bool, typer.Option("--flagged", help="the flagged units (the default)")] = False,
    store: Annotated[Path | None, typer.Option(help="review store: show its gap candidates")] = None,
    pdf: Annotated[bool, typer.Option(help="also PDF (headless Chromium, where installed)")] = False,
    out: OutOpt = Path("out"),
) -> None:
    """Quarter profiles: DIR/profiles/index.html and one printable page per unit and area."""
    with _user_errors(), _status("profile") as say:
        if sum([bool(unit_ids), every, flagged]) > 1:
            raise ConfigError("give unit ids, --all or --flagged, one of them")
        result = pipeline.profiles(load_config(config), out, unit_ids, every, store, pdf,
                                   progress=say)
    pages = [f for f in result.files if f.suffix == ".html"]
    say_plain(f"{len(pages) - 1} profile(s), index: {pages[0]}")
    if pdf and not any(f.suffix == ".pdf" for f in result.files):
        say_plain("no PDF: Chromium is not installed (apt-get install chromium)", "yellow")


@app.command()
def demo(out: OutOpt = Path("maps")) -> None:
    """Run the whole pipeline on the embedded Berlin data."""
    with _user_errors(), _status("demo Berlin") as say:
        result = _run(pipeline.BERLIN_CONFIG, out, say)
    print_run(result)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="where to write the config (TOML)")],
    units: Annotated[Path | None, typer.Option(help="boundary file of the units")] = None,
    table: Annotated[list[Path] | None, typer.Option(help="a statistics table (repeat)")] = None,
    index: Annotated[str | None, typer.Option(help="index columns, comma-separated")] = None,
    population: Annotated[Path | None, typer.Option(help="population raster or census grid, "
                                                     "where the tables have no counts")] = None,
    name: Annotated[str | None, typer.Option(help="the city's name")] = None,
    layer: Annotated[str | None, typer.Option(help="layer of the boundary file")] = None,
    sheet: Annotated[str | None, typer.Option(
        help="sheet of xlsx tables (name or number; default: the sheet whose rows match the "
        "units)")] = None,
) -> None:
    """Write a config: from your files (--units, --table) with every guess and its evidence, or
    without files a template with every section and key, commented."""

    with _user_errors(), _unexpected("init", [p for p in [units, *(table or [])] if p]):
        if path.exists():
            raise ConfigError(f"{path} exists; not overwritten (choose another path or delete it)")
        notes: list[str] = []
        if units is None:
            if table or index or population:
                raise ConfigError("--table, --index and --population need --units")
            text = onboard.template()
        else:
            text, notes = onboard.write_config(
                path, units, list(table or []), name=name, layer=layer, population=population,
                index=[c.strip() for c in index.split(",")] if index else None,
                sheet=int(sheet) if sheet and sheet.isdigit() else sheet)
        write_text(text, path)
        say_plain(f"wrote {path}")
        for note in notes:
            say_plain(f"  {note}")
        if units is not None:
            cfg = load_config(path)
            _, report = check_mod.check(cfg)
            print_join_report(report)
            say_plain(f"`quartier check {path}` passes; next: `quartier run {path} --out out/`",
                      "green")
        else:
            say_plain(f"edit the paths and columns, then `quartier check {path}`")


if __name__ == "__main__":
    app()

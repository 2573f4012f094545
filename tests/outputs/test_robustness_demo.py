"""The rank robustness in `quartier demo`/`run`: tables, report chart, profile sentence."""

import pandas as pd
import pytest

from quartier.analysis.priority import PRIORITY_COLUMNS
from quartier.analysis.robustness import UNIT_COLUMNS

# the Berlin demo run is shared with the other demo modules: keep them on one test worker
pytestmark = pytest.mark.xdist_group("berlin_demo")


def test_demo_writes_the_robustness_tables(demo_run):
    out, output = demo_run
    assert "robustness (1,000 variants, seed 42): 86 of 95 flagged units" in output
    prio = pd.read_csv(out / "priority.csv", encoding="utf-8-sig", dtype={"unit_id": str})
    assert list(prio.columns[: len(PRIORITY_COLUMNS)]) == PRIORITY_COLUMNS
    assert set(UNIT_COLUMNS) <= set(prio.columns)
    assert prio["rank_median"].notna().sum() == 536
    per_unit = pd.read_csv(out / "robustness.csv", encoding="utf-8-sig", dtype={"unit_id": str})
    assert len(per_unit) == 542 and per_unit["robustness"].notna().sum() == 536
    first = per_unit.iloc[0]
    assert first["unit_id"] == "08100521" and first["robustness"] == (
        "Rang 1, in 90 % der Varianten zwischen 1 und 15; in 100 % der Varianten gekennzeichnet")
    choices = pd.read_csv(out / "robustness_choices.csv", encoding="utf-8-sig")
    assert {"ohne Dynamik", "Ränge", "Min–Max (0–1)", "ohne S4 Kinderarmut"} <= set(choices["variant"])
    assert len(pd.read_csv(out / "robustness_draws.csv", encoding="utf-8-sig")) == 1000


def test_demo_report_and_profile_show_the_intervals(demo_run):
    out, _ = demo_run
    report = (out / "report.html").read_text(encoding="utf-8")
    section = report.split("Wie belastbar ist die Rangfolge?</h2>")[1].split("<h2>")[0]
    assert "Rangintervalle (5.–95. Perzentil)" in section and section.count("<rect") == 120
    assert "Von den 95 gekennzeichneten Einheiten sind 86 in mindestens 95 %" in section
    assert "<script" not in report
    page = (out / "profiles" / "einheit_08100521.html").read_text(encoding="utf-8")
    assert ("Robustheit der Rangfolge: Rang 1, in 90 % der Varianten zwischen 1 und 15; in 100 % "
            "der Varianten gekennzeichnet.") in page

"""Index building blocks at their edges: relative changes, infinite values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quartier.analysis.indicators import zscore
from quartier.errors import InputDataError


def test_relative_change_needs_a_positive_base_and_is_per_year():
    from quartier.analysis.monitor import evaluate, relative_change_pct
    from quartier.config import MonitorTarget

    got = relative_change_pct(pd.Series([110.0, 5.0, 5.0]), pd.Series([100.0, 0.0, -5.0]))
    assert got.iloc[0] == pytest.approx(10.0) and got.iloc[1:].isna().all()
    long = pd.DataFrame({"unit_id": ["a"] * 3, "year": [2018, 2020, 2021],
                         "indicator": "x", "value": [100.0, 121.0, 60.5]})
    res = evaluate(long, [MonitorTarget(indicator="x", measure="change_pct", target=3.0)])
    a = res[res["unit_id"] == "a"].set_index("year")["measure"]
    assert a[2020] == pytest.approx(10.0) and a[2021] == pytest.approx(-50.0)
    res = evaluate(long, [MonitorTarget(indicator="x", measure="change_abs", target=0.0)])
    assert res[res["unit_id"] == "a"].set_index("year")["measure"][2020] == pytest.approx(10.5)


def test_inf_in_an_index_column_is_not_called_constant():
    with pytest.raises(InputDataError, match="has 1 infinite value"):
        zscore(pd.Series([1.0, np.inf, 2.0], name="x"), pd.Series([True] * 3))

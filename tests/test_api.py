"""The public API a notebook uses: what ``import quartier`` offers, the examples in its
docstrings (run here as doctests on the generated tiny city), and the errors plain
GeoDataFrames with a missing column get."""

import doctest
import importlib

import geopandas as gpd
import pytest
import shapely

import quartier
from quartier.errors import InputDataError
from quartier.testing import tiny_blocks, tiny_city, tiny_pois, tiny_sites

ACCESS = {"categories": {"kita": {"label": "Kita", "good_m": 300, "limit_m": 1000}}}


def test_all_names_resolve_lazily_and_match_the_map():
    assert set(quartier.__all__) - {"__version__"} == set(quartier._API)
    for name in quartier._API:
        assert getattr(quartier, name) is getattr(importlib.import_module(quartier._API[name]),
                                                  name)
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        quartier.nonexistent  # noqa: B018


@pytest.mark.parametrize("module", sorted({quartier._API[n] for n in quartier._API}
                                          | {"quartier.testing"}))
def test_docstring_examples_run(module):
    """Every example in the public modules' docstrings gives the output printed there."""
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS
                             | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_public_analysis_functions_have_an_example():
    analysis = [n for n, m in quartier._API.items() if m.startswith("quartier.analysis")]
    assert [n for n in analysis if ">>>" not in (getattr(quartier, n).__doc__ or "")] == []


def test_point_access_without_category_names_the_column():
    pois = tiny_pois().rename(columns={"category": "kategorie"})
    with pytest.raises(InputDataError, match="'category'.*Available columns: kategorie"):
        quartier.point_access(tiny_sites(), pois, ACCESS)


def test_point_access_without_weight_uses_one_and_rejects_a_bad_weight():
    with_weight = quartier.point_access(tiny_sites(), tiny_pois().assign(weight=1.0), ACCESS)
    plain = quartier.point_access(tiny_sites(), tiny_pois(), ACCESS)
    assert plain["access_score"].tolist() == with_weight["access_score"].tolist()
    with pytest.raises(InputDataError, match="'weight' must be a number from 0 to 1"):
        quartier.point_access(tiny_sites(), tiny_pois().assign(weight="hoch"), ACCESS)


def test_access_units_other_crs_and_missing_unit_id():
    city = tiny_city()
    with pytest.raises(InputDataError, match="unit id column.*'unit_id'"):
        quartier.access_units(city.drop(columns="unit_id"), tiny_pois(), ACCESS)
    with pytest.raises(InputDataError, match="reproject"):
        quartier.point_access(tiny_sites().to_crs(4326), tiny_pois(), ACCESS)


def test_a_config_section_as_dict_is_validated():
    with pytest.raises(quartier.ConfigError, match="categories.kita.label"):
        quartier.point_access(tiny_sites(), tiny_pois(),
                              {"categories": {"kita": {"good_m": 300, "limit_m": 1000}}})


def test_detect_gaps_without_street_class_names_the_column():
    inputs = tiny_blocks()
    inputs.streets = inputs.streets.rename(columns={"cls": "highway"})
    with pytest.raises(InputDataError, match="streets.*'cls'.*Available columns: highway"):
        quartier.detect_gaps(inputs, {})


def test_detect_gaps_refuses_degrees_and_mixed_crs():
    inputs = tiny_blocks()
    inputs.streets = inputs.streets.to_crs(4326)
    with pytest.raises(InputDataError, match="different CRSs"):
        quartier.detect_gaps(inputs, {})
    inputs.buildings = inputs.buildings.to_crs(4326)
    with pytest.raises(InputDataError, match="not a metric CRS"):
        quartier.detect_gaps(inputs, {})


def test_hot_spots_missing_column_and_default_valid():
    city = tiny_city()
    with pytest.raises(InputDataError, match="'share_pct'"):
        quartier.hot_spots(city, "share_pct")
    city.loc[3, "share_sgb2_pct"] = float("nan")
    spots = quartier.hot_spots(city, "share_sgb2_pct", permutations=99, seed=1)
    assert spots.loc[3, "hotspot"] == "nicht bewertet"
    assert spots["hotspot"].ne("nicht bewertet").sum() == 35


def test_compute_index_on_plain_frames_needs_the_indicator_columns():
    units = gpd.GeoDataFrame({"unit_id": ["A"]}, geometry=[shapely.box(0, 0, 1, 1)],
                             crs="EPSG:25833")
    with pytest.raises(InputDataError, match="share_sgb2_pct"):
        quartier.compute_index(units, {"status": [{"column": "share_sgb2_pct"}]})

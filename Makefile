# Two commands on a fresh machine (Python 3.11 + pip): `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow test-all bench docs lint clean chromium

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)  ## run the whole pipeline on the embedded Berlin data, outputs in maps/
	$(VENV)/bin/quartier demo --out maps

test: $(STAMP) chromium  ## ruff (incl. complexity ≤ 14), mypy, the test suite (slow scale tests excluded)
	$(PY) -m ruff check quartier tests benchmarks
	$(PY) -m mypy quartier
	$(PY) -m pytest -q -m "not slow" -n 2 --dist loadgroup

chromium:  ## the browser tests open the maps in Debian's headless Chromium
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (Debian package) for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test-slow: $(STAMP)  ## the scale tests (Dask LocalCluster)
	$(PY) -m pytest -q -m slow -n 2

test-all: $(STAMP) chromium
	$(PY) -m pytest -q

bench: $(STAMP)  ## benchmarks with ratios against the plain geopandas/scikit-learn way
	$(PY) benchmarks/run_all.py

docs: $(STAMP)  ## the API reference (mkdocs-material + mkdocstrings), in site/
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict -d site

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache site

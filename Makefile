# Returns-inspection station: set-up, run, test, bench, lint.
# `make run` and `make test` work on a fresh Debian machine with Python 3.11 (apt-get as root).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEBS_RUN := libzbar0
DEBS_TEST := libzbar0 postgresql chromium fonts-noto-cjk

.PHONY: run test lint bench sysdeps-run sysdeps-test clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

sysdeps-run:
	@DEBS="$(DEBS_RUN)" sh .ci/apt-ensure

sysdeps-test:
	@DEBS="$(DEBS_TEST)" sh .ci/apt-ensure

## run: install and start the bench on its embedded default (SQLite + ./var + simulated devices + demo data)
run: sysdeps-run $(STAMP)
	$(BIN)/station db upgrade
	$(BIN)/station run --demo

## test: install and run lint + the whole test suite (SQLite, PostgreSQL, simulators, Chromium)
test: sysdeps-test $(STAMP) lint
	$(BIN)/pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check station web drivers tests bench
	$(BIN)/mypy

## bench: run the benchmarks, JSON results under bench/results/
bench: sysdeps-test $(STAMP)
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

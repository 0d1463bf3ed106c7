# Returns-inspection station: set-up, run, test, bench, lint.
# On a fresh Debian machine with only python3, `sh .ci/make run` / `sh .ci/make test` first
# install make and python3-venv; the targets install the rest (apt-get as root).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
DEBS_RUN := libzbar0
DEBS_TEST := libzbar0 postgresql chromium fonts-noto-cjk cups cups-client systemd
#: `make run PORT=9000` serves on another port (default web.port, 8080)
PORT ?=
#: pytest workers (`make test JOBS=1` runs one at a time); every worker has its own PostgreSQL
JOBS ?= 2

.PHONY: run test lint bench fault sysdeps-run sysdeps-test clean

$(VENV)/bin/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# the bench alone: the project and its runtime dependencies (no test or lint tools)
$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	@echo "installing the station into $(VENV) (runtime dependencies)..."
	$(BIN)/pip install -q -e .
	touch $(RUN_STAMP)

# tests, lint and benchmarks: the dev extras on top
$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	@echo "installing the station with its test and lint tools into $(VENV)..."
	$(BIN)/pip install -q -e '.[dev]'
	touch $(RUN_STAMP) $(DEV_STAMP)

sysdeps-run:
	@DEBS="$(DEBS_RUN)" sh .ci/apt-ensure

sysdeps-test:
	@DEBS="$(DEBS_TEST)" sh .ci/apt-ensure

## run: install and start the bench on its embedded default (SQLite + ./var + simulated devices + demo data)
run: sysdeps-run $(RUN_STAMP)
	$(BIN)/station db upgrade
	$(BIN)/station run --demo $(if $(PORT),--port $(PORT),)

## test: install and run lint + the whole test suite (SQLite, PostgreSQL, simulators, Chromium)
test: sysdeps-test $(DEV_STAMP) lint
	$(BIN)/pytest -q -p no:cacheprovider -n $(JOBS) --dist worksteal --durations=15

lint: $(DEV_STAMP)
	$(BIN)/ruff check station web drivers tests bench
	$(BIN)/mypy

## bench: run the benchmarks, JSON results under bench/results/
bench: sysdeps-test $(DEV_STAMP)
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

## fault: the fault campaign (SIGKILLs on SQLite and PostgreSQL, hostile input, device noise, full/read-only disk, locked database); JSON in bench/results/fault.json
fault: sysdeps-test $(DEV_STAMP)
	$(BIN)/python -m bench.fault_campaign

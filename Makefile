# reesim: every target a developer or CI needs. `make check` is exactly what CI runs.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
SCENARIO ?= scenarios/controls-2025.yaml
ARGS    ?=

.PHONY: install browser bytecode run test lint typecheck bench check clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) browser bytecode  ## create .venv and install reesim with its test and lint tools

# An editable install compiles nothing, and where Python may not cache bytecode itself
# (PYTHONDONTWRITEBYTECODE) every command would compile reesim's modules as it starts: ~0.08 s
# of CPU, serial before any work. pip compiles a wheel's modules when it installs them; this
# does the same here. Stale files are harmless: Python checks each against its source.
bytecode: $(STAMP)  ## compile reesim's modules (as installing a wheel does)
	$(BIN)/python -m compileall -q reesim

# Headless Chromium renders the HTML report in tests/test_report.py. Installed with apt-get where
# that works (root on Debian, as in CI); elsewhere install it yourself: without it those tests
# skip locally and fail in CI (CI=true), so a missing browser never passes CI unseen.
browser:  ## headless Chromium for the report's rendering test (apt-get, when run as root)
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	       && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium); } \
	  || echo "make browser: no Chromium (apt-get install chromium); the report's rendering test will skip"

run: $(STAMP)  ## the main job: run the default scenario and print its KPI table
	$(BIN)/reesim run $(SCENARIO)

test: $(STAMP)  ## the whole test suite
	$(BIN)/pytest -q

lint: $(STAMP)  ## ruff (style), the layer contracts (import-linter) and mypy --strict (pyproject.toml)
	$(BIN)/ruff check reesim tests bench
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy reesim

bench: $(STAMP) bytecode  ## speed against hand-written SimPy yardsticks, scaling, memory (~10 min; ARGS=--quick: ~4); bench/results.json
	$(BIN)/python -m bench.bench $(ARGS)

check: lint test  ## what CI runs

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build *.egg-info

# The two commands of the README: `make demo` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DB ?= signalroom.duckdb
PORT    ?= 8000

.PHONY: install demo test lint typecheck bench clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "signalroom needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/signalroom demo run --db $(DEMO_DB)
	$(BIN)/signalroom serve --db $(DEMO_DB) --host 127.0.0.1 --port $(PORT) --create-admin

test: $(STAMP)
	scripts/install-chromium.sh
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[bench]'
	$(BIN)/python benchmarks/ingest_throughput.py
	$(BIN)/python benchmarks/analysis_throughput.py

clean:
	rm -rf $(VENV) demo-data $(DEMO_DB) $(DEMO_DB).wal

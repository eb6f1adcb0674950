# The two commands that set up and run everything on a fresh machine:
#   make run    start dxspots on this machine (`dxspots up`)
#   make test   lint, type-check and run the whole test suite
# Both create .venv when it is missing and (re)install the project when pyproject.toml changes.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= collector,api,dev
STAMP := $(VENV)/.installed-$(EXTRAS)

.PHONY: run test lint typecheck pytest bench clean

$(STAMP): pyproject.toml setup.py dxspots/_cenrich.pyx dxspots/parse/_cdxde.pyx
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[$(EXTRAS)]'
	rm -f $(VENV)/.installed-*
	touch $@

run: $(STAMP)
	$(BIN)/dxspots up

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check dxspots collector api dashboard

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/parse_enrich.py
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

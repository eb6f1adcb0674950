# The two commands that set up and run everything on a fresh machine:
#   make run    start dxspots on this machine (`dxspots up`)
#   make test   lint, type-check and run the whole test suite
# Both create .venv when it is missing and (re)install the project when pyproject.toml changes.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= collector,api,dashboard,alerts,local,dev
STAMP := $(VENV)/.installed-$(EXTRAS)

.PHONY: run test lint typecheck pytest images bench screenshots deb clean

$(STAMP): pyproject.toml setup.py dxspots/_cenrich.pyx dxspots/_crecordio.pyx dxspots/parse/_cdxde.pyx
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
	$(BIN)/ruff format --check dxspots collector api dashboard alerts

typecheck: $(STAMP)
	$(BIN)/mypy

# The browser tests drive Debian's Chromium; install it when it is missing (needs root or sudo).
CHROMIUM ?= /usr/bin/chromium
$(CHROMIUM):
	command -v apt-get >/dev/null || { echo "install Chromium, then set CHROMIUM=path"; exit 1; }
	$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq chromium

# `make deb` (and its test) builds against Debian's Python and libpq: their headers and gcc.
PG_CONFIG ?= /usr/bin/pg_config
$(PG_CONFIG):
	command -v apt-get >/dev/null || { echo "install libpq-dev, python3-dev and gcc"; exit 1; }
	$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" = 0 ] || echo sudo ) \
		apt-get install -y -qq libpq-dev python3-dev gcc

# With a Docker engine when one answers or can be started (deploy/docker/with-engine): the
# tests' PostgreSQL is then a testcontainers container, and the image and compose tests run.
pytest: $(STAMP) $(CHROMIUM) $(PG_CONFIG)
	DXSPOTS_TEST_CHROMIUM=$(CHROMIUM) PYTHON=$(BIN)/python \
		deploy/docker/with-engine $(BIN)/python -m pytest

# Every image of deploy/docker/Dockerfile (and its bases: pulled, or built from Debian
# packages where no registry answers), for compose.yaml: docs/deploy-docker.md.
images: $(STAMP)
	$(BIN)/python deploy/docker/images.py --postgres

bench: $(STAMP)
	$(BIN)/python bench/parse_enrich.py
	$(BIN)/python bench/ingest.py

# Refresh the screenshots in docs/ (the browser test takes them).
screenshots: $(STAMP) $(CHROMIUM)
	DXSPOTS_TEST_CHROMIUM=$(CHROMIUM) DXSPOTS_TEST_SCREENSHOTS=docs/screenshots \
		$(BIN)/python -m pytest tests/e2e/test_dashboard_browser.py

# dist/dxspots-collector_<version>_<arch>.deb: the collector for systemd (docs/deploy-systemd.md).
deb: $(STAMP) $(PG_CONFIG)
	$(BIN)/python deploy/debian/build.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist

# Everything a fresh Debian machine with Python 3.10+ needs, from one command:
#   make test   creates .venv, installs the package with its dev extra, then runs lint, types and tests.
# Re-running is cheap: the virtual environment is rebuilt only when setup.cfg or pyproject.toml change.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
# apt-get, quiet and non-interactive (CI has no standard input); sudo when not root.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT    := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: test lint typecheck unit system venv clean

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check tinygrad_scalar tests
	$(BIN)/ruff format --check tinygrad_scalar tests

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest

venv: $(STAMP)

# System packages, installed only when missing. Debian splits venv/ensurepip out of python3.
system:
	@if ! $(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1; then \
	    echo "Installing python3-venv (needed to create $(VENV))"; \
	    $(APT) update -qq && $(APT) install -y -qq python3-venv; \
	fi

$(STAMP): setup.cfg pyproject.toml | system
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis

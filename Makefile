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

test: system lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check tinygrad_scalar tests
	$(BIN)/ruff format --check tinygrad_scalar tests
	$(BIN)/python -m tests.notebooks_clean notebooks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest

venv: $(STAMP)

# System packages, installed only when missing: python3-venv (Debian splits venv and ensurepip
# out of python3), graphviz (the `dot` program that renders pictures of graphs) and chromium (the
# headless browser the tests drive the HTML stepper in).
system:
	@missing=""; \
	$(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	command -v dot >/dev/null 2>&1 || missing="$$missing graphviz"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	    echo "Installing system packages:$$missing"; \
	    $(APT) update -qq && $(APT) install -y -qq --no-install-recommends $$missing; \
	fi

$(STAMP): setup.cfg pyproject.toml | system
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis

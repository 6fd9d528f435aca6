# Everything a fresh Debian machine with Python 3.10+ needs, from one command each:
#   make demo   creates .venv, installs the package, trains micrograd's demo MLP and writes the results to out/
#   make test   creates .venv, installs the package with its dev extra, then runs lint, types and the whole suite
# Re-running is cheap: system packages are installed only when missing, and the virtual environment
# is rebuilt only when setup.cfg or pyproject.toml change.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# apt-get, quiet and non-interactive (CI has no standard input); sudo when not root.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT    := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: demo test bench lint typecheck unit system-demo system-test system-bench clean

demo: system-demo $(VENV)/.installed-plots
	$(BIN)/tinygrad-scalar demo $(DEMO_ARGS)

test: system-test lint typecheck unit

# Side-by-side benchmarks (tinygrad_scalar, micrograd 0.1.0, PyTorch 0-d tensors, plain floats), with
# instruction counts from valgrind's callgrind; writes benchmarks/RESULTS.md, then adds what watching
# training live costs (benchmarks/live.py) and what an animation for slides costs (benchmarks/animation.py).
# micrograd and PyTorch come with the dev extra.
bench: system-bench $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/live.py
	$(BIN)/python benchmarks/animation.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check tinygrad_scalar tests benchmarks
	$(BIN)/ruff format --check tinygrad_scalar tests benchmarks
	$(BIN)/python -m tests.notebooks_clean notebooks

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

unit: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

# System packages, each installed only when missing: python3-venv (Debian splits venv and ensurepip
# out of python3), graphviz (the `dot` program that renders pictures of graphs), ffmpeg (which encodes
# the stepper's animations as MP4: explain -o pass.mp4), for the tests chromium (the headless browser
# the HTML stepper and the training replay are tested in) and pdflatex (texlive-latex-base: the worked
# solutions are compiled as LaTeX documents), and for the benchmarks valgrind (whose callgrind counts
# instructions).
define install_missing
	@missing=""; \
	$(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	for tool in $(1); do command -v $${tool%%:*} >/dev/null 2>&1 || missing="$$missing $${tool##*:}"; done; \
	if [ -n "$$missing" ]; then \
	    echo "Installing system packages:$$missing"; \
	    $(APT) update -qq && $(APT) install -y -qq --no-install-recommends $$missing; \
	fi
endef

system-demo:
	$(call install_missing,dot:graphviz ffmpeg:ffmpeg)

system-test:
	$(call install_missing,dot:graphviz ffmpeg:ffmpeg chromium:chromium pdflatex:texlive-latex-base)

system-bench:
	$(call install_missing,dot:graphviz ffmpeg:ffmpeg valgrind:valgrind)

$(VENV)/.installed-%: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[$*]'
	touch $@

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis out

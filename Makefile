# Everything a fresh Debian machine with Python 3.10+ needs, from one command each:
#   make demo   creates .venv, installs the package, trains micrograd's demo MLP and writes the results to out/
#   make test   creates .venv, installs the package with its dev extra, then runs lint, types and the whole suite
#   make docs   builds the documentation site into site/: the guide, the API reference, every notebook executed
#               with its pictures, and the browser lab (JupyterLite) under site/lite/; serve it with
#               `python3 -m http.server -d site` and open http://127.0.0.1:8000/
#   make unit   the quick loop: the tests that need no browser, LaTeX, notebook kernel or built site, and are not slow
# Re-running is cheap: system packages are installed only when missing, and the virtual environment
# is rebuilt only when setup.cfg or pyproject.toml change.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# apt-get, quiet and non-interactive (CI has no standard input); sudo when not root.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT    := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get

# The teaching text's catalogs (tinygrad_scalar/locale/): extract every message of the source into the template,
# merge it into each language's .po (new messages come in untranslated: tests/test_language.py fails until they
# are translated), then compile the .mo files the package reads. The .mo files are committed, so that a checkout,
# an editable install and the browser lab need no build step; the tests check that they match their .po files.
LANGUAGES := de fr es zh_Hans
LOCALE    := tinygrad_scalar/locale

.PHONY: demo test docs site-test bench lint typecheck suite unit locale system-demo system-test system-docs system-bench clean

demo: system-demo $(VENV)/.installed-plots
	$(BIN)/tinygrad-scalar demo $(DEMO_ARGS)

test: system-test lint typecheck suite

# The site, built clean every time (the lab's settings must not come from an earlier build). docs/build.py
# runs Sphinx (warnings are errors; myst-nb executes every notebook), then builds the lab. npm installs what
# the site serves itself (Pyodide, Viz.js, MathJax, the widget renderer) from docs/package-lock.json.
docs: system-docs $(VENV)/.installed-docs docs/node_modules/.package-lock.json
	$(BIN)/python docs/build.py site

# The built site in headless Chromium, served from 127.0.0.1 with every other host blocked: every page loads
# with nothing from outside, and every notebook of the lab runs to the end with its pictures (make docs first).
site-test: system-test $(VENV)/.installed-dev $(VENV)/.installed-docs
	$(BIN)/python -m pytest -m site $(SITE_TEST_ARGS)

docs/node_modules/.package-lock.json: docs/package.json docs/package-lock.json
	cd docs && npm ci --no-audit --no-fund

# Side-by-side benchmarks (tinygrad_scalar, micrograd 0.1.0, PyTorch 0-d tensors, plain floats), with
# instruction counts from valgrind's callgrind; writes benchmarks/RESULTS.md, then adds what watching
# training live costs (benchmarks/live.py) and what an animation for slides costs (benchmarks/animation.py).
# micrograd and PyTorch come with the dev extra.
bench: system-bench $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/live.py
	$(BIN)/python benchmarks/classroom.py
	$(BIN)/python benchmarks/animation.py

locale: $(VENV)/.installed-dev
	$(BIN)/pybabel --quiet extract -F babel.cfg --width 120 --sort-by-file --add-location file \
	    --project tinygrad-scalar --version $$($(BIN)/python -c 'import tinygrad_scalar; print(tinygrad_scalar.__version__)') \
	    --copyright-holder "the tinygrad-scalar authors" --msgid-bugs-address "the tinygrad-scalar issue tracker" \
	    -o $(LOCALE)/tinygrad_scalar.pot .
	for lang in $(LANGUAGES); do \
	    if [ -f $(LOCALE)/$$lang/LC_MESSAGES/tinygrad_scalar.po ]; then \
	        $(BIN)/pybabel --quiet update -D tinygrad_scalar -i $(LOCALE)/tinygrad_scalar.pot -d $(LOCALE) -l $$lang \
	            --width 120 --ignore-obsolete --ignore-pot-creation-date || exit 1; \
	    else \
	        $(BIN)/pybabel --quiet init -D tinygrad_scalar -i $(LOCALE)/tinygrad_scalar.pot -d $(LOCALE) -l $$lang \
	            --width 120 || exit 1; \
	    fi; \
	done
	$(BIN)/pybabel --quiet compile -D tinygrad_scalar -d $(LOCALE)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check tinygrad_scalar tests benchmarks docs/*.py docs/_static/*.py docs/_ext
	$(BIN)/ruff format --check tinygrad_scalar tests benchmarks docs/*.py docs/_static/*.py docs/_ext
	$(BIN)/python -m tests.notebooks_clean notebooks

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# The whole suite (what CI runs), and the quick loop: no browser, LaTeX, notebook or slow test. Both take the docs
# extra too: tests/test_site.py reads the notebooks' lab copies with the site's own tools (docutils, jupyterlite).
suite: $(VENV)/.installed-dev $(VENV)/.installed-docs
	$(BIN)/python -m pytest

unit: $(VENV)/.installed-dev $(VENV)/.installed-docs
	$(BIN)/python -m pytest -m "not browser and not latex and not notebook and not slow and not site"

# System packages, each installed only when missing: python3-venv (Debian splits venv and ensurepip
# out of python3), graphviz (the `dot` program that renders pictures of graphs), ffmpeg (which encodes
# the stepper's animations as MP4: explain -o pass.mp4), for the tests chromium (the headless browser
# the HTML stepper and the training replay are tested in), pdflatex (texlive-latex-base: the worked
# solutions are compiled as LaTeX documents), TikZ (texlive-pictures: graph --format tikz) and Beamer
# (texlive-latex-recommended: explain --format beamer), lmodern (the vector fonts of the worksheets and
# worked solutions), the languages' LaTeX (babel's German, French and Spanish: texlive-lang-german,
# -french, -spanish; Chinese through the CJK package, latex-cjk-chinese, with the Arphic GB Song font,
# latex-cjk-chinese-arphic-gbsn00lp), and poppler-utils (pdftotext, pdffonts, pdfseparate and pdftoppm
# read and cut the compiled PDFs), and for the benchmarks valgrind (whose callgrind counts instructions);
# for the site, Node.js and npm (which install what the site serves: Pyodide, Viz.js, MathJax).
# An entry is program:package, file:package for a LaTeX file that kpsewhich finds (tikz.sty, ngerman.ldf), or font:package for
# a font file that fontconfig lists (the Chinese pages and slides: NotoSansCJK-Regular.ttc).
define install_missing
	@missing=""; \
	$(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	for tool in $(1); do \
	    case $${tool%%:*} in \
	        *.sty|*.cls|*.ldf|*.fd) kpsewhich $${tool%%:*} >/dev/null 2>&1 || missing="$$missing $${tool##*:}";; \
	        *.ttc) fc-list 2>/dev/null | grep -q "/$${tool%%:*}:" || missing="$$missing $${tool##*:}";; \
	        *) command -v $${tool%%:*} >/dev/null 2>&1 || missing="$$missing $${tool##*:}";; \
	    esac; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "Installing system packages:$$missing"; \
	    $(APT) update -qq && $(APT) install -y -qq --no-install-recommends $$missing; \
	fi
endef

system-demo:
	$(call install_missing,dot:graphviz ffmpeg:ffmpeg)

system-test:
	$(call install_missing,dot:graphviz ffmpeg:ffmpeg chromium:chromium pdflatex:texlive-latex-base \
	    tikz.sty:texlive-pictures beamer.cls:texlive-latex-recommended pdftotext:poppler-utils \
	    lmodern.sty:lmodern pdffonts:poppler-utils \
	    ngerman.ldf:texlive-lang-german french.ldf:texlive-lang-french spanish.ldf:texlive-lang-spanish \
	    CJKutf8.sty:latex-cjk-chinese c70gbsn.fd:latex-cjk-chinese-arphic-gbsn00lp \
	    NotoSansCJK-Regular.ttc:fonts-noto-cjk)

system-docs:
	$(call install_missing,dot:graphviz node:nodejs npm:npm)

system-bench:
	$(call install_missing,dot:graphviz ffmpeg:ffmpeg valgrind:valgrind pdflatex:texlive-latex-base lmodern.sty:lmodern)

$(VENV)/.installed-%: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[$*]'
	touch $@

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis out site docs/node_modules

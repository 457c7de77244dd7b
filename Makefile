# `make demo` runs the main job, `make test` the tests, `make app` the web page on the demo's bundle. Each creates
# .venv and installs the pinned set first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= outputs/demo

.PHONY: install demo app test test-guide test-browser test-all

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,bench,app]"
	touch $(STAMP)

install: $(STAMP)

# The main job: synthesize both corpora, train the four parts, build the bundle, write $(OUT)/report.html.
# Interrupted, it resumes where it stopped when run again.
demo: $(STAMP)
	$(BIN)/s2i demo --output_dir $(OUT)

# The web page on the demo's bundle: http://127.0.0.1:7860 (after `make demo`)
app: $(STAMP)
	$(BIN)/s2i app --model $(OUT)/bundle

test: $(STAMP)
	$(BIN)/python -m pytest -q

# docs/training-on-real-data.md, command by command, and the recipes' checks of what a real-format folder lacks,
# on tiny real-format folders (about three minutes)
test-guide: $(STAMP)
	$(BIN)/python -m pytest -q -m guide

# the web app in a real headless Chromium (Debian's: `apt-get install chromium`; Playwright drives it)
test-browser: $(STAMP)
	$(BIN)/python -m pytest -q -m browser

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -m ""

# `make demo` runs the main job, `make test` the tests. Both create .venv and install the pinned set first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= outputs/demo

.PHONY: install demo test test-guide test-all

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,bench]"
	touch $(STAMP)

install: $(STAMP)

# The main job: synthesize both corpora, train the four parts, build the bundle, write $(OUT)/report.html.
# Interrupted, it resumes where it stopped when run again.
demo: $(STAMP)
	$(BIN)/s2i demo --output_dir $(OUT)

test: $(STAMP)
	$(BIN)/python -m pytest -q

# docs/training-on-real-data.md, command by command, on tiny real-format folders (about two minutes)
test-guide: $(STAMP)
	$(BIN)/python -m pytest -q -m guide

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -m ""

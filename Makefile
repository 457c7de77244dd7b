# `make demo` runs the main job, `make test` the tests. Both create .venv and install the pinned set first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= outputs/demo

.PHONY: install demo test test-all

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,bench]"
	touch $(STAMP)

install: $(STAMP)

# Until the demo exists (issue 5), the main job writes both synthetic corpora.
demo: $(STAMP)
	$(BIN)/s2i synth speech $(OUT)/speech --n 2000 --seed 0 --overwrite
	$(BIN)/s2i synth birds $(OUT)/birds --n 2000 --seed 0 --overwrite

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -m ""

# `make demo` runs the main job, `make test` the tests, `make app` the web page on the demo's bundle. Each creates
# .venv and installs the pinned set first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= outputs/demo

.PHONY: install engines demo app test test-guide test-browser test-all

# The speech engines beside eSpeak NG (a wheel): Debian's flite and festival with its English voices. Installed with
# apt-get when run as root; otherwise the command to run is printed and the install stops.
ENGINE_PACKAGES := flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts

engines:
	@if command -v flite >/dev/null && command -v festival >/dev/null \
	    && ls -d /usr/share/festival/voices/*/kal_diphone /usr/share/festival/voices/*/ked_diphone \
	       /usr/share/festival/voices/*/cmu_us_slt_arctic_hts >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(ENGINE_PACKAGES) >/dev/null; \
	else \
	    echo "s2i_hf needs Debian's speech engines: sudo apt-get install $(ENGINE_PACKAGES)"; exit 1; \
	fi

$(STAMP): pyproject.toml constraints.txt | engines
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,bench,app]"
	touch $(STAMP)

install: engines $(STAMP)

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

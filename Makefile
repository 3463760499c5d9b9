# Two commands set everything up on a fresh machine (see README):
#   make run    create .venv if missing, install the app's requirements, start the app
#   make test   create .venv if missing, install test requirements and Chromium, run every test
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
# --no-compile: pip would byte-compile every installed module (torch, Ray, the runtimes: ~60 s of a
# 2-core machine's 2 min install); Python compiles the few hundred modules it imports on first use.
PIP_INSTALL := $(PY) -m pip install -q --disable-pip-version-check --no-compile
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-fast lint check-design bench chromium clean

$(VENV)/.run-installed: requirements.txt
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements.txt requirements-test.txt requirements-distributed.txt
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements-test.txt
	touch $@ $(VENV)/.run-installed

# The browser tests drive Debian's Chromium through Playwright (`playwright install` cannot
# download browsers here, and is not needed).
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

run: $(VENV)/.run-installed
	PYTHON=$(PY) PORT=$(PORT) bin/serve

test: $(VENV)/.test-installed chromium
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: $(VENV)/.test-installed
	$(PY) -m ruff check .

# Module sizes, one class per name, no import cycles, pages → ui → explorer (tests/test_architecture.py runs it too).
check-design: $(VENV)/.test-installed
	$(PY) bin/check_design.py

# Everything but the real-browser tests, for a quick loop while editing.
test-fast: $(VENV)/.test-installed
	$(PY) -m pytest -m "not browser"

bench: $(VENV)/.test-installed chromium
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

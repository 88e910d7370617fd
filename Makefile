# Two commands a newcomer needs: `make run` and `make test` (see README.md).
VENV   := .venv
PY     := $(VENV)/bin/python
SUDO   := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
PYTHON ?= python3

.PHONY: run test setup browser bench data clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Debian's Chromium and its driver, for the browser tests.
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver; fi

run: setup
	$(PY) app.py

test: setup browser
	$(PY) -m pytest

bench: setup browser
	$(PY) bench/engine.py
	$(PY) bench/dashboard.py

# Rebuild data/malmo from ../shared/data (real parts) and the demo generator.
data: setup
	$(PY) scripts/build_malmo.py

clean:
	rm -rf $(VENV) .pytest_cache screenshots

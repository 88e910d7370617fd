# Two commands a newcomer needs: `make run` and `make test` (see README.md); `make test-fast` for a developer's minute.
VENV   := .venv
PY     := $(VENV)/bin/python
SUDO   := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
PYTHON ?= python3

.PHONY: run test test-fast lint setup system browser bench data clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Debian's packages the app itself needs: Pango and a font, with which WeasyPrint prints the tagged
# PDF report (most machines have them; installed only when missing).
RUNTIME_DEBS := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
system:
	@if ! ldconfig -p | grep -q libpangoft2-1.0.so.0 || ! test -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(RUNTIME_DEBS); fi

# Debian's packages the tests start for real: Chromium and its driver (browser tests), nginx (the
# production shape's buffering front), redis-server (the shared cache) and postgresql (scenarios on
# PostgreSQL), each started by the tests on a free port, never as a service; poppler-utils (the
# tests read the PDF report with pdftoppm and pdftotext).
DEBS := chromium chromium-driver nginx poppler-utils redis-server postgresql
browser: system
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! test -x /usr/sbin/nginx || ! command -v pdftoppm >/dev/null \
	    || ! command -v redis-server >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEBS); fi

run: setup system
	$(PY) app.py

# axe-core (npm) for the accessibility tests; the app itself needs no Node.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: setup
	$(VENV)/bin/ruff check --quiet .

# Two passes: what runs in the test process (engine, CLI, exports, fuzzing) on both cores, then the
# browser and server tests one at a time (they start servers and browsers and compare timings measured
# in one run, which a second pass beside them would disturb: tried, two waits timed out). Both run,
# whatever the first one says.
test: setup browser node_modules/.installed lint
	$(PY) -m pytest -q -n 2 -m "not browser and not server"; first=$$?; \
	$(PY) -m pytest -m "browser or server"; second=$$?; \
	test $$first -eq 0 -a $$second -eq 0

# The fast tier: no browser, no server processes, no long fuzzing; both cores (pytest-xdist). Under a minute.
test-fast: setup system lint
	$(PY) -m pytest -q -n 2 -m "not browser and not server and not slow"

bench: setup browser
	$(PY) bench/engine.py
	$(PY) bench/dashboard.py
	$(PY) bench/first_load.py
	$(PY) bench/exports.py
	$(PY) bench/analysis.py
	$(PY) bench/load.py
	$(PY) bench/heavy.py
	$(PY) bench/memory.py

# Rebuild data/malmo from ../shared/data (real parts) and the demo generator.
data: setup
	$(PY) scripts/build_malmo.py

clean:
	rm -rf $(VENV) .pytest_cache screenshots node_modules

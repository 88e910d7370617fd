import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from layers.index.engine import Engine  # noqa: E402
from layers.data.package import load_package  # noqa: E402

PACKAGE = ROOT / "data" / "malmo"
# Scenarios saved by the tests go to a database of their own (servers started by the tests inherit it), never the repo's.
os.environ["SCENARIO_DB"] = str(Path(tempfile.mkdtemp(prefix="malmo-scenarios-")) / "scenarios.sqlite3")
WORKSHOP_KEY = os.environ["WORKSHOP_KEY"] = "workshop-key-of-the-tests"  # the facilitator's, configured as in production
# The tests make many scenarios from one address: the rate limits (dashboard/limits.py) are tested on their own.
os.environ.setdefault("SCENARIO_WRITES_PER_MINUTE", "100000")
os.environ.setdefault("SCENARIO_WRITES_BURST", "100000")
os.environ.setdefault("SCENARIO_LOOKUPS_PER_MINUTE", "100000")
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def pkg():
    return load_package(PACKAGE)


@pytest.fixture(scope="session")
def engine(pkg):
    return Engine(pkg)


@pytest.fixture
def package_copy(tmp_path):
    """A writable copy of the default package, for breaking it."""
    dest = tmp_path / "pkg"
    shutil.copytree(PACKAGE, dest)
    return dest


@pytest.fixture(scope="session")
def dash_app():
    from dashboard.app import create_app
    return create_app(str(PACKAGE))


@pytest.fixture(scope="session")
def client(dash_app):
    """The real Flask app (default package) through its test client: the whole HTTP surface, no browser."""
    return dash_app.server.test_client()


@pytest.fixture(scope="module")
def server():
    """`python app.py` on a free port, once per test module (the browser tests' server)."""
    from browser_support import running_app
    with running_app() as url:
        yield url


@pytest.fixture(scope="module")
def browser(request):
    """Headless Chromium, once per test module; a module sets WINDOW = (width, height) for another size."""
    from browser_support import chromium
    width, height = getattr(request.module, "WINDOW", (1500, 1600))
    driver = chromium(width, height)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def postgres():
    """A real PostgreSQL (Debian's), once per module: SCENARIO_DB=postgresql+psycopg://… runs the same tests."""
    from services import running_postgres
    with running_postgres() as database:
        yield database


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path):
    """A fresh, empty scenario database of each kind, as a SCENARIO_DB value (the PostgreSQL runs are
    marked server tests below)."""
    import uuid
    from layers.scenarios import database_url
    if request.param == "sqlite":
        return database_url(str(tmp_path / "s.sqlite3"), tmp_path / "unused")
    return request.getfixturevalue("postgres")("t" + uuid.uuid4().hex[:12])


# --- tiers: `make test-fast` runs what needs no browser, no server process and no long fuzzing ----
SERVER_MODULES = {"test_production", "test_scale", "test_resilience", "test_cache"}  # gunicorn, nginx, redis-server
SLOW_MODULES = {"test_fuzz"}  # ~25 000 generated requests


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1]
        on_postgres = getattr(getattr(item, "callspec", None), "params", {}).get("backend") == "postgresql"
        if module in SERVER_MODULES or on_postgres or "postgres" in item.fixturenames or item.get_closest_marker("server"):
            item.add_marker(pytest.mark.server)
        if "browser" in item.fixturenames or (module != "test_connectors" and "server" in item.fixturenames):
            item.add_marker(pytest.mark.browser)
        if module in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from layers.engine import Engine  # noqa: E402
from layers.package import load_package  # noqa: E402

PACKAGE = ROOT / "data" / "malmo"
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

"""The project's own promises: the README's two commands, CI calling them, a Dockerfile that lints."""
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT


def test_readme_opens_with_the_two_commands():
    lines = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines() if line.strip()]
    block = lines[lines.index("```sh") + 1: lines.index("```sh") + 3]
    assert block[0].startswith("make run") and block[1].startswith("make test")
    assert "make test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.skipif(shutil.which("hadolint") is None and not (ROOT / ".venv" / "bin" / "hadolint").exists(), reason="hadolint not installed")
def test_dockerfile_lints_clean():
    hadolint = shutil.which("hadolint") or str(ROOT / ".venv" / "bin" / "hadolint")
    result = subprocess.run([hadolint, "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (ROOT / "Dockerfile").read_text()
    assert "USER 10001" in text and "gunicorn" in text and "app:server" in text


def test_layers_does_not_import_dash():
    code = "import sys, layers.cli, layers.viewmodel, layers.data.demo; print(any(m == 'dash' or m.startswith('dash.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr

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


WEB = {"dash", "flask", "werkzeug", "dash_leaflet", "flask_caching", "flask_talisman"}
CLI_RUNS = (["export", "--format", "all", "--output", "{tmp}"], ["index"], ["clusters"], ["robustness", "--draws", "20"],
            ["hotspots", "--permutations", "99"], ["flags"], ["method-report"], ["allocate", "--budget", "1000000"], ["disclosure"])


def _modules_after(imports: list[str], cli_runs=(), tmp: str = "") -> set[str]:
    """Every module loaded in a fresh interpreter after these imports and CLI commands (lazy imports included)."""
    script = "\n".join(["import contextlib, io, sys", *(f"import {m}" for m in imports)] + (["from layers import cli"] if cli_runs else []) +
                       [f"with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()): "
                        f"assert cli.main({[a.format(tmp=tmp) for a in argv]!r}) == 0" for argv in cli_runs] +
                       ["print(' '.join(sys.modules))"])
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    return set(out.stdout.split())


def _modules_under(folder) -> list[str]:
    return sorted(".".join(p.relative_to(ROOT).with_suffix("").parts) for p in folder.rglob("*.py") if p.stem != "__main__")


@pytest.mark.slow  # imports every module in a fresh interpreter (11 s): in `make test`, not in the developer's minute
def test_layers_import_no_web_framework_even_lazily(tmp_path):
    """Every module under layers/, and what the CLI imports while it runs each command: no Dash,
    Flask or Werkzeug, nothing of dashboard/."""
    loaded = _modules_after(_modules_under(ROOT / "layers"), CLI_RUNS, str(tmp_path))
    assert len(list(tmp_path.iterdir())) == 5  # the export ran, every format
    tops = {m.split(".")[0] for m in loaded}
    assert "layers" in tops and not tops & WEB and "dashboard" not in tops, tops & (WEB | {"dashboard"})


def test_the_data_layer_does_not_run_the_engine():
    """layers/data reads, checks, imports and generates packages; computing an index is the engine's."""
    engine = ("layers.index.engine", "layers.index.clusters", "layers.output.viewmodel", "layers.index.normalise", "layers.analysis")
    loaded = _modules_after(_modules_under(ROOT / "layers" / "data"))
    assert not loaded & set(engine)
    for path in (ROOT / "layers" / "data").glob("*.py"):  # nor lazily, inside a function
        text = path.read_text(encoding="utf-8")
        assert not any(m in text for m in engine), path.name


def test_the_generated_documentation_is_up_to_date():
    """The README's module table and docs/cli.md are written from the code (scripts/docs.py): a new
    module, command or option without its line fails here."""
    out = subprocess.run([sys.executable, "scripts/docs.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_every_text_the_browser_names_is_in_the_catalogue_and_sent():
    """A key the browser code names but the catalogue lacks showed as the raw key; now it fails here.
    What the page sends is read from the code (dashboard/layout.py browser_text_keys), not kept by hand."""
    import re
    from dashboard.layout import BROWSER_TEXT_KEYS
    from layers.output.texts import TEXTS
    js = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "assets").glob("*.js"))
    named = set(re.findall(r"\.t\.([a-z][a-z0-9_]*)", js)) | set(re.findall(r"\bsay\([^,()]*,\s*\"([a-z][a-z0-9_]*)\"(?!\s*\+)", js)) \
        | set(re.findall(r"\.t\[\"([a-z][a-z0-9_]*)\"\]", js))
    assert named, "the pattern found nothing: it no longer matches how the code names texts"
    for lang in ("sv", "en"):
        assert not named - set(TEXTS[lang]), (lang, sorted(named - set(TEXTS[lang])))
    assert named <= set(BROWSER_TEXT_KEYS)


def test_every_environment_setting_is_documented_and_every_documented_one_is_read():
    """As datasette tests its settings: each variable the code reads has its row in the README's
    table, and each row names a variable the code reads."""
    import re
    code = "\n".join(p.read_text(encoding="utf-8") for folder in ("dashboard", "layers", "deploy")
                     for p in (ROOT / folder).rglob("*.py")) + (ROOT / "app.py").read_text(encoding="utf-8")
    read = set(re.findall(r"(?:os\.environ(?:\.get\(|\[)|getenv\(|per_minute\()\"([A-Z][A-Z0-9_]+)\"", code))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("Configuration by environment:"):].split("\n\n")[1]  # the table after that line
    first_cells = re.findall(r"^\| (`[^|]*`) \|", table, re.M)
    rows = {name for cell in first_cells for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}
    assert read, "the pattern found nothing"
    assert not read - rows, f"read but not documented: {sorted(read - rows)}"
    assert not rows - read, f"documented but never read: {sorted(rows - read)}"


@pytest.mark.slow  # loads every benchmark (6 s): in `make test`
def test_the_benchmarks_still_load():
    """`make bench` is not part of the tests: at least its app and modules must still import after a
    refactor (bench_app named a function that had gone)."""
    script = "import sys; sys.path[:0] = ['bench', '.', 'tests']\nimport bench_app, analysis, engine, exports, first_load, heavy, load, memory"
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-1500:]

"""The command line, run in-process (a subprocess costs ~1,4 s of start-up per call): the same
`layers.cli.main` that `python -m layers` runs, with its output captured."""
from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from types import SimpleNamespace


def run_cli(*args: str) -> SimpleNamespace:
    """Like subprocess.run(..., capture_output=True, text=True): returncode, stdout, stderr."""
    from layers.cli import main
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as stop:  # argparse's own refusals
            code = stop.code if isinstance(stop.code, int) else 2
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())

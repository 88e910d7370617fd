"""Entry point: `python app.py` serves the dashboard on http://127.0.0.1:8050 (HOST/PORT override).

In production: `gunicorn -c deploy/gunicorn.conf.py app:server`, behind nginx (deploy/nginx/).
MALMO_PACKAGE points at another data package folder. A package with problems stops start-up with
the list of problems and exit code 1 (no traceback), under both.
"""
import ipaddress
import os
import sys

from layers.errors import PackageError

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host in LOOPBACK_NAMES


def _create():
    from dashboard.app import create_app
    try:
        return create_app()
    except PackageError as err:
        print(f"Cannot start: {err.report()}", file=sys.stderr, flush=True)
        sys.exit(1)


HOST = os.environ.get("HOST", "127.0.0.1")
DEBUG = os.environ.get("DASH_DEBUG", "") == "1"
if __name__ == "__main__" and DEBUG and not is_loopback(HOST):
    print(f"Refusing DASH_DEBUG=1 on HOST={HOST}: the debugger runs any code sent to it; use a loopback HOST.", file=sys.stderr)
    sys.exit(1)

if __name__ != "__mp_main__":  # a drawing process (dashboard/pictures.py, 'spawn') re-imports this file: it needs no app
    app = _create()
    server = app.server

if __name__ == "__main__":
    from werkzeug.serving import WSGIRequestHandler

    class Handler(WSGIRequestHandler):
        def version_string(self) -> str:  # no server or Python version in the Server header
            return "dashboard"

    app.run(host=HOST, port=int(os.environ.get("PORT", "8050")), debug=DEBUG, request_handler=Handler)

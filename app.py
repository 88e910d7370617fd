"""Entry point: `python app.py` serves the dashboard on http://127.0.0.1:8050 (HOST/PORT override).

In production: `gunicorn app:server`. MALMO_PACKAGE points at another data package folder.
"""
import os

from dashboard.app import create_app

app = create_app()
server = app.server

if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8050")),
            debug=os.environ.get("DASH_DEBUG", "") == "1")

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8050

WORKDIR /app
# Pango and a font: WeasyPrint prints the tagged PDF report with them. Not pinned: the base image's
# Debian release fixes their versions, and its security updates should come in.
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY app.py ./
COPY deploy/gunicorn.conf.py deploy/
COPY dashboard/ dashboard/
COPY layers/ layers/
COPY assets/ assets/
COPY data/ data/

RUN useradd --create-home --uid 10001 dashboard && mkdir -p /var/lib/malmo && chown 10001 /var/lib/malmo
USER 10001
# Saved scenarios (SQLite) on a volume, so they outlive the container; or a PostgreSQL URL.
ENV SCENARIO_DB=/var/lib/malmo/scenarios.sqlite3
VOLUME /var/lib/malmo

EXPOSE 8050
# Behind nginx (compose.yaml, deploy/nginx/): gunicorn alone can be held by slow clients.
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "app:server"]

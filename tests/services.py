"""The production shape, started for real on free loopback ports: gunicorn with deploy/gunicorn.conf.py
and Debian's nginx with deploy/nginx/default.conf.template. Nothing is mocked; both stop after the test."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from string import Template

import requests

from browser_support import ROOT, free_port, stop

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise RuntimeError(f"{what} did not answer in time")


@contextmanager
def running_gunicorn(env: dict | None = None, timeout: float = 120):
    """gunicorn as in production (deploy/gunicorn.conf.py) on a free port; yields (url, process)."""
    port = free_port()
    full_env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), **(env or {})}
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen([gunicorn, "-c", "deploy/gunicorn.conf.py", "app:server"], cwd=ROOT, env=full_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/", proc, timeout, "gunicorn")
        yield url, proc
    finally:
        stop(proc)


@contextmanager
def running_nginx(upstream: str, health_path: str = "/healthz"):
    """nginx with the project's server block in front of `upstream` (host:port); yields its URL."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server_block = Template((ROOT / "deploy" / "nginx" / "default.conf.template").read_text()).safe_substitute(
            NGINX_PORT=f"127.0.0.1:{port}", APP_UPSTREAM=upstream)
        (Path(tmp) / "server.conf").write_text(server_block)
        (Path(tmp) / "nginx.conf").write_text(f"""
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fcgi;
    uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    include {tmp}/server.conf;
}}
""")
        proc = subprocess.Popen([NGINX, "-p", tmp, "-c", f"{tmp}/nginx.conf"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url + health_path, proc, 20, "nginx")
            yield url
        finally:
            proc.terminate()
            proc.wait(10)

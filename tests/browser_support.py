"""A real server (python app.py, as the README says) and headless Chromium, for the browser tests."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = ROOT / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(env: dict | None = None, timeout: float = 90, ready_path: str = "/"):
    """Start `python app.py` on a free loopback port; yield its base URL; stop it."""
    port = free_port()
    full_env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), **(env or {})}
    log = open(ROOT / ".pytest_cache" / f"app-{port}.log", "w") if (ROOT / ".pytest_cache").exists() else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"app.py exited with {proc.returncode}")
            try:
                if requests.get(url + ready_path, timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            raise RuntimeError("app.py did not answer in time")
        yield url
    finally:
        stop(proc)


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a server the tests started: politely, then for sure."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


def chromium(width: int = 1500, height: int = 1600, lang: str = "sv-SE", performance_log: bool = False):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--window-size={width},{height}", f"--lang={lang}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", **({"performance": "ALL"} if performance_log else {})})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


SETTLED = """
const done = arguments[arguments.length - 1];
const deadline = Date.now() + 15000;
(function check() {
  const busy = window.malmoUrlPending || document.querySelector('[data-dash-is-loading="true"]');
  if (busy && Date.now() < deadline) { setTimeout(check, 50); return; }
  requestAnimationFrame(function () { requestAnimationFrame(function () { done(!busy); }); });
})();
"""


def settled(driver) -> None:
    """Wait until the page has nothing pending: no callback in flight, the address written (its
    250 ms pause over), and two frames drawn after that. Instead of a fixed sleep."""
    assert driver.execute_async_script(SETTLED), "the page did not settle within 15 s"


def wait_for(driver, script: str, timeout: float = 20, poll: float = 0.1):
    """Run `script` (a JS expression returned by 'return …') until it is truthy; return its value."""
    deadline = time.time() + timeout
    value = None
    while time.time() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out waiting for: {script} (last value {value!r})")


# --- timing a slider move in the page (tests/test_analysis_browser.py and bench/analysis.py) --------

# Records the analysis requests: when each went out and came back (performance.now()).
RECORD_ANALYSIS = """
if (!window.__analysisCalls) {
  window.__analysisCalls = [];
  const inner = window.fetch;
  window.fetch = function (input, init) {
    const body = init && typeof init.body === 'string' ? init.body : '';
    if (body.indexOf('"analysis.data"') < 0) return inner(input, init);
    const call = {start: performance.now(), end: null};
    window.__analysisCalls.push(call);
    return inner(input, init).then(r => { call.end = performance.now(); return r; });
  };
}
"""
REPAINT = """
const done = arguments[arguments.length - 1];
const before = window.malmoPainted.at, t0 = performance.now();
window.dash_clientside.set_props(arguments[0], {value: arguments[1]});
(function check() {
  if (window.malmoPainted.at > before) requestAnimationFrame(() => requestAnimationFrame(() => done([t0, performance.now()])));
  else if (performance.now() - t0 > 20000) done(null); else setTimeout(check, 2);
})();
"""


BUSY = """
const done = arguments[arguments.length - 1];
const calls = window.__analysisCalls, n0 = calls.length, start = performance.now();
window.dash_clientside.set_props(arguments[0], {value: arguments[1]});  // a new weighting: its analysis goes out once still
(function waitForAnalysis() {
  if (calls.length > n0 && calls[calls.length - 1].end === null) {  // it is being computed: move again now
    const call = calls[calls.length - 1], before = window.malmoPainted.at, t0 = performance.now();
    window.dash_clientside.set_props(arguments[2], {value: arguments[3]});
    (function check() {
      if (window.malmoPainted.at > before) requestAnimationFrame(() => requestAnimationFrame(() => done([t0, performance.now(), call.end === null || call.end > t0])));
      else if (performance.now() - t0 > 20000) done(null); else setTimeout(check, 1);
    })();
  } else if (performance.now() - start > 20000) done(null); else setTimeout(waitForAnalysis, 1);
}).call(null);
"""


def severe_errors(driver) -> list[str]:
    """The browser console's errors since the last call."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]

"""First load on a phone, through the production shape (gunicorn as deploy/gunicorn.conf.py, the
project's nginx server block in front, compression as there): a 390 × 844 touch screen, slow 4G
(150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up: Lighthouse's mobile profile) and the CPU
slowed 4× (Emulation.setCPUThrottlingRate), a cold cache each run. Medians of `--runs`.

- bytes before the map: what crossed the wire (transferSize, compressed) until the map was painted;
- map visible: navigation start → the first painted map (window.malmoPainted.at);
- interactive: the end of the last long task (≥ 50 ms) before the main thread was quiet for
  QUIET_S seconds, once the map and the ranking are drawn (TTI's rule, with a shorter window; the
  trend chart lies further down and is drawn when scrolled to);
- all bytes: everything the page loaded by then.
The same for an embed of the map (/embed/map).

Usage: python bench/first_load.py [--runs 3]
Goals (issue 22): map ≤ 3 s, interactive ≤ 4 s, ≤ 300 KB before the map; embeds ≤ 150 KB.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import chromium, wait_for  # noqa: E402
from services import running_gunicorn, running_nginx  # noqa: E402

QUIET_S = 2.0
NETWORK = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8}
LONG_TASKS = """
window.__longTasks = [];
try {
  new PerformanceObserver(function (list) {
    list.getEntries().forEach(function (e) { window.__longTasks.push([e.startTime, e.startTime + e.duration]); });
  }).observe({type: "longtask", buffered: true});
} catch (e) {}
"""
DRAWN = {"page": "return !!(window.malmoPainted && document.querySelector('#ranking-table tbody tr'))",  # the chart is below, drawn when scrolled to
         "embed": "return !!window.malmoPainted"}
FIGURES = """
const painted = window.malmoPainted ? window.malmoPainted.first || window.malmoPainted.at : null;
const nav = performance.getEntriesByType("navigation")[0];
const resources = performance.getEntriesByType("resource");
const before = resources.filter(function (r) { return r.responseEnd <= painted; }).reduce(function (a, r) { return a + (r.transferSize || 0); }, 0);
const all = resources.reduce(function (a, r) { return a + (r.transferSize || 0); }, 0);
return {map: painted, before: before + nav.transferSize, all: all + nav.transferSize, tasks: window.__longTasks, now: performance.now(),
        requests: resources.length};
"""


def one_load(url: str, kind: str) -> dict:
    driver = chromium(390, 844)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", NETWORK)
        driver.execute_cdp_cmd("Emulation.setCPUThrottlingRate", {"rate": 4})
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True})
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": LONG_TASKS})
        driver.set_page_load_timeout(120)
        driver.get(url)
        wait_for(driver, DRAWN[kind], timeout=120, poll=0.2)
        while True:  # quiet: no long task for QUIET_S seconds
            f = driver.execute_script(FIGURES)
            last = max([t[1] for t in f["tasks"]] or [0])
            if f["now"] - max(last, f["map"]) >= QUIET_S * 1000:
                break
            time.sleep(0.25)
        return {"map": f["map"] / 1000, "interactive": max(last, f["map"]) / 1000, "before": f["before"] / 1024,
                "all": f["all"] / 1024, "requests": f["requests"]}
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"first load on a phone (390 px, slow 4G, CPU 4×, through nginx; medians of {args.runs} cold loads)")
    with running_gunicorn() as (app, _), running_nginx(app.split("://", 1)[1]) as url:
        for kind, path, goals in (("page", "/", (3.0, 4.0, 300)), ("embed", "/embed/map", (None, None, 150))):
            one_load(url + path, kind)  # warms the server's caches, not the browser's (each load is cold)
            runs = [one_load(url + path, kind) for _ in range(args.runs)]
            m = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            goal = f"goal ≤ {goals[0]:g} s, ≤ {goals[1]:g} s, ≤ {goals[2]} KB" if goals[0] else f"goal ≤ {goals[2]} KB before the view"
            print(f"{kind:<6} {path:<11} map {m['map']:5.2f} s   interactive {m['interactive']:5.2f} s   "
                  f"{m['before']:6.0f} KB before the map   {m['all']:6.0f} KB in all   {m['requests']:3.0f} requests   ({goal})")


if __name__ == "__main__":
    main()

"""Benchmark: does a worker give back the memory of retired package versions? One process publishes
12 versions in turn (each a copy of the default package, loaded, used for 20 weightings with their
cluster outlines and trends, then replaced), and prints its resident memory before and after.
With --against DIR, the same in another checkout (e.g. the commit before a change), side by side.

Usage: python bench/memory.py [--against ../old-checkout]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MEASURE = r'''
import gc, os, shutil, sys, tempfile
from pathlib import Path
root = sys.argv[1]; sys.path.insert(0, root); os.chdir(root)
os.environ["SCENARIO_DB"] = tempfile.mkdtemp() + "/s.sqlite3"
from dashboard.context import AppContext, PackageVersion
from layers.output.viewmodel import ViewSettings

def rss():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS")) / 1024

def use(v):
    keys = v.pkg.manifest.indicator_keys
    for w in range(20):
        vm = v.views.view_model(ViewSettings(tuple((k, 1.0 + (w * (j + 1)) % 7) for j, k in enumerate(keys)), "delomrade"))
        groups = tuple(tuple(m["code"] for m in c["members"]) for c in vm["clusters"])
        v.views.outlines(groups); v.views.trend(groups)

tmp = Path(tempfile.mkdtemp())
ctx = AppContext.from_package(Path(root) / "data/malmo")
use(ctx.current); gc.collect(); start = rss()
for i in range(12):
    d = tmp / f"v{i}"
    shutil.copytree(Path(root) / "data/malmo", d)
    (d / "datapackage.json").write_text((d / "datapackage.json").read_text().replace('"title"', '"x_publication": %d, "title"' % i, 1))
    ctx.current = PackageVersion.load(d)
    use(ctx.current)
    shutil.rmtree(d)
gc.collect()
end = rss()
print(f"{root}: resident {start:.0f} MiB at start, {end:.0f} MiB after 12 publications ({100 * (end - start) / start:+.0f} %)")
'''


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--against", type=Path)
    args = parser.parse_args()
    for root in [ROOT] + ([args.against.resolve()] if args.against else []):
        subprocess.run([sys.executable, "-c", MEASURE, str(root)], check=True)


if __name__ == "__main__":
    main()

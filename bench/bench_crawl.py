"""Crawl throughput through the whole pipeline against the local fixture site.

Starts the fixture site (tests/crawlers/site) with JD products, runs
``voclens crawl jd`` in a subprocess per run (fresh data directory, politeness
delays off, everything else as shipped) with classification off, with the
fast baseline and with the transformer, and prints pages/minute and
items/second medians. Usage: python bench/bench_crawl.py [--products 20] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.crawlers.conftest import FAST, Site, crawl_env  # noqa: E402
from tests.crawlers.site.catalog import jd_product  # noqa: E402


def crawl(site_url: str, products: list[str], data: Path, mode: str) -> dict:
    cmd = [sys.executable, "-m", "api.cli", "crawl", "jd", "-a", f"products={','.join(products)}",
           "-a", f"base_url={site_url}", *FAST, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "--json"]
    cmd += ["--no-classify"] if mode == "off" else ["--model", mode]
    proc = subprocess.run(cmd, cwd=ROOT, env=crawl_env(data), capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"crawl failed ({mode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=20, help="JD products of 50 reviews (5 pages) each")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--modes", default="off,fast,transformer")
    opts = parser.parse_args()
    products = [str(100001 + i) for i in range(opts.products)]
    with tempfile.TemporaryDirectory() as tmp:
        site = Site(Path(tmp), {"jd": {p: jd_product(p, 50) for p in products}})
        try:
            print(f"{len(products)} products, {len(products) * 5} pages, {len(products) * 50} reviews per crawl; "
                  f"median of {opts.runs} runs (elapsed = whole crawl incl. model load)")
            for mode in opts.modes.split(","):
                rows = []
                for run in range(opts.runs):
                    s = crawl(site.url, products, Path(tmp) / f"data-{mode}-{run}", mode)
                    rows.append((s["pages"] / s["elapsed_s"] * 60, s["new"] / s["elapsed_s"], s["elapsed_s"], s["new"]))
                pm, ips, el = (statistics.median(r[i] for r in rows) for i in range(3))
                print(f"classify={mode:12s} pages/min {pm:8.0f}   items/s {ips:7.1f}   elapsed {el:6.1f} s   "
                      f"items {rows[0][3]}")
        finally:
            site.stop()


if __name__ == "__main__":
    main()

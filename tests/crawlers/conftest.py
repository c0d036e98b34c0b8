"""Fixtures for crawl tests: the local fixture site and ``voclens crawl`` in a subprocess.

Crawls run in subprocesses because Twisted's reactor cannot restart within
one process, and because that is how operators run them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.crawlers.site.catalog import write_catalog

ROOT = Path(__file__).resolve().parents[2]
#: Scrapy settings that make test crawls fast; politeness itself is tested separately.
FAST = ["-s", "AUTOTHROTTLE_ENABLED=false", "-s", "DOWNLOAD_DELAY=0", "-s", "RETRY_BACKOFF_BASE=0.05",
        "-s", "RETRY_BACKOFF_MAX=2", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]


class Site:
    """The fixture site (``tests/crawlers/site/server.py``) in a subprocess on a free loopback port."""

    def __init__(self, workdir: Path, catalog: dict):
        self.catalog_path = workdir / "catalog.json"
        write_catalog(self.catalog_path, catalog)
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.crawlers.site.server", str(self.catalog_path)],
                                     cwd=ROOT, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError(f"fixture site did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def update(self, catalog: dict) -> None:
        write_catalog(self.catalog_path, catalog)

    def requests(self) -> list[str]:
        return httpx.get(self.url + "/_requests", timeout=10).json()

    def reset(self) -> None:
        httpx.post(self.url + "/_reset", timeout=10)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.proc.stdout.close()


@pytest.fixture
def make_site(tmp_path):
    sites: list[Site] = []

    def start(catalog: dict) -> Site:
        sites.append(Site(tmp_path, catalog))
        return sites[-1]

    yield start
    for s in sites:
        s.stop()


def crawl_env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "VOCLENS_DATA_DIR": str(data_dir), "VOCLENS_MODEL": "fast", **extra}


def crawl_command(spider: str, *args: str) -> list[str]:
    """``voclens crawl`` with the fast test settings; later ``-s`` in ``args`` override them."""
    return [sys.executable, "-m", "api.cli", "crawl", spider, *FAST, *args, "--json"]


def voclens_crawl(data_dir: Path, spider: str, *args: str, timeout: float = 120, expect_rc: int | None = 0,
                  env: dict[str, str] | None = None) -> dict:
    """Run ``voclens crawl SPIDER ... --json`` to the end; returns the printed stats. ``env``: extra variables."""
    cmd = crawl_command(spider, *args)
    proc = subprocess.run(cmd, cwd=ROOT, env=crawl_env(data_dir, **(env or {})), capture_output=True, text=True,
                          timeout=timeout)
    if expect_rc is not None and proc.returncode != expect_rc:
        raise AssertionError(f"voclens crawl exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {"stdout": proc.stdout, "stderr": proc.stderr}


def stored(data_dir: Path) -> dict:
    """Every stored document by ``source_id``, read through the SQLite backend."""
    from index.sqlite import SQLiteBackend

    from nlp.analyser import get_analyser

    with SQLiteBackend(data_dir / "voclens.db", analyser=get_analyser()) as backend:
        return {d.source_id: d for batch in backend.iter_documents() for d in batch}

"""``voclens crawl --list`` and ``--help`` describe the Weibo, Reddit and App Store spiders and the Redis switch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.crawlers.conftest import ROOT, crawl_env


def _run(tmp_path: Path, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "api.cli", "crawl", *args], cwd=ROOT, env=crawl_env(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_list_describes_the_social_and_app_store_spiders(tmp_path: Path):
    out = _run(tmp_path, "--list")
    for line in ("weibo: Weibo posts mentioning keywords", "reddit: Reddit posts matching a search",
                 "appstore: App Store customer reviews",
                 "-a keywords=...  (list of str, required)", "-a order=...  (one of realtime, mixed, default 'realtime')",
                 "-a subreddits=...  (list of str, required)", "-a query=...  (str, required)",
                 "-a comments=...  (bool, default True)", "-a apps=...  (list of str, required)",
                 "-a countries=...  (list of str, default ['us'])", "Most pages per app and country (Apple serves 10)."):
        assert line in out, line


def test_help_names_the_redis_switch(tmp_path: Path):
    out = _run(tmp_path, "--help")
    assert "--redis-url" in out and "VOCLENS_CRAWL_REDIS_URL" in out and "--redis-run" in out

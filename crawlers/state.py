"""Crawl state kept between crawls in the data directory (``crawl-state.sqlite``).

Two things live here: per-scope watermarks (the newest item time a
*finished* crawl saw for ``jd:100012`` or a feed URL) that let the next crawl
stop paging once it reaches known items, and SimHash fingerprints of stored
documents, so a spam review copied next month is still recognised.

A watermark only moves forward after a crawl finishes cleanly: an
interrupted crawl leaves it where it was, so the next run (resumed with
``JOBDIR`` or started afresh) pages as deep as needed and loses nothing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from .dedupe import BANDS, MAX_DISTANCE, bands, distance

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS watermarks (
    scope TEXT PRIMARY KEY,
    newest_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fingerprints (
    doc_id TEXT PRIMARY KEY,
    fp INTEGER NOT NULL,
    {", ".join(f"b{i} INTEGER NOT NULL" for i in range(BANDS))}
);
{"".join(f"CREATE INDEX IF NOT EXISTS fingerprints_b{i} ON fingerprints(b{i});" for i in range(BANDS))}
"""

STATE_FILE = "crawl-state.sqlite"


def _signed(value: int) -> int:
    """SQLite integers are signed 64-bit."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


class CrawlState:
    """Watermarks and fingerprints in one SQLite file; safe to share between threads.

    Args:
        path: the state file (``<data_dir>/crawl-state.sqlite``).
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- watermarks ---------------------------------------------------------------
    def watermark(self, scope: str) -> datetime | None:
        """Newest item time a finished crawl saw for ``scope`` (UTC), or None."""
        with self._lock:
            row = self._db.execute("SELECT newest_at FROM watermarks WHERE scope = ?", (scope,)).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def advance(self, marks: dict[str, datetime]) -> None:
        """Move watermarks forward (never back) in one transaction."""
        now = datetime.now(UTC).isoformat()
        with self._lock, self._db:
            for scope, newest in marks.items():
                self._db.execute(
                    "INSERT INTO watermarks(scope, newest_at, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(scope) DO UPDATE SET newest_at = max(newest_at, excluded.newest_at), "
                    "updated_at = excluded.updated_at",
                    (scope, newest.astimezone(UTC).isoformat(), now),
                )

    # -- fingerprints ---------------------------------------------------------------
    def add_fingerprints(self, pairs: Iterable[tuple[str, int]]) -> None:
        rows = [(doc_id, _signed(fp), *(_signed(b) for b in bands(fp))) for doc_id, fp in pairs]
        if not rows:
            return
        marks = ", ".join("?" * (2 + BANDS))
        with self._lock, self._db:
            self._db.executemany(f"INSERT OR REPLACE INTO fingerprints VALUES ({marks})", rows)

    def nearest(self, fingerprint: int, exclude_id: str | None = None) -> tuple[str, int] | None:
        """``(doc_id, distance)`` of the closest stored fingerprint within ``MAX_DISTANCE``."""
        keys = bands(fingerprint)
        where = " OR ".join(f"b{i} = ?" for i in range(BANDS))
        with self._lock:
            rows = self._db.execute(f"SELECT doc_id, fp FROM fingerprints WHERE {where}", keys).fetchall()
        best: tuple[str, int] | None = None
        for doc_id, fp in rows:
            if doc_id == exclude_id:
                continue
            d = distance(fingerprint, _unsigned(fp))
            if d <= MAX_DISTANCE and (best is None or d < best[1]):
                best = (doc_id, d)
        return best

"""The bundled demo: a small fictional corpus, dated relative to today, loaded through the normal import path."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from crawlers.ingest import IngestSummary, ingest_file
from crawlers.normalize import RecordOptions, parse_datetime
from index.base import Backend

from .components import analyser_for, load_classifier
from .settings import Settings

CORPUS = Path(__file__).parent / "demo" / "corpus.jsonl"


def shifted_corpus(dest: Path, now: datetime | None = None, corpus: Path = CORPUS) -> Path:
    """Write the corpus to ``dest`` with every date moved so the newest is ``now``'s date.

    The shift is a whole number of days, so weekdays and times of day keep
    their shape (the Singles' Day wave stays a one-day wave).
    """
    now = now or datetime.now(UTC)
    records = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    newest = max(parse_datetime(r["created_at"]) for r in records)
    days = (now.date() - newest.date()).days
    if newest.replace(year=now.year, month=now.month, day=now.day) > now:
        days -= 1  # never put an item in the future
    from datetime import timedelta

    shift = timedelta(days=days)
    with open(dest, "w", encoding="utf-8") as fh:
        for r in records:
            r["created_at"] = (datetime.fromisoformat(r["created_at"]) + shift).isoformat()
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return dest


def load_demo(settings: Settings, backend: Backend) -> IngestSummary:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = shifted_corpus(settings.data_dir / "demo-corpus.jsonl")
    return ingest_file(
        path, backend, analyser_for(settings), load_classifier(settings),
        RecordOptions(salt=settings.author_salt, extra="reject"), state_dir=settings.data_dir,
    )

"""Discovered themes: does the demo's planted complaint come out as one theme, and how long do 100,000 documents take?

    python bench/bench_themes.py [--docs 100000] [--no-demo] [--no-scale] [--later 4,8,12,16,20]

**Demo** (``api/demo/corpus.jsonl``, dated as ``voclens demo`` dates it, labelled
and given vectors by the shipped ``lite`` model): the planted complaint is the
Qinghe toner's leaking bottles (its documents saying 漏 / leak; not the Lumio
kettle's, another complaint). For each way
of building features (vectors alone, words alone, both without one of the
steps, the default) and each window of 3 to 28 days (and two filters over 7
days), it prints the theme holding most planted documents: how many of them
it holds (recall), how pure it is (precision), and the same for the best
theme per language; then in how many windows the planted documents are one
theme (recall 1, precision at least 0.5). The demo is dated from the day it
is loaded, so where each window's edges fall moves with the hour: ``--later``
reruns the default's windows with the clock moved on by so many hours.

**Scale**: ``--docs`` documents with vectors made as ``bench_vectors`` makes
them (texts from shared/data, synthetic metadata over 180 days, the lite
model's vectors of 2,000 texts plus noise), in a SQLite file; then themes
over the whole span (two windows of 90 days), timed in parts: reading
vectors and texts from the backend, and tokenising plus clustering.
Pin two cores with ``taskset -c 0,1`` to measure the target (< 30 s); ``--db`` keeps the
generated file, so a second run times the themes alone.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.themes import discover_themes  # noqa: E402
from index.base import Filters  # noqa: E402
from index.registry import open_backend  # noqa: E402
from nlp.analyser import Analyser  # noqa: E402
from nlp.themes import ThemeOptions  # noqa: E402

_LEAK = re.compile(r"漏|leak", re.I)
VARIANTS = {
    "vectors only": ThemeOptions(word_weight=0.0, vector_weight=1.0, join_languages=None, reassign=None),
    "words only": ThemeOptions(vector_weight=0.0, join_languages=None),
    "words + vectors, no burst weight": ThemeOptions(burst=0.0),
    "words + vectors, no outliers moved": ThemeOptions(reassign=None),
    "words + vectors + joining (default)": ThemeOptions(),
}
#: Windows of 3 to 28 days, the demo's whole width; then two filters over 7 days.
WINDOWS = [(f"{days}d", Filters()) for days in range(3, 29)]
FILTERED = [("7d", Filters(sentiment=["negative"])), ("7d", Filters(brand=["Qinghe"]))]


def demo_backend(tmp: Path):
    """The demo corpus in a SQLite file, as ``voclens demo`` loads it (lite model: labels and vectors)."""
    from api.demo import load_demo
    from api.settings import Settings

    settings = Settings(data_dir=tmp, model="lite")
    backend = open_backend("sqlite", path=tmp / "demo.db")
    load_demo(settings, backend)
    return backend


def demo(tmp: Path, later: list[int]) -> None:
    backend = demo_backend(tmp)
    texts = {d.id: d for batch in backend.iter_documents() for d in batch}
    # the Qinghe toner's leaks; three Lumio survey answers say "The kettle started leaking": another complaint
    leaks = {i for i, d in texts.items() if d.brand == "Qinghe" and _LEAK.search(f"{d.title or ''} {d.text}")}
    kettle = {i for i, d in texts.items() if d.brand != "Qinghe" and _LEAK.search(d.text)}
    langs = {i: d.lang for i, d in texts.items()}
    now = datetime.now(UTC)
    print(f"demo: {len(texts)} documents, {len(leaks)} planted (漏 / leak): "
          f"{sum(langs[i] == 'zh' for i in leaks)} Chinese, {sum(langs[i] == 'en' for i in leaks)} English")
    print(f"{'features':36} {'window and filter':28} {'themes':>6} {'best: recall':>13} {'precision':>9}  per language (recall/precision)"
          f"  themes holding a leak")
    for name, options in VARIANTS.items():
        whole = 0
        for window, filters in WINDOWS + FILTERED:
            result = discover_themes(backend, Analyser(), filters=filters, window=window, until=now, options=options,
                                     limit=50)  # fmt: skip
            shown = window + "".join(f" {k}={v[0]}" for k, v in filters.model_dump(mode="json", exclude_defaults=True).items())
            present = {m for t in result.themes for m in t.members} | leaks
            best = _best(result.themes, leaks & present)
            per_lang = []
            for lang in ("zh", "en"):
                mine = {i for i in leaks if langs[i] == lang}
                r, p = _best(result.themes, mine)
                per_lang.append(f"{lang} {r:.2f}/{p:.2f}")
            holding = sum(1 for t in result.themes if set(t.members) & leaks)
            with_kettle = sum(1 for t in result.themes if set(t.members) & leaks and set(t.members) & kettle)
            whole += not filters.model_dump(exclude_defaults=True) and best[0] == 1 and best[1] >= 0.5
            print(f"{name:36} {shown:28} {len(result.themes):6} {best[0]:13.2f} {best[1]:9.2f}  {', '.join(per_lang)}"
                  f"  {holding}{' (one with a kettle)' if with_kettle else ''}")
        print(f"{name}: the {len(leaks)} planted documents in one theme, at least half of it planted, in {whole} of the "
              f"{len(WINDOWS)} windows of 3 to 28 days")
    # the demo is dated from the day it is loaded; later in the day every window's edges fall elsewhere
    start = now.replace(minute=0, second=0, microsecond=0)
    for hours in later:
        until = start + timedelta(hours=hours)
        missed = []
        for window, filters in WINDOWS:
            result = discover_themes(backend, Analyser(), filters=filters, window=window, until=until, limit=50)
            recall, precision = _best(result.themes, leaks)
            if recall < 1 or precision < 0.5:
                theme = max(result.themes, key=lambda t: len(set(t.members) & leaks)) if result.themes else None
                missed.append(f"{window} {len(set(theme.members) & leaks) if theme else 0}/{theme.size if theme else 0}")
        print(f"default, until {until:%H:%M} UTC: one theme in {len(WINDOWS) - len(missed)} of {len(WINDOWS)} windows; "
              f"not in: {', '.join(missed) or 'none'} (planted / theme size)")
    backend.close()


def _best(themes, wanted: set[str]) -> tuple[float, float]:
    """Recall and precision of the theme holding most of ``wanted``."""
    if not wanted or not themes:
        return 0.0, 0.0
    theme = max(themes, key=lambda t: len(set(t.members) & wanted))
    hit = len(set(theme.members) & wanted)
    return hit / len(wanted), hit / max(1, theme.size)


class _Parts(logging.Handler):
    """Keeps the timings ``discover_themes`` logs."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.seen = {k: getattr(record, k) for k in ("fetch_s", "cluster_s", "total_s") if hasattr(record, k)}


def scale(db: Path, n: int) -> None:
    """Themes over ``n`` documents in ``db`` (made first unless it holds them: ``--db`` keeps it for the next run)."""
    from bench.bench_backends import labelled_records
    from bench.bench_vectors import ingest, vector_pool, vectors_for

    with open_backend("sqlite", path=db) as backend:
        if backend.count() != n:
            print(f"scale: labelling {n:,} records and making vectors (not timed)...", file=sys.stderr)
            recs = labelled_records(n)
            model, pool = vector_pool(recs)
            vectors = vectors_for(len(recs), model, pool)
            print(f"scale: ingesting {n:,} documents (not timed)...", file=sys.stderr)
            ingest(backend, recs, Analyser(), vectors)
    end = datetime(2026, 11, 20, tzinfo=UTC) + timedelta(days=1)
    with open_backend("sqlite", path=db) as backend:
        analyser = Analyser()
        analyser.tokenize("warm up the dictionary")
        parts = _Parts()
        logging.getLogger("voclens.themes").addHandler(parts)
        logging.getLogger("voclens.themes").setLevel(logging.INFO)
        t0, c0 = time.perf_counter(), time.process_time()
        result = discover_themes(backend, analyser, window="91d", until=end, limit=20)
        total, cpu = time.perf_counter() - t0, time.process_time() - c0
    clustered = result.documents + result.previous_documents
    print(f"scale: {clustered:,} documents ({result.documents:,} + {result.previous_documents:,} in the window before), "
          f"{len(result.themes)} themes (min size {result.min_size}) in {total:.1f} s: reading vectors and texts "
          f"{parts.seen.get('fetch_s', 0):.1f} s, tokens and clustering {parts.seen.get('cluster_s', 0):.1f} s; "
          f"{cpu:.1f} s of CPU; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for t in result.themes[:5]:
        print(f"  {t.size:6} {t.previous:6} {', '.join(t.terms[:6])}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--no-demo", action="store_true")
    ap.add_argument("--no-scale", action="store_true")
    ap.add_argument("--later", default="", help="Hours, comma-separated (e.g. 4,8,12): the default's windows again with "
                                                "the clock moved on from the hour the demo was loaded.")
    ap.add_argument("--db", type=Path, default=None, help="SQLite file for the scale run, kept for the next (default: a temporary one).")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_demo:
            (Path(tmp) / "demo").mkdir()
            demo(Path(tmp) / "demo", [int(h) for h in args.later.split(",") if h.strip()])
        if not args.no_scale:
            scale(args.db or Path(tmp) / "scale.db", args.docs)


if __name__ == "__main__":
    main()

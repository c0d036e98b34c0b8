"""Ingest and query speed of the embedded SQLite backend on 100,000 documents.

    python bench/bench_embedded.py [--docs 100000] [--classified-docs 20000] [--repeat 15]

Prints documents/second for ingest without classification (documents that
arrive labelled; the work is validation, privacy masking, language,
keywords, tokenisation and the write) and with classification by the
configured fast model, then median and p95 latency of search, trend and
topic queries. All figures come from one run on this machine; compare
ratios, not absolute numbers across machines.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import records  # noqa: E402
from crawlers.enrich import enrich  # noqa: E402
from crawlers.ingest import ingest_file  # noqa: E402
from crawlers.normalize import RecordOptions, record_to_document  # noqa: E402
from index.base import EmergingQuery, Filters, SearchQuery, TopicFilter, TopQuery, TrendQuery  # noqa: E402
from index.registry import open_backend  # noqa: E402
from nlp.analyser import Analyser  # noqa: E402
from nlp.models import get_classifier  # noqa: E402

END = datetime(2026, 11, 20, tzinfo=UTC)


def ingest(path: Path, recs: list[dict], classifier, batch: int = 1000, commit_every: int = 10_000) -> tuple[float, int]:
    """Records -> documents -> enrich -> upsert, as `voclens ingest` does in one process; returns (seconds, count)."""
    analyser = Analyser()  # fresh: a cold segmentation cache, as for a new process
    analyser.tokenize("warm up the dictionary")
    opts = RecordOptions()
    with open_backend("sqlite", path=path, analyser=analyser) as backend:
        t0 = time.perf_counter()
        group: list = []
        for i in range(0, len(recs), batch):
            docs = [record_to_document(r, opts) for r in recs[i : i + batch]]
            group += enrich(docs, analyser, classifier)
            if len(group) >= commit_every or i + batch >= len(recs):
                backend.upsert(group)
                group = []
        elapsed = time.perf_counter() - t0
        return elapsed, backend.count()


def ingest_with_workers(tmp: Path, recs: list[dict], classifier, workers: int,
                        commit_every: int = 10_000) -> tuple[float, int]:
    """The CLI's path: a JSONL file through ``ingest_file`` with worker processes."""
    src = tmp / "records.jsonl"
    with open(src, "w", encoding="utf-8") as fh:
        for r in recs:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    analyser = Analyser()
    analyser.tokenize("warm up the dictionary")
    analyser.keywords("预热 关键词")
    with open_backend("sqlite", path=tmp / "workers.db", analyser=analyser) as backend:
        t0 = time.perf_counter()
        ingest_file(src, backend, analyser, classifier, RecordOptions(), batch_size=1000, workers=workers,
                    commit_every=commit_every)
        return time.perf_counter() - t0, backend.count()


def timed(fn, repeat: int) -> tuple[float, float]:
    fn()  # warm caches once, as a running server would have
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--classified-docs", type=int, default=20_000, help="Size of the ingest-with-classification run.")
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--workers", type=int, default=2, help="Worker processes for the CLI-path ingest run.")
    ap.add_argument("--ingest-runs", type=int, default=3, help="Repeats of the CLI-path ingest (the median is printed).")
    args = ap.parse_args()

    recs = records(args.docs)
    classifier = get_classifier("fast")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # Labels as an upstream system would deliver them, so topic queries have data.
        t0 = time.perf_counter()
        labelled = []
        for i in range(0, len(recs), 1000):
            chunk = recs[i : i + 1000]
            for rec, res in zip(chunk, classifier.classify_batch([r["text"] for r in chunk]), strict=True):
                labelled.append({**rec, "sentiment": res.sentiment.model_dump(mode="json"),
                                 "topics": [t.model_dump(mode="json") for t in res.topics],
                                 "model_version": res.model_version, "lang": res.lang})
        classify_s = time.perf_counter() - t0

        secs, n = ingest(tmp / "plain.db", labelled, None)
        print(f"documents: {n:,}  (zh/en review and post texts from shared/data, synthetic metadata)")
        print(f"ingest without classification, library loop (upsert per 10k): {n / secs:8.0f} docs/s   ({secs:.1f} s)")
        (tmp / "one").mkdir()
        secs_1, n_1 = ingest_with_workers(tmp / "one", labelled, None, 1)
        print(f"ingest without classification, `voclens ingest` path, one process: {n_1 / secs_1:8.0f} docs/s")
        rates = []
        for run in range(args.ingest_runs):
            run_dir = tmp / f"workers-{run}"
            run_dir.mkdir()
            secs_w, n_w = ingest_with_workers(run_dir, labelled, None, args.workers)
            rates.append(n_w / secs_w)
        print(f"ingest without classification, `voclens ingest --workers {args.workers}` path: "
              f"{statistics.median(rates):8.0f} docs/s median of {len(rates)} ({', '.join(f'{r:.0f}' for r in rates)})")
        secs_c, n_c = ingest(tmp / "classified.db", recs[: args.classified_docs], classifier)
        print(f"ingest with classification ({classifier.version}, {n_c:,} docs): {n_c / secs_c:8.0f} docs/s")
        print(f"classification alone ({classifier.version}): {len(recs) / classify_s:8.0f} docs/s")
        print(f"index file: {(tmp / 'plain.db').stat().st_size / 1e6:.0f} MB")

        week = Filters(since=END - timedelta(days=7), until=END)
        queries = {
            "search 物流 (relevance)": SearchQuery(q="物流"),
            "search refund (relevance)": SearchQuery(q="refund"),
            'search "质量很好" phrase': SearchQuery(q='"质量很好"'),
            "search 物流 OR 快递 -好评": SearchQuery(q="物流 OR 快递 -好评"),
            "search brand:Voltra topic:logistics:negative, newest": SearchQuery(
                q="brand:Voltra topic:logistics:negative", sort="newest"),
            "search 质量 + filters (week, negative)": SearchQuery(
                q="质量", filters=week.merged(Filters(sentiment=["negative"]))),
            "search all, newest, page 2 (cursor)": None,
            "trends day, 180 d, Asia/Shanghai": TrendQuery(interval="day", tz="Asia/Shanghai"),
            "trends week split topic": TrendQuery(interval="week", split="topic"),
            "trends hour, last week, q=物流": TrendQuery(q="物流", interval="hour", filters=week),
            "top topics (negative)": TopQuery(polarity="negative"),
            "top keywords (brand, week)": TopQuery(filters=week.merged(Filters(brand=["Voltra"]))),
            "emerging topics (1 d vs 28 d)": EmergingQuery(
                current_since=END - timedelta(days=1), current_until=END,
                baseline_since=END - timedelta(days=29), baseline_until=END - timedelta(days=1)),
            "emerging keywords (1 d vs 28 d)": EmergingQuery(
                current_since=END - timedelta(days=1), current_until=END,
                baseline_since=END - timedelta(days=29), baseline_until=END - timedelta(days=1)),
        }
        _ = TopicFilter
        rows = []
        with open_backend("sqlite", path=tmp / "plain.db") as backend:
            first = backend.search(SearchQuery(sort="newest", limit=20))
            for name, q in queries.items():
                if name.startswith("search all"):
                    fn = lambda: backend.search(SearchQuery(sort="newest", limit=20, cursor=first.next_cursor))  # noqa: E731
                elif name.startswith("search"):
                    fn = lambda q=q: backend.search(q)  # noqa: E731
                elif name.startswith("trends"):
                    fn = lambda q=q: backend.trends(q)  # noqa: E731
                elif name.startswith("top topics"):
                    fn = lambda q=q: backend.top_topics(q)  # noqa: E731
                elif name.startswith("top keywords"):
                    fn = lambda q=q: backend.top_keywords(q)  # noqa: E731
                elif name.startswith("emerging topics"):
                    fn = lambda q=q: backend.emerging_topics(q)  # noqa: E731
                else:
                    fn = lambda q=q: backend.emerging_keywords(q)  # noqa: E731
                rows.append((name, *timed(fn, args.repeat)))
        print(f"\n{'query (' + str(args.repeat) + ' runs each)':58} {'median ms':>10} {'p95 ms':>9}")
        for name, med, p95 in rows:
            print(f"{name:58} {med:10.1f} {p95:9.1f}")
        search_meds = [m for n, m, _ in rows if n.startswith("search")]
        trend_meds = [m for n, m, _ in rows if n.startswith("trends")]
        print(f"\nmedian of search medians: {statistics.median(search_meds):.1f} ms; "
              f"median of trend medians: {statistics.median(trend_meds):.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()

"""SQLite and Elasticsearch side by side: ingest speed and query latency on the same 100,000 documents.

    python bench/bench_backends.py [--docs 100000] [--repeat 15] [--es-url URL]

Both backends get the same labelled documents (texts from shared/data,
synthetic metadata, labels from the fast model computed once beforehand) and
run the same queries. Ingest is the `voclens ingest` path without
classification: validation, enrichment, tokenisation and the write, in
batches of 1,000, each batch searchable when its write returns. Query figures
are median and p95 over ``--repeat`` runs after one warm-up; the result totals
of both backends are compared for every search (``same``).

Without ``--es-url`` a single local node is started with ``scripts/es-node``
(heap ``ES_HEAP``, default 512m) and stopped afterwards. One machine runs
both the benchmark and the node: compare the two columns, not absolute
numbers across machines.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_embedded import timed  # noqa: E402
from bench.corpus import records  # noqa: E402
from crawlers.enrich import enrich  # noqa: E402
from crawlers.normalize import RecordOptions, record_to_document  # noqa: E402
from index.base import EmergingQuery, Filters, SearchQuery, TopQuery, TrendQuery  # noqa: E402
from index.registry import open_backend  # noqa: E402
from nlp.analyser import Analyser  # noqa: E402
from nlp.models import get_classifier  # noqa: E402

END = datetime(2026, 11, 20, tzinfo=UTC)


def labelled_records(n: int) -> list[dict]:
    classifier = get_classifier("fast")
    recs = records(n)
    out = []
    for i in range(0, len(recs), 1000):
        chunk = recs[i : i + 1000]
        for rec, res in zip(chunk, classifier.classify_batch([r["text"] for r in chunk]), strict=True):
            out.append({**rec, "sentiment": res.sentiment.model_dump(mode="json"),
                        "topics": [t.model_dump(mode="json") for t in res.topics],
                        "model_version": res.model_version, "lang": res.lang})
    return out


def ingest(backend, recs: list[dict], analyser: Analyser, batch: int = 1000) -> float:
    opts = RecordOptions()
    t0 = time.perf_counter()
    for i in range(0, len(recs), batch):
        docs = [record_to_document(r, opts) for r in recs[i : i + batch]]
        backend.upsert(enrich(docs, analyser, None))
    return time.perf_counter() - t0


def queries() -> dict[str, tuple[str, object]]:
    week = Filters(since=END - timedelta(days=7), until=END)
    day_vs_28 = dict(current_since=END - timedelta(days=1), current_until=END,
                     baseline_since=END - timedelta(days=29), baseline_until=END - timedelta(days=1))
    return {
        "search 物流 (relevance)": ("search", SearchQuery(q="物流")),
        "search refund (relevance)": ("search", SearchQuery(q="refund")),
        'search "质量很好" phrase': ("search", SearchQuery(q='"质量很好"')),
        "search 物流 OR 快递 -好评": ("search", SearchQuery(q="物流 OR 快递 -好评")),
        "search brand:Voltra topic:logistics:negative, newest": ("search", SearchQuery(q="brand:Voltra topic:logistics:negative", sort="newest")),
        "search 质量 + filters (week, negative)": ("search", SearchQuery(q="质量", filters=week.merged(Filters(sentiment=["negative"])))),
        "search all, newest, page 2 (cursor)": ("page2", None),
        "trends day, 180 d, Asia/Shanghai": ("trends", TrendQuery(interval="day", tz="Asia/Shanghai")),
        "trends week split topic": ("trends", TrendQuery(interval="week", split="topic")),
        "trends hour, last week, q=物流": ("trends", TrendQuery(q="物流", interval="hour", filters=week)),
        "top topics (negative)": ("top_topics", TopQuery(polarity="negative")),
        "top keywords (brand, week)": ("top_keywords", TopQuery(filters=week.merged(Filters(brand=["Voltra"])))),
        "emerging topics (1 d vs 28 d)": ("emerging_topics", EmergingQuery(**day_vs_28)),
        "emerging keywords (1 d vs 28 d)": ("emerging_keywords", EmergingQuery(**day_vs_28)),
    }


def measure(backend, repeat: int) -> dict[str, tuple[float, float, object]]:
    """name -> (median ms, p95 ms, a comparable answer)."""
    out = {}
    first = backend.search(SearchQuery(sort="newest", limit=20))
    for name, (kind, q) in queries().items():
        if kind == "page2":
            fn = lambda: backend.search(SearchQuery(sort="newest", limit=20, cursor=first.next_cursor))  # noqa: E731
        else:
            fn = lambda kind=kind, q=q: getattr(backend, kind)(q)  # noqa: E731
        med, p95 = timed(fn, repeat)
        answer = fn()
        if kind in ("search", "page2"):
            answer = answer.total
        elif kind == "trends":
            answer = sum(b.volume for s in answer.series for b in s.buckets)
        else:
            answer = [getattr(x, "topic", None) or getattr(x, "keyword", None) or x.key for x in answer][:5]
        out[name] = (med, p95, answer)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--es-url", default=None, help="An existing Elasticsearch 8 node (default: start one).")
    args = ap.parse_args()

    print(f"labelling {args.docs:,} records with the fast model (not timed)...", file=sys.stderr)
    recs = labelled_records(args.docs)
    node = None
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        url = args.es_url
        if url is None:
            from tests.es_node import script

            node = tmp / "es-node"
            url = script.start(node)
        try:
            results, ingest_rate = {}, {}
            prefix = f"bench{uuid.uuid4().hex[:8]}"
            for kind, options in (("sqlite", {"path": tmp / "bench.db"}),
                                  ("elasticsearch", {"hosts": [url], "index_prefix": prefix, "timeout_ms": 30_000})):
                analyser = Analyser()  # cold caches for each, as a new process would have
                analyser.tokenize("warm up the dictionary")
                analyser.keywords("预热 关键词")
                with open_backend(kind, analyser=analyser, **options) as backend:
                    print(f"ingesting into {kind}...", file=sys.stderr)
                    secs = ingest(backend, recs, analyser)
                    assert backend.count() == len(recs), (kind, backend.count())
                    ingest_rate[kind] = (len(recs) / secs, secs)
                    print(f"measuring {kind} queries...", file=sys.stderr)
                    results[kind] = measure(backend, args.repeat)
                    if kind == "elasticsearch":
                        version = backend.server_version
                        backend.drop_all()
        finally:
            if node is not None:
                script.stop(node)

    print(f"documents: {len(recs):,}; Elasticsearch {version} (single node, heap {script_heap()}); SQLite FTS5")
    print(f"\n{'ingest (no classification, batches of 1,000)':58} {'sqlite':>12} {'elasticsearch':>14}")
    print(f"{'documents/second':58} {ingest_rate['sqlite'][0]:12.0f} {ingest_rate['elasticsearch'][0]:14.0f}")
    print(f"\n{'query (' + str(args.repeat) + ' runs each), ms':58} {'sqlite med':>10} {'p95':>7} {'es med':>8} {'p95':>7}  same")
    for name in queries():
        s, e = results["sqlite"][name], results["elasticsearch"][name]
        same = "yes" if s[2] == e[2] else f"no: {s[2]} / {e[2]}"
        print(f"{name:58} {s[0]:10.1f} {s[1]:7.1f} {e[0]:8.1f} {e[1]:7.1f}  {same}")
    for kind in ("sqlite", "elasticsearch"):
        meds = [m for n, (m, _, _) in results[kind].items() if n.startswith("search")]
        trends = [m for n, (m, _, _) in results[kind].items() if n.startswith("trends")]
        print(f"{kind}: median of search medians {statistics.median(meds):.1f} ms; "
              f"median of trend medians {statistics.median(trends):.1f} ms")


def script_heap() -> str:
    import os

    return os.environ.get("ES_HEAP", "512m")


if __name__ == "__main__":
    main()

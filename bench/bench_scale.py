"""Scale figures: a large index (1,000,000 documents by default) on Elasticsearch and SQLite, and its query times.

    python bench/bench_scale.py [--docs 1000000] [--work-dir /tmp/voclens-scale] \\
        [--backends sqlite elasticsearch] [--repeat 15] [--es-url URL]

The documents (``bench.scale_corpus``) are real review and post texts with a
year of time spread, brand-specific topic mixes and a planted emerging
complaint; they arrive **pre-labelled** (the fast model labelled a pool of
texts once), so this measures the index, not the classifier. They are
streamed to a JSONL file, then imported through ``crawlers.ingest.ingest_file``
(the ``voclens ingest --no-classify --workers 2`` path).

Restartable: everything lives in ``--work-dir``. The corpus file is reused
when complete; each import keeps ``voclens ingest``'s checkpoint, so a killed
run resumes after the last committed write (the ingest rate then covers the
rows written by the last run); a finished import is remembered
(``done-<backend>-<n>.json``) and not repeated. The Elasticsearch node started
here keeps its data in ``<work-dir>/es-node`` (heap ``ES_HEAP``). Progress goes
to stderr; the figures to stdout and ``results-<backend>-<n>.json``.

Reported per backend: ingest docs/s, index size, search p50/p95, trend
p50/p95 split by topic and by brand, emerging topics and keywords, and a
weekly digest built end to end (``api.digests.content.build_digest``: trend,
top complaint topics with examples, emerging topics and keywords, score drivers).
Query time limits are raised to 30 s so slow queries are measured (the
report marks medians over the defaults); one that runs past 30 s is reported
as such. ``--report`` prints the saved results of the backends side by side
(each backend can run in its own process).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.digests.content import build_digest  # noqa: E402
from api.digests.schedule import latest_due  # noqa: E402
from api.digests.schemas import Subscription  # noqa: E402
from bench.bench_embedded import timed  # noqa: E402
from bench.scale_corpus import END, write_corpus  # noqa: E402
from crawlers.ingest import ingest_file  # noqa: E402
from crawlers.normalize import RecordOptions  # noqa: E402
from index.base import EmergingQuery, Filters, SearchQuery, TrendQuery  # noqa: E402
from index.errors import QueryTimeout  # noqa: E402
from index.registry import open_backend  # noqa: E402
from nlp.analyser import Analyser  # noqa: E402


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Progress:
    """Rows processed, printed every ``every`` rows with the rate so far."""

    def __init__(self, label: str, every: int = 50_000):
        self.label, self.every, self.rows, self.t0, self.next = label, every, 0, time.perf_counter(), every

    def __call__(self, rows: int) -> None:
        self.rows += rows
        if self.rows >= self.next:
            secs = time.perf_counter() - self.t0
            log(f"{self.label}: {self.rows:,} rows in {secs:.0f} s ({self.rows / secs:,.0f}/s), load {os.getloadavg()[0]:.1f}")
            self.next += self.every


def queries() -> dict[str, tuple[str, object]]:
    week = Filters(since=END - timedelta(days=7), until=END)
    day_vs_28 = dict(current_since=END - timedelta(days=1), current_until=END,
                     baseline_since=END - timedelta(days=29), baseline_until=END - timedelta(days=1))
    return {
        "search 物流 (relevance)": ("search", SearchQuery(q="物流")),
        "search refund (relevance)": ("search", SearchQuery(q="refund")),
        'search "质量很好" (phrase)': ("search", SearchQuery(q='"质量很好"')),
        "search 物流 OR 快递 -好评": ("search", SearchQuery(q="物流 OR 快递 -好评")),
        "search brand:Voltra topic:logistics:negative, newest": ("search", SearchQuery(q="brand:Voltra topic:logistics:negative", sort="newest")),
        "search 质量 + week + negative filters": ("search", SearchQuery(q="质量", filters=week.merged(Filters(sentiment=["negative"])))),
        "search, newest, page 2 by cursor": ("page2", None),
        "trend per day, 365 d, Asia/Shanghai": ("trends", TrendQuery(interval="day", tz="Asia/Shanghai")),
        "trend per week by topic, 365 d": ("trends", TrendQuery(interval="week", split="topic")),
        "trend per day by topic, 365 d": ("trends", TrendQuery(interval="day", split="topic")),
        "trend per week by brand, 365 d": ("trends", TrendQuery(interval="week", split="brand")),
        "trend per day by brand, 365 d": ("trends", TrendQuery(interval="day", split="brand")),
        "trend per day by topic, q=物流": ("trends", TrendQuery(q="物流", interval="day", split="topic")),
        "emerging topics (1 d vs 28 d)": ("emerging_topics", EmergingQuery(**day_vs_28)),
        "emerging keywords (1 d vs 28 d)": ("emerging_keywords", EmergingQuery(**day_vs_28)),
    }


def subscriptions() -> dict[str, Subscription]:
    base = dict(owner="pm@example.com", frequency="weekly", weekday="fri", hour=9, tz="Asia/Shanghai", channel="email",
                email_to=["pm@example.com"], created_at=END - timedelta(days=30), updated_at=END - timedelta(days=30))
    return {"digest, weekly, everything": Subscription(id="all", name="everything", **base),
            "digest, weekly, brand Qinghe": Subscription(id="qh", name="Qinghe", filters=Filters(brand=["Qinghe"]), **base)}


def answer_of(kind: str, result) -> object:
    """A small comparable summary of an answer (totals, volumes, first keys)."""
    if kind in ("search", "page2"):
        return result.total
    if kind == "trends":
        return sum(b.volume for s in result.series for b in s.buckets)
    if kind == "digest":
        return [result.volume, [t.topic for t in result.top_topics], [e.key for e in result.emerging_topics][:3]]
    return [getattr(x, "key", None) for x in result][:5]


def _timed(fn, repeat: int, kind: str) -> dict:
    """p50/p95 and the answer; a query past the (raised) time limit is recorded as such, not retried."""
    try:
        med, p95 = timed(fn, repeat)
        return {"p50": med, "p95": p95, "answer": answer_of(kind, fn())}
    except QueryTimeout as exc:
        log(f"    {exc}")
        return {"p50": None, "p95": None, "answer": "timeout"}


def measure(backend, repeat: int) -> dict[str, dict]:
    out = {}
    first = backend.search(SearchQuery(sort="newest", limit=20))
    for name, (kind, q) in queries().items():
        if kind == "page2":
            fn = lambda: backend.search(SearchQuery(sort="newest", limit=20, cursor=first.next_cursor))  # noqa: E731
        else:
            fn = lambda kind=kind, q=q: getattr(backend, kind)(q)  # noqa: E731
        log(f"  {name}")
        out[name] = _timed(fn, repeat, kind)
    due = END + timedelta(hours=2)
    for name, sub in subscriptions().items():
        period = latest_due(sub.frequency, sub.hour, sub.weekday, sub.tz, due)
        fn = lambda sub=sub, period=period: build_digest(backend, sub, period)  # noqa: E731
        log(f"  {name}")
        out[name] = _timed(fn, 3, "digest")
    return out


def index_bytes(kind: str, backend, options: dict) -> int:
    if kind == "sqlite":
        path = Path(options["path"])
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    stats = backend.es.indices.stats(index=backend.names.pattern, metric="store")
    return stats.body["_all"]["primaries"]["store"]["size_in_bytes"]


def run_backend(kind: str, options: dict, src: Path, n: int, work: Path, workers: int, repeat: int,
                ingest_now: bool = True) -> dict:  # fmt: skip
    analyser = Analyser()
    analyser.tokenize("warm up the dictionary")
    done_file = work / f"done-{kind}-{n}.json"
    with open_backend(kind, analyser=analyser, **options) as backend:
        if done_file.is_file():
            ingest = json.loads(done_file.read_text())
            log(f"{kind}: import of {n:,} already done ({ingest['docs_per_s']:,.0f} docs/s); measuring queries")
        elif not ingest_now:  # an import stopped part-way: measure the documents it wrote
            ingest = {"partial": True, "count": backend.count()}
            log(f"{kind}: measuring the {ingest['count']:,} documents written so far (import not finished)")
        else:
            (work / f"state-{kind}").mkdir(exist_ok=True)
            log(f"{kind}: importing {src.name} (resumes from its checkpoint if a previous run was stopped)")
            progress = Progress(f"{kind} ingest")
            load0 = os.getloadavg()[0]
            t0 = time.perf_counter()
            summary = ingest_file(src, backend, analyser, None, RecordOptions(), batch_size=1000, workers=workers,
                                  commit_every=backend.bulk_commit_rows, state_dir=work / f"state-{kind}", progress=progress)
            secs = time.perf_counter() - t0
            count = backend.count()
            written = progress.rows - summary.rejected
            ingest = {"seconds": secs, "rows_this_run": progress.rows, "docs_per_s": written / secs, "count": count,
                      "rejected": summary.rejected, "resumed_from": summary.resumed_from, "load_before": load0,
                      "load_after": os.getloadavg()[0]}  # fmt: skip
            assert count == n - summary.rejected, (kind, count, n, summary.rejected)
            done_file.write_text(json.dumps(ingest))
            log(f"{kind}: {count:,} documents, {ingest['docs_per_s']:,.0f} docs/s over {secs:.0f} s")
        ingest["bytes"] = index_bytes(kind, backend, options)
        version = getattr(backend, "server_version", None)
        log(f"{kind}: measuring queries ({repeat} runs each after one warm-up)")
        load0 = os.getloadavg()[0]
        figures = measure(backend, repeat)
    return {"backend": kind, "docs": ingest["count"], "version": version, "ingest": ingest, "queries": figures,
            "load": [load0, os.getloadavg()[0]], "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


DEFAULT_LIMIT_MS = {"sqlite": 2000, "elasticsearch": 5000}
#: The query time limit here: slow queries are measured up to it; past it they are reported as such.
TIME_LIMIT_MS = 30_000


def _cells(q: dict, backend: str) -> str:
    if q["p50"] is None:
        return f" {'> ' + str(TIME_LIMIT_MS // 1000) + ' s':>11} {'':8} "
    return f" {q['p50']:11.1f} {q['p95']:8.1f}" + ("!" if q["p50"] > DEFAULT_LIMIT_MS[backend] else " ")


def report(results: list[dict]) -> None:
    for r in results:
        i = r["ingest"]
        if i.get("partial"):
            print(f"{r['backend']}: {i['count']:,} documents (import stopped part-way); index {i['bytes'] / 2**20:,.0f} MiB; "
                  f"queries at load {r['load'][0]:.1f} -> {r['load'][1]:.1f}; {r['finished']}")
            continue
        print(f"{r['backend']} {r.get('version') or ''}: {r['docs']:,} documents; ingest {i['docs_per_s']:,.0f} docs/s "
              f"({i['rows_this_run']:,} rows in {i['seconds']:.0f} s, load {i['load_before']:.1f} -> {i['load_after']:.1f}); "
              f"index {i['bytes'] / 2**20:,.0f} MiB; queries at load {r['load'][0]:.1f} -> {r['load'][1]:.1f}; {r['finished']}")
    names = list(results[0]["queries"])
    results = [r for r in results if list(r["queries"]) == names]
    head = "".join(f" {r['backend'][:6] + ' p50':>11} {'p95':>8} " for r in results)
    print(f"\n{'query, ms (!: median over the default query time limit)':54}{head}  same")
    for name in names:
        cells = "".join(_cells(r["queries"][name], r["backend"]) for r in results)
        answers = [json.dumps(r["queries"][name]["answer"], ensure_ascii=False) for r in results]
        same = "" if len(results) < 2 else "yes" if len(set(answers)) == 1 else "no: " + " / ".join(answers)
        print(f"{name:54}{cells}  {same}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--work-dir", type=Path, default=Path("/tmp/voclens-scale"))
    ap.add_argument("--backends", nargs="+", default=["sqlite", "elasticsearch"], choices=["sqlite", "elasticsearch"])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pool", type=int, default=60_000, help="Distinct texts labelled once and drawn from.")
    ap.add_argument("--es-url", default=None, help="An existing Elasticsearch 8 node (default: start one in the work dir).")
    ap.add_argument("--keep-node", action="store_true", help="Leave the node started here running afterwards.")
    ap.add_argument("--no-ingest", action="store_true", help="Measure what an unfinished import wrote so far.")
    ap.add_argument("--report", action="store_true", help="Only print the saved results of --backends.")
    args = ap.parse_args()

    work = args.work_dir
    if args.report:
        report([json.loads((work / f"results-{k}-{args.docs}.json").read_text()) for k in args.backends])
        return
    work.mkdir(parents=True, exist_ok=True)
    log(f"writing {args.docs:,} labelled records (streamed; reused when already complete)")
    src = write_corpus(work / f"corpus-{args.docs}.jsonl", args.docs, pool_size=args.pool,
                       progress=lambda k: log(f"generated {k:,}"))
    results, node = [], None
    for kind in args.backends:
        if kind == "sqlite":
            # limits raised so that slow queries are measured, not cut off; the report marks those
            # over the defaults (SQLite 2,000 ms, Elasticsearch 5,000 ms)
            options = {"path": work / f"scale-{args.docs}.db", "timeout_ms": TIME_LIMIT_MS}
        else:
            if args.es_url is None and node is None:
                from tests.es_node import script

                node = work / "es-node"
                args.es_url = script.start(node)
            options = {"hosts": [args.es_url], "index_prefix": f"scale{args.docs}", "timeout_ms": TIME_LIMIT_MS}
        result = run_backend(kind, options, src, args.docs, work, args.workers, args.repeat, not args.no_ingest)
        (work / f"results-{kind}-{args.docs}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
        results.append(result)
    if node is not None and not args.keep_node:
        script.stop(node)
    print(f"{os.cpu_count()} cores; Elasticsearch heap {os.environ.get('ES_HEAP', '512m')}; pre-labelled documents")
    report(results)


if __name__ == "__main__":
    main()

"""Bulk ingest, SQLite and Elasticsearch in the same run: `voclens ingest` of pre-classified documents.

    python bench/bench_bulk_ingest.py [--docs 100000] [--workers 2] [--threads 2] [--es-url URL]

Both backends import the same JSONL file of labelled records (texts from
shared/data, synthetic metadata, labels from the fast model computed once
beforehand, so ``--no-classify``) through ``crawlers.ingest.ingest_file``,
the function behind ``voclens ingest``: worker processes parse, validate,
analyse and serialise; the main process writes (SQLite: 10,000-row
transactions; Elasticsearch: 5,000-row groups sent as 1,000-document bulk
requests on ``--threads`` connections, refresh off until the end). The time
runs from the first line read to the last write made searchable; every
document is counted afterwards. The node first takes one untimed import of
10,000 documents under another prefix: a node in service is warm, a fresh
JVM runs its first minute of indexing at about half speed.

Without ``--es-url`` a single local node is started with ``scripts/es-node``
(heap ``ES_HEAP``, default 512m) on the same machine, and stopped afterwards:
the node and the importer share the cores. The load average before and after
is printed, since a shared machine moves every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_backends import labelled_records  # noqa: E402
from crawlers.ingest import ingest_file  # noqa: E402
from crawlers.normalize import RecordOptions  # noqa: E402
from index.registry import open_backend  # noqa: E402
from nlp.analyser import Analyser  # noqa: E402


def write_jsonl(path: Path, recs: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for r in recs:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def import_into(kind: str, options: dict, src: Path, workers: int) -> tuple[float, int, int]:
    """(seconds, documents counted after, rows rejected) of one ``ingest_file`` run into a fresh backend."""
    analyser = Analyser()  # cold caches, as a new `voclens ingest` process has
    analyser.tokenize("warm up the dictionary")
    analyser.keywords("预热 关键词")
    with open_backend(kind, analyser=analyser, **options) as backend:
        t0 = time.perf_counter()
        summary = ingest_file(src, backend, analyser, None, RecordOptions(), batch_size=1000, workers=workers,
                              commit_every=backend.bulk_commit_rows, state_dir=None)
        elapsed = time.perf_counter() - t0
        count = backend.count()
        if kind == "elasticsearch":
            backend.drop_all()
        return elapsed, count, summary.rejected


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2, help="Analysis processes (the default of `voclens ingest` on 2 cores).")
    ap.add_argument("--threads", type=int, nargs="+", default=[2], help="Bulk connections to try on Elasticsearch.")
    ap.add_argument("--es-url", default=None, help="An existing Elasticsearch 8 node (default: start one).")
    args = ap.parse_args()

    print(f"labelling {args.docs:,} records with the fast model (not timed)...", file=sys.stderr)
    recs = labelled_records(args.docs)
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "labelled.jsonl"
        write_jsonl(src, recs)
        url, node = args.es_url, None
        if url is None:
            from tests.es_node import script

            node = tmp / "es-node"
            url = script.start(node)
        try:
            # a running cluster is warm: one throwaway import first, so the JVM's compiler has run
            print("warming the node up (10,000 documents, not timed)...", file=sys.stderr)
            warm = tmp / "warm.jsonl"
            write_jsonl(warm, recs[:10_000])
            import_into("elasticsearch", {"hosts": [url], "index_prefix": f"warm{uuid.uuid4().hex[:8]}",
                                          "timeout_ms": 30_000}, warm, args.workers)
            print("ingesting into sqlite...", file=sys.stderr)
            secs, count, rejected = import_into("sqlite", {"path": tmp / "bench.db"}, src, args.workers)
            rows.append(("sqlite", secs, count))
            for threads in args.threads:
                print(f"ingesting into elasticsearch ({threads} connections)...", file=sys.stderr)
                options = {"hosts": [url], "index_prefix": f"bench{uuid.uuid4().hex[:8]}", "timeout_ms": 30_000,
                           "bulk_threads": threads}
                secs, count, _ = import_into("elasticsearch", options, src, args.workers)
                rows.append((f"elasticsearch, {threads} bulk connection(s)", secs, count))
        finally:
            if node is not None:
                script.stop(node)
    load_after = os.getloadavg()
    print(f"documents: {len(recs):,} labelled; `voclens ingest --no-classify --workers {args.workers}` path; "
          f"{os.cpu_count()} cores; load average before {load_before[0]:.1f}, after {load_after[0]:.1f}; "
          f"Elasticsearch heap {os.environ.get('ES_HEAP', '512m')}")
    print(f"rows rejected by validation (control characters in the source texts): {rejected}; "
          "documents/second counts the documents written")
    print(f"{'backend':42} {'seconds':>8} {'docs/s':>8} {'counted':>9}")
    for name, secs, count in rows:
        print(f"{name:42} {secs:8.1f} {count / secs:8.0f} {count:9,}")
        assert count == len(recs) - rejected, (name, count)


if __name__ == "__main__":
    main()

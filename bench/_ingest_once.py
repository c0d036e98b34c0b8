"""One `voclens ingest --no-classify` run in a process of its own, from a given source tree; prints JSON.

    python bench/_ingest_once.py --tree DIR --kind sqlite|elasticsearch --src FILE [--url URL --prefix P] ...

``bench_bulk_ingest`` runs it once per measurement, alternating the current
tree with an older one (``--baseline``), so old and new code see the same
machine load and each starts cold, as a new ``voclens ingest`` process does.
Besides the wall time it reports where the CPU went: this writing process,
its analysis workers (children, reaped when the import ends) and, on
Elasticsearch, the node (``nodes.stats`` process CPU, whole node).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path


def node_cpu_ms(url: str) -> int:
    from elasticsearch import Elasticsearch

    stats = Elasticsearch(url, request_timeout=30).nodes.stats(metric="process")
    return sum(n["process"]["cpu"]["total_in_millis"] for n in stats["nodes"].values())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree", type=Path, required=True)
    ap.add_argument("--kind", choices=["sqlite", "elasticsearch"], required=True)
    ap.add_argument("--src", type=Path, required=True)
    ap.add_argument("--db", type=Path)
    ap.add_argument("--url")
    ap.add_argument("--prefix")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--fast-import", action="store_true", help="ElasticsearchBackend(fast_import=True).")
    ap.add_argument("--drop", action="store_true", help="Delete the indices afterwards.")
    args = ap.parse_args()
    sys.path.insert(0, str(args.tree.resolve()))

    from crawlers.ingest import ingest_file
    from crawlers.normalize import RecordOptions
    from index.registry import open_backend
    from nlp.analyser import Analyser

    if args.kind == "sqlite":
        options = {"path": args.db}
    else:
        options = {"hosts": [args.url], "index_prefix": args.prefix, "timeout_ms": 30_000, "bulk_threads": args.threads}
        if args.fast_import:
            options["fast_import"] = True
    analyser = Analyser()
    analyser.tokenize("warm up the dictionary")
    analyser.keywords("预热 关键词")
    with open_backend(args.kind, analyser=analyser, **options) as backend:
        node0 = node_cpu_ms(args.url) if args.url else 0
        self0, kids0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        summary = ingest_file(args.src, backend, analyser, None, RecordOptions(), batch_size=1000, workers=args.workers,
                              commit_every=backend.bulk_commit_rows, state_dir=None)
        elapsed = time.perf_counter() - t0
        self1, kids1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        node1 = node_cpu_ms(args.url) if args.url else 0
        count = backend.count()
        if args.drop:
            backend.drop_all()
    cpu = lambda a, b: (b.ru_utime + b.ru_stime) - (a.ru_utime + a.ru_stime)  # noqa: E731
    print(json.dumps({"seconds": elapsed, "count": count, "rejected": summary.rejected,
                      "cpu_writer": cpu(self0, self1), "cpu_workers": cpu(kids0, kids1),
                      "cpu_node": (node1 - node0) / 1000}))


if __name__ == "__main__":
    main()

"""Classification workers on the queue: docs/s with 1, 2 and 4 `voclens worker` processes.

    python bench/bench_workers.py [--docs 20000] [--workers 1 2 4] [--model fast] [--es-url URL]

For each worker count: a fresh stream gets ``--docs`` unlabelled documents
(texts from shared/data, synthetic metadata) published as `voclens ingest
--queue` does; then that many `voclens worker --exit-when-empty` processes
start together and the clock runs until the queue is drained (nothing
waiting, nothing pending). Process start (imports, loading the model) is in
the time, as it is for a user; the time to the first acknowledged batch is
printed beside it. Redis is a real ``redis-server`` started for the run
(``tests/redis_server.py``). The backend is SQLite in a fresh data directory,
or Elasticsearch with ``--es-url``.

On a 2-core machine expect little scaling: the workers share two cores with
each other (and with Elasticsearch when it runs here).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import records  # noqa: E402
from crawlers.normalize import RecordOptions, record_to_document  # noqa: E402
from crawlers.queue import GROUP, Publisher, connect, queue_depth  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402


def run(n_workers: int, docs: list, redis_url: str, data: Path, model: str, es_url: str | None) -> tuple[float, float]:
    """(seconds to drain the queue, seconds to the first acknowledged batch) with ``n_workers`` workers."""
    stream = f"bench-{uuid.uuid4().hex[:8]}"
    client = connect(redis_url)
    publisher = Publisher(client, stream)
    for i in range(0, len(docs), 1000):
        publisher.publish(docs[i : i + 1000])
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOCLENS_")}
    env.update(VOCLENS_DATA_DIR=str(data), VOCLENS_QUEUE_REDIS_URL=redis_url, VOCLENS_QUEUE_STREAM=stream,
               VOCLENS_MODEL=model, PYTHONPATH=str(ROOT))
    if es_url:
        env.update(VOCLENS_BACKEND="elasticsearch", VOCLENS_ELASTICSEARCH_URLS=es_url,
                   VOCLENS_ELASTICSEARCH_INDEX_PREFIX=f"benchw{uuid.uuid4().hex[:6]}")
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "api.cli", "worker", "--name", f"w{i}", "--exit-when-empty"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for i in range(n_workers)]
    first = None
    while True:
        depth = queue_depth(client, stream)
        if first is None and depth["depth"] < len(docs):
            first = time.perf_counter() - t0
        if depth["depth"] == 0 and depth["pending"] == 0:
            break
        if all(p.poll() is not None for p in procs):
            raise SystemExit(f"workers exited with the queue at {depth}")
        time.sleep(0.05)
    elapsed = time.perf_counter() - t0
    for p in procs:
        p.wait(60)
    client.delete(stream, f"{stream}:dead")
    assert not client.exists(stream) or client.xinfo_groups(stream)[0]["name"] != GROUP
    return elapsed, first or elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--model", default="fast", help="Classifier the workers use (fast, lite, transformer).")
    ap.add_argument("--es-url", default=None, help="Write to this Elasticsearch node instead of SQLite.")
    args = ap.parse_args()
    opts = RecordOptions()
    docs = [record_to_document({k: v for k, v in r.items() if k not in ("sentiment", "topics")}, opts)
            for r in records(args.docs)]
    load_before = os.getloadavg()[0]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        server = RedisServer(tmp)
        try:
            for n in args.workers:
                print(f"{n} worker(s)...", file=sys.stderr)
                elapsed, first = run(n, docs, server.url, tmp / f"data-{n}", args.model, args.es_url)
                results.append((n, elapsed, first))
        finally:
            server.stop()
    print(f"documents: {len(docs):,} unlabelled; model {args.model}; backend "
          f"{'elasticsearch' if args.es_url else 'sqlite'}; {os.cpu_count()} cores; "
          f"load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f}")
    print(f"{'workers':>7} {'seconds':>8} {'docs/s':>8} {'vs 1':>6} {'first batch s':>14}")
    base = None
    for n, elapsed, first in results:
        rate = len(docs) / elapsed
        base = base or rate
        print(f"{n:7d} {elapsed:8.1f} {rate:8.0f} {rate / base:6.2f} {first:14.1f}")


if __name__ == "__main__":
    main()

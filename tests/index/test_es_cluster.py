"""A three-node cluster that survives a node: ingest 50,000 documents, SIGKILL a node mid-ingest, compare.

Slow (three JVMs on this machine, several minutes): runs with ``make test-cluster``
(``VOCLENS_TEST_CLUSTER=1``) and in CI; skipped otherwise. The nodes come from the
distribution ``scripts/es-node`` fetches (``tests/es_cluster.py``). Indices have two
shards and one replica, so every shard has a copy on a surviving node.

Checked: the ingest finishes (items refused while a replica is promoted are
retried); every document is searchable; counts, a trend split by topic and the
top topics equal those of a SQLite index of the same documents; searches keep
answering while the node is down and after it rejoins (errors and latencies
are printed, and bounded).
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from datetime import timedelta

import pytest

from index._es_bulk import prepare_sources
from index.base import SearchQuery, TopQuery, TrendQuery
from index.document import Document
from index.registry import open_backend
from nlp.analyser import get_analyser
from tests.es_node import unique_prefix

from .corpus import NOW, corpus

pytestmark = [pytest.mark.slow, pytest.mark.elasticsearch, pytest.mark.cluster,
              pytest.mark.timeout(1500),
              pytest.mark.skipif(not (os.environ.get("VOCLENS_TEST_CLUSTER") or os.environ.get("CI")),
                                 reason="starts three Elasticsearch nodes: make test-cluster (VOCLENS_TEST_CLUSTER=1)")]

N_DOCS = int(os.environ.get("VOCLENS_TEST_CLUSTER_DOCS", "50000"))


def _documents(n: int) -> list:
    templates = corpus()
    brands = ["Acme", "Voltra", "Nimbus", "Orchid"]
    return [Document.model_validate({
        **templates[i % len(templates)].model_dump(exclude={"id"}), "source_id": f"c{i}",
        "brand": brands[i % len(brands)], "created_at": NOW - timedelta(hours=(i * 7) % (120 * 24))})
        for i in range(n)]


class SearchProbe(threading.Thread):
    """Searches every 100 ms, recording (phase, ok, ms, error) until stopped."""

    def __init__(self, backend):
        super().__init__(daemon=True)
        self.backend, self.phase, self.samples, self.done = backend, "before", [], threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            t0 = time.perf_counter()
            try:
                self.backend.search(SearchQuery(q="物流", limit=5))
                ok, error = True, None
            except Exception as exc:  # recorded, not raised: the probe measures availability
                ok, error = False, f"{type(exc).__name__}: {str(exc)[:120]}"
            self.samples.append((self.phase, ok, (time.perf_counter() - t0) * 1000, error))
            self.done.wait(0.1)

    def report(self, phase: str) -> tuple[int, int, float, float]:
        rows = [s for s in self.samples if s[0] == phase]
        ms = sorted(s[2] for s in rows if s[1]) or [0.0]
        return len(rows), sum(1 for s in rows if not s[1]), statistics.median(ms), ms[int(0.95 * (len(ms) - 1))]


def _figures(backend) -> dict:
    trend = backend.trends(TrendQuery(interval="week", split="topic", tz="Asia/Shanghai"))
    return {
        "count": backend.count(),
        "logistics": backend.count("物流"),
        "brand": backend.count("brand:Voltra topic:logistics:negative"),
        "trend": {s.key: [b.volume for b in s.buckets] for s in trend.series},
        "top": [(t.topic, t.count, t.negative) for t in backend.top_topics(TopQuery(limit=20))],
    }


def test_a_cluster_keeps_ingesting_and_answering_when_a_node_dies(tmp_path):
    from tests.es_cluster import Cluster

    docs = _documents(N_DOCS)
    rows = prepare_sources(docs, get_analyser())
    cluster = Cluster(tmp_path / "cluster")
    try:
        cluster.start()
        es = open_backend("elasticsearch", hosts=cluster.urls, index_prefix=unique_prefix(), shards=2, replicas=1,
                          timeout_ms=10_000)
        probe = SearchProbe(es)
        victim = cluster.nodes[1]
        written = {"n": 0}
        killed = threading.Event()

        def killer():
            while written["n"] < N_DOCS * 2 // 5:
                time.sleep(0.05)
            time.sleep(0.3)  # inside the next bulk write
            victim.kill()
            probe.phase = "down"
            killed.set()

        es.upsert(docs[:10])  # an index exists before the probe starts
        probe.start()
        threading.Thread(target=killer, daemon=True).start()
        t0 = time.perf_counter()
        with es.bulk_import():
            for i in range(0, len(rows), 5000):
                es.write_prepared(rows[i : i + 5000])
                written["n"] += len(rows[i : i + 5000])
        ingest_s = time.perf_counter() - t0
        assert killed.is_set(), "the node was not killed during the ingest"
        assert cluster.health(cluster.urls[:1] + cluster.urls[2:])["number_of_nodes"] == 2
        time.sleep(3)  # searches against the degraded cluster
        es_figures = _figures(es)
        probe.phase = "rejoining"
        cluster.restart(victim)
        probe.phase = "rejoined"
        time.sleep(3)
        probe.done.set()
        probe.join(10)
        assert _figures(es) == es_figures  # the same answers once the node is back
        es.drop_all()
        es.close()
    finally:
        cluster.stop()

    with open_backend("sqlite", path=tmp_path / "reference.db") as sqlite:
        for i in range(0, len(docs), 10_000):
            sqlite.upsert(docs[i : i + 10_000])
        reference = _figures(sqlite)
    assert es_figures["count"] == N_DOCS
    assert es_figures == reference

    lines = [f"ingest of {N_DOCS:,} documents with a node killed mid-way: {ingest_s:.1f} s"]
    for phase in ("before", "down", "rejoining", "rejoined"):
        n, errors, p50, p95 = probe.report(phase)
        lines.append(f"search while {phase}: {n} searches, {errors} errors, p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    errors = [s[3] for s in probe.samples if not s[1]]
    print("\n".join(lines + [f"errors: {sorted(set(errors))[:5]}"]))
    down_n, down_errors, _, _ = probe.report("down")
    assert down_n > 10 and down_errors <= down_n // 4  # it kept answering while the node was down
    rejoined_n, rejoined_errors, _, _ = probe.report("rejoined")
    assert rejoined_n > 5 and rejoined_errors == 0

"""What document vectors cost and what ``similar:`` takes, on SQLite and Elasticsearch.

    python bench/bench_vectors.py [--docs 100000] [--es-docs 20000] [--repeat 15] [--es-url URL] [--no-es]

Each backend is loaded twice with the same documents (texts from shared/data,
synthetic metadata, labels from the fast model, as in ``bench_backends``):
once without vectors and once with a 384-dimensional vector on every
document, written in the same ingest batches. Reported per backend:

* bytes per document the vectors add (SQLite: file size after VACUUM;
  Elasticsearch: the vector fields in its disk usage analysis after a merge to
  one segment, and apart the temporary ``_recovery_source`` copy), and the
  stored payload itself (388 bytes: 384 int8 values and a float32 scale);
* ingest documents/second with and without vectors;
* ``bench_backends``' searches and trends on both indices: the median of
  search medians and of trend medians, with and without vectors;
* ``similar:`` latency (10 nearest, alone and with a filter), and on
  Elasticsearch the share of SQLite's exact 10 nearest that kNN finds (recall@10).

The vectors are the lite model's pooled vectors of 2,000 of the texts
(their real spread), each document drawing one of them plus Gaussian noise
of the same scale: a realistic cloud of clusters, not 100,000 encoder passes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_backends import labelled_records, measure, queries  # noqa: E402
from crawlers.enrich import enrich  # noqa: E402
from crawlers.normalize import RecordOptions, record_to_document  # noqa: E402
from index.base import Filters, SearchQuery  # noqa: E402
from index.registry import open_backend  # noqa: E402
from index.vectors import DocumentVector  # noqa: E402
from nlp.analyser import Analyser  # noqa: E402


def vector_pool(recs: list[dict], size: int = 2000, seed: int = 3) -> tuple[str, np.ndarray]:
    """The lite model's pooled vectors of ``size`` of the texts (the model name, and (size, 384) floats)."""
    from nlp.models import get_classifier

    lite = get_classifier("lite")
    rng = np.random.default_rng(seed)
    texts = [recs[i]["text"] for i in rng.choice(len(recs), size=min(size, len(recs)), replace=False)]
    _, pooled = lite.classify_with_vectors(texts)
    return lite.vector_model, pooled


def vectors_for(n: int, model: str, pool: np.ndarray, seed: int = 5) -> list[DocumentVector]:
    rng = np.random.default_rng(seed)
    spread = float(pool.std())
    picks = pool[rng.integers(0, len(pool), size=n)]
    noisy = picks + 0.3 * spread * rng.standard_normal(picks.shape).astype(np.float32)
    return [DocumentVector.from_array(model, v) for v in noisy]


def ingest(backend, recs: list[dict], analyser: Analyser, vectors: list | None, batch: int = 1000) -> float:
    opts = RecordOptions()
    t0 = time.perf_counter()
    for i in range(0, len(recs), batch):
        docs = enrich([record_to_document(r, opts) for r in recs[i : i + batch]], analyser, None)
        if vectors is not None:
            docs = [d.model_copy(update={"vector": v}) for d, v in zip(docs, vectors[i : i + batch], strict=True)]
        backend.upsert(docs)
    return time.perf_counter() - t0


def sqlite_bytes(path: Path) -> int:
    """The file's size once the WAL is folded in and free pages are dropped (the backend closed)."""
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    conn.close()
    return path.stat().st_size


def es_bytes(backend) -> dict[str, int]:
    """Per field, the bytes of the alias's indices merged to one segment each (Elasticsearch's disk usage analysis).

    ``_recovery_source`` is a copy of the whole source Elasticsearch keeps for documents whose
    ``_source`` it filtered (the vector is left out), until its soft-delete retention lease
    (12 hours by default) lets a merge drop it: a temporary cost, reported apart.
    """
    es = backend.es.options(request_timeout=600)
    es.indices.forcemerge(index=backend.names.alias, max_num_segments=1, wait_for_completion=True)
    usage = es.indices.disk_usage(index=backend.names.alias, run_expensive_tasks=True)
    fields: dict[str, int] = {}
    for name, index in usage.items():
        if name.startswith("_"):
            continue
        for field, stats in index["fields"].items():
            fields[field] = fields.get(field, 0) + stats["total_in_bytes"]
    return fields


def similar_figures(backend, ids: list[str], repeat: int) -> dict[str, float]:
    probe = ids[:: max(1, len(ids) // repeat)][:repeat]
    week = Filters(brand=["Voltra"])
    out = {}
    for name, kw in (("similar 10", {}), ("similar 10, brand filter", {"filters": week})):
        samples = []
        backend.similar(probe[0], limit=10, **kw)  # warm
        for doc_id in probe:
            t0 = time.perf_counter()
            backend.similar(doc_id, limit=10, **kw)
            samples.append((time.perf_counter() - t0) * 1000)
        out[name] = statistics.median(samples)
    return out


def run(kind: str, options: dict, recs: list[dict], vectors: list, repeat: int) -> dict:
    """Ingest rates, bytes, query medians and similar latency for one backend, without and with vectors."""
    out: dict = {}
    for label, vecs in (("without", None), ("with", vectors)):
        opts = {**options, "path": options["path"].with_name(f"{label}.db")} if kind == "sqlite" else \
            {**options, "index_prefix": f"{options['index_prefix']}{label}"}
        analyser = Analyser()
        analyser.tokenize("warm up the dictionary")
        with open_backend(kind, analyser=analyser, **opts) as backend:
            print(f"{kind}: ingesting {len(recs):,} documents {label} vectors...", file=sys.stderr)
            secs = ingest(backend, recs, analyser, vecs)
            out[label] = {"rate": len(recs) / secs}
            if kind == "elasticsearch":
                out[label]["bytes"] = es_bytes(backend)
            print(f"{kind}: measuring queries {label} vectors...", file=sys.stderr)
            results = measure(backend, repeat)
            out[label]["search"] = statistics.median(m for n, (m, _, _) in results.items() if n.startswith("search"))
            out[label]["trends"] = statistics.median(m for n, (m, _, _) in results.items() if n.startswith("trends"))
            out[label]["answers"] = {n: a for n, (_, _, a) in results.items()}
            if vecs is not None:
                ids = [h.document.id for h in backend.search(SearchQuery(sort="newest", limit=200)).hits]
                out["similar"] = similar_figures(backend, ids, repeat)
                out["neighbours"] = {i: [h.document.id for h in backend.similar(i, limit=10).hits] for i in ids[:50]}
            if kind == "elasticsearch":
                backend.drop_all()
        if kind == "sqlite":
            out[label]["bytes"] = sqlite_bytes(opts["path"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=100_000, help="Documents on SQLite.")
    ap.add_argument("--es-docs", type=int, default=20_000, help="Documents on Elasticsearch (the first of the same).")
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--es-url", default=None, help="An existing Elasticsearch 8 node (default: start one).")
    ap.add_argument("--no-es", action="store_true", help="SQLite only.")
    args = ap.parse_args()

    print(f"labelling {args.docs:,} records with the fast model (not timed)...", file=sys.stderr)
    recs = labelled_records(args.docs)
    print("pooled vectors of 2,000 texts with the lite model (not timed)...", file=sys.stderr)
    model, pool = vector_pool(recs)
    vectors = vectors_for(len(recs), model, pool)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        results["sqlite"] = run("sqlite", {"path": tmp / "x.db"}, recs, vectors, args.repeat)
        if not args.no_es:
            from tests.es_node import script

            node = None
            url = args.es_url
            if url is None:
                node = tmp / "es-node"
                url = script.start(node)
            try:
                n = min(args.es_docs, len(recs))
                # the exact neighbours of the same documents on SQLite, for kNN's recall
                with open_backend("sqlite", path=tmp / "exact.db") as exact:
                    ingest(exact, recs[:n], Analyser(), vectors[:n])
                    options = {"hosts": [url], "index_prefix": f"bv{uuid.uuid4().hex[:6]}", "timeout_ms": 30_000}
                    results["elasticsearch"] = run("elasticsearch", options, recs[:n], vectors[:n], args.repeat)
                    found = results["elasticsearch"]["neighbours"]
                    truth = {i: [h.document.id for h in exact.similar(i, limit=10).hits] for i in found}
                    results["elasticsearch"]["recall"] = statistics.mean(
                        len(set(found[i]) & set(truth[i])) / max(1, len(truth[i])) for i in found)
                    results["elasticsearch"]["docs"] = n
            finally:
                if node is not None:
                    script.stop(node)
    results["sqlite"]["docs"] = len(recs)
    report(results)


def report(results: dict) -> None:
    print(f"{'':44} {'docs':>8} {'bytes/doc added':>16} {'ingest/s without':>17} {'with':>7}")
    for kind, r in results.items():
        if kind == "sqlite":
            added = (r["with"]["bytes"] - r["without"]["bytes"]) / r["docs"]
        else:
            added = sum(v for f, v in r["with"]["bytes"].items() if f.startswith("vector")) / r["docs"]
        print(f"{kind:44} {r['docs']:8,} {added:16.0f} {r['without']['rate']:17.0f} {r['with']['rate']:7.0f}")
    if "elasticsearch" in results:
        r = results["elasticsearch"]
        rec = (r["with"]["bytes"].get("_recovery_source", 0) - r["without"]["bytes"].get("_recovery_source", 0)) / r["docs"]
        total = (sum(r["with"]["bytes"].values()) - sum(r["without"]["bytes"].values())) / r["docs"]
        print(f"elasticsearch, until the retention lease lets merges drop it: _recovery_source {rec:.0f} bytes/doc "
              f"(all fields: {total:.0f} bytes/doc more than without vectors)")
    print("\nstored payload: 388 bytes (384 int8 values + a float32 scale)")
    print(f"\n{'median of medians, ms':44} {'search without':>15} {'with':>7} {'trends without':>15} {'with':>7}")
    for kind, r in results.items():
        same = r["with"]["answers"] == r["without"]["answers"]
        print(f"{kind:44} {r['without']['search']:15.1f} {r['with']['search']:7.1f} "
              f"{r['without']['trends']:15.1f} {r['with']['trends']:7.1f}   same answers: {'yes' if same else 'no'}")
    print(f"\n{'similar (median ms)':44} " + " ".join(f"{n:>26}" for n in next(iter(results.values()))["similar"]))
    for kind, r in results.items():
        print(f"{kind:44} " + " ".join(f"{v:26.1f}" for v in r["similar"].values()))
    if "recall" in results.get("elasticsearch", {}):
        print(f"\nElasticsearch kNN recall@10 against SQLite's exact neighbours: {results['elasticsearch']['recall']:.3f}")
    print(f"\n({len(queries())} queries of bench_backends per index)")


if __name__ == "__main__":
    main()

"""Bulk ingest, SQLite and Elasticsearch in the same run: `voclens ingest` of pre-classified documents.

    python bench/bench_bulk_ingest.py [--docs 100000] [--workers 2] [--threads 2] [--es-url URL] \
        [--baseline REV] [--fast-import] [--rounds N]

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

Each import runs in a process of its own (``bench/_ingest_once.py``), as a
new ``voclens ingest`` does, and reports its CPU seconds by process (writer,
analysis workers, Elasticsearch node): on two shared cores the sum is what
limits the rate. ``--baseline REV`` also imports with the code of an older
revision (``git archive``) and alternates the two (old, new in odd rounds,
new, old in even ones), so both see the same machine load; the SQLite import
of each round gives that round's embedded figure.

Without ``--es-url`` a single local node is started with ``scripts/es-node``
(heap ``ES_HEAP``, default 512m) on the same machine, and stopped afterwards:
the node and the importer share the cores. The load average before and after
is printed, since a shared machine moves every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_backends import labelled_records  # noqa: E402


def write_jsonl(path: Path, recs: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for r in recs:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


ONCE = Path(__file__).resolve().parent / "_ingest_once.py"
ROOT = Path(__file__).resolve().parents[1]


def run_once(tree: Path, kind: str, src: Path, tmp: Path, url: str | None, workers: int, threads: int,
             extra: tuple[str, ...] = ()) -> dict:  # fmt: skip
    """One import in a fresh process from ``tree`` (``_ingest_once.py``): seconds, count and CPU by process."""
    cmd = [sys.executable, str(ONCE), "--tree", str(tree), "--kind", kind, "--src", str(src), "--workers", str(workers),
           *extra]
    if kind == "sqlite":
        db = tmp / f"bench-{uuid.uuid4().hex[:8]}.db"
        cmd += ["--db", str(db)]
    else:
        cmd += ["--url", url, "--prefix", f"bench{uuid.uuid4().hex[:8]}", "--threads", str(threads), "--drop"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:  # say why, and go on with the other runs
        print(f"import failed ({' '.join(cmd[3:])}):\n{out.stderr[-3000:]}", file=sys.stderr)
        return {"failed": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if kind == "sqlite":
        for f in tmp.glob(db.name + "*"):
            f.unlink()
    return result


def baseline_tree(rev: str, tmp: Path) -> Path:
    """The repository at ``rev`` (``git archive``), to run the old code beside the current one."""
    dest = tmp / f"baseline-{rev}"
    dest.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2, help="Analysis processes (the default of `voclens ingest` on 2 cores).")
    ap.add_argument("--threads", type=int, nargs="+", default=[2], help="Bulk connections to try on Elasticsearch.")
    ap.add_argument("--es-url", default=None, help="An existing Elasticsearch 8 node (default: start one).")
    ap.add_argument("--baseline", metavar="REV", help="Also run the Elasticsearch import of this git revision, "
                    "alternating with the current code (old, new, new, old, ...).")
    ap.add_argument("--fast-import", action="store_true", help="Also import with fast_import on "
                    "(translog fsync and replicas off during the import).")
    ap.add_argument("--rounds", type=int, default=1, help="Measurements of each variant.")
    args = ap.parse_args()

    print(f"labelling {args.docs:,} records with the fast model (not timed)...", file=sys.stderr)
    recs = labelled_records(args.docs)
    load_before = os.getloadavg()
    rows: list[tuple[str, dict]] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "labelled.jsonl"
        write_jsonl(src, recs)
        trees = {"current": ROOT}
        if args.baseline:
            trees = {f"baseline {args.baseline}": baseline_tree(args.baseline, tmp), "current": ROOT}
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
            run_once(ROOT, "elasticsearch", warm, tmp, url, args.workers, 2)
            variants = [(name, tree, threads, ()) for threads in args.threads for name, tree in trees.items()]
            if args.fast_import:
                variants += [("current, fast_import", ROOT, threads, ("--fast-import",)) for threads in args.threads]
            for r in range(args.rounds):
                print(f"round {r + 1}: ingesting into sqlite...", file=sys.stderr)
                rows.append(("sqlite (current)", run_once(ROOT, "sqlite", src, tmp, None, args.workers, 0)))
                # old, new in odd rounds and new, old in even ones: neither always runs second
                for name, tree, threads, extra in variants if r % 2 == 0 else variants[::-1]:
                    print(f"round {r + 1}: elasticsearch, {name}, {threads} connections...", file=sys.stderr)
                    rows.append((f"elasticsearch {name}, {threads} conn.",
                                 run_once(tree, "elasticsearch", src, tmp, url, args.workers, threads, extra)))
        finally:
            if node is not None:
                script.stop(node)
    load_after = os.getloadavg()
    print(f"documents: {len(recs):,} labelled; `voclens ingest --no-classify --workers {args.workers}` path; "
          f"{os.cpu_count()} cores; load average before {load_before[0]:.1f}, after {load_after[0]:.1f}; "
          f"Elasticsearch heap {os.environ.get('ES_HEAP', '512m')}")
    print("documents/second counts the documents written; CPU seconds: the writing process, its analysis "
          "workers, the Elasticsearch node (whole node)")
    print(f"{'run':52} {'seconds':>8} {'docs/s':>8} {'counted':>9} {'cpu writer':>10} {'workers':>8} {'node':>6}")
    for name, res in rows:
        if "failed" in res:
            print(f"{name:52} failed: {res['failed']}")
            continue
        count, secs = res["count"], res["seconds"]
        print(f"{name:52} {secs:8.1f} {count / secs:8.0f} {count:9,} {res['cpu_writer']:10.1f} "
              f"{res['cpu_workers']:8.1f} {res['cpu_node']:6.1f}")
        assert count == len(recs) - res["rejected"], (name, count)
    by_name: dict[str, list[float]] = {}
    for name, res in rows:
        if "failed" in res:
            continue
        by_name.setdefault(name, []).append(res["count"] / res["seconds"])
    if args.rounds > 1:
        print("medians: " + "; ".join(f"{n} {statistics.median(v):,.0f} docs/s" for n, v in by_name.items()))


if __name__ == "__main__":
    main()

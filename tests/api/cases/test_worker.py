"""Case rules run on what a queue worker writes: real Redis, two real ``voclens worker`` processes, one state database.

The rows are published twice (an import and a re-crawl that overlaps it),
two workers drain the stream at once, and each runs the rules on what it
wrote. Each detractor must get one case and one ``opened`` event, with no
``voclens cases run`` in between; publishing and working again opens nothing.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api.cases import CaseStore
from crawlers.queue import Publisher, Worker, connect, queue_depth
from index.document import Document
from index.registry import open_backend
from nlp.analyser import get_analyser
from tests.es_node import unique_prefix

ROOT = Path(__file__).resolve().parents[3]


def _rows(n: int) -> list[dict]:
    now = datetime.now(UTC)
    return [{"source": "survey", "source_id": f"w{i}", "channel": "survey", "text": f"answer {i}: the parcel came late",
             "nps": (i * 7) % 11, "customer_id": f"cust-{i % 30}", "created_at": (now - timedelta(hours=i)).isoformat()}
            for i in range(n)]


def _run(env, *args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def _spawn(env, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "api.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)


def test_two_workers_open_each_case_once(redis_server, tmp_path, state_url):
    stream = f"q-{unique_prefix()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOCLENS_")}
    env.update({"VOCLENS_DATA_DIR": str(tmp_path / "data"), "VOCLENS_STATE_DB_URL": state_url, "VOCLENS_BACKEND": "sqlite",
                "VOCLENS_QUEUE_REDIS_URL": redis_server.url, "VOCLENS_QUEUE_STREAM": stream, "VOCLENS_MODEL": "fast",
                "PYTHONPATH": str(ROOT)})
    rows = _rows(150)
    feed = tmp_path / "survey.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    added = _run(env, "cases", "rule-add", "detractors", "--owner", "cx", "--detractor", "--json")
    assert added.returncode == 0, added.stderr
    for _ in range(2):  # the import, and a re-crawl of the same rows
        published = _run(env, "ingest", str(feed), "--queue", "--no-resume", "--json")
        assert published.returncode == 0, published.stderr

    workers = [_spawn(env, "worker", "--name", f"w{i}", "--batch-size", "20", "--no-classify", "--exit-when-empty",
                      "--json") for i in range(2)]
    reports = []
    for p in workers:
        stdout, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr
        reports.append(json.loads(stdout))
    detractors = sum(r["nps"] <= 6 for r in rows)
    assert sum(r["written"] for r in reports) == 2 * len(rows)
    assert sum(r["cases_opened"] for r in reports) == detractors  # opened by the workers, no `cases run`

    store = CaseStore(state_url)
    try:
        cases = store.cases(limit=None)
        assert len(cases) == detractors == len({c.document_id for c in cases})
        opened = [e for c in cases for e in store.get_case(c.id).history if e.action == "opened"]
        assert len(opened) == detractors
        published = _run(env, "ingest", str(feed), "--queue", "--no-resume", "--json")
        assert published.returncode == 0, published.stderr
        again = _run(env, "worker", "--no-classify", "--exit-when-empty", "--json")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["cases_opened"] == 0
        assert len(store.cases(limit=None)) == detractors
    finally:
        store.close()


def test_after_writes_sees_every_batch_and_its_errors_do_not_stop_the_worker(redis_server, tmp_path, caplog):
    stream = f"q-{unique_prefix()}"
    client = connect(redis_server.url)
    docs = [Document(source="queue-test", source_id=f"h{i}", text=f"text {i}", created_at="2026-11-20T00:00:00Z")
            for i in range(30)]
    Publisher(client, stream).publish(docs)
    seen: list[int] = []

    with open_backend("sqlite", path=tmp_path / "v.db") as backend:
        def after_writes():
            seen.append(backend.count())
            if len(seen) == 1:
                raise RuntimeError("state database down")

        worker = Worker(client, stream, backend, get_analyser(), None, name="w", batch_size=4, block_ms=200,
                        after_writes=after_writes, after_writes_every_s=0.0)
        with caplog.at_level(logging.ERROR, logger="crawlers.queue"):
            stats = worker.run(exit_when_empty=True, idle_exit_s=0.5)
    assert stats.written == len(docs) and queue_depth(client, stream)["depth"] == 0
    assert seen[-1] == len(docs) and len(seen) >= 2  # the last call came after the last write had settled
    assert "state database down" in caplog.text

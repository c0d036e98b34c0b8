"""The classification queue on a real Redis: `ingest --queue` publishes, `voclens worker` classifies and writes.

The crash test SIGKILLs a real worker process while it holds a batch it has
not acknowledged, then checks that another worker takes that batch over and
that every document ends up in the index exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawlers.queue import GROUP, Publisher, Worker, connect, queue_depth
from index.document import Document
from index.registry import open_backend
from nlp.analyser import get_analyser
from nlp.models import get_classifier
from tests.es_node import unique_prefix

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ["物流太慢了，等了一个星期", "质量很好，很满意", "客服态度差，不给退款", "The battery died after two days",
         "Fast shipping, great price", "包装破损，屏幕有划痕"]


def _records(n: int) -> list[dict]:
    return [{"source": "queue-test", "source_id": f"r{i}", "text": f"{TEXTS[i % len(TEXTS)]} #{i}",
             "author": f"user{i % 7}", "created_at": f"2026-11-{1 + i % 28:02d}T08:00:00Z"} for i in range(n)]


def _write_jsonl(path: Path, recs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    return path


def _env(tmp_path: Path, redis_url: str, stream: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOCLENS_")}
    env.update({"VOCLENS_DATA_DIR": str(tmp_path / "data"), "VOCLENS_QUEUE_REDIS_URL": redis_url,
                "VOCLENS_QUEUE_STREAM": stream, "VOCLENS_MODEL": "fast", "PYTHONPATH": str(ROOT), **extra})
    return env


def _cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


def test_published_documents_are_classified_and_written_once(redis_server, tmp_path):
    stream = f"q-{unique_prefix()}"
    client = connect(redis_server.url)
    docs = [Document(source="queue-test", source_id=f"d{i}", text=t, created_at="2026-11-20T00:00:00Z")
            for i, t in enumerate(TEXTS)]
    publisher = Publisher(client, stream)
    publisher.publish(docs)
    publisher.publish(docs[:2])  # published twice (a re-run of a publisher): still stored once
    client.xadd(stream, {"doc": b"{not json"})  # a poison message: dead-lettered, never blocks the queue
    assert queue_depth(client, stream)["depth"] == len(docs) + 3
    with open_backend("sqlite", path=tmp_path / "v.db") as backend:
        worker = Worker(client, stream, backend, get_analyser(), get_classifier("fast"), name="w", batch_size=4)
        stats = worker.run(exit_when_empty=True)
        assert backend.count() == len(docs)
        stored = backend.get(docs[0].id)
        assert stored.sentiment is not None and stored.model_version and stored.keywords
    depth = queue_depth(client, stream)
    assert (depth["depth"], depth["pending"], depth["dead_letters"]) == (0, 0, 1)
    dead = client.xrange(f"{stream}:dead")[0][1]
    assert b"not a document" in dead[b"reason"]
    assert stats.written == len(docs) + 2 and stats.dead_letters == 1


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)])
def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(redis_server, tmp_path, kind, request):
    stream = f"q-{unique_prefix()}"
    extra: dict[str, str] = {"VOCLENS_WORKER_CLAIM_IDLE_S": "1"}
    if kind == "elasticsearch":
        es_node = request.getfixturevalue("es_node")
        extra.update(VOCLENS_BACKEND="elasticsearch", VOCLENS_ELASTICSEARCH_URLS=es_node.url,
                     VOCLENS_ELASTICSEARCH_INDEX_PREFIX=unique_prefix())
    env = _env(tmp_path, redis_server.url, stream, **extra)
    recs = _records(3000)
    feed = _write_jsonl(tmp_path / "feed.jsonl", recs + [{"source": "queue-test", "text": "no id, no date"}])
    published = _cli("ingest", str(feed), "--queue", "--json", env=env)
    assert published.returncode == 0, published.stderr
    summary = json.loads(published.stdout)
    assert (summary["created"], summary["rejected"]) == (len(recs), 1)  # the bad row goes to the side file, not the queue
    client = connect(redis_server.url)
    assert queue_depth(client, stream)["depth"] == len(recs)

    # a batch delivered and not yet acknowledged, after at least one batch written: kill it right there
    def mid_batch():
        info = client.xpending(stream, GROUP)
        return info["pending"] > 0 and queue_depth(client, stream)["depth"] < len(recs) - info["pending"]

    orphaned = 0
    for _ in range(5):  # a worker may acknowledge its batch between the check and the kill: kill the next one
        log = open(tmp_path / "victim.log", "ab")  # noqa: SIM115 (closed below, after the kill)
        victim = subprocess.Popen([sys.executable, "-m", "api.cli", "worker", "--name", "victim", "--batch-size", "200"],
                                  env=env, cwd=ROOT, stdout=log, stderr=log)  # fmt: skip
        try:
            _wait(mid_batch, 120, "the worker to be inside its second batch or later")
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait(10)
        finally:
            if victim.poll() is None:
                victim.kill()
                victim.wait(10)
            log.close()
        orphaned = client.xpending(stream, GROUP)["pending"]
        if orphaned:
            break
    assert orphaned > 0  # the killed worker's batch: delivered, never acknowledged
    left = queue_depth(client, stream)["depth"]
    assert 0 < left < len(recs)

    rescuer = _cli("worker", "--name", "rescuer", "--exit-when-empty", "--json", env=env)
    assert rescuer.returncode == 0, rescuer.stderr
    report = json.loads(rescuer.stdout)
    assert report["claimed"] >= orphaned and report["written"] == left
    assert (report["depth"], report["pending"], report["dead_letters"]) == (0, 0, 0)

    options = {"path": tmp_path / "data" / "voclens.db"} if kind == "sqlite" else {
        "hosts": [env["VOCLENS_ELASTICSEARCH_URLS"]], "index_prefix": env["VOCLENS_ELASTICSEARCH_INDEX_PREFIX"]}
    with open_backend(kind, **options) as backend:
        try:
            # workers leave Elasticsearch's periodic refresh (1 s) to make their last batch searchable
            _wait(lambda: backend.count() >= len(recs), 10, "the last batch to be searchable")
            time.sleep(1.5)
            assert backend.count() == len(recs)  # nothing lost, nothing twice
            ids = {d.id for batch in backend.iter_documents(1000) for d in batch}
            assert len(ids) == len(recs)
            assert all(d.model_version for batch in backend.iter_documents(1000) for d in batch)
        finally:
            if kind == "elasticsearch":
                backend.drop_all()


def test_the_queue_needs_redis(tmp_path):
    env = _env(tmp_path, "", "s")
    del env["VOCLENS_QUEUE_REDIS_URL"]
    feed = _write_jsonl(tmp_path / "f.jsonl", _records(1))
    result = _cli("ingest", str(feed), "--queue", env=env)
    assert result.returncode == 2 and "queue_redis_url" in result.stderr

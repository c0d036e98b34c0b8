"""Elasticsearch goes away in the middle of an import: nothing is lost, nothing is doubled.

The real node is stopped while ``voclens ingest`` writes to it. The import
stops with one clear error line (its checkpoint records the last batch the
node acknowledged); once the node is back, running the same command again
resumes after that batch, and every document is present exactly once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from index.document import document_id
from tests.es_node import unique_prefix

pytestmark = [pytest.mark.elasticsearch, pytest.mark.slow]

ROWS = 4000


def _write_file(path):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(ROWS):
            fh.write(json.dumps({"source": "fault", "source_id": str(i), "text": f"物流太慢 第{i}条 refund {i % 7}",
                                 "created_at": (start + timedelta(hours=i)).isoformat()}, ensure_ascii=False) + "\n")


@pytest.mark.timeout(600)
def test_node_stopped_mid_ingest_then_restarted(es_node, tmp_path):
    from index.elasticsearch import ElasticsearchBackend

    if not es_node.managed:
        pytest.skip("needs a node this session started (VOCLENS_TEST_ES_URL is external)")
    prefix = unique_prefix()
    data = tmp_path / "data"
    feed = tmp_path / "feed.jsonl"
    _write_file(feed)
    env = {**os.environ, "VOCLENS_BACKEND": "elasticsearch", "VOCLENS_ELASTICSEARCH_URLS": es_node.url,
           "VOCLENS_ELASTICSEARCH_INDEX_PREFIX": prefix, "VOCLENS_DATA_DIR": str(data)}
    cmd = [sys.executable, "-m", "api.cli", "ingest", str(feed), "--no-classify", "--batch-size", "20",
           "--commit-every", "20"]
    backend = ElasticsearchBackend([es_node.url], index_prefix=prefix)
    proc = None
    try:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        def acknowledged() -> int:  # refresh is off during an import: its checkpoint says how far it got
            found = list(data.glob("ingest-*.json"))
            try:
                return json.loads(found[0].read_text())["line"] if found else 0
            except (OSError, ValueError):
                return 0

        while acknowledged() < 200:  # let it get going
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "ingest made no progress"
            time.sleep(0.1)
        es_node.stop()
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 1, (out, err)
        assert err.strip().splitlines()[-1].startswith("error:") and "Elasticsearch" in err
        assert "Traceback" not in err
        checkpoint = json.loads(next(data.glob("ingest-*.json")).read_text())
        assert 0 < checkpoint["line"] < ROWS

        es_node.start()
        again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr
        assert not list(data.glob("ingest-*.json"))
        ids = [d.id for batch in backend.iter_documents(batch_size=1000) for d in batch]
        assert len(ids) == len(set(ids)) == ROWS == backend.count()
        assert set(ids) == {document_id("fault", str(i)) for i in range(ROWS)}
        assert backend.count("物流太慢 refund") == ROWS
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.communicate()
        if es_node.url:
            try:
                es_node.start()  # leave the node up for the rest of the session
            finally:
                backend.drop_all()
                backend.close()

"""Cases open exactly once under concurrent ingest and re-crawl: two real ``voclens ingest`` processes at once.

Both processes write the same survey rows (a re-crawl that overlaps a
running import) into one SQLite index and then run the case rules against
one state database (SQLite, and PostgreSQL where marked). Whatever the
interleaving, each detractor gets one case and one ``opened`` event; a
third import and two ``voclens cases run`` at once open nothing more.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from api.cases import CaseStore


def _rows(n: int) -> list[dict]:
    now = datetime.now(UTC)
    return [{"source": "survey", "source_id": f"r{i}", "channel": "survey", "brand": "Voltra",
             "text": f"answer {i}: the parcel came late" if i % 3 == 0 else f"answer {i}: fine",
             "nps": (i * 7) % 11, "customer_id": f"cust-{i % 40}",
             "created_at": (now - timedelta(hours=i)).isoformat()} for i in range(n)]


def _cli(env, *args, timeout=300):
    return subprocess.run([sys.executable, "-m", "api.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def _spawn(env, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "api.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_ingests_at_once_open_each_case_once(tmp_path, state_url):
    rows = _rows(240)
    for name in ("a.jsonl", "b.jsonl"):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    env = {**os.environ, "VOCLENS_DATA_DIR": str(tmp_path / "data"), "VOCLENS_STATE_DB_URL": state_url,
           "VOCLENS_BACKEND": "sqlite"}
    added = _cli(env, "cases", "rule-add", "detractors", "--owner", "cx", "--detractor", "--json")
    assert added.returncode == 0, added.stderr

    procs = [_spawn(env, "ingest", str(tmp_path / name), "--no-classify", "--no-resume", "--batch-size", "40",
                    "--commit-every", "40") for name in ("a.jsonl", "b.jsonl")]
    for p in procs:
        _, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr

    store = CaseStore(state_url)
    try:
        detractors = sum(r["nps"] <= 6 for r in rows)
        cases = store.cases(limit=None)
        assert len(cases) == detractors == len({c.document_id for c in cases})
        opened_events = [e for c in cases for e in store.get_case(c.id).history if e.action == "opened"]
        assert len(opened_events) == detractors

        again = [_spawn(env, "cases", "run", "--json") for _ in range(2)]
        reports = [json.loads(p.communicate(timeout=300)[0]) for p in again]
        assert [r["opened"] for r in reports] == [[], []]
        reingest = _cli(env, "ingest", str(tmp_path / "a.jsonl"), "--no-classify", "--no-resume")
        assert reingest.returncode == 0, reingest.stderr
        assert len(store.cases(limit=None)) == detractors
    finally:
        store.close()


def test_two_runs_at_once_alert_each_breach_once(tmp_path, state_url, receiver):
    """Deadlines of a second pass by; two ``voclens cases run`` processes then race for the same alerts."""
    from .conftest import SECRET

    rows = _rows(60)
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    env = {**os.environ, "VOCLENS_DATA_DIR": str(tmp_path / "data"), "VOCLENS_STATE_DB_URL": state_url,
           "VOCLENS_BACKEND": "sqlite", "VOCLENS_WEBHOOK_SIGNING_SECRET": SECRET, "VOCLENS_WEBHOOK_ALLOW_PRIVATE": "true"}
    added = _cli(env, "cases", "rule-add", "detractors", "--owner", "cx", "--detractor", "--first-response-h", "0.0003",
                 "--webhook-url", receiver.url)
    assert added.returncode == 0, added.stderr
    ingested = _cli(env, "ingest", str(tmp_path / "a.jsonl"), "--no-classify")
    assert ingested.returncode == 0, ingested.stderr
    time.sleep(1.5)  # past every first-response deadline (about a second after opening)
    receiver.delay = 0.05  # each send takes a moment, so the two runs overlap
    runs = [_spawn(env, "cases", "run", "--json") for _ in range(2)]
    reports = [json.loads(p.communicate(timeout=300)[0]) for p in runs]
    detractors = sum(r["nps"] <= 6 for r in rows)
    assert sum(len(r["alerts_sent"]) for r in reports) == detractors
    assert len(receiver.requests) == detractors == len(set(receiver.keys()))
    assert all(r["signature_ok"] for r in receiver.requests)

"""Exactly-once with real processes: a runner killed between sending and recording, and two runners at once.

``voclens digests run`` runs as a subprocess against a real state database
(SQLite, and PostgreSQL where marked), a real HTTP receiver and a real SMTP
server. The crash is real: the receiver holds its answer, the test kills
the runner with SIGKILL, and only then lets the receiver answer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from api.digests.store import DigestStore

from .conftest import SECRET
from .helpers import make_sub


def _env(data_dir, state_url, smtp=None, **extra):
    env = {**os.environ, "VOCLENS_DATA_DIR": str(data_dir), "VOCLENS_STATE_DB_URL": state_url,
           "VOCLENS_WEBHOOK_SIGNING_SECRET": SECRET, "VOCLENS_WEBHOOK_ALLOW_PRIVATE": "true", "VOCLENS_DIGEST_LEASE_S": "1", "VOCLENS_SMTP_FROM": "d@voclens.test"}
    if smtp is not None:
        env.update(VOCLENS_SMTP_HOST="127.0.0.1", VOCLENS_SMTP_PORT=str(smtp.port))
    env.update(extra)
    return env


def _runner(env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "api.cli", "digests", "run", "--json"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _daily(store, **kw):
    """A daily digest created eight days ago: yesterday's digest is due now."""
    return make_sub(store, frequency="daily", hour=0, created=datetime.now(UTC) - timedelta(days=8), **kw)


@pytest.fixture
def state_url(request, tmp_path):
    if getattr(request, "param", "sqlite") == "postgres":
        return request.getfixturevalue("pg_server").new_database()
    return f"sqlite:///{tmp_path / 'state.db'}"


def _kill_after_receipt(proc: subprocess.Popen, received) -> None:
    assert received.wait(90), proc.stderr.read() if proc.poll() is not None else "runner never sent"
    proc.kill()  # SIGKILL: no cleanup, no chance to record
    proc.communicate(timeout=30)


@pytest.mark.parametrize("state_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_webhook_crash_between_send_and_record_is_one_logical_delivery(tmp_path, state_url, receiver):
    store = DigestStore(state_url)
    sub = _daily(store, channel="webhook", email_to=[], webhook_url=receiver.url)
    env = _env(tmp_path, state_url)
    receiver.hold = True
    _kill_after_receipt(_runner(env), receiver.received)
    receiver.hold = False
    receiver.release.set()
    (d,) = store.deliveries(sub.id)
    assert d.state == "sending" and d.attempts == 1  # the receiver has it; voclens never learned

    time.sleep(1.2)  # the crashed runner's lease (1 s) runs out
    second = subprocess.run([sys.executable, "-m", "api.cli", "digests", "run"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    (d,) = store.deliveries(sub.id)
    assert d.state == "sent" and d.attempts == 2
    assert len(receiver.requests) == 2 and len(set(receiver.keys())) == 1 == len(receiver.logical)
    assert receiver.keys()[0] == d.idempotency_key
    assert all(r["signature_ok"] for r in receiver.requests)

    third = subprocess.run([sys.executable, "-m", "api.cli", "digests", "run"], env=env, capture_output=True,
                           text=True, timeout=120)
    assert third.returncode == 0 and len(receiver.requests) == 2
    store.close()


def test_email_crash_resends_with_the_same_message_id(tmp_path, state_url, smtp):
    """SMTP has no receiver-side de-duplication: the resent copy carries the same Message-ID (documented limit)."""
    store = DigestStore(state_url)
    sub = _daily(store)
    env = _env(tmp_path, state_url, smtp)
    smtp.hold = True
    _kill_after_receipt(_runner(env), smtp.received)
    smtp.hold = False
    smtp.release.set()
    time.sleep(1.2)
    r = subprocess.run([sys.executable, "-m", "api.cli", "digests", "run"], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    deadline = time.time() + 10
    while len(smtp.messages) < 2 and time.time() < deadline:
        time.sleep(0.05)
    assert len(smtp.messages) == 2
    ids = {m["Message-ID"] for m in smtp.messages}
    assert ids == {f"<{store.deliveries(sub.id)[0].idempotency_key}@voclens.test>"}
    assert store.deliveries(sub.id)[0].state == "sent"
    store.close()


@pytest.mark.parametrize("state_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_two_runners_at_once_send_each_period_once(tmp_path, state_url, receiver):
    store = DigestStore(state_url)
    subs = [_daily(store, name=f"sub {i}", channel="webhook", email_to=[], webhook_url=receiver.url) for i in range(6)]
    receiver.delay = 0.2  # keep both runners busy at the same time
    env = _env(tmp_path, state_url, VOCLENS_DIGEST_LEASE_S="600")
    procs = [_runner(env) for _ in range(2)]
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
        reports.append(json.loads(out))
    assert sum(len(r["sent"]) for r in reports) == 6  # between them, each period once
    assert len(receiver.requests) == 6
    assert sorted(receiver.keys()) == sorted(store.deliveries(s.id)[0].idempotency_key for s in subs)
    assert all(d.state == "sent" and d.attempts == 1 for d in store.deliveries())
    store.close()

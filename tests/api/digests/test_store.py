"""The state store on SQLite and on a real PostgreSQL server: one suite, both databases."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from api.digests.errors import SubscriptionNotFound
from api.digests.schemas import SubscriptionUpdate

from .helpers import CREATED, DUE, make_sub


def test_create_get_list_update_delete(store):
    sub = make_sub(store, filters={"brand": ["Acme"], "topics": [{"topic": "logistics", "polarity": "negative"}]},
                   webhook_secret=None)
    got = store.get(sub.id)
    assert got.filters.brand == ["Acme"] and got.filters.topics[0].polarity.value == "negative"
    assert got.created_at == CREATED
    make_sub(store, owner="someone-else")
    assert [s.id for s in store.list(owner="pm@example.com")] == [sub.id]
    assert len(store.list()) == 2
    changed = store.replace(sub.id, SubscriptionUpdate(hour=7, tz="Asia/Shanghai").apply(got))
    assert (changed.hour, changed.tz, changed.name) == (7, "Asia/Shanghai", "Acme logistics")
    store.delete(sub.id)
    with pytest.raises(SubscriptionNotFound):
        store.get(sub.id)
    with pytest.raises(SubscriptionNotFound):
        store.delete(sub.id)


def test_webhook_secret_is_stored_but_not_public(store):
    sub = make_sub(store, channel="webhook", email_to=[], webhook_url="https://hooks.example.com/x",
                   webhook_secret="s3cret")
    assert store.get(sub.id).webhook_secret.get_secret_value() == "s3cret"
    public = store.get(sub.id).public().model_dump_json()
    assert "s3cret" not in public and '"has_webhook_secret":true' in public
    cleared = store.replace(sub.id, SubscriptionUpdate(webhook_secret="").apply(store.get(sub.id)))
    assert cleared.webhook_secret is None


def test_delivery_row_is_unique_per_period(store):
    sub = make_sub(store)
    args = (sub.id, "digest", "weekly:2026-02-23", DUE - timedelta(days=7), DUE, "key1")
    assert store.ensure_delivery(*args, now=DUE) is True
    assert store.ensure_delivery(*args, now=DUE) is False
    assert store.count_deliveries() == 1


def test_one_claim_wins_among_concurrent_runners(store):
    sub = make_sub(store)
    store.ensure_delivery(sub.id, "digest", "p1", DUE - timedelta(days=7), DUE, "key1", now=DUE)
    (delivery,) = store.claimable(DUE)
    winners, barrier = [], threading.Barrier(8)

    def claim(i):
        barrier.wait()
        if store.claim(delivery.id, f"runner-{i}", DUE, 600) is not None:
            winners.append(i)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert store.claimable(DUE) == []


def test_expired_lease_is_claimable_again_with_the_same_key(store):
    sub = make_sub(store)
    store.ensure_delivery(sub.id, "digest", "p1", DUE - timedelta(days=7), DUE, "key1", now=DUE)
    first = store.claim(store.claimable(DUE)[0].id, "crashed-runner", DUE, 60)
    assert store.claimable(DUE + timedelta(seconds=30)) == []  # still leased
    (again,) = store.claimable(DUE + timedelta(seconds=61))
    second = store.claim(again.id, "next-runner", DUE + timedelta(seconds=61), 60)
    assert second.idempotency_key == first.idempotency_key and second.attempts == 2
    # The crashed runner's late report must not overwrite the new owner's outcome.
    store.finish(first, "crashed-runner", ok=False, error="late")
    assert store.get_delivery(first.id).state == "sending"
    store.finish(second, "next-runner", ok=True)
    row = store.get_delivery(first.id)
    assert row.state == "sent" and row.sent_at is not None
    assert [a["runner"] for a in store.attempts(first.id)] == ["crashed-runner", "next-runner"]


def test_failed_delivery_waits_for_its_retry_time(store):
    sub = make_sub(store)
    store.ensure_delivery(sub.id, "digest", "p1", DUE - timedelta(days=7), DUE, "key1", now=DUE)
    d = store.claim(store.claimable(DUE)[0].id, "r", DUE, 60)
    store.finish(d, "r", ok=False, error="HTTP 500", retry_at=DUE + timedelta(minutes=1))
    assert store.claimable(DUE + timedelta(seconds=59)) == []
    assert len(store.claimable(DUE + timedelta(seconds=60))) == 1
    assert store.get_delivery(d.id).last_error == "HTTP 500"


def test_consecutive_failures_pause_and_resume_resets(store):
    sub = make_sub(store)
    assert store.record_outcome(sub.id, False, threshold=3, error="boom") is False
    assert store.record_outcome(sub.id, True, threshold=3) is False
    assert [store.record_outcome(sub.id, False, threshold=3, error="boom") for _ in range(3)] == [False, False, True]
    paused = store.get(sub.id)
    assert not paused.enabled and "boom" in paused.paused_reason and paused.consecutive_failures == 3
    store.ensure_delivery(sub.id, "digest", "p1", DUE, DUE + timedelta(days=1), "k", now=DUE)
    assert store.claimable(DUE) == []  # paused subscriptions are not sent
    resumed = store.set_enabled(sub.id, True)
    assert resumed.enabled and resumed.consecutive_failures == 0 and resumed.paused_reason is None
    assert len(store.claimable(DUE)) == 1

"""The runner against a real SMTP server and a real HTTP receiver on loopback (in-process runner)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from api.digests.chart import decode_png
from api.digests.runner import Runner
from tests.index.corpus import NOW, doc

from .helpers import CREATED, DUE, make_sub


def _webhook(receiver, **kw):
    return dict(channel="webhook", email_to=[], webhook_url=receiver.url, **kw)


def test_email_digest_content(backend, store, settings, smtp):
    sub = make_sub(store, email_to=["pm@example.com", "lead@example.com"], filters={"brand": ["Acme"]})
    report = Runner(store, backend, settings).run_once(DUE)
    assert report.queued == 1 and len(report.sent) == 1 and not report.failed
    (msg,) = smtp.messages
    assert smtp.envelopes[0] == ("digests@voclens.test", ["pm@example.com", "lead@example.com"])
    assert msg["Subject"] == "[voclens] Acme logistics: 23 Feb - 01 Mar 2026"
    delivery = store.deliveries(sub.id)[0]
    assert msg["Message-ID"] == f"<{delivery.idempotency_key}@voclens.test>"
    assert msg["X-Voclens-Idempotency-Key"] == delivery.idempotency_key
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Volume: 6" in text and "logistics: 3" in text and "物流太慢了，等了一个星期才到" in text
    assert "Negative share: 83%" in text
    assert "https://voc.example.com/documents/" in text
    assert "<b>logistics</b>" in html and 'href="https://voc.example.com/documents/' in html
    cid = re.search(r'src="cid:([^"]+)"', html).group(1)
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"] == f"<{cid}>"
    assert decode_png(images[0].get_content())[:2] == (480, 140)
    assert store.deliveries(sub.id)[0].state == "sent"


@pytest.mark.parametrize("fmt", ["json", "slack", "feishu", "dingtalk", "wecom"])
def test_webhook_formats_are_signed_and_carry_the_idempotency_key(backend, sqlite_store, settings, receiver, fmt):
    make_sub(sqlite_store, **_webhook(receiver, webhook_format=fmt))
    report = Runner(sqlite_store, backend, settings).run_once(DUE)
    assert len(report.sent) == 1
    (req,) = receiver.requests
    assert req["signature_ok"] and req["headers"]["X-Voclens-Signature"].startswith("sha256=")
    assert req["headers"]["Idempotency-Key"] == sqlite_store.deliveries()[0].idempotency_key
    key = {"json": "type", "slack": "blocks", "feishu": "msg_type", "dingtalk": "msgtype", "wecom": "msgtype"}[fmt]
    assert key in req["json"]


def test_a_subscription_secret_overrides_the_settings_secret(backend, sqlite_store, settings, receiver):
    make_sub(sqlite_store, **_webhook(receiver), webhook_secret="per-subscription")
    Runner(sqlite_store, backend, settings).run_once(DUE)
    from api.digests.delivery import verify

    req = receiver.requests[0]
    assert not req["signature_ok"]  # not the settings secret
    assert verify("per-subscription", req["headers"]["X-Voclens-Timestamp"], req["body"], req["headers"]["X-Voclens-Signature"])


def test_running_twice_delivers_once(backend, store, settings, receiver):
    make_sub(store, **_webhook(receiver))
    runner = Runner(store, backend, settings)
    assert len(runner.run_once(DUE).sent) == 1
    second = runner.run_once(DUE + timedelta(minutes=5))
    assert second.queued == 0 and second.sent == []
    assert len(receiver.requests) == 1


def test_receiver_failures_are_retried_with_backoff_and_the_same_key(backend, store, settings, receiver):
    sub = make_sub(store, **_webhook(receiver))
    receiver.fail_next = 2
    runner = Runner(store, backend, settings)
    first = runner.run_once(DUE)
    assert len(first.failed) == 1 and "500" in first.failed[0]["error"]
    d = store.deliveries(sub.id)[0]
    assert d.state == "failed" and d.attempts == 1 and d.next_attempt_at == DUE + timedelta(seconds=60)
    assert runner.run_once(DUE + timedelta(seconds=30)).failed == []  # backoff not over: no attempt
    assert len(receiver.requests) == 1
    runner.run_once(DUE + timedelta(seconds=61))  # second failure: next wait doubles
    assert store.deliveries(sub.id)[0].next_attempt_at == DUE + timedelta(seconds=61 + 120)
    third = runner.run_once(DUE + timedelta(seconds=200))
    assert len(third.sent) == 1
    d = store.deliveries(sub.id)[0]
    assert d.state == "sent" and d.attempts == 3 and d.last_error is None
    assert len(set(receiver.keys())) == 1 and len(receiver.requests) == 3 and len(receiver.logical) == 1
    attempts = store.attempts(d.id)
    assert [a["ok"] for a in attempts] == [False, False, True] and "500" in attempts[0]["error"]
    assert store.get(sub.id).consecutive_failures == 0


def test_a_target_that_keeps_failing_is_paused_and_reported(backend, store, settings, receiver):
    sub = make_sub(store, **_webhook(receiver))
    receiver.fail_next = 100
    runner = Runner(store, backend, settings)
    now, reports = DUE, []
    for _ in range(4):
        reports.append(runner.run_once(now))
        now += timedelta(hours=7)  # past any backoff
    assert [len(r.failed) for r in reports] == [1, 1, 1, 0]  # threshold 3, then paused: no fourth attempt
    assert reports[2].paused == [{"subscription": sub.id, "name": sub.name, "owner": sub.owner,
                                  "error": reports[2].failed[0]["error"]}]
    paused = store.get(sub.id)
    assert not paused.enabled and "3 failed attempts" in paused.paused_reason
    receiver.fail_next = 0
    store.set_enabled(sub.id, True)
    assert len(runner.run_once(now).sent) == 1
    assert len(receiver.logical) == 1


def test_a_permanent_error_pauses_at_once(backend, sqlite_store, settings, receiver):
    sub = make_sub(sqlite_store, **_webhook(receiver))
    receiver.fail_next, receiver.fail_status = 1, 404
    report = Runner(sqlite_store, backend, settings).run_once(DUE)
    assert len(report.paused) == 1 and not sqlite_store.get(sub.id).enabled


def test_unreachable_smtp_server_fails_and_is_retried(backend, sqlite_store, settings, smtp):
    make_sub(sqlite_store)
    from tests.api.digests.conftest import free_port

    broken = settings.model_copy(update={"smtp_port": free_port()})
    report = Runner(sqlite_store, backend, broken).run_once(DUE)
    assert "SMTP 127.0.0.1" in report.failed[0]["error"] and not report.paused
    assert len(Runner(sqlite_store, backend, settings).run_once(DUE + timedelta(minutes=2)).sent) == 1
    assert len(smtp.messages) == 1


def test_first_digest_is_the_first_send_time_after_creation(backend, sqlite_store, settings, smtp):
    make_sub(sqlite_store, created=DUE - timedelta(minutes=30))  # created after Monday 09:00
    assert Runner(sqlite_store, backend, settings).run_once(DUE).queued == 0
    assert smtp.messages == []


def test_allow_list_is_enforced_at_send_time(backend, sqlite_store, settings, receiver):
    make_sub(sqlite_store, **_webhook(receiver))
    strict = settings.model_copy(update={"webhook_allowed_hosts": ["hooks.slack.com"]})
    report = Runner(sqlite_store, backend, strict).run_once(DUE)
    assert "not in webhook_allowed_hosts" in report.failed[0]["error"] and report.paused
    assert receiver.requests == []


def test_emerging_alert_fires_once_per_window(backend, sqlite_store, settings, receiver):
    # A leak spike today (NOW is Monday 00:00; the window is the last day) against a quiet baseline.
    backend.upsert([doc(f"base{i}", "还不错", sentiment="positive", created_at=NOW - timedelta(days=3 + i % 20))
                    for i in range(60)])
    sub = make_sub(sqlite_store, digest=False, filters={"brand": ["Acme"]},
                   alert={"kind": "emerging", "threshold": 5, "window": "1d", "baseline": "28d"}, **_webhook(receiver))
    runner = Runner(sqlite_store, backend, settings)
    assert runner.run_once(NOW - timedelta(days=3)).alerts_fired == 0  # before the spike
    spike = [doc(f"leak{i}", f"电池漏液了 {i}", sentiment="negative", topics={"quality": "negative"},
                 created_at=NOW + timedelta(hours=1, minutes=i)) for i in range(6)]
    backend.upsert(spike)
    first = runner.run_once(NOW + timedelta(hours=2))
    assert first.alerts_fired == 1 and len(first.sent) == 1
    body = receiver.requests[0]["json"]
    assert body["type"] == "voclens.alert" and body["digest"]["alert"]["item"] == "quality"
    assert body["digest"]["alert"]["value"] >= 5
    # Still spiking later the same day: no second alert. A new spike the next local day is a new window.
    backend.upsert([doc(f"leak-b{i}", f"又漏液 {i}", sentiment="negative", topics={"quality": "negative"},
                        created_at=NOW + timedelta(hours=3, minutes=i)) for i in range(4)])
    assert runner.run_once(NOW + timedelta(hours=5)).alerts_fired == 0
    backend.upsert([doc(f"leak-c{i}", f"还是漏液 {i}", sentiment="negative", topics={"quality": "negative"},
                        created_at=NOW + timedelta(days=1, hours=1, minutes=i)) for i in range(10)])
    assert runner.run_once(NOW + timedelta(days=1, hours=2)).alerts_fired == 1
    keys = [d.period_key for d in sqlite_store.deliveries(sub.id)]
    assert sorted(keys) == ["alert:2026-03-02T00:00", "alert:2026-03-03T00:00"]


def test_volume_alert(backend, sqlite_store, settings, smtp):
    make_sub(sqlite_store, digest=False, filters={"topics": [{"topic": "logistics", "polarity": "negative"}]},
             alert={"kind": "volume", "threshold": 3, "window": "7d"})
    runner = Runner(sqlite_store, backend, settings)
    report = runner.run_once(NOW)
    assert report.alerts_fired == 1 and len(smtp.messages) == 1
    assert smtp.messages[0]["Subject"].startswith("[voclens alert] Acme logistics: 3 mentions")
    assert Runner(sqlite_store, backend, settings.model_copy()).run_once(NOW + timedelta(hours=1)).alerts_fired == 0
    assert CREATED < NOW


def test_cron_schedule_digest_covers_the_time_since_the_previous_fire(backend, sqlite_store, settings, smtp):
    # Weekdays 09:00 UTC; at Monday 10:00 the digest covers Friday 09:00 to Monday 09:00.
    sub = make_sub(sqlite_store, frequency="cron", cron="0 9 * * 1-5", filters={"brand": ["Acme"]})
    report = Runner(sqlite_store, backend, settings).run_once(DUE)
    assert report.queued == 1 and len(report.sent) == 1
    (d,) = sqlite_store.deliveries(sub.id)
    assert d.period_key == "cron:2026-03-02T09:00"
    assert (d.period_start, d.period_end) == (NOW - timedelta(days=3) + timedelta(hours=9), NOW + timedelta(hours=9))
    text = smtp.messages[0].get_body(("plain",)).get_content()
    # Acme items from Fri 27 Feb 09:00 on: zh1 (1 Mar), zh2 (28 Feb), en1 (1 Mar 02:00), zh4 (28 Feb 05:00), zh6 (1 Mar 06:00)
    assert "Volume: 5" in text and "Negative share: 100%" in text
    assert "Trend per period" in text

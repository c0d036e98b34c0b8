"""Deadlines and breach alerts, with a real SMTP server (aiosmtpd) and a real webhook receiver.

A breached deadline is alerted once per case and deadline, on every channel
of the rule; a failed webhook is tried again at the next run; a case answered
in time is never alerted.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.cases import CaseChange, RuleCreate, open_cases, run_once
from api.settings import Settings
from index.registry import open_backend
from tests.index.corpus import NOW, corpus

from .conftest import SECRET


@pytest.fixture
def backend(tmp_path):
    b = open_backend("sqlite", path=tmp_path / "voclens.db")
    b.upsert(corpus())
    yield b
    b.close()


@pytest.fixture
def settings(tmp_path, smtp) -> Settings:
    return Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_from="cases@voclens.test",
                    webhook_signing_secret=SECRET, webhook_allow_private=True,  # the receiver is on loopback
                    public_base_url="https://voc.example.com")


def _rule(store, receiver, **kw):
    return store.create_rule(RuleCreate(name="refunds", owner="cx-team", q="refund", conditions={"negative_topics": ["returns_refunds"]}, first_response_h=24,
                                        resolve_h=72, email_to=["lead@shop.example"], webhook_url=receiver.url, **kw))


def test_a_missed_first_response_is_alerted_once_by_email_and_webhook(cases_store, backend, settings, smtp, receiver):
    _rule(cases_store, receiver)
    report = run_once(cases_store, backend, settings, now=NOW)
    assert len(report.opened) == 1 and report.alerts_sent == [] and smtp.messages == []
    case_id = report.opened[0]
    in_time = run_once(cases_store, backend, settings, now=NOW + timedelta(hours=23))
    assert in_time.breaches == 0 and receiver.requests == []

    late = run_once(cases_store, backend, settings, now=NOW + timedelta(hours=25))
    assert late.breaches == 1
    assert late.alerts_sent == [{"case": case_id, "deadline": "first_response", "channels": ["email", "webhook"]}]
    [mail] = smtp.messages
    assert mail["Subject"] == f"[voclens] case {case_id} missed its first response deadline (refunds)"
    assert smtp.envelopes[0][1] == ["lead@shop.example"]
    assert "owned by cx-team" in mail.get_content() and "https://voc.example.com/documents/" in mail.get_content()
    [hook] = receiver.requests
    assert hook["signature_ok"] and hook["json"]["type"] == "voclens.case_breach"
    assert hook["json"]["deadline"] == "first_response" and hook["json"]["case"]["id"] == case_id
    assert hook["headers"]["Idempotency-Key"] == f"voclens-case-{case_id}-first_response"

    again = run_once(cases_store, backend, settings, now=NOW + timedelta(hours=30))
    assert again.breaches == 0 and again.alerts_sent == [] and len(smtp.messages) == 1 and len(receiver.requests) == 1
    assert [e.action for e in cases_store.get_case(case_id).history] == ["opened", "alert"]

    # answered late, never resolved: the resolution deadline is its own alert, also once
    cases_store.change(case_id, CaseChange(state="in_progress", note="sorry, looking into it"), "ana",
                       now=NOW + timedelta(hours=31))
    resolution = run_once(cases_store, backend, settings, now=NOW + timedelta(hours=73))
    assert [a["deadline"] for a in resolution.alerts_sent] == ["resolution"]
    assert run_once(cases_store, backend, settings, now=NOW + timedelta(hours=80)).alerts_sent == []
    assert [m["Subject"].split(" missed its ")[1] for m in smtp.messages] == [
        "first response deadline (refunds)", "resolution deadline (refunds)"]


def test_a_case_answered_in_time_is_never_alerted(cases_store, backend, settings, smtp, receiver):
    _rule(cases_store, receiver)
    [case_id] = open_cases(cases_store, backend, now=NOW)
    cases_store.change(case_id, CaseChange(state="resolved", note="refund sent"), "ana", now=NOW + timedelta(hours=3))
    report = run_once(cases_store, backend, settings, now=NOW + timedelta(days=10))
    assert report.breaches == 0 and smtp.messages == [] and receiver.requests == []


def test_a_failed_webhook_is_tried_again_at_the_next_run(cases_store, backend, settings, smtp, receiver):
    _rule(cases_store, receiver)
    [case_id] = open_cases(cases_store, backend, now=NOW)
    receiver.fail_next = 1
    failed = run_once(cases_store, backend, settings, now=NOW + timedelta(hours=25))
    assert failed.alerts_sent == [] and failed.alerts_failed[0]["case"] == case_id
    assert "answered 500" in failed.alerts_failed[0]["error"]
    retried = run_once(cases_store, backend, settings, now=NOW + timedelta(hours=26))
    assert retried.breaches == 0 and [a["case"] for a in retried.alerts_sent] == [case_id]
    assert len(receiver.logical) == 1 and len(receiver.requests) == 2  # one logical alert, same key both times
    assert cases_store.alerts(case_id)[0]["attempts"] == 2

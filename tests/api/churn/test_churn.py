"""Churn risk per hashed customer: signals, flags on the newest document, a case when a rule says so, and its alert.

Real SQLite index and state databases (PostgreSQL where marked), a real webhook receiver.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.cases import CaseStore, RuleCreate, run_once
from api.churn import ChurnStore, customer_risk, scan
from api.settings import Settings
from index.document import Document
from index.registry import open_backend
from nlp.labels import Sentiment
from tests.index.corpus import NOW

from ..cases.conftest import SECRET, receiver, state_url  # noqa: F401  (fixtures)


def fb(cust: str, n: int, text: str, *, days: int, nps: int | None = None, sentiment: str | None = None,
       rating: float | None = None) -> Document:
    return Document(source="survey", source_id=f"{cust}-{n}", channel="survey", text=text, customer_hash=cust,
                    created_at=NOW - timedelta(days=days), rating=rating, scores={"nps": nps} if nps is not None else {},
                    sentiment=Sentiment(label=sentiment, score=0.9) if sentiment else None)


TURNED = "c_" + "a" * 24   # promoter, then detractor
COMPLAINS = "c_" + "b" * 24  # three complaints in a month
LEAVING = "c_" + "c" * 24  # says they are switching
LOYAL = "c_" + "d" * 24  # a complaint, then happy again; and a cue turned round
CUSTOMERS = [
    fb(TURNED, 1, "love it", days=60, nps=10, sentiment="positive"),
    fb(TURNED, 2, "parcel lost, nobody answers", days=2, nps=3, sentiment="negative"),
    fb(COMPLAINS, 1, "late again", days=20, sentiment="negative"),
    fb(COMPLAINS, 2, "broken on arrival", days=10, rating=1),
    fb(COMPLAINS, 3, "still no refund", days=1, sentiment="negative"),
    fb(LEAVING, 1, "第三次发错货，换别家了", days=1, sentiment="negative"),
    fb(LOYAL, 1, "late delivery", days=30, nps=5, sentiment="negative"),
    fb(LOYAL, 2, "质量很好，已经回购三次了，不会换别家", days=3, nps=10, sentiment="positive"),
]


def test_signals_of_each_customer():
    by = {c: [d for d in CUSTOMERS if d.customer_hash == c] for c in (TURNED, COMPLAINS, LEAVING, LOYAL)}
    turned = customer_risk(TURNED, by[TURNED])
    assert [s.kind for s in turned.signals] == ["promoter_to_detractor"] and turned.signals[0].detail == "NPS 10 -> 3"
    assert turned.document_id == by[TURNED][1].id
    assert [s.kind for s in customer_risk(COMPLAINS, by[COMPLAINS]).signals] == ["repeated_complaints"]
    assert customer_risk(COMPLAINS, by[COMPLAINS], window=timedelta(days=15)).signals == []  # two in 15 days
    leaving = customer_risk(LEAVING, by[LEAVING])
    assert [(s.kind, s.detail) for s in leaving.signals] == [("intent_to_leave", "换别家")]
    assert customer_risk(LOYAL, by[LOYAL]).signals == []


@pytest.fixture
def backend(tmp_path):
    b = open_backend("sqlite", path=tmp_path / "voclens.db")
    b.upsert(CUSTOMERS)
    yield b
    b.close()


def test_scan_flags_newest_documents_and_clears_a_customer_who_recovers(state_url, backend):
    store = ChurnStore(state_url)
    try:
        customers, changed = scan(store, backend, now=NOW)
        assert customers == 4 and {r.customer_hash for r in changed} == {TURNED, COMPLAINS, LEAVING}
        assert store.flagged_documents() == {f"{d.id}" for d in (CUSTOMERS[1], CUSTOMERS[4], CUSTOMERS[5])}
        assert scan(store, backend, now=NOW)[1] == []  # nothing new
        backend.upsert([fb(TURNED, 3, "they called back and fixed it, thanks", days=0, nps=10, sentiment="positive")])
        _, changed = scan(store, backend, now=NOW)
        assert changed == [] and TURNED not in {r["customer_hash"] for r in store.list()}
    finally:
        store.close()


def test_a_churn_rule_opens_one_case_per_flag_and_alerts_it_once(state_url, backend, receiver, tmp_path):
    settings = Settings(data_dir=tmp_path, webhook_signing_secret=SECRET, webhook_allow_private=True)
    cases = CaseStore(state_url)
    try:
        cases.create_rule(RuleCreate(name="churn risk", owner="retention", conditions={"churn_risk": True},
                                     webhook_url=receiver.url, first_response_h=4))
        report = run_once(cases, backend, settings, now=NOW)
        assert len(report.opened) == 3
        assert sorted(a["deadline"] for a in report.alerts_sent) == ["churn_risk"] * 3
        hooks = [r["json"] for r in receiver.requests]
        assert {h["type"] for h in hooks} == {"voclens.churn_risk"} and all(r["signature_ok"] for r in receiver.requests)
        kinds = sorted(s["kind"] for h in hooks for s in h["signals"])
        assert kinds == ["intent_to_leave", "promoter_to_detractor", "repeated_complaints"]
        again = run_once(cases, backend, settings, now=NOW + timedelta(hours=1))
        assert again.opened == [] and again.alerts_sent == [] and len(receiver.requests) == 3
    finally:
        cases.close()

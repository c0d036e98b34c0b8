"""Rules open one case per matching document, however often they run; people move cases; metrics add up.

Real state databases (SQLite, and PostgreSQL where marked) and a real SQLite index.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.cases import CaseChange, RuleCreate, StateConflict, matches, metrics, metrics_trend, open_cases
from index.document import Document
from index.registry import open_backend
from tests.index.corpus import NOW, corpus, doc


def survey(source_id: str, nps: int, *, brand: str = "Acme", text: str = "", days: int = 1) -> Document:
    d = doc(source_id, text or f"nps {nps}", source="survey", channel="survey", brand=brand,
            created_at=NOW - timedelta(days=days))
    return d.model_copy(update={"scores": {"nps": nps}})


@pytest.fixture
def backend(tmp_path):
    b = open_backend("sqlite", path=tmp_path / "voclens.db")
    b.upsert(corpus() + [survey("s1", 3), survey("s2", 6, brand="Beta"), survey("s3", 9), survey("s4", 0, days=60)])
    yield b
    b.close()


def _ids(backend, source_ids):
    return {d.id for batch in backend.iter_documents() for d in batch if d.source_id in source_ids}


def test_conditions_detractor_rating_negative_topic_brand_and_any():
    d = survey("x", 6, brand="Beta")
    assert matches(RuleCreate(name="r", owner="o", conditions={"detractor": True}).conditions, d)
    assert not matches(RuleCreate(name="r", owner="o", conditions={"nps_max": 5}).conditions, d)
    both = {"detractor": True, "brands": ["Acme"]}
    assert not matches(RuleCreate(name="r", owner="o", conditions=both).conditions, d)
    assert matches(RuleCreate(name="r", owner="o", conditions={**both, "match": "any"}).conditions, d)
    zh2 = next(x for x in corpus() if x.source_id == "zh2")
    assert matches(RuleCreate(name="r", owner="o", conditions={"negative_topics": ["packaging"]}).conditions, zh2)
    assert not matches(RuleCreate(name="r", owner="o", conditions={"negative_topics": ["quality"]}).conditions, zh2)
    assert matches(RuleCreate(name="r", owner="o", conditions={"rating_max": 1}).conditions, zh2)


def test_a_rule_without_anything_to_match_is_refused():
    with pytest.raises(ValueError, match="every document"):
        RuleCreate(name="all", owner="o")


def test_each_matching_document_opens_one_case_across_runs_and_reingest(cases_store, backend):
    rule = cases_store.create_rule(RuleCreate(name="detractors", owner="cx", conditions={"detractor": True},
                                              lookback_days=30))
    first = open_cases(cases_store, backend, now=NOW)
    assert {c.document_id for c in cases_store.cases()} == _ids(backend, {"s1", "s2"})  # s4 is older than 30 days
    assert len(first) == 2
    backend.upsert(corpus() + [survey("s1", 3), survey("s2", 6, brand="Beta")])  # a re-ingest of the same rows
    assert open_cases(cases_store, backend, now=NOW + timedelta(hours=1)) == []
    assert len(cases_store.cases(rule_id=rule.id)) == 2
    case = cases_store.cases(document_id=next(iter(_ids(backend, {"s1"}))))[0]
    assert case.owner == "cx" and case.state == "open"
    assert case.due_first_response == NOW + timedelta(hours=24)
    assert [e.action for e in cases_store.get_case(case.id).history] == ["opened"]


def test_the_query_and_filters_of_a_rule_narrow_it(cases_store, backend):
    cases_store.create_rule(RuleCreate(name="slow delivery", owner="logistics", q="物流",
                                       conditions={"rating_max": 2}))
    open_cases(cases_store, backend, now=NOW)
    assert {c.document_id for c in cases_store.cases()} == _ids(backend, {"zh1", "zh2"})


def test_states_history_first_response_reopen_and_conflicts(cases_store, backend):
    cases_store.create_rule(RuleCreate(name="d", owner="cx", conditions={"detractor": True}, first_response_h=2,
                                       resolve_h=10))
    case_id = open_cases(cases_store, backend, now=NOW)[0]
    c = cases_store.change(case_id, CaseChange(note="called the customer"), "ana", now=NOW + timedelta(hours=1))
    assert c.first_response_at == NOW + timedelta(hours=1) and c.state == "open"
    c = cases_store.change(case_id, CaseChange(state="in_progress", owner="bo"), "ana", now=NOW + timedelta(hours=2))
    c = cases_store.change(case_id, CaseChange(state="resolved"), "bo", now=NOW + timedelta(hours=5))
    assert c.resolved_at == NOW + timedelta(hours=5) and c.first_response_at == NOW + timedelta(hours=1)
    c = cases_store.change(case_id, CaseChange(state="open", note="customer wrote again"), "bo",
                           now=NOW + timedelta(hours=6))
    assert c.reopen_count == 1 and c.resolved_at is None
    cases_store.change(case_id, CaseChange(state="closed"), "bo", now=NOW + timedelta(hours=7))
    with pytest.raises(StateConflict, match="cannot become 'resolved'"):
        cases_store.change(case_id, CaseChange(state="resolved"), "bo", now=NOW + timedelta(hours=8))
    history = cases_store.get_case(case_id).history
    assert [(e.actor, e.action, e.from_state, e.to_state) for e in history] == [
        (history[0].actor, "opened", None, "open"), ("ana", "note", None, None), ("ana", "state", "open", "in_progress"),
        ("ana", "assign", None, None), ("bo", "state", "in_progress", "resolved"), ("bo", "state", "resolved", "open"),
        ("bo", "note", None, None), ("bo", "state", "open", "closed")]
    assert history[3].note == "cx -> bo"


def test_metrics_against_a_hand_computation(cases_store, backend):
    cases_store.create_rule(RuleCreate(name="d", owner="cx", conditions={"rating_max": 2}, first_response_h=4,
                                       resolve_h=24))
    ids = open_cases(cases_store, backend, now=NOW)
    assert len(ids) == 4  # zh1, zh2, en1 and one more low rating in the corpus
    a, b, c, d = sorted(ids)
    cases_store.change(a, CaseChange(state="in_progress"), "x", now=NOW + timedelta(hours=1))
    cases_store.change(a, CaseChange(state="resolved"), "x", now=NOW + timedelta(hours=10))
    cases_store.change(b, CaseChange(note="late"), "x", now=NOW + timedelta(hours=6))
    cases_store.change(b, CaseChange(state="resolved"), "x", now=NOW + timedelta(hours=30))
    cases_store.change(b, CaseChange(state="open"), "x", now=NOW + timedelta(hours=31))
    cases_store.change(c, CaseChange(state="closed"), "x", now=NOW + timedelta(hours=2))
    m = metrics(cases_store.cases(limit=None), now=NOW + timedelta(hours=40))
    # first responses: a 1 h, b 6 h, c 2 h; d none and past due -> 2 of 4 in time
    assert (m.first_response_h_median, m.first_response_h_mean) == (2.0, 3.0)
    assert m.first_response_within_deadline == 0.5
    # resolved: a at 10 h, c closed at 2 h; b reopened (not resolved), d never -> 2 of 4 within 24 h
    assert (m.resolve_h_median, m.resolve_h_mean) == (6.0, 6.0)
    assert m.resolution_within_deadline == 0.5
    assert m.reopen_rate == round(1 / 3, 4) and m.open == 2 and m.cases == 4
    early = metrics(cases_store.cases(limit=None), now=NOW + timedelta(hours=3))
    assert early.first_response_within_deadline == round(2 / 3, 4)  # d still had time at 3 h: undecided
    trend = metrics_trend(cases_store.cases(limit=None), "week", now=NOW + timedelta(hours=40))
    assert [(t.start, t.cases) for t in trend] == [(NOW, 4)]

"""The digest section "what cost you the most points this week" (key drivers of NPS, else ratings)."""

from __future__ import annotations

from datetime import timedelta

from api.digests.content import build_digest
from api.digests.payloads import markdown, slack
from api.digests.render import render_html, render_text
from api.digests.schedule import latest_due
from index.document import Document
from nlp.labels import Polarity, TopicLabel
from tests.index.corpus import NOW

from .helpers import DUE, make_sub


def _answer(i: int, nps: int, topics: dict[str, str], brand: str = "Acme") -> Document:
    return Document(source="qualtrics", source_id=f"s{i}", channel="survey", brand=brand, text="survey answer",
                    created_at=NOW - timedelta(days=1, hours=i % 20), scores={"nps": nps},
                    topics=[TopicLabel(topic=t, polarity=Polarity(p), score=0.9) for t, p in topics.items()])


def test_the_section_names_the_topics_that_cost_nps_points(backend, sqlite_store):
    answers = [_answer(i, 2 + i % 3, {"logistics": "negative"}) for i in range(12)]  # detractors, all about delivery
    answers += [_answer(100 + i, 9 + i % 2, {"quality": "positive"} if i % 2 else {}) for i in range(24)]
    answers += [_answer(200 + i, v, {"price": "negative"}) for i, v in enumerate([10, 6, 9, 8])]  # not beyond chance
    backend.upsert(answers)
    sub = make_sub(sqlite_store, filters={"brand": ["Acme"]})
    d = build_digest(backend, sub, latest_due(sub.frequency, sub.hour, sub.weekday, sub.tz, DUE))
    section = d.score_drivers
    assert section is not None and section.metric == "nps" and section.overall.responses == 40
    assert [t.topic for t in section.topics] == ["logistics"]
    logistics = section.topics[0]
    # 12 of 40 answers, all detractors (NPS -100); the other 28 hold 26 promoters and 1 detractor (NPS 89.29)
    assert logistics.share == 0.3 and logistics.impact == round(0.3 * (100 * 25 / 28 + 100), 6)
    text = render_text(d)
    assert "What cost you the most points: nps 32.5 over 40 responses" in text  # 26 promoters, 13 detractors
    assert "  - logistics (negative, 30% of responses): -56.79 NPS points" in text
    assert "What cost you the most points" in render_html(d) and "logistics" in markdown(d)
    assert any("What cost you the most points" in str(b) for b in slack(d)["blocks"])


def test_ratings_stand_in_without_nps_and_nothing_is_said_without_scores(backend, sqlite_store):
    sub = make_sub(sqlite_store, filters={"brand": ["Acme"]})
    d = build_digest(backend, sub, latest_due(sub.frequency, sub.hour, sub.weekday, sub.tz, DUE))
    assert d.score_drivers is not None and d.score_drivers.metric == "rating"  # the corpus reviews have stars
    assert (d.score_drivers.overall.responses, d.score_drivers.overall.value) == (5, 1.6)  # zh1 zh2 en1 zh6 en4; zh4 has no stars
    none = make_sub(sqlite_store, filters={"brand": ["Nobody"]})
    assert build_digest(backend, none, latest_due(none.frequency, none.hour, none.weekday, none.tz, DUE)).score_drivers is None

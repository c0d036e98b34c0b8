"""A rendered digest carries no raw identifier (issue 23): the masking at the way in reaches the e-mail."""

from __future__ import annotations

from datetime import timedelta

from api.digests.content import build_digest
from api.digests.render import render_html, render_text
from api.digests.schedule import latest_due
from crawlers.enrich import enrich
from crawlers.normalize import RecordOptions, record_to_document
from nlp.analyser import get_analyser
from nlp.models import get_classifier
from tests.index.corpus import NOW
from tests.index.test_privacy import PEOPLE, RAW

from .helpers import DUE, make_sub


def test_no_raw_identifier_reaches_a_rendered_digest(backend, sqlite_store):
    when = (NOW - timedelta(days=2)).isoformat()
    records = [{"source": "weibo", "source_id": f"p{i}", "text": f"物流太慢了，快递员态度很差，{sentence}，差评",
                "title": sentence, "product_name": f"Voltra {sentence}", "author": PEOPLE[0], "author_id": PEOPLE[1],
                "created_at": when, "meta": {"note": sentence, "user_id": PEOPLE[1]}}
               for i, (_, sentence) in enumerate(RAW.items())]  # fmt: skip
    docs = [record_to_document(r, RecordOptions(salt="digest-test-salt")) for r in records]
    backend.upsert(enrich(docs, get_analyser(), get_classifier("fast")))
    sub = make_sub(sqlite_store)
    digest = build_digest(backend, sub, latest_due(sub.frequency, sub.hour, sub.weekday, sub.tz, DUE))
    assert digest.volume >= len(RAW) and any(s.examples for s in digest.top_topics)  # the complaints are in it
    rendered = render_text(digest) + render_html(digest)
    assert "物流太慢了" in rendered
    for needle in [*RAW, *PEOPLE]:
        assert needle not in rendered, needle

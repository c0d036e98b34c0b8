"""Keywords of one polarity and score trends split by topic follow every write, on both backends.

SQLite answers these from copies (the document's sentiment on its keyword rows, each score
once per topic in ``score_topics``), kept by its writes and by triggers. These tests change
sentiments, topics and scores by every path there is (rewrite, own-topic relabelling, delete,
erasure) and compare each answer with counts made here from the documents themselves.
"""

from __future__ import annotations

import random
from datetime import timedelta

from index.base import EmergingQuery, ErasureKind, Filters, TopQuery
from index.document import Document
from index.scoring import ScoreTrendQuery
from index.stats import emerging
from nlp.labels import Polarity, Sentiment, TopicLabel

from .corpus import NOW, doc
from .test_scores_contract import _expected_nps, _split_fixture

WORDS = ["物流", "漏液", "refund", "包装", "客服", "质量"]
CURRENT = (NOW - timedelta(days=2), NOW)
BASELINE = (NOW - timedelta(days=10), NOW - timedelta(days=2))


def _keyword_docs(rng: random.Random, n: int) -> list[Document]:
    return [doc(f"k{i}", f"第{i}条", sentiment=rng.choice(["negative", "negative", "positive", None]),
                keywords=rng.sample(WORDS, rng.randint(0, 3)),
                created_at=NOW - timedelta(minutes=rng.randint(1, 60 * 24 * 10)))
            for i in range(n)]


def _check_keywords(backend, docs: dict[str, Document]) -> None:
    def counts(lo, hi):
        inside = [d for d in docs.values() if lo <= d.created_at < hi]
        per: dict[str, int] = {}
        for d in inside:
            if d.sentiment and d.sentiment.label.value == "negative":
                for k in d.keywords:
                    per[k] = per.get(k, 0) + 1
        return per, len(inside)

    (cur, n_cur), (base, n_base) = counts(*CURRENT), counts(*BASELINE)
    query = EmergingQuery(current_since=CURRENT[0], current_until=CURRENT[1], baseline_since=BASELINE[0],
                          baseline_until=BASELINE[1], polarity="negative", min_count=1, limit=50)
    assert backend.emerging_keywords(query) == emerging(cur, base, n_cur, n_base, min_count=1, limit=50)
    everywhere, _ = counts(NOW - timedelta(days=30), NOW)
    top = backend.top_keywords(TopQuery(polarity="negative", limit=50))
    assert [(k.keyword, k.count) for k in top] == sorted(everywhere.items(), key=lambda kv: (-kv[1], kv[0]))
    assert everywhere  # the fixture keeps negative keywords at every step


def test_keywords_of_one_polarity_follow_sentiment_changes_deletes_and_erasure(backend):
    rng = random.Random(9)
    docs = {d.id: d for d in _keyword_docs(rng, 150)}
    backend.upsert(list(docs.values()))
    _check_keywords(backend, docs)
    flipped = []
    for d in list(docs.values())[::3]:  # a reclassification: new sentiments, some new keywords
        label = rng.choice(["negative", "positive", None])
        flipped.append(d.model_copy(update={"sentiment": Sentiment(label=label, score=0.8) if label else None,
                                            "keywords": d.keywords if rng.random() < 0.7 else rng.sample(WORDS, 2)}))
    backend.upsert(flipped)
    docs.update({d.id: d for d in flipped})
    _check_keywords(backend, docs)
    assert backend.delete_by_query("", Filters(sentiment=["positive"], since=NOW - timedelta(days=4))) > 0
    docs = {k: d for k, d in docs.items()
            if not (d.sentiment and d.sentiment.label.value == "positive" and d.created_at >= NOW - timedelta(days=4))}
    gone = next(d for d in docs.values() if d.sentiment and d.keywords and d.created_at >= CURRENT[0])
    backend.erase(ErasureKind.document, gone.id, actor="test")
    del docs[gone.id]
    _check_keywords(backend, docs)


def _check_topic_split(backend, docs: dict[str, Document]) -> None:
    for filters in (Filters(), Filters(brand=["Lumio"]), Filters(since=NOW - timedelta(days=400))):
        expected: dict[str, list[int]] = {}
        for d in docs.values():
            if filters.brand and d.brand not in filters.brand:
                continue
            for key in d.topic_keys():
                expected.setdefault(key, []).append(int(d.scores["nps"]))
        result = backend.score_trends(ScoreTrendQuery(metric="nps", interval="month", split="topic", filters=filters,
                                                      split_limit=50))
        assert {s.key: (s.responses, s.value) for s in result.series} == {
            k: (len(v), _expected_nps(v)) for k, v in expected.items()}


def _relabelled(d: Document, keys: dict[str, float], own: str) -> Document:
    kept = [t for t in d.topics if t.topic != own]
    added = [TopicLabel(topic=own, polarity=Polarity.neutral, score=s) for k, s in keys.items() if k == own]
    return d.model_copy(update={"topics": kept + added})


def test_a_score_split_by_topic_follows_rewrites_relabelling_deletes_and_erasure(backend):
    rng = random.Random(4)
    docs = {d.id: d for d in _split_fixture()}
    backend.upsert(list(docs.values()))
    _check_topic_split(backend, docs)
    rewritten = []
    for d in list(docs.values())[::4]:  # a reclassification and a corrected survey answer
        topics = [TopicLabel(topic=t, polarity=Polarity.negative, score=0.9) for t in rng.sample(["quality", "price"], 1)]
        rewritten.append(d.model_copy(update={"topics": topics, "scores": {"nps": float(rng.randint(0, 10))}}))
    backend.upsert(rewritten)
    docs.update({d.id: d for d in rewritten})
    _check_topic_split(backend, docs)
    own = "delivery_speed"
    first = {i: {own: 0.8} for i in list(docs)[::5]}
    assert backend.relabel_topics(first, [own]) == len(first)
    docs.update({i: _relabelled(docs[i], s, own) for i, s in first.items()})
    _check_topic_split(backend, docs)
    second = {i: ({} if n % 2 else {own: 0.7}) for n, i in enumerate(list(docs)[::10])}  # half lose the label
    backend.relabel_topics(second, [own])
    docs.update({i: _relabelled(docs[i], s, own) for i, s in second.items()})
    _check_topic_split(backend, docs)
    gone = next(d for d in docs.values() if own in d.topic_keys())
    backend.erase(ErasureKind.document, gone.id, actor="test")
    del docs[gone.id]
    assert backend.delete_by_query("", Filters(brand=["Voltra"])) > 0
    docs = {k: d for k, d in docs.items() if d.brand != "Voltra"}
    _check_topic_split(backend, docs)
    assert any(own in d.topic_keys() for d in docs.values())


"""Own topics on every backend (issue 19): stored definitions, in-place relabelling, queries naming own keys.

Part of the contract suite: each test runs against the ``backend`` fixture on
SQLite and Elasticsearch alike.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from index.base import EmergingQuery, Filters, Interval, SearchQuery, TopicFilter, TopQuery, TrendQuery
from index.errors import InvalidQuery
from index.own_topics import OwnTopic, Taxonomy
from nlp.labels import Polarity, TopicLabel
from nlp.own_topics import TopicExample

from index.registry import open_backend

from .corpus import NOW, VECTOR_MODEL, corpus, doc, with_vectors


def _ids(backend, q: str = "", **filters) -> set[str]:
    hits = backend.search(SearchQuery(q=q, filters=Filters(**filters), limit=50)).hits
    return {h.document.source_id for h in hits}


def _by_source(docs) -> dict[str, str]:
    return {d.source_id: d.id for d in docs}


def test_definitions_are_stored_replaced_and_deleted(backend):
    assert backend.own_topics() == []
    leak = OwnTopic(key="leaking", name_zh="漏液", name_en="Leaking", cues=["漏液", "leak"],
                    examples=[TopicExample(text="电池漏液了", label=1), TopicExample(id="ab" * 16, label=0)])
    backend.save_own_topic(leak)
    backend.save_own_topic(OwnTopic(key="lid", name_zh="盖子", name_en="Lid", taxonomy=Taxonomy.own))
    assert [t.key for t in backend.own_topics()] == ["leaking", "lid"]
    assert backend.own_topics()[0] == leak
    backend.save_own_topic(leak.model_copy(update={"name_en": "Leaks"}))
    assert backend.own_topics()[0].name_en == "Leaks" and len(backend.own_topics()) == 2
    assert backend.delete_own_topic("lid") is True
    assert backend.delete_own_topic("lid") is False
    assert [t.key for t in backend.own_topics()] == ["leaking"]


def test_a_stored_own_topic_is_a_known_topic_and_an_unknown_key_is_a_clear_error(backend):
    backend.upsert(corpus())
    with pytest.raises(InvalidQuery, match="topic: expects one of .*got 'leaking'"):
        backend.count("topic:leaking")
    with pytest.raises(InvalidQuery) as info:
        backend.count("", Filters(topics=[TopicFilter(topic="leaking")]))
    assert info.value.field == "topic"
    backend.save_own_topic(OwnTopic(key="leaking", name_zh="漏液", name_en="Leaking"))
    assert backend.count("topic:leaking") == 0
    assert backend.count("topic:leaking:negative", Filters(topics=[TopicFilter(topic="leaking")])) == 0
    backend.delete_own_topic("leaking")
    with pytest.raises(InvalidQuery, match="got 'leaking'"):
        backend.count("topic:leaking")


def test_relabel_adds_replaces_and_never_touches_default_topics(backend):
    docs = with_vectors(corpus())
    backend.upsert(docs)
    ids = _by_source(docs)
    backend.save_own_topic(OwnTopic(key="leaking", name_zh="漏液", name_en="Leaking"))
    backend.save_own_topic(OwnTopic(key="speed", name_zh="速度", name_en="Speed"))
    keys = ["leaking", "speed"]
    changed = backend.relabel_topics({ids["zh6"]: {"leaking": 0.91}, ids["zh1"]: {"speed": 0.7}, ids["zh3"]: {},
                                      "f" * 32: {"leaking": 0.9}}, keys)
    assert changed == 2
    zh6 = backend.get(ids["zh6"])
    # polarity from the document's own sentiment; the default label stays as it was
    assert [(t.topic, t.polarity.value, t.score) for t in zh6.topics] == [("quality", "negative", 0.8), ("leaking", "negative", 0.91)]
    assert zh6.vector == docs[8].vector  # the vector survives the update
    assert _ids(backend, "topic:leaking:negative") == {"zh6"}
    assert _ids(backend, "topic:speed") == {"zh1"}
    assert _ids(backend, "topic:logistics") == {"zh1", "zh2", "zh3", "en4"}
    # the same labels again change nothing; new scores replace the old labels
    assert backend.relabel_topics({ids["zh6"]: {"leaking": 0.91}, ids["zh1"]: {"speed": 0.7}}, keys) == 0
    assert backend.relabel_topics({ids["zh6"]: {}, ids["zh1"]: {"speed": 0.8, "leaking": 0.6}}, keys) == 2
    assert _ids(backend, "topic:leaking") == {"zh1"}
    assert [(t.topic, t.score) for t in backend.get(ids["zh1"]).topics] == [("logistics", 0.8), ("speed", 0.8), ("leaking", 0.6)]
    assert [t.topic for t in backend.get(ids["zh6"]).topics] == ["quality"]
    # a key outside ``keys`` is neither written nor removed
    assert backend.relabel_topics({ids["zh1"]: {"logistics": 0.1}}, ["leaking"]) == 1
    assert [t.topic for t in backend.get(ids["zh1"]).topics] == ["logistics", "speed"]


def test_a_label_with_evidence_keeps_its_own_polarity_and_span(backend):
    """An own label located in the text (``nlp.own_evidence``) carries the polarity of that part, not the document's."""
    docs = with_vectors(corpus())
    backend.upsert(docs)
    ids = _by_source(docs)
    backend.save_own_topic(OwnTopic(key="strap", name_zh="表带", name_en="Strap"))
    zh6 = backend.get(ids["zh6"])
    assert zh6.sentiment.label.value == "negative"
    label = TopicLabel(topic="strap", polarity=Polarity.positive, score=0.83, evidence=(0, 2))
    assert backend.relabel_topics({ids["zh6"]: {"strap": label}}, ["strap"]) == 1
    stored = backend.get(ids["zh6"]).topics[-1]
    assert (stored.topic, stored.polarity, stored.score, stored.evidence) == ("strap", Polarity.positive, 0.83, (0, 2))
    assert _ids(backend, "topic:strap:positive") == {"zh6"} and _ids(backend, "topic:strap:negative") == set()
    top = {t.topic: (t.count, t.negative) for t in backend.top_topics(TopQuery(limit=20))}
    assert top["strap"] == (1, 0)
    # the same label again writes nothing; another polarity moves the counts with it
    assert backend.relabel_topics({ids["zh6"]: {"strap": label}}, ["strap"]) == 0
    turned = label.model_copy(update={"polarity": Polarity.negative, "evidence": (3, 5)})
    assert backend.relabel_topics({ids["zh6"]: {"strap": turned}}, ["strap"]) == 1
    assert backend.get(ids["zh6"]).topics[-1].evidence == (3, 5)
    top = {t.topic: (t.count, t.negative) for t in backend.top_topics(TopQuery(limit=20))}
    assert top["strap"] == (1, 1)
    assert _ids(backend, "topic:strap:negative") == {"zh6"}
    # a label given as a bare score (no encoder) and then located: the same polarity and score, now with evidence
    assert backend.relabel_topics({ids["zh1"]: {"strap": 0.5}}, ["strap"]) == 1
    assert backend.get(ids["zh1"]).topics[-1].evidence is None
    polarity = backend.get(ids["zh1"]).topics[-1].polarity
    found = TopicLabel(topic="strap", polarity=polarity, score=0.5, evidence=(1, 3))
    assert backend.relabel_topics({ids["zh1"]: {"strap": found}}, ["strap"]) == 1
    assert backend.get(ids["zh1"]).topics[-1].evidence == (1, 3)
    assert backend.relabel_topics({ids["zh1"]: {"strap": found}}, ["strap"]) == 0


def test_stored_labels_are_read_back_by_id_with_their_evidence(backend):
    """``topic_labels``: what ``topics apply`` keeps when the head that wrote a label is unchanged."""
    docs = with_vectors(corpus())
    backend.upsert(docs)
    ids = _by_source(docs)
    for key in ("strap", "speed"):
        backend.save_own_topic(OwnTopic(key=key, name_zh=key, name_en=key))
    strap = TopicLabel(topic="strap", polarity=Polarity.positive, score=0.8312, evidence=(0, 2))
    assert backend.relabel_topics({ids["zh6"]: {"strap": strap, "speed": 0.7}, ids["zh1"]: {"speed": 0.61}},
                                  ["strap", "speed"]) == 2
    got = backend.topic_labels([ids["zh6"], ids["zh1"], ids["zh2"], "f" * 32, ids["zh6"]], ["strap", "speed"])
    speed = TopicLabel(topic="speed", polarity=backend.get(ids["zh1"]).sentiment.label, score=0.61)
    assert got == {ids["zh6"]: {"strap": strap, "speed": TopicLabel(topic="speed", polarity=Polarity.negative, score=0.7)},
                   ids["zh1"]: {"speed": speed}}
    # the keys asked for, a default topic's too; no key asked for, no label
    assert backend.topic_labels([ids["zh6"]], ["strap", "quality"]) == {ids["zh6"]: {"strap": strap,
                                                                        "quality": backend.get(ids["zh6"]).topics[0]}}
    assert backend.topic_labels([ids["zh6"]], []) == {} and backend.topic_labels([], ["strap"]) == {}
    assert backend.topic_labels([ids["zh1"]], ["strap"]) == {}


def test_own_labels_count_in_trends_top_and_emerging_like_default_ones(backend):
    docs = corpus()
    backend.upsert(docs)
    ids = _by_source(docs)
    backend.save_own_topic(OwnTopic(key="leaking", name_zh="漏液", name_en="Leaking"))
    backend.relabel_topics({ids["zh6"]: {"leaking": 0.9}, ids["zh1"]: {"leaking": 0.8}, ids["zh3"]: {"leaking": 0.7}},
                           ["leaking"])
    top = {t.topic: (t.count, t.negative) for t in backend.top_topics(TopQuery(limit=20))}
    assert top["leaking"] == (3, 2) and top["logistics"] == (4, 3)
    trend = backend.trends(TrendQuery(split="topic", interval=Interval.day, split_limit=50))
    series = {s.key: sum(b.volume for b in s.buckets) for s in trend.series}
    assert series["leaking"] == 3
    neg = {s.key: sum(b.negative for b in s.buckets) for s in trend.series}
    assert neg["leaking"] == 2
    only = backend.trends(TrendQuery(split="topic", topic_keys=["leaking"], interval=Interval.day))
    assert [s.key for s in only.series] == ["leaking"]
    rising = backend.emerging_topics(EmergingQuery(current_since=NOW - timedelta(days=2), current_until=NOW,
                                                   baseline_since=NOW - timedelta(days=30), baseline_until=NOW - timedelta(days=2),
                                                   min_count=1, limit=20))  # fmt: skip
    assert "leaking" in {e.key for e in rising}
    # taken off again, the rollups and rows agree that it is gone
    assert backend.strip_topics(["leaking"]) == 3
    assert "leaking" not in {t.topic for t in backend.top_topics(TopQuery(limit=20))}
    trend = backend.trends(TrendQuery(split="topic", interval=Interval.day, split_limit=50))
    assert "leaking" not in {s.key for s in trend.series}
    assert backend.count("topic:logistics") == 4


def test_strip_pages_through_more_documents_than_a_page(backend):
    from .corpus import doc

    docs = [doc(f"many{i}", f"评论 {i}", sentiment="negative", created_at=NOW - timedelta(minutes=i)) for i in range(450)]
    backend.upsert(docs)
    backend.save_own_topic(OwnTopic(key="leaking", name_zh="漏液", name_en="Leaking"))
    assert backend.relabel_topics({d.id: {"leaking": 0.9} for d in docs}, ["leaking"]) == 450
    assert backend.count("topic:leaking:negative") == 450
    assert backend.strip_topics(["leaking"], batch_size=200) == 450
    assert backend.count("topic:leaking") == 0


def test_own_labels_count_in_key_drivers_like_default_ones(backend):
    """Drivers read each scored response's labels: relabelling and stripping must reach them."""
    docs = [d.model_copy(update={"rating": float(1 + i % 5)}) for i, d in enumerate(corpus())]
    backend.upsert(docs)
    ids = _by_source(docs)
    backend.save_own_topic(OwnTopic(key="leaking", name_zh="漏液", name_en="Leaking"))
    backend.relabel_topics({ids["zh6"]: {"leaking": 0.9}, ids["zh1"]: {"leaking": 0.8}}, ["leaking"])
    stats = backend.driver_stats("rating")
    leaking = [k for k, name in enumerate(stats.names) if name.startswith("leaking:")]
    assert leaking and sum(int(stats.together[k, k]) for k in leaking) == 2
    backend.strip_topics(["leaking"])
    assert not [name for name in backend.driver_stats("rating").names if name.startswith("leaking:")]


def test_a_score_split_by_topic_keeps_to_the_given_keys_as_a_journey_split_does(backend):
    """Score trends per journey stage (issue 26): a topic split kept to the stage keys."""
    from index.scoring import ScoreTrendQuery

    docs = [d.model_copy(update={"rating": float(1 + i % 5)}) for i, d in enumerate(corpus())]
    backend.upsert(docs)
    ids = _by_source(docs)
    backend.save_own_topic(OwnTopic(key="stage_fulfilment", name_zh="履约", name_en="Fulfilment"))
    backend.relabel_topics({ids["zh6"]: {"stage_fulfilment": 0.9}, ids["zh1"]: {"stage_fulfilment": 0.8}},
                           ["stage_fulfilment"])  # fmt: skip
    kept = backend.score_trends(ScoreTrendQuery(metric="rating", split="topic", topic_keys=["stage_fulfilment"]))
    assert [s.key for s in kept.series] == ["stage_fulfilment"] and kept.series[0].responses == 2
    assert kept.series[0].value == (docs[[d.source_id for d in docs].index("zh6")].rating
                                    + docs[[d.source_id for d in docs].index("zh1")].rating) / 2  # fmt: skip
    every = backend.score_trends(ScoreTrendQuery(metric="rating", split="topic", split_limit=50))
    assert "stage_fulfilment" in {s.key for s in every.series} and len(every.series) > 1


def test_a_topic_taught_from_words_is_applied_from_stored_vectors_and_texts(backend):
    """Vectors that say nothing about the topic: the head learns it from terms mined in the examples' words
    (``nlp.own_terms``), reading the background's and then every document's text from the backend."""
    import numpy as np

    from api.own_topics import add_examples, add_topic, apply_topics, get_topic, train_topics
    from index.vectors import DIMS, DocumentVector

    rng = np.random.default_rng(23)
    docs = []
    for i in range(120):
        sized = i % 4 == 0
        text = (f"尺码偏小，建议拍大一码 {i}" if i % 8 == 0 else f"It runs small, order a size up ({i})") if sized else \
            ("物流很快，包装完好", "The colour is lovely", "客服回复及时", "Great value for the price")[i % 4 - 1] + f" {i}"
        d = doc(f"d{i}", text, lang="zh" if i % 2 == 0 else "en", sentiment="negative" if sized else "positive")
        docs.append(d.model_copy(update={"vector": DocumentVector.from_array("enc-test", rng.standard_normal(DIMS))}))
    backend.upsert(docs)
    sized_ids = [d.id for d in docs if d.source_id in {f"d{i}" for i in range(0, 120, 4)}]
    add_topic(backend, "size", "尺码", "Size")  # no cue words: only the examples
    add_examples(backend, "size", [TopicExample(id=i, label=1) for i in sized_ids[:12]])
    (report,) = train_topics(backend, None)
    assert report.error is None and {"偏小", "small"} <= set(report.head.terms)
    assert get_topic(backend, "size").head == report.head  # stored with its terms, read back alike
    done = apply_topics(backend)
    assert done.seen == 120 and done.labelled == {"size": 30}
    assert _ids(backend, "topic:size") == {f"d{i}" for i in range(0, 120, 4)}
    assert _ids(backend, "topic:size:negative") == _ids(backend, "topic:size")
    assert apply_topics(backend).changed == 0  # applied again: the same scores, nothing written


# -- a removal racing a writer (``Backend.drop_removed_labels``) ------------------------------
def _trained(key: str = "strap") -> OwnTopic:
    """A topic with a head (fitted on random vectors: what it scores does not matter here)."""
    import numpy as np

    from nlp.own_topics import train_head

    rng = np.random.default_rng(3)
    head = train_head(VECTOR_MODEL, rng.standard_normal((8, 384)) + 1.0, rng.standard_normal((8, 384)), np.zeros((0, 384)))
    return OwnTopic(key=key, name_zh="表带", name_en="Strap", head=head)


def _classified(keys: list[str]) -> list:
    """A batch as a writer classified it while the topic had its head: each document carries its label."""
    labels = [TopicLabel(topic=k, polarity=Polarity.negative, score=0.9) for k in keys]
    return [d.model_copy(update={"topics": [*d.topics, *labels]}) for d in corpus()[:4]]


def _labelled(backend, key: str) -> int:
    return sum(1 for batch in backend.iter_documents() for d in batch if any(t.topic == key for t in d.topics))


def test_a_batch_classified_before_a_removal_and_written_after_it_keeps_no_label(backend):
    from api.own_topics import remove_topic

    backend.upsert(corpus())
    backend.save_own_topic(_trained())
    batch = _classified(["strap"])
    backend.upsert(batch[:2])  # written while the topic lives: kept, until the removal strips it
    assert _labelled(backend, "strap") == 2
    remove_topic(backend, "strap")
    assert _labelled(backend, "strap") == 0
    backend.upsert(batch)  # the rest of the batch lands after the removal finished
    assert _labelled(backend, "strap") == 0
    assert {t.topic for d in batch for t in backend.get(d.id).topics} >= {"logistics"}  # the default labels stay


def test_a_batch_written_after_the_strip_before_the_topic_is_deleted_keeps_no_label(backend, monkeypatch):
    """The write lands at the worst moment: the head is gone, the strip has passed, the topic is still defined."""
    from api.own_topics import remove_topic

    backend.upsert(corpus())
    backend.save_own_topic(_trained())
    batch = _classified(["strap"])
    delete = type(backend).delete_own_topic
    seen = []

    def late_write_then_delete(self, key):
        seen.append([(t.key, t.head) for t in self.own_topics()])
        self.upsert(batch)
        return delete(self, key)

    monkeypatch.setattr(type(backend), "delete_own_topic", late_write_then_delete)
    remove_topic(backend, "strap")
    assert seen == [[("strap", None)]]  # the write did happen with the topic headless and still defined
    assert _labelled(backend, "strap") == 0


def test_a_write_checked_before_the_removal_is_found_by_the_strip_even_unrefreshed(backend, request):
    """Another writer's import (Elasticsearch: refresh off) checked the head before it went: the strip must see its write."""
    from api.own_topics import remove_topic

    backend.upsert(corpus())
    backend.save_own_topic(_trained())
    if backend.name == "sqlite":
        writer = open_backend("sqlite", path=backend.path)
    else:
        writer = open_backend("elasticsearch", hosts=[request.getfixturevalue("es_node").url],
                              index_prefix=backend.names.prefix)
    try:
        with writer.bulk_import():
            writer.upsert(_classified(["strap"]))
            remove_topic(backend, "strap")
        assert _labelled(backend, "strap") == 0
    finally:
        writer.close()


def test_only_labels_of_topics_not_stored_are_dropped_at_a_write(backend):
    backend.save_own_topic(_trained("strap"))
    backend.save_own_topic(OwnTopic(key="lid", name_zh="盖子", name_en="Lid"))  # defined, untrained: its labels stay
    backend.upsert(_classified(["strap"]))
    assert _labelled(backend, "strap") == 4
    assert backend.drop_removed_labels({}) == 0
    docs = _classified(["strap", "lid", "gone"])
    backend.upsert(docs)
    assert (_labelled(backend, "strap"), _labelled(backend, "lid"), _labelled(backend, "gone")) == (4, 4, 0)
    assert {t.topic for t in backend.get(docs[0].id).topics} == {"logistics", "strap", "lid"}

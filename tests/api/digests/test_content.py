"""Digest content from a real SQLite index holding the shared corpus (the week before NOW)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.digests.content import build_digest, pick_examples
from api.digests.schedule import latest_due
from index.registry import open_backend
from tests.es_node import unique_prefix
from tests.index.corpus import NOW, corpus, doc

from .helpers import DUE, make_sub


def _period(sub):
    return latest_due(sub.frequency, sub.hour, sub.weekday, sub.tz, DUE)


def test_volume_negative_share_and_top_complaints_against_the_previous_week(backend, sqlite_store):
    # Four weeks of baseline: two older logistics complaints in the previous week, quality ones before.
    backend.upsert([doc(f"old{i}", "质量一般，不太满意", sentiment="negative", topics={"quality": "negative"},
                        created_at=NOW - timedelta(days=9 + i)) for i in range(12)]
                   + [doc(f"prevlog{i}", "快递慢", sentiment="negative", topics={"logistics": "negative"},
                          created_at=NOW - timedelta(days=8 + i)) for i in range(2)])
    sub = make_sub(sqlite_store, filters={"brand": ["Acme"]})
    d = build_digest(backend, sub, _period(sub), public_base_url="https://voc.example.com")
    assert d.period_key == "weekly:2026-02-23" and d.period_label == "23 Feb - 01 Mar 2026"
    assert (d.volume, d.negative) == (6, 5)  # zh1 zh2 en1 zh4 zh6 negative, en4 neutral
    assert d.negative_share == round(5 / 6, 4)
    assert d.previous_volume == 2 + 6  # two logistics complaints and six quality ones (9 to 14 days old) in 16-22 Feb
    top = {t.topic: t for t in d.top_topics}
    assert d.top_topics[0].topic == "logistics"
    assert (top["logistics"].count, top["logistics"].previous, top["logistics"].change) == (3, 2, 1)
    assert top["customer_service"].count == 2 and top["customer_service"].change == 2
    texts = {e.text for e in top["logistics"].examples}
    assert texts == {"物流太慢了，等了一个星期才到", "太慢的物流，包装也破了", "Slow delivery, but the product quality is fine"}
    assert all(e.url == f"https://voc.example.com/documents/{e.id}" for e in top["logistics"].examples)
    assert "logistics" in [e.key for e in d.emerging_topics]  # 3 this week against 2 in the four before
    assert len(d.trend) == 8 and d.trend[-1].volume == 6 and d.trend_interval == "week"
    assert d.query == "brand:Acme"


def test_a_saved_topic_filter_keeps_examples_to_the_saved_query(backend, sqlite_store):
    sub = make_sub(sqlite_store, filters={"brand": ["Acme"], "topics": [{"topic": "logistics", "polarity": "negative"}]})
    d = build_digest(backend, sub, _period(sub))
    top = {t.topic: t for t in d.top_topics}
    assert d.volume == 3 and top["logistics"].count == 3
    # packaging only on zh2, which also matches the saved logistics filter
    assert [e.text for e in top["packaging"].examples] == ["太慢的物流，包装也破了"]
    assert all(e.url is None for e in top["logistics"].examples)  # no source URL and no public_base_url


def test_daily_digest_covers_one_local_day(backend, sqlite_store):
    sub = make_sub(sqlite_store, frequency="daily", hour=9, tz="Asia/Shanghai")
    d = build_digest(backend, sub, _period(sub))
    # Due 2 March 18:00 Shanghai -> covers 2 March local = 1 March 16:00 UTC to 2 March 16:00 UTC: nothing in corpus
    # before NOW except... the corpus ends at NOW - 1 day + 6 h, i.e. 1 March 06:00 UTC = 14:00 Shanghai on 1 March.
    assert d.period_label == "Sun 01 Mar 2026"
    assert d.volume == 3  # zh1 (1 Mar 00:00 UTC), en1 (02:00), zh6 (06:00): all on 1 March in Shanghai
    assert len(d.trend) == 14 and d.trend_interval == "day"


def test_examples_skip_near_duplicates_and_spread_over_sources():
    same = "The parcel arrived two weeks late and the box was crushed"
    docs = [
        doc("a", same, source="amazon"),
        doc("b", same + "!", source="amazon"),  # a pasted copy
        doc("c", same.replace("two", "three"), source="amazon"),  # near-identical template
        doc("d", "Courier lost my order, no refund yet", source="amazon"),
        doc("e", "快递员态度很差，包裹被扔在门口", source="jd"),
    ]
    picked = [d.source_id for d in pick_examples(docs, k=3)]
    assert picked[:2] == ["a", "e"]  # one per source first
    assert "b" not in picked and "c" not in picked
    assert picked == ["a", "e", "d"]


def _pick_reading_every_candidate(docs, k):
    """The choice spelled out: every near-duplicate found first, then one per (source, product), then fill up."""
    from api.digests.content import NEAR_DUPLICATE, _bigrams

    unique = []
    for d in docs:
        grams = _bigrams(d.text)
        if all(len(grams & g) / len(grams | g) < NEAR_DUPLICATE for _, g in unique):
            unique.append((d, grams))
    chosen, groups = [], set()
    for d, _ in unique:
        if (d.source, d.product_id) not in groups and len(chosen) < k:
            chosen.append(d)
            groups.add((d.source, d.product_id))
    chosen += [d for d, _ in unique if d not in chosen][: max(k - len(chosen), 0)]
    return chosen


@pytest.mark.parametrize("seed", range(40))
def test_examples_stop_reading_candidates_once_chosen_and_choose_the_same(seed):
    import random

    rng = random.Random(seed)
    stems = ["The parcel arrived two weeks late", "快递员态度很差，包裹被扔在门口", "Refund refused twice", "质量一般"]
    docs = [doc(f"c{i}", rng.choice(stems) + rng.choice(["", "!", " again", "，太差了", f" order {rng.randint(1, 3)}"]),
                source=rng.choice(["amazon", "jd"]), product_id=rng.choice([None, "P1", "P2"]))
            for i in range(rng.randint(0, 30))]
    for k in (0, 1, 3, 5):
        assert [d.id for d in pick_examples(docs, k=k)] == [d.id for d in _pick_reading_every_candidate(docs, k)]


@pytest.mark.parametrize("saved_topic", [False, True])
def test_examples_read_in_two_steps_are_those_read_at_once(backend, sqlite_store, monkeypatch, saved_topic):
    """The newest candidates are read first; when they hold too few distinct complaints the rest follow."""
    from api.digests import content

    same = "The parcel arrived two weeks late and the box was crushed"
    backend.upsert([doc(f"copy{i}", same + "!" * (i % 2), sentiment="negative", topics={"logistics": "negative"},
                        created_at=NOW - timedelta(hours=30 + i)) for i in range(20)]  # newest: copies of one text
                   + [doc(f"own{i}", f"第{i}个包裹丢了，客服不回复，物流信息停了{i}天", source=["jd", "tmall"][i % 2],
                          sentiment="negative", topics={"logistics": "negative"}, created_at=NOW - timedelta(hours=60 + i))
                      for i in range(6)])
    filters = {"brand": ["Acme"], **({"topics": [{"topic": "logistics", "polarity": "negative"}]} if saved_topic else {})}
    sub = make_sub(sqlite_store, filters=filters)
    answers = []
    for first in (1, 12, content.CANDIDATES):
        monkeypatch.setattr(content, "FIRST_READ", first)
        answers.append({t.topic: t.examples for t in build_digest(backend, sub, _period(sub)).top_topics})
    assert answers[0] == answers[1] == answers[2]
    texts = [e.text for e in answers[0]["logistics"]]
    assert len(texts) == 3 and sum(t.startswith(same) for t in texts) == 1


@pytest.fixture(params=["sqlite", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)])
def any_backend(request, tmp_path):
    """The corpus on each search backend: digests use only the Backend interface."""
    if request.param == "sqlite":
        b = open_backend("sqlite", path=tmp_path / "any.db")
    else:
        b = open_backend("elasticsearch", hosts=[request.getfixturevalue("es_node").url], index_prefix=unique_prefix())
    b.upsert(corpus())
    yield b
    drop = getattr(b, "drop_all", None)
    if drop is not None:
        drop()
    b.close()


def test_the_same_digest_on_every_backend(any_backend, sqlite_store):
    sub = make_sub(sqlite_store, filters={"brand": ["Acme"]})
    d = build_digest(any_backend, sub, _period(sub), public_base_url="https://voc.example.com")
    assert (d.volume, d.negative, d.previous_volume) == (6, 5, 0)
    assert [(t.topic, t.count) for t in d.top_topics][:2] == [("logistics", 3), ("customer_service", 2)]
    assert {e.text for e in d.top_topics[0].examples} == {
        "物流太慢了，等了一个星期才到", "太慢的物流，包装也破了", "Slow delivery, but the product quality is fine"}
    assert [p.volume for p in d.trend][-2:] == [0, 6]

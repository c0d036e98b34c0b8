"""The SQLite backend's date-range shortcuts answer exactly as the general plans do.

A topic filter with a narrow date range reads the topic rows of the range
(``_sqlite_sql.narrow_dates``); emerging counts read one range over both
windows when they touch (``_sqlite_analytics._window_sql``). Both change how
rows are found, never which: these tests compare with the other way, and
with counts made here from the documents themselves.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from index import _sqlite_sql
from index.base import EmergingQuery, Filters, SearchQuery, TopicFilter
from index.sqlite import SQLiteBackend
from index.stats import emerging

from .corpus import NOW, doc

TOPICS = ["logistics", "quality", "price", "packaging", "customer_service"]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    rng = random.Random(7)
    docs = [doc(f"d{i}", f"第{i}条", sentiment=rng.choice(["negative", "positive", None]),
                topics={t: rng.choice(["negative", "positive", "neutral"]) for t in rng.sample(TOPICS, rng.randint(0, 3))},
                created_at=NOW - timedelta(minutes=rng.randint(0, 60 * 24 * 120)))
            for i in range(3000)]
    with SQLiteBackend(tmp_path_factory.mktemp("dates") / "d.db") as backend:
        backend.upsert(docs)
        yield backend, docs


def _ids(backend, filters: Filters) -> list[str]:
    ids, cursor = [], None
    while True:
        page = backend.search(SearchQuery(filters=filters, sort="newest", limit=100, cursor=cursor, highlight=False))
        ids += [h.document.id for h in page.hits]
        if not page.next_cursor:
            return ids
        cursor = page.next_cursor


@pytest.mark.parametrize("days", [2, 7, 30, 200])
@pytest.mark.parametrize("topics", [[("logistics", "negative")], [("quality", None), ("price", "positive")]])
def test_topic_filters_with_dates_list_the_same_documents_either_way(loaded, monkeypatch, days, topics):
    backend, docs = loaded
    filters = Filters(topics=[TopicFilter(topic=t, polarity=p) for t, p in topics],
                      since=NOW - timedelta(days=days), until=NOW - timedelta(hours=5))
    expected = {d.id for d in docs if filters.since <= d.created_at < filters.until
                and any(lab.topic == t and (p is None or lab.polarity.value == p) for lab in d.topics for t, p in topics)}
    answers = []
    for share in (0.0, 1.0):  # never, always the date shortcut
        monkeypatch.setattr(_sqlite_sql, "NARROW_SHARE", share)
        answers.append(_ids(backend, filters))
    assert answers[0] == answers[1] and set(answers[0]) == expected and expected


@pytest.mark.parametrize("gap_days", [0, 2, 60])  # touching, a small gap (one range), a wide one (two ranges)
def test_emerging_counts_with_touching_and_separate_windows(loaded, gap_days):
    backend, docs = loaded
    cur_until, cur_since = NOW, NOW - timedelta(days=7)
    base_until = cur_since - timedelta(days=gap_days)
    base_since = base_until - timedelta(days=28)
    query = EmergingQuery(current_since=cur_since, current_until=cur_until, baseline_since=base_since,
                          baseline_until=base_until, polarity="negative", min_count=1, limit=50)

    def counts(lo, hi):
        inside = [d for d in docs if lo <= d.created_at < hi]
        per: dict[str, int] = {}
        for d in inside:
            for key in d.topic_keys("negative"):
                per[key] = per.get(key, 0) + 1
        return per, len(inside)

    (cur, n_cur), (base, n_base) = counts(cur_since, cur_until), counts(base_since, base_until)
    assert backend.emerging_topics(query) == emerging(cur, base, n_cur, n_base, min_count=1, limit=50)

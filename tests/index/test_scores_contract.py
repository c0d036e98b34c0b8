"""Scores on both backends: storage, score trends and key drivers (issue 26, parts 1-3).

Every figure is checked against a computation written out here (by hand for NPS, CSAT and a
mean, with plain loops over the fixture for splits and drivers), so both backends are held
to the same numbers, not merely to each other's.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from scipy import stats

from index.base import Filters
from index.document import Document
from index.registry import open_backend
from index.scoring import DriverQuery, ScoreTrendQuery
from nlp.labels import Polarity, TopicLabel

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)  # a Monday
#: Ten NPS answers: promoters 10, 10, 9, 9, 9; passives 8, 7; detractors 6, 3, 0.
NPS_TEN = [10, 10, 9, 9, 9, 8, 7, 6, 3, 0]


def _doc(i: int, *, when: datetime = T0, topics=(), brand: str = "Lumio", channel: str = "survey", text: str = "ok",
         rating: float | None = None, source: str = "survey", **scores) -> Document:
    return Document(source=source, source_id=str(i), channel=channel, brand=brand, text=text, created_at=when,
                    rating=rating, scores=scores,
                    topics=[TopicLabel(topic=t, polarity=Polarity(p), score=0.9) for t, p in topics])


def test_scores_customer_and_order_round_trip(backend):
    doc = _doc(1, nps=9, csat=4.5, effort=2.25, rating=4)
    doc = doc.model_copy(update={"customer_hash": "c_" + "ab" * 12, "order_id": "SO-7781"})
    backend.upsert([doc])
    back = backend.get(doc.id)
    assert back.scores == {"csat": 4.5, "effort": 2.25, "nps": 9.0}
    assert (back.customer_hash, back.order_id, back.score("rating")) == ("c_" + "ab" * 12, "SO-7781", 4.0)
    assert [d for b in backend.iter_documents() for d in b] == [back]


def test_nps_and_its_interval_equal_the_hand_computation(backend):
    backend.upsert([_doc(i, nps=v) for i, v in enumerate(NPS_TEN)])
    result = backend.score_trends(ScoreTrendQuery(metric="nps", interval="week"))
    # by hand: 5 promoters and 3 detractors of 10 -> NPS = 50% - 30% = 20 points;
    # trinomial variance per answer (0.5 + 0.3 - 0.2^2) = 0.76, standard error 100 * sqrt(0.76 / 10) = 27.5681
    se = 100 * math.sqrt(0.76 / 10)
    assert se == pytest.approx(27.5681, abs=1e-4)
    series = result.series[0]
    assert (series.responses, series.value) == (10, 20.0)
    assert series.low == pytest.approx(20 - 1.959964 * se, abs=1e-4)  # -34.0326
    assert series.high == pytest.approx(20 + 1.959964 * se, abs=1e-4)  # 74.0326
    assert "trinomial" in result.method
    assert [b.responses for b in series.buckets] == [10]


def test_csat_is_the_top_two_box_share_with_a_wilson_interval(backend):
    backend.upsert([_doc(i, csat=v) for i, v in enumerate([5, 5, 4, 4, 4, 3, 2, 1])])
    est = backend.score_trends(ScoreTrendQuery(metric="csat")).series[0]
    # by hand: 5 of 8 in the top two boxes = 62.5%; Wilson with z = 1.96:
    # centre (0.625 + 1.9208/8) / (1 + 3.8415/8), half 1.96 sqrt(0.625*0.375/8 + 3.8415/256) / (1 + 3.8415/8)
    z = 1.959964
    centre = (0.625 + z * z / 16) / (1 + z * z / 8)
    half = z * math.sqrt(0.625 * 0.375 / 8 + z * z / 256) / (1 + z * z / 8)
    assert (est.responses, est.value) == (8, 62.5)
    assert (est.low, est.high) == (pytest.approx(100 * (centre - half), abs=1e-4), pytest.approx(100 * (centre + half), abs=1e-4))
    assert est.low == pytest.approx(30.57, abs=0.01) and est.high == pytest.approx(86.32, abs=0.01)


def test_ratings_and_named_scores_are_means_with_t_intervals(backend):
    ratings = [5, 4, 4, 2, 1, 5]
    backend.upsert([_doc(i, rating=r, source="amazon", channel="review", effort=r / 2) for i, r in enumerate(ratings)])
    est = backend.score_trends(ScoreTrendQuery(metric="rating")).series[0]
    low, high = stats.t.interval(0.95, len(ratings) - 1, loc=np.mean(ratings), scale=stats.sem(ratings))
    assert (est.responses, est.value) == (6, pytest.approx(3.5))
    assert high > 5 and (est.low, est.high) == (pytest.approx(low, abs=1e-5), 5.0)  # cut to the 0-5 scale
    effort = backend.score_trends(ScoreTrendQuery(metric="effort")).series[0]
    assert (effort.responses, effort.value) == (6, pytest.approx(1.75))


def test_a_change_is_marked_only_when_significant(backend):
    week = timedelta(days=7)
    docs = [_doc(i, nps=10) for i in range(30)]  # week 1: all promoters
    docs += [_doc(100 + i, when=T0 + week, nps=v) for i, v in enumerate([0] * 25 + [10] * 5)]  # week 2: mostly detractors
    docs += [_doc(200 + i, when=T0 + 2 * week, nps=v) for i, v in enumerate([0] * 24 + [10] * 6)]  # week 3: about the same
    backend.upsert(docs)
    buckets = backend.score_trends(ScoreTrendQuery(metric="nps", interval="week")).series[0].buckets
    assert [b.value for b in buckets] == [100.0, pytest.approx(-66.666667), -60.0]
    assert [b.significant for b in buckets] == [False, True, False]
    assert buckets[0].change is None and buckets[1].change == pytest.approx(-166.666667)
    assert buckets[1].p_value < 0.001 < 0.05 < buckets[2].p_value


def _split_fixture() -> list[Document]:
    rng = np.random.default_rng(7)
    docs = []
    for i in range(120):
        topics = []
        if rng.random() < 0.4:
            topics.append(("logistics", "negative"))
        if rng.random() < 0.3:
            topics.append(("price", "positive" if rng.random() < 0.5 else "negative"))
        nps = int(rng.integers(0, 7) if ("logistics", "negative") in topics else rng.integers(5, 11))
        docs.append(_doc(i, when=T0 + timedelta(days=int(i % 20)), topics=topics, brand=["Lumio", "Voltra"][i % 2],
                         channel=["survey", "ticket"][i % 3 == 0], source=["qualtrics", "zendesk"][i % 4 == 0], nps=nps))
    return docs


def _expected_nps(scores: list[int]) -> float:
    return round(100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores), 6)


@pytest.mark.parametrize("split", ["topic", "brand", "channel", "source"])
def test_splits_give_each_key_its_own_nps(backend, split):
    docs = _split_fixture()
    backend.upsert(docs)
    result = backend.score_trends(ScoreTrendQuery(metric="nps", interval="month", split=split))
    expected: dict[str, list[int]] = {}
    for d in docs:
        keys = d.topic_keys() if split == "topic" else [getattr(d, split).value if split == "channel" else getattr(d, split)]
        for k in keys:
            expected.setdefault(k, []).append(int(d.scores["nps"]))
    assert {s.key: (s.responses, s.value) for s in result.series} == {k: (len(v), _expected_nps(v)) for k, v in expected.items()}


def test_filters_and_text_narrow_the_responses(backend):
    docs = _split_fixture()
    docs[0] = docs[0].model_copy(update={"text": "courier lost the parcel"})
    docs[1] = docs[1].model_copy(update={"text": "courier was late"})
    backend.upsert(docs)
    lumio = backend.score_trends(ScoreTrendQuery(metric="nps", filters=Filters(brand=["Lumio"]))).series[0]
    assert lumio.responses == 60
    assert lumio.value == _expected_nps([int(d.scores["nps"]) for d in docs if d.brand == "Lumio"])
    courier = backend.score_trends(ScoreTrendQuery(metric="nps", q="courier")).series[0]
    assert courier.responses == 2
    nothing = backend.score_trends(ScoreTrendQuery(metric="csat"))  # no document has a csat score
    assert [(s.responses, s.value, s.buckets) for s in nothing.series] == [(0, None, [])]


def test_drivers_equal_a_computation_by_hand_and_rank_by_impact(backend):
    docs = _split_fixture()
    backend.upsert(docs)
    result = backend.drivers(DriverQuery(metric="nps", min_count=5))
    scores = np.array([d.scores["nps"] for d in docs])
    n = len(docs)
    assert result.overall.value == _expected_nps(list(scores))
    assert [d.impact for d in result.drivers] == sorted((d.impact for d in result.drivers), reverse=True)
    top = result.drivers[0]
    assert (top.topic, top.polarity.value) == ("logistics", "negative")
    inside = [("logistics", Polarity.negative) in [(t.topic, t.polarity) for t in d.topics] for d in docs]
    with_, without = scores[np.array(inside)], scores[~np.array(inside)]
    share = len(with_) / n
    assert (top.responses, top.share) == (len(with_), round(share, 6))
    assert top.with_topic.value == _expected_nps(list(with_)) and top.without_topic.value == _expected_nps(list(without))
    assert top.impact == pytest.approx(share * (_expected_nps(list(without)) - _expected_nps(list(with_))), abs=1e-5)
    assert top.mean_with == pytest.approx(with_.mean()) and top.mean_without == pytest.approx(without.mean())
    assert top.impact_low < top.impact < top.impact_high
    assert top.coefficient < 0 and top.importance > 0.5
    assert sum(d.importance for d in result.drivers) == pytest.approx(1.0, abs=1e-4)


def test_drivers_regression_matches_statsmodels(backend):
    sm = pytest.importorskip("statsmodels.api")
    docs = _split_fixture()
    backend.upsert(docs)
    result = backend.drivers(DriverQuery(metric="nps", min_count=5))
    pairs = sorted({(d.topic, d.polarity.value) for d in result.drivers})
    x = np.array([[float((t, p) in {(l.topic, l.polarity.value) for l in d.topics}) for t, p in pairs] for d in docs])
    y = np.array([100.0 if d.scores["nps"] >= 9 else -100.0 if d.scores["nps"] <= 6 else 0.0 for d in docs])
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    ci = fit.conf_int(0.05)
    by_pair = {(d.topic, d.polarity.value): d for d in result.drivers}
    for j, pair in enumerate(pairs):
        assert by_pair[pair].coefficient == pytest.approx(fit.params[j + 1], abs=1e-4)
        assert by_pair[pair].coefficient_low == pytest.approx(ci[j + 1][0], abs=1e-4)
    assert result.r_squared == pytest.approx(fit.rsquared, abs=1e-6)


def test_drivers_work_on_star_ratings(backend):
    docs = [_doc(i, rating=float(1 + (i % 2) if i < 20 else 4 + (i % 2)), source="amazon", channel="review",
                 topics=[("quality", "negative")] if i < 20 else [("quality", "positive")] if i % 3 else [])
            for i in range(60)]
    backend.upsert(docs)
    result = backend.drivers(DriverQuery(metric="rating", min_count=5))
    assert result.overall.responses == 60 and result.overall.value == pytest.approx(np.mean([d.rating for d in docs]))
    assert (result.drivers[0].topic, result.drivers[0].polarity.value) == ("quality", "negative")
    assert result.drivers[0].mean_with == 1.5 and result.drivers[-1].impact < 0  # quality praise lifts the mean


def test_deleted_documents_take_their_scores_with_them(backend):
    backend.upsert([_doc(i, nps=v) for i, v in enumerate(NPS_TEN)])
    backend.delete_by_query("", Filters(brand=["Lumio"]))
    assert backend.score_trends(ScoreTrendQuery(metric="nps")).series[0].responses == 0
    assert backend.drivers(DriverQuery(metric="nps")).overall.responses == 0


def test_a_rewrite_replaces_the_scores(backend):
    backend.upsert([_doc(1, nps=0)])
    backend.upsert([_doc(1, nps=10, csat=5)])
    assert backend.score_trends(ScoreTrendQuery(metric="nps")).series[0].value == 100.0
    assert backend.score_trends(ScoreTrendQuery(metric="csat")).series[0].responses == 1


def test_a_copy_to_another_backend_carries_the_scores(backend, tmp_path):
    docs = _split_fixture()
    backend.upsert(docs)
    with open_backend("sqlite", path=tmp_path / "copy.db") as target:
        for batch in backend.iter_documents(batch_size=50):
            target.upsert(batch)
        query = ScoreTrendQuery(metric="nps", interval="week", split="topic")
        assert target.score_trends(query) == backend.score_trends(query)
        assert target.drivers(DriverQuery(metric="nps")) == backend.drivers(DriverQuery(metric="nps"))


def test_one_response_has_a_value_and_no_interval(backend):
    backend.upsert([_doc(1, nps=3, csat=2, rating=4)])
    for metric, value in (("nps", -100.0), ("rating", 4.0)):
        est = backend.score_trends(ScoreTrendQuery(metric=metric)).series[0]
        assert (est.responses, est.value, est.low, est.high) == (1, value, None, None)
    csat = backend.score_trends(ScoreTrendQuery(metric="csat")).series[0]
    assert csat.value == 0.0 and csat.low == 0.0 and 0 < csat.high < 100  # Wilson is defined for one response


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "Europe/Berlin", "Asia/Kolkata"])
def test_buckets_are_local_days_in_zones_with_and_without_daylight_saving(backend, tz):
    """Shanghai keeps one offset (SQLite groups by local day), Berlin changes on 25 Oct (by hour), Kolkata is +5:30."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    local = [datetime(2026, 10, 24, 23, 30), datetime(2026, 10, 25, 0, 30), datetime(2026, 10, 25, 23, 59),
             datetime(2026, 10, 26, 0, 1), datetime(2026, 11, 2, 12, 0)]
    docs = [_doc(i, when=t.replace(tzinfo=zone).astimezone(UTC), nps=[10, 0, 9, 5, 8][i]) for i, t in enumerate(local)]
    backend.upsert(docs)
    buckets = backend.score_trends(ScoreTrendQuery(metric="nps", interval="day", tz=tz)).series[0].buckets
    by_day = {b.start.date().isoformat(): (b.responses, b.value) for b in buckets if b.responses}
    assert by_day == {"2026-10-24": (1, 100.0), "2026-10-25": (2, 0.0), "2026-10-26": (1, -100.0), "2026-11-02": (1, 0.0)}
    assert all(b.start.tzinfo is not None and b.start.hour == 0 and b.start.minute == 0 for b in buckets)
    weeks = backend.score_trends(ScoreTrendQuery(metric="nps", interval="week", tz=tz)).series[0].buckets
    assert [(b.start.date().isoformat(), b.responses) for b in weeks] == [("2026-10-19", 3), ("2026-10-26", 1), ("2026-11-02", 1)]


def test_an_impact_interval_stays_open_when_every_answer_of_a_topic_is_alike(backend):
    docs = [_doc(i, nps=0, topics=[("logistics", "negative")]) for i in range(5)]
    docs += [_doc(100 + i, nps=10 if i < 30 else 8) for i in range(45)]
    backend.upsert(docs)
    top = backend.drivers(DriverQuery(metric="nps", min_count=5)).drivers[0]
    assert (top.with_topic.value, top.with_topic.low, top.with_topic.high) == (-100.0, -100.0, -100.0)
    # by hand: impact = 5/50 x (NPS 66.67 of the rest - (-100)); standard errors with one more promoter,
    # passive and detractor on each side: with 8 answers (1 P, 6 D), without 48 answers (31 P, 1 D)
    se_with = 100 * math.sqrt((1 / 8 + 6 / 8 - (1 / 8 - 6 / 8) ** 2) / 8)
    se_without = 100 * math.sqrt((31 / 48 + 1 / 48 - (30 / 48) ** 2) / 48)
    half = 1.959964 * 0.1 * math.hypot(se_with, se_without)
    assert top.impact == pytest.approx(0.1 * (100 * 30 / 45 + 100), abs=1e-5)
    assert (top.impact_low, top.impact_high) == (pytest.approx(top.impact - half, abs=1e-4), pytest.approx(top.impact + half, abs=1e-4))
    assert half > 4  # not the zero width the unpadded trinomial variance would give

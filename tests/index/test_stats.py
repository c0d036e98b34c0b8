"""The emerging statistic (``index.stats``)."""

import pytest

from index.stats import emerging, expected_count, log_likelihood


def test_new_complaint_ranks_first_on_its_first_day():
    # 28-day baseline of 2,800 documents; today 100. "漏液" is new: 8 today, none before.
    current = {"漏液": 8, "物流": 20, "质量": 12, "客服": 5}
    baseline = {"物流": 560, "质量": 280, "客服": 150}
    top = emerging(current, baseline, 100, 2800, min_count=3)
    assert top[0].key == "漏液"
    assert top[0].baseline == 0 and top[0].ratio > 5


def test_score_sign_follows_the_rate():
    assert log_likelihood(20, 100, 100, 1000) > 0
    assert log_likelihood(5, 100, 100, 1000) < 0
    assert log_likelihood(10, 100, 100, 1000) == pytest.approx(0, abs=1e-9)


def test_falling_and_rare_items_are_left_out():
    top = emerging({"a": 2, "b": 1, "c": 50}, {"c": 1000}, 100, 1000, min_count=3)
    assert top == []  # a, b below min_count; c fell from 100% to 50%


def test_evidence_beats_a_raw_ratio():
    # 3 of 100 from 0 has a big ratio but little evidence; 40% from 20% at volume is stronger.
    top = emerging({"tiny": 3, "big": 40}, {"big": 200}, 100, 1000, min_count=1)
    assert [e.key for e in top] == ["big", "tiny"]


def test_expected_smoothing_and_empty_windows():
    assert expected_count(0, 100, 2800) == pytest.approx(0.5 * 100 / 2801)
    assert log_likelihood(5, 10, 0, 0) == 0.0
    assert emerging({"x": 5}, {}, 10, 0) == []


def test_limit_and_fields():
    current = {f"k{i}": 10 + i for i in range(20)}
    top = emerging(current, {}, 1000, 1000, limit=5)
    assert len(top) == 5 and top[0].key == "k19"
    e = top[0]
    assert e.ratio == pytest.approx((e.current + 1) / (e.expected + 1))

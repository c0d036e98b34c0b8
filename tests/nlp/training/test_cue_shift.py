"""Choosing the cue shift: pure functions on hand-made network outputs (no model needed)."""

from __future__ import annotations

import numpy as np

from nlp.training.cue_shift import TuneSet, choose_cue_shift, predicted_pairs
from nlp.transformer import shifted_thresholds

TOPICS = ("logistics", "price")


def test_shifted_thresholds_lower_cued_and_raise_silent_topics():
    th = np.array([0.5, 0.6])
    assert shifted_thresholds(th, TOPICS, {"logistics"}, (0.2, 0.1)).tolist() == [0.3, 0.7]
    assert shifted_thresholds(th, TOPICS, set(), (0.0, 0.0)) is th
    assert shifted_thresholds(np.array([0.1, 0.95]), TOPICS, {"logistics"}, (0.2, 0.1)).tolist() == [0.05, 0.99]


def _set(presence, cues, gold, covered=frozenset(TOPICS)):
    n = len(presence)
    return TuneSet("toy", np.array(presence), np.zeros((n, 2), dtype=int), cues, gold, [covered] * n)


def test_the_shift_that_fixes_the_networks_errors_wins():
    # The network is lukewarm (0.4) on logistics where the cue fires and gold agrees, and
    # over-confident (0.6) on price where nothing supports it: lowering cued thresholds by
    # 0.15 and raising silent ones by 0.15 gets every row right.
    ts = _set(
        presence=[[0.4, 0.0], [0.4, 0.0], [0.0, 0.6], [0.0, 0.6]],
        cues=[{"logistics"}, {"logistics"}, set(), set()],
        gold=[{("logistics", "negative")}, {("logistics", "negative")}, set(), set()],
    )
    th = np.array([0.5, 0.5])
    assert predicted_pairs(ts, th, TOPICS, (0.0, 0.0)) == [set(), set(), {("price", "negative")}, {("price", "negative")}]
    best, scores = choose_cue_shift([ts], th, TOPICS, grid_present=(0.0, 0.15), grid_absent=(0.0, 0.15))
    assert best == (0.15, 0.15)
    assert scores[best]["toy"] == 1.0 and scores[(0.0, 0.0)]["toy"] == 0.0


def test_uncovered_topics_are_not_scored_and_ties_keep_the_smaller_shift():
    ts = _set(presence=[[0.9, 0.9]], cues=[set()], gold=[{("logistics", "negative")}], covered=frozenset({"logistics"}))
    th = np.array([0.5, 0.5])
    assert predicted_pairs(ts, th, TOPICS, (0.0, 0.0)) == [{("logistics", "negative")}]
    best, _ = choose_cue_shift([ts], th, TOPICS, grid_present=(0.0, 0.1), grid_absent=(0.0, 0.1))
    assert best == (0.0, 0.0)

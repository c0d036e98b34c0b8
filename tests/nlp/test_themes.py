"""``nlp.themes``: tokens, features, clustering, joining languages and c-TF-IDF terms, on small hand-made inputs."""

from __future__ import annotations

import numpy as np
import pytest

from nlp.analyser import Analyser
from scipy import sparse

from nlp.themes import (ThemeOptions, Tokens, burst_scores, class_terms, cluster, join_languages, reassign, theme_features,
                        theme_tokens, typical)


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    return Analyser()


def test_tokens_drop_stop_words_and_show_stems_in_their_written_form(analyser):
    tokens = theme_tokens(analyser, ["The bottle was leaking", "Leaking again, the bottles leaked", "爽肤水漏液了，盒子都湿了"])
    assert tokens.lists[0] == ["bottl", "leak"]  # "the" and "was" are stop words
    # jieba words; 了 and 都 are stop words, 湿 (wet) a single character that says something
    assert tokens.lists[2] == ["爽肤水", "漏液", "盒子", "湿"]
    assert theme_tokens(analyser, ["Size B bottle, 2nd one"]).lists[0] == ["size", "bottl"]  # not a single letter, nor a number
    assert tokens.shown["leak"] == "leaking" and tokens.shown["bottl"] in ("bottle", "bottles")


def _blobs(rng, centres: int, per: int, dims: int = 128, spread: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
    points = rng.standard_normal((centres, dims))
    rows = np.repeat(points, per, axis=0) + spread * rng.standard_normal((centres * per, dims))
    return rows / np.linalg.norm(rows, axis=1, keepdims=True), np.repeat(np.arange(centres), per)


def test_cluster_finds_separate_groups_and_numbers_them_by_first_row():
    rows, truth = _blobs(np.random.default_rng(1), 4, 10)
    labels = cluster(rows.astype(np.float32))
    assert labels.tolist() == truth.tolist()  # groups numbered in the order their first row comes
    assert cluster(rows.astype(np.float32)).tolist() == labels.tolist()  # the same input, the same labels


def test_above_micro_clusters_kmeans_groups_first_and_the_groups_survive():
    rows, truth = _blobs(np.random.default_rng(2), 5, 60)
    options = ThemeOptions(micro_clusters=20, sample=100)
    labels = cluster(rows.astype(np.float32), options)
    # every true group lies in one label and no label spans two groups
    assert len(set(labels.tolist())) == 5
    assert all(len(set(labels[truth == g].tolist())) == 1 for g in range(5))


def test_features_have_length_one_and_follow_the_weights(analyser):
    texts = ["物流太慢了", "快递太慢", "价格太贵", "price too high", "slow shipping"]
    tokens = theme_tokens(analyser, texts)
    vectors = np.random.default_rng(3).standard_normal((5, 8)).astype(np.float32)
    features = theme_features(vectors, tokens.lists)
    assert np.allclose(np.linalg.norm(features, axis=1), 1, atol=1e-5)
    vectors_only = theme_features(vectors, tokens.lists, ThemeOptions(word_weight=0.0, vector_weight=1.0))
    assert vectors_only.shape[1] == 8
    with pytest.raises(ValueError, match="5 vectors for 4 token lists"):
        theme_features(vectors, tokens.lists[:4])


def test_join_languages_merges_mutually_nearest_groups_of_two_languages_only():
    rng = np.random.default_rng(4)
    topic = rng.standard_normal((3, 32))
    langs = ["zh"] * 12 + ["en"] * 12
    # zh groups 0 (topic 0), 1 (topic 1), 2 (topic 2); en groups 3 (topic 0), 4 (topic 2), 5 (its own)
    which = [0, 1, 2, 0, 2, None]
    rows, labels = [], []
    for g, t in enumerate(which):
        base = topic[t] if t is not None else rng.standard_normal(32)
        for _ in range(4):
            rows.append(base + 0.2 * rng.standard_normal(32))
            labels.append(g)
    rows = np.array(rows, dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    joined = join_languages(np.array(labels), rows, langs, range(6), threshold=0.7)
    groups = {g: set(joined[np.array(labels) == g].tolist()) for g in range(6)}
    assert groups[0] == groups[3] and groups[2] == groups[4]  # the same topic in both languages: one theme
    assert len({*groups[0], *groups[1], *groups[2], *groups[5]}) == 4  # nothing else merges
    # not eligible, or under the threshold: unchanged
    assert join_languages(np.array(labels), rows, langs, [0, 1], threshold=0.7).tolist() == labels
    assert len(set(join_languages(np.array(labels), rows, langs, range(6), threshold=1.0).tolist())) == 6


def test_a_term_crowded_into_recent_periods_bursts_and_one_spread_like_the_documents_does_not():
    # 16 periods, 10 documents each, and twice as many in the last four (a corpus that grows)
    periods = np.repeat(np.arange(16), [10] * 12 + [20] * 4)
    n = len(periods)
    new = periods >= 15  # in 15 of the 20 documents of the last period only
    new[np.flatnonzero(new)[15:]] = False
    spread = np.arange(n) % 5 == 0  # one document in five, whatever the period: grows with the corpus
    once = np.arange(n) == n - 1  # one document
    old = periods < 4  # all documents of the first four periods: a complaint that has gone
    occurs = sparse.csr_matrix(np.stack([new, spread, once, old], axis=1).astype(np.float32))
    scores = burst_scores(occurs, periods)
    assert scores[0] > 50 and scores[3] > 50  # a burst, recent or old, is a burst
    assert scores[1] < 1  # as common as documents are everywhere: no burst, though the corpus grows
    assert scores[2] < 5 < scores[0] / 10  # one document says little
    assert burst_scores(occurs, np.zeros(n, dtype=np.int64)).tolist() == [0, 0, 0, 0]  # one period: nothing to compare


def test_features_weigh_bursting_words_up_only_when_given_periods(analyser):
    texts = ["盒子压坏了", "盒子有点旧", "盒子太脏", "漏液了，盒子湿透", "漏液严重，盒子全湿", "又漏液，盒子泡坏"]
    tokens = theme_tokens(analyser, texts)
    vectors = np.ones((6, 8), dtype=np.float32)
    options = ThemeOptions(vector_weight=0.0)
    plain = theme_features(vectors, tokens.lists, options)
    weighted = theme_features(vectors, tokens.lists, options, periods=np.array([0, 0, 0, 1, 1, 1]))
    # the leaks share 漏液 (new) and 盒子 (old) with each other, and 盒子 with the rest: weighted, 漏液 counts for more
    leak_to_box = plain[3] @ plain[0], weighted[3] @ weighted[0]
    leak_to_leak = plain[3] @ plain[4], weighted[3] @ weighted[4]
    assert leak_to_leak[1] > leak_to_leak[0] and leak_to_box[1] < leak_to_box[0]
    assert np.allclose(np.linalg.norm(weighted, axis=1), 1, atol=1e-5)
    unweighted = ThemeOptions(vector_weight=0.0, burst=0.0)
    assert np.allclose(theme_features(vectors, tokens.lists, unweighted, np.array([0, 0, 0, 1, 1, 1])), plain)
    with pytest.raises(ValueError, match="5 periods for 6 token lists"):
        theme_features(vectors, tokens.lists, options, periods=np.zeros(5, dtype=np.int64))


def test_reassign_moves_a_lone_row_to_a_near_theme_and_leaves_the_rest():
    angles = np.radians([0, 10, 20, 90, 100, 25, 55, 180])  # themes 0 (rows 0-2) and 1 (rows 3-4); rows 5-7 alone
    features = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    labels = np.array([0, 0, 0, 1, 1, 2, 3, 4])
    moved = reassign(labels, features, [0, 1], threshold=0.9)
    # 25 degrees lies 15 from theme 0's centre (10); 55 lies 45 from it and 40 from theme 1's (95): a cosine of
    # 0.77 at most; 180 is far from both
    assert moved.tolist() == [0, 0, 0, 1, 1, 0, 3, 4]
    assert reassign(labels, features, [0, 1], threshold=0.7).tolist() == [0, 0, 0, 1, 1, 0, 1, 4]  # the nearest
    assert reassign(labels, features, [], threshold=0.0).tolist() == labels.tolist()


def test_class_terms_rank_what_sets_a_class_apart():
    tokens = Tokens([["漏液", "盒子"], ["漏液", "快递"], ["快递", "太慢"], ["快递", "太慢"], ["价格"]], {})
    labels = np.array([0, 0, 1, 1, 2])
    terms = class_terms(tokens, labels, [0, 1], k=2)
    assert [t for t, _ in terms[0]][0] == "漏液" and [t for t, _ in terms[1]][0] == "太慢"
    assert all(score > 0 for _, score in terms[0]) and len(terms[1]) == 2
    assert class_terms(Tokens([[], []], {}), np.array([0, 1]), [0]) == {0: []}


def test_typical_members_come_nearest_the_centre_first():
    angles = np.radians([0, 10, 90, 40])  # rows of length 1, as theme_features gives them
    features = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    # the centre of rows 0, 1 and 3 lies near 17 degrees: 10 is nearest, then 0, then 40
    assert typical(features, np.array([0, 1, 3]), 2).tolist() == [1, 0]
    assert typical(features, np.array([], dtype=np.int64), 3).tolist() == []


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"vector_weight": -1}, "vector_weight must lie in"),
    ({"distance": 2}, "distance must lie in"),
    ({"components": 1}, "components must be at least 2"),
    ({"join_languages": 2}, "join_languages must lie in"),
    ({"reassign": -2}, "reassign must lie in"),
    ({"burst": -1}, "burst must lie in"),
    ({"periods": 0}, "periods must lie in"),
    ({"micro_clusters": 50, "sample": 10}, "sample at least micro_clusters"),
])
def test_options_refuse_values_that_cannot_work(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ThemeOptions(**kwargs)

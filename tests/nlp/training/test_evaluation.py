"""Metrics on hand-made examples, loaders on tiny files, and the real shared data."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from nlp.training.evaluation import (
    DEFAULT_DATA_DIR,
    accuracy,
    confusion_matrix,
    load_online_shopping,
    load_zhijiang,
    macro_f1,
    per_class_prf,
    resolve_polarity,
    set_scores,
    split_of,
    split_rows,
)
from nlp.labels import Polarity

P, N, U = Polarity.positive, Polarity.negative, Polarity.neutral


def test_accuracy_and_per_class():
    gold = ["a", "a", "b", "b", "c"]
    pred = ["a", "b", "b", "b", "a"]
    assert accuracy(gold, pred) == pytest.approx(3 / 5)
    prf = per_class_prf(gold, pred)
    assert prf["a"].precision == pytest.approx(1 / 2) and prf["a"].recall == pytest.approx(1 / 2)
    assert prf["b"].precision == pytest.approx(2 / 3) and prf["b"].recall == 1.0
    assert prf["b"].f1 == pytest.approx(0.8)
    assert prf["c"].f1 == 0.0 and prf["c"].support == 1
    assert macro_f1(gold, pred) == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert accuracy([], []) == 0.0
    with pytest.raises(ValueError):
        accuracy([1], [1, 2])


def test_confusion_matrix():
    m = confusion_matrix([N, N, P, U], [N, P, P, N], [N, U, P])
    assert m == [[1, 0, 1], [1, 0, 0], [0, 0, 1]]


def test_set_scores_micro_macro_and_per_topic():
    gold = [{("logistics", P), ("quality", N)}, {("price", P)}, set()]
    pred = [{("logistics", P), ("quality", P)}, {("price", P), ("packaging", N)}, set()]
    s = set_scores(gold, pred, group=lambda pair: pair[0])
    # 2 true positives, 4 predicted, 3 gold
    assert s.micro.precision == pytest.approx(2 / 4)
    assert s.micro.recall == pytest.approx(2 / 3)
    assert s.micro.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    # quality found with the wrong polarity: a miss and a false alarm
    assert s.per_group["quality"].f1 == 0.0
    assert s.per_group["logistics"].f1 == 1.0
    # packaging has no gold support, so macro averages logistics, quality, price
    assert s.macro_f1 == pytest.approx((1.0 + 0.0 + 1.0) / 3)
    topics_only = set_scores([{t for t, _ in g} for g in gold], [{t for t, _ in p} for p in pred])
    assert topics_only.micro.recall == 1.0


def test_resolve_polarity():
    assert resolve_polarity([P, P, N]) is P
    assert resolve_polarity([N, U]) is N
    assert resolve_polarity([P, N]) is U
    assert resolve_polarity([U, U]) is U


def test_split_is_deterministic_and_roughly_proportional():
    keys = [f"review {i}" for i in range(5000)]
    splits = [split_of(k) for k in keys]
    assert splits == [split_of(k) for k in keys]
    assert 0.07 < splits.count("dev") / len(keys) < 0.13
    assert 0.07 < splits.count("tune") / len(keys) < 0.13
    grouped = split_rows(keys, key=str, dev_percent=20, tune_percent=0)
    assert not grouped["tune"] and 0.17 < len(grouped["dev"]) / len(keys) < 0.23
    with pytest.raises(ValueError):
        split_of("x", dev_percent=80, tune_percent=30)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_load_online_shopping_skips_empty_and_strips_bom(tmp_path):
    _write(
        tmp_path / "online_shopping_10_cats" / "online_shopping_10_cats.csv",
        "cat,label,review\n书籍,1,\ufeff好书\n水果,0,\n衣服,0,\"起球,掉色\"\n",
    )
    rows = load_online_shopping(tmp_path)
    assert [(r.category, r.label, r.text) for r in rows] == [("书籍", 1, "好书"), ("衣服", 0, "起球,掉色")]


def test_load_zhijiang_maps_categories_and_resolves_conflicts(tmp_path):
    folder = tmp_path / "zhijiang2019_ecommerce_opinion"
    _write(folder / "Train_reviews.csv", "id,Reviews\n1,物流快，味道好闻但是没效果\n2,很好\n3,无标注\n")
    header = "id,AspectTerms,A_start,A_end,OpinionTerms,O_start,O_end,Categories,Polarities\n"
    rows = [
        ["1", "物流", "0", "2", "快", "2", "3", "物流", "正面"],
        ["1", "味道", "4", "6", "好闻", "6", "8", "气味", "正面"],
        ["1", "_", " ", " ", "没效果", "10", "13", "功效", "负面"],
        ["2", "_", " ", " ", "很好", "0", "2", "整体", "正面"],
    ]
    with open(folder / "Train_labels.csv", "w", encoding="utf-8", newline="") as fh:
        fh.write(header)
        csv.writer(fh).writerows(rows)
    reviews = {r.id: r for r in load_zhijiang(tmp_path)}
    assert set(reviews) == {"1", "2"}  # a review without opinions has no gold
    # 气味 positive and 功效 negative both map to quality: a tie is neutral
    assert reviews["1"].topics == {("logistics", P), ("quality", U)}
    assert reviews["1"].sentiment is P  # 2 positive opinions against 1 negative
    assert reviews["2"].topics == frozenset() and reviews["2"].sentiment is P


@pytest.mark.slow
@pytest.mark.skipif(not DEFAULT_DATA_DIR.exists(), reason="shared data folder not present")
def test_real_shared_data_loads_with_expected_sizes():
    shopping = load_online_shopping()
    assert 62_000 < len(shopping) <= 62_774
    assert {r.label for r in shopping} == {0, 1}
    assert len({r.category for r in shopping}) == 10
    assert not any("\ufeff" in r.text for r in shopping)
    zhijiang = load_zhijiang()
    assert 2_000 < len(zhijiang) <= 3_229
    topics = {t for r in zhijiang for t, _ in r.topics}
    assert {"logistics", "price", "quality", "usability"} <= topics
    dev = split_rows(zhijiang, key=lambda r: r.text, dev_percent=20, tune_percent=20)["dev"]
    assert 0.15 < len(dev) / len(zhijiang) < 0.25

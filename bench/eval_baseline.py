"""Evaluate the lexicon baseline (``--model fast``) on the shared data sets' dev splits.

Usage::

    .venv/bin/python bench/eval_baseline.py [--data-dir ../shared/data] [--limit N]
                                           [--split dev|tune]

Figures are reported on the dev split (``nlp.training.evaluation.split_of``); tune the cue
lists on ``--split tune`` so the dev figures stay honest.

Binary accuracy on online_shopping_10_cats maps the 3-class prediction to
"positive" vs "not positive": a neutral prediction counts as negative. The
reason: a shopper who is satisfied says so, while a review with no clear praise
is, on this data, more often a complaint. The number of neutral predictions is
printed, with the accuracy one would get by counting them as positive instead.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlp.baseline import LexiconClassifier  # noqa: E402
from nlp.training.evaluation import (  # noqa: E402
    DEFAULT_DATA_DIR,
    accuracy,
    confusion_matrix,
    load_online_shopping,
    load_zhijiang,
    per_class_prf,
    set_scores,
    split_rows,
)
from nlp.labels import DEFAULT_TOPICS, Polarity  # noqa: E402

log = logging.getLogger("eval_baseline")

#: Zhijiang has ~2,600 reviews: a 20% dev split keeps the per-topic counts usable.
ZHIJIANG_DEV_PERCENT = 20
ZHIJIANG_TUNE_PERCENT = 20
POLARITIES = [Polarity.negative, Polarity.neutral, Polarity.positive]


def _timed(clf, texts):
    start = time.perf_counter()
    preds = clf.classify_batch(texts)
    return preds, time.perf_counter() - start


def eval_online_shopping(clf, data_dir, split, limit):
    rows = split_rows(load_online_shopping(data_dir), key=lambda r: r.text)[split][:limit]
    preds, secs = _timed(clf, [r.text for r in rows])
    gold = [r.label for r in rows]
    labels = [p.sentiment.label for p in preds]
    binary = [int(lab is Polarity.positive) for lab in labels]
    neutral_pos = [int(lab is not Polarity.negative) for lab in labels]
    print(f"\n== online_shopping_10_cats ({split}: {len(rows)} reviews) ==")
    print(f"binary accuracy (neutral -> negative): {accuracy(gold, binary):.4f}")
    n_neutral = sum(lab is Polarity.neutral for lab in labels)
    print(f"neutral predictions: {n_neutral} ({n_neutral / max(1, len(rows)):.1%}); "
          f"accuracy if neutral -> positive instead: {accuracy(gold, neutral_pos):.4f}")
    prf = per_class_prf(gold, binary, [0, 1])
    print("per class F1: neg {:.4f}  pos {:.4f}".format(prf[0].f1, prf[1].f1))
    by_cat = defaultdict(lambda: ([], []))
    for row, b in zip(rows, binary):
        by_cat[row.category][0].append(row.label)
        by_cat[row.category][1].append(b)
    print("per-category accuracy:")
    for cat in sorted(by_cat):
        g, p = by_cat[cat]
        print(f"  {cat:<4} n={len(g):>5}  acc={accuracy(g, p):.4f}")
    print(f"speed: {len(rows) / secs:,.0f} texts/s "
          f"(mean {sum(map(len, (r.text for r in rows))) / max(1, len(rows)):.0f} chars)")


def eval_zhijiang(clf, data_dir, split, limit):
    reviews = split_rows(
        load_zhijiang(data_dir), key=lambda r: r.text,
        dev_percent=ZHIJIANG_DEV_PERCENT, tune_percent=ZHIJIANG_TUNE_PERCENT,
    )[split][:limit]  # fmt: skip
    preds, secs = _timed(clf, [r.text for r in reviews])
    gold_pairs = [r.topics for r in reviews]
    pred_pairs = [{(t.topic, t.polarity) for t in p.topics} for p in preds]
    pairs = set_scores(gold_pairs, pred_pairs, group=lambda pair: pair[0])
    detect = set_scores([{t for t, _ in g} for g in gold_pairs],
                        [{t for t, _ in p} for p in pred_pairs])
    print(f"\n== zhijiang2019_ecommerce_opinion ({split}: {len(reviews)} reviews, "
          f"{sum(map(len, gold_pairs))} gold topic-polarity pairs) ==")
    m = pairs.micro
    print(f"topic-polarity micro P/R/F1: {m.precision:.4f} / {m.recall:.4f} / {m.f1:.4f}")
    print(f"topic-polarity macro F1 (topics with gold support): {pairs.macro_f1:.4f}")
    d = detect.micro
    print(f"topic detection (ignoring polarity) micro P/R/F1: "
          f"{d.precision:.4f} / {d.recall:.4f} / {d.f1:.4f}; macro F1 {detect.macro_f1:.4f}")
    print("per topic (pairs): precision recall F1 support predicted")
    n_pred = Counter(t for p in pred_pairs for t, _ in p)
    for topic in DEFAULT_TOPICS:
        s = pairs.per_group.get(topic)
        if s is None:
            continue
        print(f"  {topic:<17} {s.precision:.3f} {s.recall:.3f} {s.f1:.3f} "
              f"{s.support:>4} {n_pred[topic]:>4}")
    gold_sent = [r.sentiment for r in reviews]
    pred_sent = [p.sentiment.label for p in preds]
    print("overall sentiment (gold = majority of opinion polarities, ties neutral): "
          f"accuracy {accuracy(gold_sent, pred_sent):.4f}; gold counts "
          + ", ".join(f"{k.value} {v}" for k, v in sorted(Counter(gold_sent).items())))
    print("confusion (rows gold neg/neu/pos, columns predicted):",
          confusion_matrix(gold_sent, pred_sent, POLARITIES))
    print(f"speed: {len(reviews) / secs:,.0f} texts/s "
          f"(mean {sum(len(r.text) for r in reviews) / max(1, len(reviews)):.0f} chars)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--limit", type=int, default=None, help="at most N rows per data set")
    parser.add_argument("--split", choices=["dev", "tune"], default="dev")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    clf = LexiconClassifier()
    clf.predict("预热 warm-up")  # load lexicons and jieba outside the timed runs
    print(f"model: {clf.version}")
    eval_online_shopping(clf, args.data_dir, args.split, args.limit)
    eval_zhijiang(clf, args.data_dir, args.split, args.limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

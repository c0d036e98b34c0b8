"""An own topic's polarity: the document's sentiment, or that of the part of the text that shows it?

    python bench/bench_own_polarity.py [--data ../shared/data] [--examples 30] [--split tune]

Each of the 12 default topics is taught as an own topic from 30 ``train`` items (and a
background of 2,000 others), as ``bench_topics.py`` does, with the shipped lite encoder and no
cue words. Then, on the ``tune`` items (never ``test``: the choices in ``nlp.own_evidence`` were
made here), for every gold (topic, polarity) of an item, the polarity an own label would carry:

* ``document``: the model's sentiment of the whole text (own topics before issue 19's follow-up);
* ``part``: the model's sentiment of the part the topic's head scores highest (``nlp.own_evidence``);
* for reference, the default model's own polarity for that topic where it labels the topic itself.

Scored against the gold polarity: accuracy over all gold labels, and over the **mixed** ones
(gold topic polarity differs from the gold document sentiment: "fast delivery but the strap
broke"). Also how often the part found overlaps the gold evidence span.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.annotations.store import load_gold, load_train  # noqa: E402
from nlp.labels import DEFAULT_TOPICS, Polarity  # noqa: E402
from nlp.own_evidence import locate  # noqa: E402
from nlp.own_topics import HeadStack, train_head  # noqa: E402


def heads(lite, data: Path, examples: int, background: int, seed: int) -> HeadStack:
    """One head per default topic, taught from ``examples`` train items that carry it."""
    items = load_train(data)
    rng = np.random.default_rng(seed)
    chosen = {t: rng.choice([i for i, it in enumerate(items) if any(x.topic == t for x in it.annotation.topics)],
                            size=examples, replace=False) for t in DEFAULT_TOPICS}
    bg = rng.choice(len(items), size=min(background, len(items)), replace=False)
    need = sorted(set(bg.tolist()).union(*(c.tolist() for c in chosen.values())))
    started = time.perf_counter()
    _, pooled = lite.classify_with_vectors([items[i].text for i in need])
    print(f"encoded {len(need)} train items in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    row = {i: n for n, i in enumerate(need)}
    out = {}
    for topic, pos in chosen.items():
        rest = [row[i] for i in bg if i not in set(pos.tolist())]
        out[topic] = train_head(lite.vector_model, pooled[[row[i] for i in pos]], pooled[:0], pooled[rest])
    return HeadStack.of(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--examples", type=int, default=30)
    parser.add_argument("--background", type=int, default=2000)
    parser.add_argument("--split", default="tune", choices=["train", "tune"])
    parser.add_argument("--limit", type=int, default=0, help="Score only the first N items (0: all).")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from nlp.models import get_classifier

    lite = get_classifier("lite")
    stack = heads(lite, args.data, args.examples, args.background, args.seed)
    items = [i for i in load_gold(args.data, split=args.split) if i.annotation.topics]
    items = items[: args.limit] if args.limit else items
    started = time.perf_counter()
    docs = lite.classify_batch([i.text for i in items])
    gold = [{t.topic: t for t in i.annotation.topics} for i in items]
    located = locate(lite, stack, {}, [i.text for i in items], [{k: 1.0 for k in g} for g in gold],
                     [d.sentiment.label for d in docs])
    seconds = time.perf_counter() - started
    rows = {"all": [], "mixed": []}  # (document right, part right, part-or-document right, overlaps gold span)
    reference = {"all": [], "mixed": []}
    for item, doc, found, g in zip(items, docs, located, gold, strict=True):
        default = {t.topic: t.polarity for t in doc.topics}
        for topic, label in g.items():
            own = found[topic]
            span = own.evidence or (0, 0)
            neutral_falls_back = doc.sentiment.label if own.polarity == Polarity.neutral else own.polarity
            row = (doc.sentiment.label == label.polarity, own.polarity == label.polarity,
                   neutral_falls_back == label.polarity, span[0] < label.end and label.start < span[1])
            kinds = ["all"] + (["mixed"] if label.polarity != item.annotation.sentiment else [])
            for kind in kinds:
                rows[kind].append(row)
                if topic in default:
                    reference[kind].append(default[topic] == label.polarity)
    print(f"{len(items)} {args.split} items with topics, {sum(len(g) for g in gold)} gold labels; heads taught "
          f"from {args.examples} train items each; encoder {lite.vector_model}; {seconds:.0f} s to classify and locate")
    print(f"{'labels':8s} {'n':>5s} {'document':>9s} {'part':>6s} {'part, neutral->doc':>19s} {'part overlaps gold':>19s} "
          f"{'default model (n)':>18s}")
    for kind, got in rows.items():
        a = np.array(got, dtype=float).reshape(-1, 4)
        ref = reference[kind]
        print(f"{kind:8s} {len(a):5d} {a[:, 0].mean():9.3f} {a[:, 1].mean():6.3f} {a[:, 2].mean():19.3f} {a[:, 3].mean():19.3f} "
              f"{np.mean(ref) if ref else float('nan'):12.3f} ({len(ref)})")


if __name__ == "__main__":
    main()

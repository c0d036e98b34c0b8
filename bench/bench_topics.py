"""Teaching topics from examples: F1 on held-back annotations, training seconds, and apply speed.

    python bench/bench_topics.py [--data ../shared/data] [--model-dir DIR ...] [--examples 30] [--apply-docs 20000]
                                 [--score-on tune|test] [--cache FOLDER]

The issue's target (19, own topics): each of the 12 default topics, taught as
an own topic from 30 examples, should reach F1 >= 0.75 on a held-back part of
the annotation set for at least 8 of them, each trained in under 5 s.

How it is measured, so that nothing it scores was seen while teaching:

* The annotation set's ``train`` items are the index the analyst teaches in:
  their vectors (the shipped lite encoder's pooled vectors, as ``voclens
  reclassify`` stores them, or those of each ``--model-dir`` given: several are
  compared on the same draws) and texts are the background a head contrasts with,
  their labels unused, except that for each topic the examples are drawn (seeded)
  from them. No cue words. Two protocols, both reported:

  - **30 examples of the topic** (``label`` 1), no counter-examples;
  - **20 examples + 10 counter-examples**: 30 labelled items of which 10 are
    ``train`` items without the topic, drawn at random (what an analyst who
    labels documents yes or no gives besides the yeses).

* Only the ``test`` items are scored: the head's verdict against the gold
  label "this text has the topic" (any polarity), F1 per topic. The head's
  features and settings (``nlp.own_topics.TrainingArgs``: terms mined from the
  examples' words, how many, the vector's scale, C) were chosen with
  ``--score-on tune`` (the annotation set's ``tune`` items), never on ``test``.
* "Ceiling": the same head taught from every ``train`` item with their labels.
* "With names": the same draws, the topic's two names joined to its examples as two more (their
  vectors from the same encoder, their words among the texts terms are mined from): the names
  ``voclens topics add`` is given anyway (``--name-zh``, ``--name-en``), here the display names of
  ``TAXONOMY.md`` alone (the Chinese name, the key as English words: 物流配送 / "logistics"),
  no cue words. ``--no-names`` leaves it out.
* Training time is ``train_head`` (mining terms, fit, 5-fold cross-validation) per topic: wall
  clock and, since a shared machine lends the CPU to other jobs too, the CPU time it took.
* Apply speed: a SQLite index of ``--apply-docs`` documents with vectors and the
  annotation texts, labelled by ``apply_topics`` (read vectors and texts, score 12
  heads, write labels), documents per second by the wall clock and per second of the
  process's CPU (steadier on a shared machine), with the load average. Twice in one run: the
  heads' terms found by ``TermMatcher`` (as shipped), then by splitting every whole text
  (as before it; the same labels), so before and after share the machine's load;
  ``--matcher-only`` applies with the matcher only (to compare two commits, run each).
  ``--apply-only`` skips the rest.
* Apply with the model (``--model-docs``, 2,000 by default; 0 skips it): the first annotation
  ``train`` texts classified by the lite model as ingest does (their own vectors), 12 heads
  taught from them, applied with the model so that each label's evidence and polarity is located
  (``nlp.own_evidence``): a first apply, a second with nothing changed (labels written by the same
  heads and model are kept, ``OwnTopic.labelled_by``), and a third with that record cleared, which
  locates every label again as every apply did before; then 5% more documents written with their
  own labels (as ``voclens ingest`` gives them) and applied once more; the parts encoded are counted.

Encoding the annotation set takes a minute or two per encoder on two cores; ``--cache`` keeps the
vectors (a folder; one .npz per encoder version).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.annotations.store import load_gold, load_train  # noqa: E402
from nlp.labels import DEFAULT_TOPICS  # noqa: E402
from nlp.own_topics import HeadStack, TrainingArgs, train_head  # noqa: E402


SPLITS = ("train", "tune", "test")


def encoded(data: Path, cache: Path, model_dir: Path | None = None
            ) -> tuple[str, dict[str, np.ndarray], dict[str, list[set[str]]], dict[str, list[str]]]:  # fmt: skip
    """Per split: the lite model's vectors, each item's gold topics and its text.

    ``model_dir``: the trained folder whose encoder makes the vectors (default: the shipped lite
    model). Cached in ``cache``, a folder, one file per encoder version.
    """
    from nlp.transformer import LITE_MODEL_DIR

    folder = Path(model_dir or LITE_MODEL_DIR)
    version = json.loads((folder / "config.json").read_text())["version"]
    path = cache / f"voclens-bench-topics-{version}.npz"
    if path.exists():
        z = np.load(path, allow_pickle=False)
        if all(f"{s}_text" in z for s in SPLITS):
            topics = {s: [set(t.split(",")) - {""} for t in z[f"{s}_topics"]] for s in SPLITS}
            return str(z["model"]), {s: z[f"{s}_x"] for s in SPLITS}, topics, {s: [str(t) for t in z[f"{s}_text"]] for s in SPLITS}
    from nlp.models import get_classifier

    lite = get_classifier("lite", model_dir=folder)
    xs, topics, texts = {}, {}, {}
    for split in SPLITS:
        items = load_train(data) if split == "train" else load_gold(data, split=split)  # no copy of a scored text taught
        started = time.perf_counter()
        _, pooled = lite.classify_with_vectors([i.text for i in items])
        print(f"{version}: encoded {len(items)} {split} items in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        xs[split] = pooled.astype(np.float32)
        topics[split] = [{t.topic for t in i.annotation.topics} for i in items]
        texts[split] = [i.text for i in items]
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, model=lite.vector_model, **{f"{s}_x": xs[s] for s in xs},
             **{f"{s}_topics": np.array([",".join(sorted(t)) for t in topics[s]]) for s in topics},
             **{f"{s}_text": np.array(texts[s]) for s in texts})
    return lite.vector_model, xs, topics, texts


@dataclass(frozen=True)
class Names:
    """A default topic's two display names (``TAXONOMY.md``: its Chinese name, its key as English words) and their vectors."""

    texts: tuple[str, str]
    vectors: np.ndarray  # (2, dims), from the same encoder as the items'


def topic_names(model_dir: Path | None) -> dict[str, Names]:
    """Each default topic's names, encoded by ``model_dir``'s encoder (what ``voclens topics add`` is given anyway)."""
    from nlp.labels import TOPIC_NAMES_ZH
    from nlp.models import get_classifier
    from nlp.transformer import LITE_MODEL_DIR

    lite = get_classifier("lite", model_dir=Path(model_dir or LITE_MODEL_DIR))
    out = {}
    for topic in DEFAULT_TOPICS:
        texts = (TOPIC_NAMES_ZH[topic], topic.replace("_", " "))
        out[topic] = Names(texts, lite.classify_with_vectors(list(texts))[1].astype(np.float32))
    return out


def _f1(pred: np.ndarray, gold: np.ndarray) -> tuple[float, float, float]:
    tp = int((pred & gold).sum())
    p, r = tp / max(int(pred.sum()), 1), tp / max(int(gold.sum()), 1)
    return (2 * p * r / (p + r) if p + r else 0.0), p, r


def teach(model: str, xs: dict, topics: dict, texts: dict, examples: int, counter: int, background: int, seed: int,
          args: TrainingArgs, score_on: str = "test", names: dict[str, Names] | None = None) -> list[dict]:  # fmt: skip
    """Per default topic: taught from ``examples`` train items of it (``counter`` of them counter-examples), scored on ``score_on``.

    Counter-examples are train items without the topic, drawn at random: what an analyst who
    labels documents yes or no gives besides the yeses. ``names``: the topic's two names join
    its examples as two more (their vectors and words), the same draws otherwise.
    """
    rng = np.random.default_rng(seed)
    train_x = xs["train"]
    rows = []
    for topic in DEFAULT_TOPICS:
        has = np.array([topic in t for t in topics["train"]])
        chosen = rng.choice(np.flatnonzero(has), size=min(examples - counter, int(has.sum())), replace=False)
        against = rng.choice(np.flatnonzero(~has), size=counter, replace=False) if counter else np.zeros(0, int)
        rest = np.setdiff1d(np.arange(len(train_x)), np.concatenate([chosen, against]))
        bg = rng.choice(rest, size=min(background, len(rest)), replace=False)
        words = [texts["train"][i] for i in (*chosen, *against, *bg)] if args.terms else None
        positives = train_x[chosen]
        if names is not None:
            positives = np.concatenate([names[topic].vectors, positives])
            words = [*names[topic].texts, *words] if words is not None else None
        cpu = time.process_time()
        head = train_head(model, positives, train_x[against], train_x[bg], args, texts=words)
        cpu = time.process_time() - cpu  # on a shared machine the wall clock also counts other jobs' turns
        pred = HeadStack.of({topic: head}).scores(xs[score_on], texts=texts[score_on])[:, 0] >= head.threshold
        gold = np.array([topic in t for t in topics[score_on]])
        f1, p, r = _f1(pred, gold)
        rows.append({"topic": topic, "f1": f1, "precision": p, "recall": r, "test_positives": int(gold.sum()),
                     "examples": head.positives, "background": head.background,
                     "seconds": head.seconds, "cpu_seconds": cpu, "cv_f1": head.f1, "threshold": head.threshold, "terms": list(head.terms)[:8]})
    return rows


def ceiling(model: str, xs: dict, topics: dict, texts: dict, args: TrainingArgs, score_on: str = "test") -> dict[str, float]:
    """Test F1 of a head taught from every train item (labels of all of them): what the features allow at best."""
    out = {}
    for topic in DEFAULT_TOPICS:
        has = np.array([topic in t for t in topics["train"]])
        order = [*np.flatnonzero(has), *np.flatnonzero(~has)]
        words = [texts["train"][i] for i in order] if args.terms else None
        head = train_head(model, xs["train"][has], xs["train"][~has], xs["train"][:0], args, texts=words)
        pred = HeadStack.of({topic: head}).scores(xs[score_on], texts=texts[score_on])[:, 0] >= head.threshold
        out[topic] = _f1(pred, np.array([topic in t for t in topics[score_on]]))[0]
    return out


class FullSplit:
    """The heads' terms found by splitting every whole text (``term_sets``): how apply read words before ``TermMatcher``."""

    def __init__(self, terms: tuple[str, ...]):
        self.terms = terms

    def presence(self, texts) -> np.ndarray:
        from nlp.own_terms import presence, term_sets

        return presence(term_sets(texts), self.terms)


def apply_speed(model: str, xs: dict, topics: dict, texts: dict, docs: int, args: TrainingArgs,
                full_split: bool = False) -> dict:  # fmt: skip
    """Documents per second of ``apply_topics`` over a SQLite index of ``docs`` documents with vectors and real texts.

    ``full_split``: the heads find their terms by splitting each whole text, as before ``TermMatcher``
    (same labels; ``tests/nlp/test_own_terms.py``), for a before/after in one run.
    """
    if full_split:
        from unittest import mock

        with mock.patch("nlp.own_topics.matcher", FullSplit):
            return apply_speed(model, xs, topics, texts, docs, args)
    from datetime import UTC, datetime, timedelta

    from api.own_topics import apply_topics
    from index.document import Document
    from index.own_topics import OwnTopic
    from index.sqlite import SQLiteBackend
    from index.vectors import DocumentVector
    from nlp.labels import Sentiment

    pool = np.concatenate([xs["train"], xs["test"]])
    words = texts["train"] + texts["test"]
    rng = np.random.default_rng(11)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp, SQLiteBackend(Path(tmp) / "bench.db") as backend:
        for lo in range(0, docs, 5000):
            batch = []
            for i in range(lo, min(lo + 5000, docs)):
                v = pool[i % len(pool)] + 0.05 * rng.standard_normal(pool.shape[1]).astype(np.float32)
                batch.append(Document(source="bench", source_id=str(i), text=f"{words[i % len(pool)]} ({i})",
                                      created_at=start + timedelta(minutes=i),
                                      sentiment=Sentiment(label=("negative", "neutral", "positive")[i % 3], score=0.9),
                                      vector=DocumentVector.from_array(model, v)))
            backend.upsert(batch)
        for topic in DEFAULT_TOPICS:
            has = np.array([topic in t for t in topics["train"]])
            pos, bg = np.flatnonzero(has)[:30], np.flatnonzero(~has)[:2000]
            head = train_head(model, xs["train"][pos], xs["train"][:0], xs["train"][bg], args,
                              texts=[texts["train"][i] for i in (*pos, *bg)])
            backend.save_own_topic(OwnTopic(key=f"own_{topic}", name_zh=topic, name_en=topic, head=head))
        cpu = time.process_time()
        first = apply_topics(backend)
        cpu, first_cpu = time.process_time(), time.process_time() - cpu
        again = apply_topics(backend)
        again_cpu = time.process_time() - cpu
    return {"docs": docs, "first_docs_per_s": first.seen / first.seconds, "first_changed": first.changed,
            "again_docs_per_s": again.seen / again.seconds, "again_changed": again.changed,
            "first_docs_per_cpu_s": first.seen / first_cpu, "again_docs_per_cpu_s": again.seen / again_cpu}


class _Counting:
    """The model, counting the texts apply asks it to encode (the parts of the labelled documents)."""

    def __init__(self, base):
        self.base, self.texts = base, 0

    def __getattr__(self, name: str):
        return getattr(self.base, name)

    def classify_with_vectors(self, texts):
        self.texts += len(texts)
        return self.base.classify_with_vectors(texts)


def apply_model_speed(topics: dict, texts: dict, docs: int, args: TrainingArgs) -> dict:
    """``apply_topics`` with the model (each label's evidence and polarity located) over ``docs`` documents.

    The documents are the first ``docs`` annotation ``train`` texts, classified by the lite model as
    ingest does (their own vectors, no own label at the write); 12 heads taught from the first 30
    ``train`` items of each topic and up to 2,000 of the documents without it. Applied three times: the first time (every
    label located), again with nothing changed (labels written by the same heads and model are
    kept), again as before (``labelled_by`` cleared: every label located, as each apply did), and
    once more after 5% more documents were written with their own labels (as ingest gives them).
    """
    from datetime import UTC, datetime, timedelta

    from api.own_topics import apply_topics, with_own_topics
    from crawlers.enrich import classify_documents
    from index.document import Document
    from index.own_topics import OwnTopic
    from index.sqlite import SQLiteBackend
    from nlp.models import get_classifier

    lite = get_classifier("lite")
    words, gold = texts["train"][:docs], topics["train"][:docs]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    out: dict = {"docs": len(words), "model": lite.version}
    with tempfile.TemporaryDirectory() as tmp, SQLiteBackend(Path(tmp) / "bench.db") as backend:
        started = time.perf_counter()
        rows = classify_documents([Document(source="bench", source_id=str(i), text=t, created_at=start + timedelta(minutes=i))
                                   for i, t in enumerate(words)], lite)  # fmt: skip
        out["classify_s"] = time.perf_counter() - started
        backend.upsert(rows)
        xs = np.array([r.vector.array() for r in rows], dtype=np.float32)
        examples = {topic: [i for i, t in enumerate(topics["train"]) if topic in t][:30] for topic in DEFAULT_TOPICS}
        chosen = sorted({i for ids in examples.values() for i in ids})
        _, pooled = lite.classify_with_vectors([texts["train"][i] for i in chosen])  # examples from all of train
        vec = dict(zip(chosen, pooled.astype(np.float32)))
        for topic in DEFAULT_TOPICS:
            pos, bg = examples[topic], np.flatnonzero([topic not in t for t in gold])[:2000]
            head = train_head(lite.vector_model, np.array([vec[i] for i in pos]), xs[:0], xs[bg], args,
                              texts=[texts["train"][i] for i in pos] + [words[i] for i in bg])
            backend.save_own_topic(OwnTopic(key=f"own_{topic}", name_zh=topic, name_en=topic, head=head))
        for run in ("first", "again", "as_before", "after_ingest"):
            if run == "as_before":
                for t in backend.own_topics():
                    backend.save_own_topic(t.model_copy(update={"labelled_by": None}))
            if run == "after_ingest":  # 5% more documents, labelled at their write as ingest labels them
                more = texts["train"][docs : docs + docs // 20]
                backend.upsert(classify_documents([Document(source="bench", source_id=f"n{i}", text=t, created_at=start)
                                                   for i, t in enumerate(more)], with_own_topics(lite, backend)))  # fmt: skip
            counting, load, cpu = _Counting(lite), os.getloadavg()[0], time.process_time()
            done = apply_topics(backend, classifier=counting)
            cpu = time.process_time() - cpu
            out[run] = {"docs_per_s": done.seen / done.seconds, "docs_per_cpu_s": done.seen / cpu, "seconds": done.seconds,
                        "parts": counting.texts, "changed": done.changed, "labels": sum(done.labelled.values()), "load": load}
    return out


#: The protocols reported: (name, examples, of which counter-examples).
PROTOCOLS = (("30 examples of the topic", 0), ("20 examples + 10 counter-examples", 10))


def report(name: str, runs: list[list[dict]], top: dict[str, float], named: list[list[dict]] | None = None) -> dict:
    """Print the table of one protocol; answer its summary (mean F1 and topics reaching 0.75, with names too)."""
    print(f"-- {name}")
    print(f"{'topic':18s} {'F1':>5s} {'P':>5s} {'R':>5s} {'test+':>6s} {'train s':>8s} {'cpu s':>6s} {'ceiling F1':>11s} "
          f"{'with names':>11s}  terms (first draw)")
    f1s, with_names = [], []
    for i, topic in enumerate(DEFAULT_TOPICS):
        f1 = float(np.mean([r[i]["f1"] for r in runs]))
        f1s.append(f1)
        with_names.append(float(np.mean([r[i]["f1"] for r in named])) if named else float("nan"))
        print(f"{topic:18s} {f1:5.2f} {np.mean([r[i]['precision'] for r in runs]):5.2f} "
              f"{np.mean([r[i]['recall'] for r in runs]):5.2f} {runs[0][i]['test_positives']:6d} "
              f"{max(r[i]['seconds'] for r in runs):8.2f} {max(r[i]['cpu_seconds'] for r in runs):6.2f} "
              f"{top.get(topic, float('nan')):11.2f} {with_names[-1]:11.2f}  "
              f"{', '.join(runs[0][i]['terms'])}")
    reached = sum(f >= 0.75 for f in f1s)
    print(f"mean F1 {np.mean(f1s):.3f}; topics with F1 >= 0.75: {reached} of {len(DEFAULT_TOPICS)} (target: 8); "
          f"slowest training: {max(r['seconds'] for run in runs for r in run):.2f} s "
          f"({max(r['cpu_seconds'] for run in runs for r in run):.2f} s of CPU) (target: < 5 s)")
    out = {"f1": float(np.mean(f1s)), "reached": reached}
    if named:
        out |= {"names_f1": float(np.mean(with_names)), "names_reached": sum(f >= 0.75 for f in with_names)}
        print(f"with names (the topic's two names as two more examples): mean F1 {out['names_f1']:.3f}; "
              f"{out['names_reached']} of {len(DEFAULT_TOPICS)} reach 0.75")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--model-dir", type=Path, action="append",
                        help="A trained model folder whose encoder makes the vectors (default: the shipped lite "
                             "model); give it several times to compare encoders on the same draws.")
    parser.add_argument("--examples", type=int, default=30)
    parser.add_argument("--background", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=3, help="Draws of the examples; F1 is their mean.")
    parser.add_argument("--apply-docs", type=int, default=20_000)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()),
                        help="Folder of the encoded annotation set, one file per encoder version.")
    parser.add_argument("--score-on", choices=("test", "tune"), default="test",
                        help="Items scored: test (the figures), or tune (where features and settings are chosen).")
    parser.add_argument("--vectors-only", action="store_true", help="Heads without terms, as before they existed.")
    parser.add_argument("--no-names", action="store_true", help="Leave out the \"with names\" column.")
    parser.add_argument("--no-ceiling", action="store_true")
    parser.add_argument("--apply-only", action="store_true", help="Only the apply speed (no F1, no ceiling).")
    parser.add_argument("--model-docs", type=int, default=2000,
                        help="Documents of the apply with the model (evidence located); 0 skips it.")
    parser.add_argument("--matcher-only", action="store_true",
                        help="Apply with the term matcher only, not again with every text split whole.")
    args = parser.parse_args()
    targs = TrainingArgs(terms=0) if args.vectors_only else TrainingArgs()
    import sklearn.feature_selection  # noqa: F401  (imported once up front: not part of any head's training time)
    import sklearn.linear_model  # noqa: F401
    import sklearn.model_selection  # noqa: F401

    summary = []
    for folder in args.model_dir or [None]:
        model, xs, topics, texts = encoded(args.data, args.cache, folder)
        if not args.apply_only:
            names = None if args.no_names else topic_names(folder)
            summary += [(model, *row) for row in quality(args, model, xs, topics, texts, targs, names)]
        if args.apply_docs and folder is (args.model_dir or [None])[0]:
            _apply(args, model, xs, topics, texts, targs)
    if len(summary) > 2:
        print(f"-- encoders compared, scored on {args.score_on}: mean F1, topics reaching 0.75 (with names)")
        for model, protocol, row in summary:
            names = f" ({row['names_f1']:.3f}, {row['names_reached']})" if "names_f1" in row else ""
            print(f"{model:14s} {protocol:34s} {row['f1']:.3f}, {row['reached']}{names}")
    if args.model_docs:
        speed = apply_model_speed(topics, texts, args.model_docs, targs)
        print(f"apply with the model ({speed['model']}; evidence located), 12 heads over {speed['docs']} SQLite documents "
              f"(classified in {speed['classify_s']:.0f} s):")
        for run, how in (("first", "first"), ("again", "again, nothing changed"), ("as_before", "again, every label located (as before)"),
                         ("after_ingest", f"after {speed['docs'] // 20} more documents ingested (labelled at their write)")):
            r = speed[run]
            print(f"  {how}: {r['docs_per_s']:.0f} docs/s ({r['docs_per_cpu_s']:.0f} per CPU second; {r['seconds']:.2f} s; "
                  f"{r['parts']} parts encoded; {r['labels']} labels, {r['changed']} documents changed; load average {r['load']:.1f})")


def _apply(args: argparse.Namespace, model: str, xs: dict, topics: dict, texts: dict, targs: TrainingArgs) -> None:
    # the matcher first, with the analyser's memos cold; then the whole-text split, on warmed memos
    variants = (("terms found by TermMatcher", False), ("every text split whole (before)", True))
    for how, full in variants[: 1 if args.matcher_only else 2]:
        load = os.getloadavg()[0]
        speed = apply_speed(model, xs, topics, texts, args.apply_docs, targs, full_split=full)
        print(f"apply, 12 heads over {speed['docs']} SQLite documents, {how}: {speed['first_docs_per_s']:.0f} docs/s "
              f"({speed['first_docs_per_cpu_s']:.0f} per CPU second; {speed['first_changed']} labelled); "
              f"again: {speed['again_docs_per_s']:.0f} docs/s ({speed['again_docs_per_cpu_s']:.0f} per CPU second; "
              f"{speed['again_changed']} changed) (target: >= 5,000 docs/s; load average {load:.1f})")


def quality(args: argparse.Namespace, model: str, xs: dict, topics: dict, texts: dict, targs: TrainingArgs,
            names: dict[str, Names] | None = None) -> list[tuple[str, dict]]:  # fmt: skip
    """F1 per topic for each protocol (and with the topics' names, given ``names``), and the ceiling."""
    top = ceiling(model, xs, topics, texts, targs, args.score_on) if not args.no_ceiling else {}
    print(f"own topics ({'vectors only' if args.vectors_only else 'vectors and terms'}), "
          f"+{args.background} background documents, scored on {len(xs[args.score_on])} held-back {args.score_on} "
          f"items; mean of {args.seeds} draws; encoder {model}; ceiling: taught from every train item")
    out = []
    for name, counter in PROTOCOLS:
        draw = partial(teach, model, xs, topics, texts, args.examples, counter, args.background,
                       args=targs, score_on=args.score_on)  # fmt: skip
        runs = [draw(seed) for seed in range(args.seeds)]
        named = [draw(seed, names=names) for seed in range(args.seeds)] if names else None
        name = name.replace("30", str(args.examples)) if not counter else name
        out.append((name, report(name, runs, top, named)))
    if top:
        print(f"ceiling: mean F1 {np.mean(list(top.values())):.3f}, {sum(v >= 0.75 for v in top.values())} of 12 reach 0.75")
    return out


if __name__ == "__main__":
    main()

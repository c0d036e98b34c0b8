#!/usr/bin/env python3
"""Annotation rounds: write batches for annotators, take their labels back in as pointers.

    scripts/annotation.py plan                            # after adding a round to ROUNDS
    scripts/annotation.py batch zh 3 --out /tmp/annot     # batch zh-003 (+ overlap) with texts
    scripts/annotation.py ingest zh 3 /tmp/annot/zh-003.labels.jsonl
    scripts/annotation.py status

A batch is 150 consecutive plan items of one language plus the first 15 items of the next
batch (labelled there by another annotator), shuffled together: the double annotation that the
agreement figures come from. Batch files hold texts and therefore live outside the repository;
``ingest`` turns an annotator's lines (id, sentiment, topics with quotes) into pointer lines with
character offsets in ``nlp/annotations/labels/`` and names every line it cannot take.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlp.annotations.store import (  # noqa: E402
    LABELS_DIR, Annotation, AnnotationError, TopicLabel, read_annotations, read_plan, source_rows,
    write_annotations, write_plan,
)  # fmt: skip
from nlp.training.evaluation import DEFAULT_DATA_DIR  # noqa: E402
from nlp.labels import DEFAULT_TOPICS, Polarity  # noqa: E402

BATCH = 150
OVERLAP = 15


def _items(lang: str) -> list[dict]:
    items = [p for p in read_plan() if p["lang"] == lang]
    for i, p in enumerate(items):
        p["id"] = f"{lang}-{i:04d}"
    return items


def batch_items(lang: str, number: int) -> list[dict]:
    items = _items(lang)
    own = items[number * BATCH : (number + 1) * BATCH]
    extra = items[(number + 1) * BATCH : (number + 1) * BATCH + OVERLAP]
    chosen = own + extra
    random.Random(f"{lang}-{number}").shuffle(chosen)
    return chosen


def cmd_batch(args) -> None:
    chosen = batch_items(args.lang, args.number)
    rows = source_rows(Path(args.data_dir), {p["set"] for p in chosen})
    out = Path(args.out) / f"{args.lang}-{args.number:03d}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        for p in chosen:
            row = rows[(p["set"], p["key"])]
            if row.sha != p["sha"]:
                raise SystemExit(f"{p['set']}/{p['key']}: text changed since the plan was drawn")
            fh.write(json.dumps({"id": p["id"], "text": row.text}, ensure_ascii=False) + "\n")
    print(f"{out}: {len(chosen)} items")


def _span(text: str, quote: str) -> tuple[int, int] | None:
    quote = quote.strip()
    if not quote:
        return None
    i = text.find(quote)
    if i < 0:  # tolerate whitespace differences only
        squeezed = " ".join(quote.split())
        i = " ".join(text.split()).find(squeezed)
        if i < 0 or " ".join(text.split()) != text:
            return None
        quote = squeezed
    return i, i + len(quote)


def cmd_ingest(args) -> None:
    by_id = {p["id"]: p for p in batch_items(args.lang, args.number)}
    rows = source_rows(Path(args.data_dir), {p["set"] for p in by_id.values()})
    annotator = args.annotator or f"{args.lang}-{args.number:03d}"
    kept, problems = [], []
    for n, line in enumerate(Path(args.labels).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{args.labels}:{n}"
        try:
            rec = json.loads(line)
            p = by_id[rec["id"]]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            problems.append(f"{where}: unreadable or unknown id ({exc})")
            continue
        text = rows[(p["set"], p["key"])].text
        try:
            sentiment = Polarity(rec.get("sentiment"))
            topics = []
            for t in rec.get("topics") or []:
                if t.get("topic") not in DEFAULT_TOPICS:
                    raise ValueError(f"topic {t.get('topic')!r} is not a taxonomy topic")
                span = _span(text, t.get("quote") or "")
                if span is None:
                    raise ValueError(f"quote {t.get('quote')!r} is not in the text")
                topics.append(TopicLabel(t["topic"], Polarity(t.get("polarity")), *span))
            if len({t.topic for t in topics}) != len(topics):
                raise ValueError("a topic is labelled twice")
        except ValueError as exc:
            problems.append(f"{where} ({rec['id']}): {exc}")
            continue
        kept.append(Annotation(p["set"], p["key"], p["sha"], p["lang"], p["domain"], p["split"], annotator,
                               sentiment, tuple(topics)))  # fmt: skip
    labelled = {a.pointer for a in kept}
    missing = sorted(k for k, p in by_id.items() if (p["set"], p["key"]) not in labelled)
    out = LABELS_DIR / f"{annotator}.jsonl"
    write_annotations(out, kept)
    print(f"{out}: {len(kept)} annotations kept, {len(problems)} lines refused, {len(missing)} items unlabelled")
    for p in problems:
        print("  " + p)
    if missing and args.verbose:
        print("  unlabelled: " + " ".join(missing))


def _labels_with_quotes(a: Annotation, text: str) -> dict:
    return {"sentiment": a.sentiment.value,
            "topics": [{"topic": t.topic, "polarity": t.polarity.value, "quote": text[t.start:t.end]} for t in a.topics]}


def cmd_disagreements(args) -> None:
    """Items two annotators labelled differently, with both labels, for an adjudicator (outside the repo)."""
    from nlp.annotations.store import ADJUDICATED

    anns = read_annotations()
    done = {a.pointer for a in anns if a.annotator == ADJUDICATED}
    by_pointer: dict = {}
    for a in anns:
        if a.annotator != ADJUDICATED:
            by_pointer.setdefault(a.pointer, []).append(a)
    twice = {p: v[:2] for p, v in by_pointer.items() if len(v) >= 2 and p not in done}
    rows = source_rows(Path(args.data_dir), {p[0] for p in twice})
    out = {"zh": [], "en": []}
    for p, (a, b) in twice.items():
        if a.sentiment == b.sentiment and a.pairs() == b.pairs():
            continue
        text = rows[p].text
        out[a.lang].append({"id": f"{p[0]}|{p[1]}", "text": text,
                            "annotator_A": _labels_with_quotes(a, text), "annotator_B": _labels_with_quotes(b, text)})
    for lang, items in out.items():
        path = Path(args.out) / f"adjudicate-{lang}.jsonl"
        path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
        print(f"{path}: {len(items)} disagreements of {sum(1 for v in twice.values() if v[0].lang == lang)} items labelled twice")


def cmd_ingest_adjudicated(args) -> None:
    """Labels keyed by pointer (id = 'set|key', sentiment, topics with quotes) -> label lines.

    An adjudicator's final labels by default; with ``--annotator NAME``, a second, independent
    annotation of items already labelled once (more items for the agreement figures).
    """
    from nlp.annotations.store import ADJUDICATED

    anns = read_annotations()
    first = {}
    for a in anns:
        first.setdefault(a.pointer, a)
    rows = source_rows(Path(args.data_dir), {a.set for a in anns})
    kept, problems = [], []
    for n, line in enumerate(Path(args.labels).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            pointer = tuple(rec["id"].split("|", 1))
            base = first[pointer]
            text = rows[pointer].text
            topics = []
            for t in rec.get("topics") or []:
                span = _span(text, t.get("quote") or "")
                if span is None or t.get("topic") not in DEFAULT_TOPICS:
                    raise ValueError(f"topic {t.get('topic')!r} / quote {t.get('quote')!r} not usable")
                topics.append(TopicLabel(t["topic"], Polarity(t.get("polarity")), *span))
            kept.append(Annotation(base.set, base.key, base.sha, base.lang, base.domain, base.split,
                                   args.annotator or ADJUDICATED, Polarity(rec.get("sentiment")), tuple(topics)))  # fmt: skip
        except (KeyError, ValueError, json.JSONDecodeError) as exc:
            problems.append(f"{args.labels}:{n}: {exc}")
    out = LABELS_DIR / f"{Path(args.labels).name.split('.')[0]}.jsonl"  # adjudicated-zh.labels.jsonl -> adjudicated-zh.jsonl
    write_annotations(out, kept)
    print(f"{out}: {len(kept)} lines by {args.annotator or ADJUDICATED}, {len(problems)} refused")
    for p in problems:
        print("  " + p)


def cmd_status(args) -> None:
    anns = read_annotations()
    per = Counter(a.pointer for a in anns)
    gold_items = {a.pointer: a for a in anns}
    print(f"{len(anns)} annotation lines, {len(per)} items, {sum(1 for v in per.values() if v > 1)} labelled twice")
    for lang in ("zh", "en"):
        items = [a for a in gold_items.values() if a.lang == lang]
        print(lang, len(items), dict(Counter(a.split for a in items)), f"{len(Counter(a.domain for a in items))} domains")


def cmd_plan(args) -> None:
    """Draw the plan again with the rounds now in ``ROUNDS``; the committed plan must stay its prefix."""
    from nlp.annotations.sampling import draw_plan

    old = read_plan()
    new = [p.to_json() for p in draw_plan(Path(args.data_dir))]
    if new[: len(old)] != old:
        raise AnnotationError("the rounds in ROUNDS no longer draw the committed plan as their prefix: "
                              "earlier rounds (or the data under --data-dir) changed; nothing written")  # fmt: skip
    write_plan(new)
    added = Counter(p["lang"] for p in new[len(old) :])
    print(f"plan: {len(old)} -> {len(new)} items ({', '.join(f'{k} +{v}' for k, v in sorted(added.items())) or 'nothing new'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("batch", help="write one batch with texts (outside the repository)")
    b.add_argument("lang", choices=["zh", "en"])
    b.add_argument("number", type=int)
    b.add_argument("--out", required=True)
    b.set_defaults(fn=cmd_batch)
    i = sub.add_parser("ingest", help="turn an annotator's labels into pointer lines")
    i.add_argument("lang", choices=["zh", "en"])
    i.add_argument("number", type=int)
    i.add_argument("labels")
    i.add_argument("--annotator")
    i.add_argument("-v", "--verbose", action="store_true")
    i.set_defaults(fn=cmd_ingest)
    d = sub.add_parser("disagreements", help="write the items two annotators labelled differently")
    d.add_argument("--out", required=True)
    d.set_defaults(fn=cmd_disagreements)
    a = sub.add_parser("ingest-adjudicated", help="take an adjudicator's final labels in")
    a.add_argument("labels")
    a.add_argument("--annotator", help="name for a second independent annotation (default: adjudicated)")
    a.set_defaults(fn=cmd_ingest_adjudicated)
    pl = sub.add_parser("plan", help="draw the plan again after a round was added to ROUNDS (appends only)")
    pl.set_defaults(fn=cmd_plan)
    s = sub.add_parser("status", help="how far the annotation set has come")
    s.set_defaults(fn=cmd_status)
    args = parser.parse_args()
    try:
        args.fn(args)
    except AnnotationError as exc:
        raise SystemExit(f"error: {exc}") from None


if __name__ == "__main__":
    main()

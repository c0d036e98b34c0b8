"""The annotation set on disk: pointers and labels, joined to ``../shared/data`` at run time.

One JSON line per annotation (``labels/*.jsonl``)::

    {"set": "waimai_10k", "key": "waimai_10k.csv#17", "sha": "1a2b3c4d5e", "lang": "zh",
     "domain": "food_delivery", "split": "test", "annotator": "zh-003", "sentiment": "negative",
     "topics": [{"topic": "logistics", "polarity": "negative", "span": [3, 8]}]}

The text is never stored: ``span`` is a pair of character offsets into the text the pointer
names, and :func:`join` checks the text's fingerprint before any label is used, so a data
folder that changed under a pointer fails loudly instead of teaching the model wrong labels.
An item labelled by several annotators keeps every line; :func:`gold` takes the adjudicated
line when there is one, else the first annotator's.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import NLPError
from ..labels import DEFAULT_TOPICS, Polarity
from .sources import READERS, SourceRow

ANNOTATIONS_DIR = Path(__file__).resolve().parent
LABELS_DIR = ANNOTATIONS_DIR / "labels"
#: The plan (pointers in labelling order) as numbered parts of at most ``PLAN_PART_ITEMS`` lines:
#: one file would pass 5 MB, and a new round only appends to the last part (line diffs stay readable).
PLAN_PATH = ANNOTATIONS_DIR / "plan"
PLAN_PART_ITEMS = 20_000
ADJUDICATED = "adjudicated"
SPLITS = ("train", "tune", "test")


class AnnotationError(NLPError, ValueError):
    """A label line that is malformed, or a pointer that no longer matches ``../shared/data``."""


@dataclass(frozen=True, slots=True)
class TopicLabel:
    """One topic of a text with its polarity and the evidence, as offsets into the text."""

    topic: str
    polarity: Polarity
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Annotation:
    """One annotator's labels for one pointer (no text)."""

    set: str
    key: str
    sha: str
    lang: str
    domain: str
    split: str
    annotator: str
    sentiment: Polarity
    topics: tuple[TopicLabel, ...] = ()

    @property
    def pointer(self) -> tuple[str, str]:
        return (self.set, self.key)

    def pairs(self) -> frozenset[tuple[str, Polarity]]:
        """(topic, polarity) pairs: the unit of the pair F1 the targets are stated in."""
        return frozenset((t.topic, t.polarity) for t in self.topics)

    def to_json(self) -> dict:
        return {
            "set": self.set, "key": self.key, "sha": self.sha, "lang": self.lang,
            "domain": self.domain, "split": self.split, "annotator": self.annotator,
            "sentiment": self.sentiment.value,
            "topics": [{"topic": t.topic, "polarity": t.polarity.value, "span": [t.start, t.end]}
                       for t in self.topics],
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class AnnotatedText:
    """A gold annotation joined to its text, ready for training or evaluation."""

    text: str
    annotation: Annotation
    meta: Mapping = field(default_factory=dict)

    def quote(self, label: TopicLabel) -> str:
        return self.text[label.start : label.end]


def _polarity(value, where: str, field_name: str) -> Polarity:
    try:
        return Polarity(value)
    except ValueError:
        allowed = ", ".join(p.value for p in Polarity)
        raise AnnotationError(f"{where}: field {field_name!r}: {value!r} is not one of {allowed}") from None


def parse_line(line: str, where: str) -> Annotation:
    """One label line, validated field by field; errors name ``where`` (file:line) and the field."""
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as exc:
        raise AnnotationError(f"{where}: not JSON ({exc.msg})") from None
    if not isinstance(rec, dict):
        raise AnnotationError(f"{where}: a label line must be a JSON object")
    if "text" in rec:
        raise AnnotationError(f"{where}: field 'text': texts are never stored, only pointers")
    for name in ("set", "key", "sha", "lang", "domain", "split", "annotator", "sentiment"):
        if not isinstance(rec.get(name), str) or not rec[name]:
            raise AnnotationError(f"{where}: field {name!r} is missing or not a string")
    if rec["split"] not in SPLITS:
        raise AnnotationError(f"{where}: field 'split': {rec['split']!r} is not one of {', '.join(SPLITS)}")
    topics, seen = [], set()
    for i, t in enumerate(rec.get("topics") or []):
        here = f"topics[{i}]"
        if not isinstance(t, dict) or t.get("topic") not in DEFAULT_TOPICS:
            raise AnnotationError(f"{where}: field {here}.topic: {t.get('topic') if isinstance(t, dict) else t!r} "
                                  f"is not a taxonomy topic")  # fmt: skip
        if t["topic"] in seen:
            raise AnnotationError(f"{where}: field {here}.topic: {t['topic']!r} is labelled twice")
        seen.add(t["topic"])
        span = t.get("span")
        if not (isinstance(span, list) and len(span) == 2 and all(isinstance(v, int) for v in span)
                and 0 <= span[0] < span[1]):  # fmt: skip
            raise AnnotationError(f"{where}: field {here}.span: {span!r} is not [start, end] with start < end")
        topics.append(TopicLabel(t["topic"], _polarity(t.get("polarity"), where, f"{here}.polarity"), *span))
    return Annotation(
        set=rec["set"], key=rec["key"], sha=rec["sha"], lang=rec["lang"], domain=rec["domain"],
        split=rec["split"], annotator=rec["annotator"],
        sentiment=_polarity(rec["sentiment"], where, "sentiment"), topics=tuple(topics),
    )  # fmt: skip


def read_annotations(labels_dir: Path = LABELS_DIR) -> list[Annotation]:
    """Every annotation line of every ``*.jsonl`` file, in file and line order."""
    out = []
    for path in sorted(Path(labels_dir).glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                out.append(parse_line(line, f"{path.name}:{n}"))
    return out


def write_annotations(path: Path, annotations: Iterable[Annotation]) -> None:
    """Write label lines (sorted keys inside a line stay in the model's order, for readable diffs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(a.to_json(), ensure_ascii=False) + "\n" for a in annotations),
                   encoding="utf-8")  # fmt: skip
    tmp.replace(path)


def gold(annotations: Iterable[Annotation]) -> list[Annotation]:
    """One annotation per pointer: the adjudicated one, else the first annotator's."""
    by_pointer: dict[tuple[str, str], list[Annotation]] = defaultdict(list)
    for a in annotations:
        by_pointer[a.pointer].append(a)
    out = []
    for anns in by_pointer.values():
        adjudicated = [a for a in anns if a.annotator == ADJUDICATED]
        out.append(adjudicated[-1] if adjudicated else anns[0])
    return out


def source_rows(data_dir: Path, sets: Iterable[str]) -> dict[tuple[str, str], SourceRow]:
    """Every readable row of the named sets, by pointer."""
    out: dict[tuple[str, str], SourceRow] = {}
    for name in sorted(set(sets)):
        if name not in READERS:
            raise AnnotationError(f"set {name!r}: no reader for it in nlp.annotations.sources")
        folder = Path(data_dir) / name
        if not folder.is_dir():
            raise AnnotationError(f"set {name!r}: folder {folder} is missing (is ../shared/data there?)")
        for row in READERS[name](Path(data_dir)):
            out[(row.set, row.key)] = row
    return out


def join(annotations: Iterable[Annotation], data_dir: Path) -> Iterator[AnnotatedText]:
    """Annotations with their texts, each pointer checked against the data folder.

    Raises:
        AnnotationError: a pointer whose row is gone or whose text changed (fingerprint
            differs), or a span outside the text; the message names set, key and file.
    """
    annotations = list(annotations)
    rows = source_rows(data_dir, {a.set for a in annotations})
    for a in annotations:
        row = rows.get(a.pointer)
        file = a.key.split("#", 1)[0]
        if row is None:
            raise AnnotationError(f"pointer {a.set}/{a.key}: no such row in {Path(data_dir) / a.set / file}")
        if row.sha != a.sha:
            raise AnnotationError(f"pointer {a.set}/{a.key}: the text in {Path(data_dir) / a.set / file} "
                                  f"no longer matches (fingerprint {row.sha}, labelled {a.sha})")  # fmt: skip
        for t in a.topics:
            if t.end > len(row.text):
                raise AnnotationError(f"pointer {a.set}/{a.key}: span {t.start}-{t.end} of {t.topic!r} "
                                      f"is outside the text ({len(row.text)} characters)")  # fmt: skip
        yield AnnotatedText(row.text, a, row.meta)


def load_gold(data_dir: Path, labels_dir: Path = LABELS_DIR, split: str | None = None) -> list[AnnotatedText]:
    """The gold annotation set joined to its texts, optionally one split only."""
    anns = [a for a in gold(read_annotations(labels_dir)) if split is None or a.split == split]
    return list(join(anns, data_dir))


def load_train(data_dir: Path, labels_dir: Path = LABELS_DIR) -> list[AnnotatedText]:
    """The train part, less the texts that are also annotated in tune or test.

    The same short review ("Great phone.") or a templated appeal turns up under several pointers;
    a copy in train would teach the very text a tune or test item is scored on. Every head and
    step that learns from the annotation set reads its train part through here (the multi-task
    run does the same in ``nlp.training.corpora.load_annotations``).
    """
    items = load_gold(data_dir, labels_dir)
    held = {i.text for i in items if i.annotation.split != "train"}
    return [i for i in items if i.annotation.split == "train" and i.text not in held]


def read_plan(path: Path = PLAN_PATH) -> list[dict]:
    """The committed annotation plan (pointers in labelling order), its parts joined in order."""
    files = sorted(path.glob("*.jsonl"))
    return [json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_plan(items: list[dict], path: Path = PLAN_PATH) -> None:
    """Write the plan as parts ``000.jsonl``, ``001.jsonl``, ... that :func:`read_plan` joins in order."""
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.jsonl"):
        old.unlink()
    for n, start in enumerate(range(0, len(items), PLAN_PART_ITEMS)):
        lines = [json.dumps(p, ensure_ascii=False) + "\n" for p in items[start : start + PLAN_PART_ITEMS]]
        (path / f"{n:03d}.jsonl").write_text("".join(lines), encoding="utf-8")

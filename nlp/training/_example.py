"""The example type every corpus loader returns, and the one place texts are cleaned and split.

Kept apart from ``nlp.training.corpora`` so the loader modules (``_aspect_sets``,
``_absa_sets``) can build examples without importing the registry that
imports them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from .evaluation import resolve_polarity, split_of
from ..labels import DEFAULT_TOPICS, Polarity

LANGS = ("zh", "en")
SPLITS = ("train", "tune", "dev")

#: (dev_percent, tune_percent) of every set not listed in ``SPLIT_PERCENT``.
DEFAULT_SPLIT = (10, 10)
#: Zhijiang keeps bench/eval_baseline.py's 20/20, so "the Zhijiang dev split" is one set of
#: reviews for the baseline and the transformer alike.
SPLIT_PERCENT: dict[str, tuple[int, int]] = {"zhijiang2019_ecommerce_opinion": (20, 20),
                                             "annotations": (30, 15)}  # its own hash split: test 30, tune 15
#: Sets never trained on: every example is "dev" and the whole set is evaluated.
HELD_OUT: frozenset[str] = frozenset({"uci_sentiment_labelled_sentences"})

#: Integer aspect/sentiment codes shared by several sets (ASAP, AI Challenger, CCF).
INT_POLARITY: dict[str, Polarity] = {
    "1": Polarity.positive, "0": Polarity.neutral, "-1": Polarity.negative,
}  # fmt: skip
#: Word labels used by the ABSA sets; SemEval's "conflict" (both sides) counts as neutral.
WORD_POLARITY: dict[str, Polarity] = {
    "positive": Polarity.positive, "negative": Polarity.negative,
    "neutral": Polarity.neutral, "conflict": Polarity.neutral,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Example:
    """One text with whatever gold its set gives, for a multi-task (sentiment + topics) model.

    ``covered`` is what makes sets with different schemes trainable together: a
    covered topic missing from ``topics`` is a gold "absent", while a topic
    outside ``covered`` is unknown and must be masked out of the loss.

    Raises:
        ValueError: on an unknown language or split, a topic outside the default
            taxonomy, or a labelled topic that is not covered.
    """

    text: str
    lang: str
    source: str
    split: str
    sentiment: Polarity | None
    topics: Mapping[str, Polarity]
    covered: frozenset[str]
    weak: bool = False

    def __post_init__(self) -> None:
        if self.lang not in LANGS:
            raise ValueError(f"unknown lang {self.lang!r}")
        if self.split not in SPLITS:
            raise ValueError(f"unknown split {self.split!r}")
        if unknown := self.covered - set(DEFAULT_TOPICS):
            raise ValueError(f"topics outside the taxonomy: {sorted(unknown)}")
        if uncovered := set(self.topics) - self.covered:
            raise ValueError(f"labelled topics not covered: {sorted(uncovered)}")
        # a read-only view, so a frozen example cannot be changed through its dict
        object.__setattr__(self, "topics", MappingProxyType(dict(self.topics)))


def read_csv(path: Path) -> list[dict[str, str]]:
    """Records of a UTF-8 CSV file with a header row; a byte-order mark is ignored."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


class Row(NamedTuple):
    """What a loader reads from one record, before cleaning, de-duplication and splitting."""

    text: str
    sentiment: Polarity | None = None
    topics: Mapping[str, Polarity] = MappingProxyType({})
    covered: frozenset[str] = frozenset()
    lang: str = ""  #: empty: the set's language


def finish(key: str, rows: Iterable[Row], *, lang: str, weak: bool = False) -> list[Example]:
    """Strip texts, drop empty ones and later duplicates, and assign each its split.

    The split key is the stripped text (as in bench/eval_baseline.py), so a text
    has the same split wherever it is loaded from, and the first occurrence of a
    duplicated text wins because a set's files are read in a fixed order. A row
    with no sentiment and no covered topic teaches nothing and is dropped.
    """
    dev, tune = SPLIT_PERCENT.get(key, DEFAULT_SPLIT)
    seen: set[str] = set()
    out: list[Example] = []
    for row in rows:
        text = row.text.strip()
        if not text or text in seen or (row.sentiment is None and not row.covered):
            continue
        seen.add(text)
        split = "dev" if key in HELD_OUT else split_of(text, dev, tune)
        out.append(Example(
            text=text, lang=row.lang or lang, source=key, split=split, sentiment=row.sentiment,
            topics=row.topics, covered=frozenset(row.covered), weak=weak,
        ))  # fmt: skip
    return out


@dataclass
class Opinions:
    """Polarities gathered for one text: per topic, and all together for the overall sentiment."""

    by_topic: dict[str, list[Polarity]] = field(default_factory=dict)
    overall: list[Polarity] = field(default_factory=list)

    def add(self, topic: str | None, polarity: Polarity) -> None:
        """Count ``polarity`` for the overall sentiment and, if ``topic`` is set, for that topic."""
        self.overall.append(polarity)
        if topic:
            self.by_topic.setdefault(topic, []).append(polarity)

    def topics(self) -> dict[str, Polarity]:
        """One polarity per topic, conflicts resolved by ``resolve_polarity``."""
        return {t: resolve_polarity(p) for t, p in self.by_topic.items()}

    def sentiment(self) -> Polarity | None:
        """The overall polarity, or None when the text carries no opinion at all."""
        return resolve_polarity(self.overall) if self.overall else None

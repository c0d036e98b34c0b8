"""Own topics as the index stores them: the definition, its examples and its trained head.

A definition lives in the backend beside the documents it labels (SQLite:
table ``own_topics``; Elasticsearch: index ``{prefix}-own-topics``), so it
survives restarts, travels with the data it describes and is known to every
process that queries it: the query language accepts ``topic:KEY`` for the
default topics and for every stored own topic (:class:`KnownTopics`).
Labels land on documents as ordinary ``TopicLabel``\\ s, so search, trends,
emerging topics and digests treat an own topic like a default one.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nlp.labels import DEFAULT_TOPICS, TopicLabel
from nlp.own_topics import KEY_PATTERN, MAX_EXAMPLES, TopicExample, TopicHead

from .document import as_utc


class Taxonomy(str, Enum):
    """Which taxonomy a stored topic belongs to: the analyst's own, or the shipped customer journey."""

    own = "own"
    stage = "stage"
    touchpoint = "touchpoint"


class OwnTopic(BaseModel):
    """One own topic: names, optional cue words, examples, and the head once trained."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=64, pattern=KEY_PATTERN)
    name_zh: str = Field(min_length=1, max_length=64)
    name_en: str = Field(min_length=1, max_length=64)
    cues: list[str] = Field(default_factory=list, max_length=50, description="Words typical of the topic (shown, and searchable as text).")
    taxonomy: Taxonomy = Taxonomy.own
    #: For journey touchpoints, the stage they belong to.
    parent: str | None = Field(default=None, max_length=64)
    examples: list[TopicExample] = Field(default_factory=list, max_length=MAX_EXAMPLES)
    head: TopicHead | None = None
    #: What wrote the labels of this topic now on the documents: the fingerprint of the head, the cue words
    #: and the encoder's model (``nlp.own_evidence.located_by``) of the last complete ``voclens topics apply``
    #: that located them. While it matches, the next apply keeps a label the document already carries with
    #: the score the head gives now, rather than encoding its parts again; None: every label is located again.
    labelled_by: str | None = Field(default=None, max_length=64)
    updated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @field_validator("key")
    @classmethod
    def _not_default(cls, value: str) -> str:
        if value in DEFAULT_TOPICS:
            raise ValueError(f"{value!r} is a default topic; choose another key")
        return value

    @field_validator("cues")
    @classmethod
    def _cues(cls, value: list[str]) -> list[str]:
        cues = list(dict.fromkeys(c.strip() for c in value if c.strip()))
        if any(len(c) > 64 for c in cues):
            raise ValueError("a cue has more than 64 characters")
        return cues

    @field_validator("updated_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value)


class KnownTopics:
    """The topic keys a query may name: the default topics and the stored own topics.

    A container for the query parser. Own keys are read from the backend once
    and again whenever a key is not among them (another process may just have
    added it), so a new topic is usable at once and a typo costs one small read.
    """

    def __init__(self, load: Callable[[], Iterable[str]]):
        self._load = load
        self._own: frozenset[str] | None = None
        self._extra: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def own(self) -> frozenset[str]:
        with self._lock:
            if self._own is None:
                self._own = frozenset(self._load())
            return self._own

    @contextmanager
    def allowing(self, keys: Collection[str]) -> Iterator[None]:
        """Queries may name ``keys`` meanwhile: the last strip of a removed topic searches for its labels."""
        with self._lock:
            self._extra = self._extra | frozenset(keys)
        try:
            yield
        finally:
            with self._lock:
                self._extra = self._extra - frozenset(keys)

    def forget(self) -> None:
        """Read the own keys again at the next check (after this process added or removed one)."""
        with self._lock:
            self._own = None

    def __contains__(self, key: object) -> bool:
        if key in DEFAULT_TOPICS or key in self._extra or key in self.own():
            return True
        self.forget()
        return key in self.own()

    def __iter__(self) -> Iterator[str]:
        yield from DEFAULT_TOPICS
        yield from sorted(self.own())


def drop_removed_labels(backend, written: Mapping[str, Collection[str]]) -> int:
    """After a write: take off the documents just written the labels of own topics removed meanwhile.

    ``written``: id -> the own (not default) topic keys it was written with.
    An own label counts while its topic is stored (a key no longer or never
    stored is dropped: no query could name it). ``api.own_topics.remove_topic``
    deletes the definition, then strips the labels once more. A writer checks
    *after* its write, so either the write came before the deletion (and that
    strip, which follows and first makes every acknowledged write searchable,
    finds it) or this check sees the topic gone: a batch classified with a
    head and written after the topic's removal never keeps the label. One
    small read per write that carries own labels, none otherwise. Returns
    documents changed.
    """
    written = {i: set(keys) for i, keys in written.items() if keys}
    if not written:
        return 0
    live = {t.key for t in backend.own_topics()}
    dead = {k for keys in written.values() for k in keys} - live
    if not dead:
        return 0
    backend.make_writes_visible()
    return backend.relabel_topics({i: {} for i, keys in written.items() if keys & dead}, dead)


def wanted_labels(scores: Mapping[str, float | TopicLabel], keys: Collection[str], sentiment: str | None,
                  ) -> tuple[dict[str, tuple[str, float]], dict[str, list[int] | None]]:  # fmt: skip
    """What ``relabel_topics`` gives one document: ``{key: (polarity, score)}`` and ``{key: evidence}``.

    A ``TopicLabel`` brings the polarity of the part of the text that shows the topic and that
    part's offsets (``nlp.own_evidence``); a bare score takes the document's sentiment
    (``sentiment``; neutral without one) and no evidence, for callers without an encoder.
    """
    want: dict[str, tuple[str, float]] = {}
    spans: dict[str, list[int] | None] = {}
    for key, value in scores.items():
        if key not in keys:
            continue
        if isinstance(value, TopicLabel):
            want[key] = (value.polarity.value, round(float(value.score), 4))
            spans[key] = list(value.evidence) if value.evidence else None
        else:
            want[key] = (sentiment or "neutral", round(float(value), 4))
            spans[key] = None
    return want, spans


__all__ = ["KnownTopics", "OwnTopic", "Taxonomy", "drop_removed_labels", "wanted_labels"]

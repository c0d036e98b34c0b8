"""The ``Backend`` interface, and the models of what writes, erasures and migrations answer.

The embedded SQLite backend and the Elasticsearch backend implement this one
interface and pass one contract test suite (``tests/index/test_contract.py``),
so the API, the CLI and the crawlers never know which one they talk to.
Nothing outside ``index/`` writes SQL or query DSL. The query and result models
of searches and analytics live in ``index.queries`` and are importable from here too.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, field_validator

from nlp.analyser import Analyser
from nlp.labels import TopicLabel

from .document import Document, as_utc
from .errors import InvalidQuery, NoVector
from .own_topics import KnownTopics, OwnTopic, drop_removed_labels
from .queries import (
    MAX_PAGE_SIZE,
    MAX_QUERY_CHARS,
    Emerging,
    EmergingQuery,
    Filters,
    Hit,
    Interval,
    KeywordCount,
    SearchQuery,
    SearchResult,
    SortOrder,
    Split,
    TopicCount,
    TopicFilter,
    TopQuery,
    TrendBucket,
    TrendQuery,
    TrendResult,
    TrendSeries,
    _Model,
)
from .vectors import SIMILAR_MAX, DocumentVector, VectorBatch

if TYPE_CHECKING:  # index.scoring builds on the models of index.queries
    from .drivers import DriverStats
    from .scoring import DriverQuery, DriverResult, ScoreTrendQuery, ScoreTrendResult

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: What ``from index.base import ...`` has always offered: the interface, its write models and
#: the query models of ``index.queries``.
__all__ = [
    "MAX_PAGE_SIZE", "MAX_QUERY_CHARS", "Backend", "Emerging", "EmergingQuery", "ErasureKind", "ErasureRecord",
    "Filters", "Hit", "Interval", "KeywordCount", "MigrationReport", "SearchQuery", "SearchResult", "SortOrder",
    "Split", "Tombstone", "TopQuery", "TopicCount", "TopicFilter", "TrendBucket", "TrendQuery", "TrendResult",
    "TrendSeries", "UpsertResult",
]


class UpsertResult(_Model):
    created: int = 0
    updated: int = 0
    ids: list[str] = Field(default_factory=list, description="Ids written (created or updated).")
    erased: int = Field(default=0, description="Documents refused because they, or their author, were erased.")
    erased_ids: list[str] = Field(default_factory=list)


class ErasureKind(str, Enum):
    """What a takedown names: one document (by id) or every document of one author (by author hash)."""

    document = "document"
    author = "author"


class ErasureRecord(_Model):
    """One line of the erasure log: what was erased, when and on whose authority; never any content."""

    kind: ErasureKind
    key: str = Field(description="The document id, or the author hash.")
    at: datetime = Field(description="When it was erased (UTC).")
    actor: str = Field(max_length=128, description="Who asked: the API key's name, or 'cli'.")
    documents: int = Field(description="Documents removed by this erasure (0 when already erased).")

    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value)


class Tombstone(_Model):
    """One erased document id or author hash, which every later write refuses; never any content."""

    kind: ErasureKind
    key: str = Field(description="The document id, or the author hash.")
    at: datetime = Field(description="When it was erased (UTC).")

    @field_validator("at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value)

    @property
    def at_ms(self) -> int:
        """``at`` in epoch milliseconds, as both backends store it (exact, unlike float seconds)."""
        return (self.at - _EPOCH) // timedelta(milliseconds=1)

    @classmethod
    def from_ms(cls, kind: ErasureKind | str, key: str, at_ms: int) -> Tombstone:
        return cls(kind=kind, key=key, at=_EPOCH + timedelta(milliseconds=at_ms))


class MigrationReport(_Model):
    """What ``Backend.migrate`` did, and the line ``voclens index migrate`` prints for it."""

    schema_version: int
    moved: int = Field(default=0, description="Documents rewritten into the current schema.")
    dropped: list[str] = Field(default_factory=list, description="Storage of older schemas removed (index names).")
    indices: list[str] = Field(default_factory=list, description="Indices behind the alias afterwards (Elasticsearch).")
    summary: str


class Backend(ABC):
    """Storage, search and analytics over documents.

    Backends are opened once (API lifespan, CLI command) and are safe to use
    from several threads. Writes are idempotent by document id.
    """

    name: str = "abstract"

    @classmethod
    def hosts_from(cls, settings) -> list[str]:
        """Host names this backend sends documents to under ``settings`` (none for a local file).

        The API refuses the shipped author salt when data leaves this machine; it asks the
        backend where its data goes instead of knowing each backend's settings.
        """
        return []

    @classmethod
    @abstractmethod
    def from_settings(cls, settings, analyser: Analyser | None = None) -> Backend:
        """Open this backend as the application's settings configure it.

        ``settings`` is duck-typed (``index`` never imports the API): each
        backend reads only the attributes it needs, for example
        ``settings.sqlite_path`` and ``settings.query_timeout_ms``.
        """

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc) -> Literal[False]:
        self.close()
        return False

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def migrate(self, progress: Callable[[int], None] | None = None) -> MigrationReport:
        """Bring the storage to the current schema; safe to interrupt and run again.

        ``progress`` is called with the number of documents moved by each step,
        where a migration moves documents.
        """

    # -- writes ------------------------------------------------------------
    #: ``(docs, analyser) -> rows``: the CPU side of ``upsert`` (tokenising, serialising) as a
    #: module-level function that needs no open backend, so importers can run it in worker
    #: processes and send plain rows to ``write_prepared``; None where the backend has no such split.
    row_preparer: ClassVar[Callable[..., list] | None] = None
    #: Documents per write transaction that bulk importers should gather (``voclens ingest
    #: --commit-every``); None: write each batch as it comes.
    bulk_commit_rows: ClassVar[int | None] = None

    @abstractmethod
    def upsert(self, docs: Sequence[Document]) -> UpsertResult:
        """Insert or replace documents by id, atomically for the batch."""

    def write_prepared(self, rows: Sequence) -> UpsertResult:
        """Write rows made by ``row_preparer``; only backends that define one support it."""
        raise NotImplementedError(f"the {self.name} backend has no prepared-row writes")

    def bulk_import(self) -> AbstractContextManager[None]:
        """A context for a large import (``voclens ingest``): the backend may defer making writes
        searchable until it ends (Elasticsearch turns refresh off); writes stay idempotent and
        acknowledged ones durable. Default: nothing changes.
        """
        return nullcontext()

    @abstractmethod
    def delete_by_query(self, q: str = "", filters: Filters | None = None) -> int:
        """Delete what matches; returns how many were deleted. An empty query and no filters deletes everything."""

    # -- erasure (takedown requests) -------------------------------------------------
    @abstractmethod
    def erase(self, kind: ErasureKind, key: str, *, actor: str, must_exist: bool = True) -> ErasureRecord:
        """Remove a document, or every document of an author, for good, and log it.

        Unlike ``delete_by_query`` this leaves a tombstone: the document id (for an
        author, the author hash and the id of each removed document) is refused
        by every later ``upsert`` (counted in ``UpsertResult.erased``), so a
        re-crawl or re-import cannot bring it back. Each call appends one
        ``ErasureRecord`` to the erasure log, which holds ids, hashes and counts,
        never text. Erasing again is allowed and logged with ``documents=0``.

        ``must_exist=False`` tombstones a document id even when it is not stored
        (a takedown that arrives before the crawl, or re-applying the log
        after restoring an older backup).

        Raises:
            DocumentNotFound: ``kind`` is document, the id is neither stored nor
                already erased, and ``must_exist`` is true.
        """

    @abstractmethod
    def erasures(self, limit: int = 100) -> list[ErasureRecord]:
        """The erasure log, newest first."""

    @abstractmethod
    def erased(self, ids: Sequence[str] = (), author_hashes: Sequence[str] = ()) -> set[str]:
        """Which of these document ids and author hashes have been erased (tombstoned)."""

    @abstractmethod
    def iter_tombstones(self, batch_size: int = 1000) -> Iterator[list[Tombstone]]:
        """Every tombstone, ordered by kind and key, in batches.

        With ``add_tombstones`` this carries erasures to another backend
        (``voclens index copy``), so a document erased on one stays refused on the other.
        """

    @abstractmethod
    def add_tombstones(self, tombstones: Sequence[Tombstone]) -> int:
        """Refuse these document ids and authors from now on, as if they were erased here.

        For erasures made elsewhere (``voclens index copy``): stored documents
        they name are removed as ``erase`` removes them (an author's documents
        also get tombstones of their ids); a key already tombstoned keeps its
        time. Unlike ``erase`` nothing is added to the erasure log, which
        records the erasures themselves, where they were made. Idempotent.

        Returns:
            How many stored documents were removed.
        """

    def copy_tombstones_to(self, target: Backend, batch_size: int = 1000) -> int:
        """Carry every tombstone of this backend to ``target`` (``add_tombstones``); returns documents removed there."""
        return sum(target.add_tombstones(batch) for batch in self.iter_tombstones(batch_size))

    # -- reads -------------------------------------------------------------
    @abstractmethod
    def get(self, doc_id: str) -> Document:
        """Raises ``DocumentNotFound``."""

    @abstractmethod
    def count(self, q: str = "", filters: Filters | None = None) -> int: ...

    @abstractmethod
    def search(self, query: SearchQuery) -> SearchResult: ...

    @abstractmethod
    def iter_documents(self, batch_size: int = 500, after_id: str | None = None) -> Iterator[list[Document]]:
        """Every document in id order, in batches, each with its vector; ``after_id`` resumes a scan."""

    # -- vectors (``index.vectors``) ---------------------------------------------------
    @abstractmethod
    def vectors(self, ids: Sequence[str]) -> dict[str, DocumentVector]:
        """The stored vectors of these document ids; ids unknown or without a vector are left out."""

    @abstractmethod
    def texts(self, ids: Sequence[str]) -> dict[str, str]:
        """What each of these documents says: its title and text joined by a line break (the text alone
        without a title). For work over the words of many documents (themes' terms) without decoding
        whole documents; ids unknown are left out."""

    @abstractmethod
    def iter_vectors(self, q: str = "", filters: Filters | None = None, *, model: str | None = None,
                     batch_size: int = 2000, after_id: str | None = None) -> Iterator[VectorBatch]:  # fmt: skip
        """The vectors of the documents matching ``q`` and ``filters``, in id order, in batches.

        For work over many stored vectors (own topics, themes): no document is
        decoded. ``model`` keeps only vectors of that encoder (vectors of two
        encoders are not comparable); ``after_id`` resumes a scan. Documents
        without a vector are skipped.
        """

    def similar(self, doc_id: str, *, limit: int = 10, q: str = "", filters: Filters | None = None) -> SearchResult:
        """The ``limit`` documents most like ``doc_id`` (cosine of the stored vectors), best first.

        ``q`` and ``filters`` narrow the candidates, as in a search for
        ``similar:ID q``; ``Hit.score`` is the cosine.

        Raises:
            DocumentNotFound: no document has this id.
            NoVector: the document has no vector.
        """
        if not 1 <= limit <= min(SIMILAR_MAX, MAX_PAGE_SIZE):
            raise InvalidQuery(f"limit must lie in [1, {min(SIMILAR_MAX, MAX_PAGE_SIZE)}]", field="limit")
        doc = self.get(doc_id)  # DocumentNotFound first: "no such document" is not a bad query
        if doc.vector is None:
            raise NoVector(doc_id)
        query = f"similar:{doc_id}:{limit} {q}".strip()
        if len(query) > MAX_QUERY_CHARS:
            raise InvalidQuery(f"query longer than {MAX_QUERY_CHARS - len(doc_id) - 14} characters", field="q")
        return self.search(SearchQuery(q=query, filters=filters or Filters(), limit=limit, highlight=False))

    # -- own topics (``index.own_topics``) -------------------------------------------
    @property
    def known_topics(self) -> KnownTopics:
        """The topic keys queries may name here: the default ones and every stored own topic."""
        known = self.__dict__.get("_known_topics")
        if known is None:
            known = self.__dict__.setdefault("_known_topics", KnownTopics(lambda: [t.key for t in self.own_topics()]))
        return known

    @abstractmethod
    def own_topics(self) -> list[OwnTopic]:
        """Every stored own topic (definition, examples, head), by key."""

    @abstractmethod
    def save_own_topic(self, topic: OwnTopic) -> None:
        """Store ``topic``, replacing the one with its key; its documents' labels are not touched."""

    @abstractmethod
    def delete_own_topic(self, key: str) -> bool:
        """Forget the definition of ``key`` (True if there was one); labels go with ``strip_topics``."""

    @abstractmethod
    def relabel_topics(self, scores: Mapping[str, Mapping[str, float | TopicLabel]], keys: Collection[str]) -> int:
        """Give each document named in ``scores`` exactly the labels among ``keys`` it lists (``{key: score}``).

        Labels of other topics (the default ones) are never touched; an id
        that is not stored is skipped. A ``TopicLabel`` value brings its own
        polarity and evidence (the part of the text that shows the topic,
        ``nlp.own_evidence``); a bare score takes the document's own sentiment
        (neutral when it has none) and no evidence.
        A document whose labels are already these is not written, so
        applying again changes nothing.

        Returns:
            How many documents changed.
        """

    @abstractmethod
    def topic_labels(self, ids: Sequence[str], keys: Collection[str]) -> dict[str, dict[str, TopicLabel]]:
        """The stored labels of ``keys`` on these documents (polarity, score, evidence): id -> key -> label.

        What ``voclens topics apply`` keeps instead of locating a label again when the head that
        wrote it is unchanged (``api.own_topics``); read without decoding whole documents. Ids not
        stored, and documents with no label of ``keys``, are left out.
        """

    def strip_topics(self, keys: Collection[str], batch_size: int = 200) -> int:
        """Remove the labels of ``keys`` from every document (an own topic removed); returns documents changed.

        Pages through a search for each key (its cursor freezes the set, so
        relabelling a page never shifts the next one), once every acknowledged
        write is searchable (see ``drop_removed_labels``).
        """
        self.make_writes_visible()
        with self.known_topics.allowing(keys):  # a removed topic's key: searched once more after its deletion
            return sum(self._strip_topic(key, batch_size) for key in keys)

    def _strip_topic(self, key: str, batch_size: int) -> int:
        changed = 0
        query = SearchQuery(filters=Filters(topics=[TopicFilter(topic=key)]), sort=SortOrder.oldest,
                            limit=min(batch_size, MAX_PAGE_SIZE), highlight=False)
        while True:
            page = self.search(query)
            changed += self.relabel_topics({h.document.id: {} for h in page.hits}, [key])
            if not page.next_cursor or not page.hits:
                return changed
            query = query.model_copy(update={"cursor": page.next_cursor})

    def make_writes_visible(self) -> None:
        """Make every acknowledged write searchable now, this process's and others'. SQLite: they are already."""

    def drop_removed_labels(self, written: Mapping[str, Collection[str]]) -> int:
        """After a write, what it gave of own topics removed meanwhile goes (``index.own_topics.drop_removed_labels``)."""
        return drop_removed_labels(self, written)

    # -- analytics -----------------------------------------------------------
    @abstractmethod
    def trends(self, query: TrendQuery) -> TrendResult: ...

    @abstractmethod
    def top_topics(self, query: TopQuery) -> list[TopicCount]: ...

    @abstractmethod
    def top_keywords(self, query: TopQuery) -> list[KeywordCount]: ...

    @abstractmethod
    def emerging_topics(self, query: EmergingQuery) -> list[Emerging]: ...

    @abstractmethod
    def emerging_keywords(self, query: EmergingQuery) -> list[Emerging]: ...

    # -- scores (``index.scoring``) -----------------------------------------------------------
    @abstractmethod
    def score_trends(self, query: ScoreTrendQuery) -> ScoreTrendResult:
        """A score metric (NPS, CSAT, a mean) per time bucket with intervals and significant changes marked."""

    @abstractmethod
    def driver_stats(self, metric: str, q: str = "", filters: Filters | None = None) -> DriverStats:
        """Counts of the matching documents' score ``metric``, per (topic, polarity) and per two pairs, for ``drivers``."""

    def drivers(self, query: DriverQuery) -> DriverResult:
        """Key drivers of a score (``index.drivers``): what each topic and polarity costs it, ranked."""
        from .drivers import key_drivers

        return key_drivers(query, self.driver_stats(query.metric, query.q, query.filters))

    @abstractmethod
    def health(self) -> dict:
        """Small status dict (backend name, document count, storage details)."""

"""The Elasticsearch side of the document model: index template, index names and source documents.

Layout (``prefix`` defaults to ``voclens``)::

    alias     {prefix}-documents                 every read goes here
    indices   {prefix}-documents-v{N}-YYYY.MM    one per month of created_at (UTC)
    template  {prefix}-documents-v{N}            mappings + settings for new months

Monthly indices make dropping or archiving old data a cheap index deletion,
and a schema change (``SCHEMA_VERSION``) is a migration to new indices behind
the same alias (``voclens index migrate``), never an in-place remapping.

Text fields hold the *analysed* text of the shared analyser (jieba for
Chinese, stemmed English), space-separated, behind Elasticsearch's
``whitespace`` analyser: both backends therefore match the same documents for
the same query. ``title_t`` and ``body_t`` keep words in reading order (so
phrases match adjacent words); ``grams_t`` holds the search-mode sub-words
("手机" inside "手机壳") apart, exactly like the SQLite FTS columns.

A document's vector (``index.vectors``) is a ``byte`` ``dense_vector`` with
cosine similarity (HNSW-indexed for kNN), sent as hex and kept out of
``_source`` (read back with ``docvalue_fields``); its float32 scale and its
encoder's name sit beside it, so a copy or a migration reads back exactly
what was written.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from nlp.analyser import Analyser, normalize

from .document import Document
from .vectors import DIMS, DocumentVector

#: Bump when the mapping changes; ``migrate`` moves documents to the new indices.
#: 2: ``author_hash`` as a keyword, so an author's documents can be found and erased.
#: 3: the document vector (``vector``, ``vector_scale``, ``vector_model``), for ``similar:`` and own topics.
#: 4: ``scores`` (survey scores and the star rating as ``scores.rating``, doubles by a dynamic template)
#:    and ``customer_hash``, for score trends and key drivers.
SCHEMA_VERSION = 4

_KEYWORD_CI = {"type": "keyword", "fields": {"ci": {"type": "keyword", "normalizer": "lowercase"}}}
_TEXT = {"type": "text", "analyzer": "whitespace", "copy_to": "all_t"}


def mappings() -> dict:
    """Explicit mappings; ``dynamic: strict`` so a stray field is an error, not a new mapping."""
    return {
        "dynamic": "strict",
        "_meta": {"voclens_schema": SCHEMA_VERSION},
        # the vector lives in the vector store (read back with docvalue_fields): a copy in _source
        # would more than double what a vector costs
        "_source": {"excludes": ["vector"]},
        # a score's name is checked by the document model (``SCORE_NAME_PATTERN``, at most 16 per document)
        "dynamic_templates": [{"scores": {"path_match": "scores.*", "mapping": {"type": "double"}}}],
        "properties": {
            "id": {"type": "keyword"},
            "author_hash": {"type": "keyword"},
            "customer_hash": {"type": "keyword"},
            "scores": {"type": "object", "dynamic": True},
            "source": _KEYWORD_CI,
            "brand": _KEYWORD_CI,
            "product_id": _KEYWORD_CI,
            "channel": {"type": "keyword"},
            "lang": {"type": "keyword"},
            "sentiment": {"type": "keyword"},
            "rating": {"type": "float"},
            "created_at": {"type": "date", "format": "epoch_millis"},
            "topics": {
                "type": "nested",
                "properties": {
                    "topic": {"type": "keyword"},
                    "polarity": {"type": "keyword"},
                    "score": {"type": "float"},
                    "created_at": {"type": "date", "format": "epoch_millis"},
                    "rating": {"type": "float"},
                },
            },
            "keywords": {"type": "keyword"},
            "title_t": _TEXT,
            "body_t": _TEXT,
            "grams_t": _TEXT,
            # title, words and sub-words together, for ranking only: one bm25 over the
            # whole row, as FTS5 ranks (matching uses the separate fields)
            "all_t": {"type": "text", "analyzer": "whitespace"},
            # the document as the API returns it: stored, never indexed
            "doc": {"type": "object", "enabled": False},
            "vector": {"type": "dense_vector", "element_type": "byte", "dims": DIMS, "index": True,
                       "similarity": "cosine"},
            "vector_scale": {"type": "float", "index": False},
            "vector_model": {"type": "keyword"},
        },
    }


class Names:
    """Every name derived from the index prefix."""

    def __init__(self, prefix: str, version: int = SCHEMA_VERSION):
        self.prefix = prefix
        self.version = version
        self.alias = f"{prefix}-documents"
        self.template = f"{prefix}-documents-v{version}"
        self.pattern = f"{prefix}-documents-v{version}-*"
        self.all_versions = f"{prefix}-documents-v*"
        #: tombstones of erased document ids and author hashes (id ``kind:key``), and the erasure log
        self.erased = f"{prefix}-erased"
        self.erasure_log = f"{prefix}-erasure-log"

    def index_for(self, created_at: datetime) -> str:
        when = created_at.astimezone(UTC)
        return f"{self.alias}-v{self.version}-{when.year:04d}.{when.month:02d}"


def template_body(names: Names, *, shards: int = 1, replicas: int = 0) -> dict:
    return {
        "index_patterns": [names.pattern],
        "priority": 200 + names.version,
        "template": {
            "settings": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                "max_result_window": 50_000,
                # an erasure asks for a merge that drops deleted documents (see ``erase``);
                # without this, segments under 10% deleted would keep them
                "merge.policy.expunge_deletes_allowed": 0,
            },
            "mappings": mappings(),
            # no alias here: an index joins the alias once its shards are ready (see upsert)
        },
        "_meta": {"voclens_schema": names.version, "managed_by": "voclens"},
    }


#: Mappings of the two small erasure indices (``Names.erased``, ``Names.erasure_log``): never any text.
ERASED_MAPPINGS = {
    "dynamic": "strict",
    "properties": {"kind": {"type": "keyword"}, "key": {"type": "keyword"},
                   "at": {"type": "date", "format": "epoch_millis"}},
}
ERASURE_LOG_MAPPINGS = {
    "dynamic": "strict",
    "properties": {"kind": {"type": "keyword"}, "key": {"type": "keyword"},
                   "at": {"type": "date", "format": "epoch_millis"}, "actor": {"type": "keyword"},
                   "documents": {"type": "integer"}},
}


def fts_split(token: str) -> list[str]:
    """Split an analyser token where SQLite's FTS5 ``unicode61`` tokenizer would.

    The FTS5 tokenizer keeps letters, numbers, private-use characters and
    marks; analyser tokens are almost always made of those only (fast path).
    """
    if token.isalnum():
        return [token]
    parts, cur = [], []
    for ch in token:
        if ch.isalnum() or unicodedata.category(ch) in ("Co", "Mn", "Mc", "Me"):
            cur.append(ch)
        elif cur:
            parts.append("".join(cur))
            cur = []
    if cur:
        parts.append("".join(cur))
    return parts


def _joined(tokens: list[str]) -> str:
    return " ".join(p for t in tokens for p in fts_split(t))


def epoch_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def to_source(doc: Document, analyser: Analyser) -> dict:
    """The Elasticsearch ``_source`` of a document."""
    title_words, title_grams = analyser.index_terms(doc.title) if doc.title else ([], [])
    body_words, body_grams = analyser.index_terms(doc.text)
    created = epoch_ms(doc.created_at)
    topics: dict[str, dict] = {}
    for t in doc.topics:  # one entry per topic, the most confident label winning (as in SQLite)
        if t.topic not in topics or t.score > topics[t.topic]["score"]:
            topics[t.topic] = {"topic": t.topic, "polarity": t.polarity.value, "score": t.score,
                               "created_at": created, "rating": doc.rating}
    keywords = list(dict.fromkeys(k for k in (normalize(k).strip().lower() for k in doc.keywords) if k))
    return {
        "id": doc.id,
        "author_hash": doc.author_hash,
        "customer_hash": doc.customer_hash,
        "scores": doc.all_scores(),
        "source": doc.source,
        "brand": doc.brand,
        "product_id": doc.product_id,
        "channel": doc.channel.value,
        "lang": doc.lang,
        "sentiment": doc.sentiment.label.value if doc.sentiment else None,
        "rating": doc.rating,
        "created_at": created,
        "topics": list(topics.values()),
        "keywords": keywords,
        "title_t": _joined(title_words),
        "body_t": _joined(body_words),
        "grams_t": _joined(title_grams + body_grams),
        "doc": doc.model_dump(mode="json"),
        **vector_source(doc.vector),
    }


#: Search options that read a document back (``document_from_hit``): its JSON, and the vector from
#: the vector store (``_source`` leaves the vector out; see ``mappings``).
READ_DOCUMENT = {"source": ["doc", "vector_scale", "vector_model"], "docvalue_fields": ["vector"]}
#: Search options that read only the vector (``vector_from_hit``).
READ_VECTOR = {"source": ["vector_scale", "vector_model"], "docvalue_fields": ["vector"]}


def vector_source(vector: DocumentVector | None) -> dict:
    if vector is None:
        return {}
    return {"vector": vector.values.hex(), "vector_scale": vector.scale, "vector_model": vector.model}


def vector_from_hit(hit: dict) -> DocumentVector | None:
    """The vector of a hit read with ``READ_DOCUMENT`` or ``READ_VECTOR``; None when it has none."""
    values = hit.get("fields", {}).get("vector")
    if not values:
        return None
    source = hit["_source"]
    return DocumentVector(model=source["vector_model"], values=bytes(b & 0xFF for b in values[0]),
                          scale=source["vector_scale"])


def document_from_hit(hit: dict) -> Document:
    """The document of a hit read with ``READ_DOCUMENT``, its vector set when it has one."""
    doc = Document.model_validate(hit["_source"]["doc"])
    doc.vector = vector_from_hit(hit)
    return doc


__all__ = [
    "ERASED_MAPPINGS", "ERASURE_LOG_MAPPINGS", "READ_DOCUMENT", "READ_VECTOR", "SCHEMA_VERSION", "Names",
    "document_from_hit", "epoch_ms", "fts_split", "mappings", "template_body", "to_source", "vector_from_hit",
    "vector_source",
]  # fmt: skip

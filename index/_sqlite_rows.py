"""The rows the SQLite backend writes for a document: columns, JSON, FTS terms, topics, keywords,
vector and scores. Plain tuples made without a database, so ``voclens ingest --workers`` makes
them in worker processes and one writer stores them (``SQLiteBackend.write_prepared``)."""

from __future__ import annotations

from collections.abc import Sequence

from nlp.analyser import Analyser, normalize

from . import _sqlite_vectors as vectors
from ._sqlite_sql import epoch_ms
from .document import Document


def _row(doc: Document, analyser: Analyser) -> tuple:
    """One document's rows: (documents row, JSON, FTS columns, topics, keywords, vector or None, scores)."""
    title_words, title_grams = analyser.index_terms(doc.title) if doc.title else ([], [])
    body_words, body_grams = analyser.index_terms(doc.text)
    fts = (" ".join(title_words), " ".join(body_words), " ".join(title_grams + body_grams))
    row = (
        doc.id,
        doc.source,
        doc.channel.value,
        doc.brand,
        doc.product_id,
        doc.lang,
        doc.sentiment.label.value if doc.sentiment else None,
        doc.rating,
        epoch_ms(doc.created_at),
        doc.author_hash,
        doc.customer_hash,
    )
    topics: dict[str, tuple] = {}
    for t in doc.topics:
        if t.topic not in topics or t.score > topics[t.topic][2]:
            topics[t.topic] = (t.topic, t.polarity.value, t.score)
    keywords = dict.fromkeys(k for k in (normalize(k).strip().lower() for k in doc.keywords) if k)
    labels = ",".join(sorted(f"{t}:{p}" for t, p, _ in topics.values())) or None
    scores = [(name, value, labels) for name, value in doc.all_scores().items()]
    return row, doc.model_dump_json(), fts, list(topics.values()), list(keywords), vectors.row(doc.vector), scores


def prepare_rows(docs: Sequence[Document], analyser: Analyser) -> list[tuple]:
    """The rows ``upsert`` writes for ``docs``: plain tuples, cheap to send between processes.

    Tokenising and serialising is most of an upsert's cost and needs no
    database: ``voclens ingest --workers`` runs it in worker processes and
    hands the rows to ``write_prepared`` in the one writing process (on two
    cores 1.6-1.9x the documents per second of one process). A document
    repeated in the batch is kept once, the last copy winning.
    """
    latest: dict[str, Document] = {}
    for doc in docs:
        latest[doc.id] = doc
    return [_row(doc, analyser) for doc in latest.values()]


__all__ = ["prepare_rows"]

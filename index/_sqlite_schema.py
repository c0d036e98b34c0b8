"""Schema of the SQLite backend, as forward-only migrations.

Each migration is a list of SQL statements applied in order inside one
transaction, after which ``schema_version`` records its number. Never edit a
released migration: append a new one.

Tables:

* ``documents``: one row per document. ``seq`` (the rowid, AUTOINCREMENT so
  never reused) is assigned on first insert and kept on update; search
  cursors use it as a snapshot ("documents that existed at page 1"). The
  filterable fields are columns (``created_at`` in epoch milliseconds);
  the whole document is kept as JSON in ``document_json`` (a separate table,
  so scans and joins over ``documents`` read small rows).
* ``doc_topics`` / ``doc_keywords``: one row per (document, topic) and
  (document, keyword), for filters and analytics, with ``created_at`` (for
  topics also ``rating``, for keywords ``sentiment``) copied so date-only
  analytics need no join.
* ``doc_fts``: FTS5 over the *analysed* text. Columns ``title`` and ``body``
  hold the analyser's tokens in reading order (jieba words, stemmed English)
  so phrases match adjacent words; ``grams`` holds the extra sub-words jieba's
  search mode emits ("手机" inside "手机壳"), so a term finds them without
  breaking phrase adjacency. The tokenizer only splits on the spaces between
  tokens; raw text lives in ``documents.doc``.
* ``rollup_docs`` / ``rollup_topics`` / ``rollup_brands`` / ``rollup_sources``:
  hourly counts, negatives and rating sums, kept exact by every write, for
  trend queries that need nothing else;
  ``rollup_generation`` counts those writes (see ``_sqlite_rollup_memory``).
* ``erased``: tombstones of erased document ids and author hashes (kind,
  key), checked by every write so an erased document never comes back;
  ``erasure_log``: one row per erasure (kind, key, when, who, how many
  documents). Neither ever holds text.
* ``doc_vectors``: the stored vector of each document that has one
  (``index.vectors``): the encoder's name and a BLOB of a little-endian
  float32 scale followed by the int8 values (388 bytes for 384 dimensions).
  A table of its own, so scans of ``documents`` keep reading small rows.
* ``doc_scores``: one row per (document, score name): survey scores and the
  star rating as ``rating``, with ``created_at`` copied, for score trends and
  key drivers (``_sqlite_scores``).
* ``score_topics``: one row per (document, score name, topic), the score's
  value and ``created_at`` copied, kept by triggers on ``doc_scores`` and
  ``doc_topics``: score trends split by topic (``_sqlite_scores``).
* ``own_topics``: one row per own topic (key, the ``OwnTopic`` as JSON);
  their labels are ordinary ``doc_topics`` rows.
"""

from __future__ import annotations

import sqlite3

from ._sqlite_analytics import KEYWORD_SENTIMENT_MIGRATION
from ._sqlite_rollup import KEYED_MIGRATION
from ._sqlite_rollup import MIGRATION as ROLLUP_MIGRATION
from ._sqlite_rollup_memory import GENERATION_MIGRATION
from ._sqlite_scores import SCORE_TOPICS_MIGRATION
from ._sqlite_topics import MIGRATION as OWN_TOPICS_MIGRATION
from .errors import BackendUnavailable

FTS_TOKENIZER = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'"

MIGRATIONS: list[list[str]] = [
    # 1: initial schema
    [
        """CREATE TABLE documents (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            source TEXT NOT NULL COLLATE NOCASE,
            channel TEXT NOT NULL,
            brand TEXT COLLATE NOCASE,
            product_id TEXT COLLATE NOCASE,
            lang TEXT,
            sentiment TEXT,
            rating REAL,
            created_at INTEGER NOT NULL
        )""",
        # Covers date sorts (created_at, rowid) and plain trend queries.
        "CREATE INDEX documents_created ON documents(created_at, sentiment, rating)",
        "CREATE INDEX documents_brand ON documents(brand)",
        "CREATE INDEX documents_source ON documents(source)",
        "CREATE INDEX documents_product ON documents(product_id)",
        # The JSON lives apart so filter and aggregate scans read small rows.
        """CREATE TABLE document_json (
            seq INTEGER PRIMARY KEY REFERENCES documents(seq) ON DELETE CASCADE,
            doc TEXT NOT NULL
        )""",
        # created_at is copied here so date-only analytics need no join.
        """CREATE TABLE doc_topics (
            seq INTEGER NOT NULL REFERENCES documents(seq) ON DELETE CASCADE,
            topic TEXT NOT NULL,
            polarity TEXT NOT NULL,
            score REAL NOT NULL,
            created_at INTEGER NOT NULL,
            rating REAL,
            PRIMARY KEY (seq, topic)
        ) WITHOUT ROWID""",
        "CREATE INDEX doc_topics_topic ON doc_topics(topic, polarity)",
        "CREATE INDEX doc_topics_created ON doc_topics(created_at, topic, polarity)",
        """CREATE TABLE doc_keywords (
            seq INTEGER NOT NULL REFERENCES documents(seq) ON DELETE CASCADE,
            keyword TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (seq, keyword)
        ) WITHOUT ROWID""",
        "CREATE INDEX doc_keywords_created ON doc_keywords(created_at, keyword)",
        f"""CREATE VIRTUAL TABLE doc_fts USING fts5(title, body, grams, tokenize="{FTS_TOKENIZER}")""",
        # Title matches weigh more than body; sub-word (grams) matches less.
        "INSERT INTO doc_fts(doc_fts, rank) VALUES ('rank', 'bm25(2.0, 1.0, 0.5)')",
    ],
    # 2: hourly rollups for trend queries (see _sqlite_rollup), back-filled from existing rows
    ROLLUP_MIGRATION,
    # 3: a generation number bumped by every rollup write, so readers know when their in-memory copy is stale
    GENERATION_MIGRATION,
    # 4: erasure (takedown requests): the author hash as a column (back-filled), tombstones and the erasure log
    [
        "ALTER TABLE documents ADD COLUMN author_hash TEXT",
        """UPDATE documents SET author_hash = (
            SELECT json_extract(j.doc, '$.author_hash') FROM document_json j WHERE j.seq = documents.seq)""",
        "CREATE INDEX documents_author ON documents(author_hash) WHERE author_hash IS NOT NULL",
        """CREATE TABLE erased (
            kind TEXT NOT NULL,  -- 'document' (key: id) or 'author' (key: author hash)
            key TEXT NOT NULL,
            at INTEGER NOT NULL,
            PRIMARY KEY (kind, key)
        ) WITHOUT ROWID""",
        """CREATE TABLE erasure_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            documents INTEGER NOT NULL
        )""",
    ],
    # 5: document vectors (the classifier encoder's pooled vector), deleted with their document
    [
        """CREATE TABLE doc_vectors (
            seq INTEGER PRIMARY KEY REFERENCES documents(seq) ON DELETE CASCADE,
            model TEXT NOT NULL,
            vector BLOB NOT NULL
        )""",
    ],
    # 6: hourly rollups per brand and per source (see _sqlite_rollup), back-filled from existing rows
    KEYED_MIGRATION,
    # 7: scores (issue 26): one row per (document, score), the star rating included as 'rating'
    # (back-filled), with created_at copied for date-only score trends; the customer hash as a column
    [
        """CREATE TABLE doc_scores (
            seq INTEGER NOT NULL REFERENCES documents(seq) ON DELETE CASCADE,
            name TEXT NOT NULL,
            value REAL NOT NULL,
            created_at INTEGER NOT NULL,
            -- the document's labels, 'topic:polarity' sorted and joined by ',' (NULL: none): drivers
            -- group responses by them in one scan instead of joining doc_topics twice
            labels TEXT,
            PRIMARY KEY (seq, name)
        ) WITHOUT ROWID""",
        # covers score trends and drivers that filter by date only
        "CREATE INDEX doc_scores_name ON doc_scores(name, created_at, value, labels)",
        """INSERT INTO doc_scores (seq, name, value, created_at, labels)
           SELECT seq, 'rating', rating, created_at, (
               SELECT group_concat(pair, ',') FROM (
                   SELECT topic || ':' || polarity AS pair FROM doc_topics t WHERE t.seq = documents.seq ORDER BY topic))
           FROM documents WHERE rating IS NOT NULL""",
        "ALTER TABLE documents ADD COLUMN customer_hash TEXT",
        """UPDATE documents SET customer_hash = (
            SELECT json_extract(j.doc, '$.customer_hash') FROM document_json j WHERE j.seq = documents.seq)""",
        "CREATE INDEX documents_customer ON documents(customer_hash) WHERE customer_hash IS NOT NULL",
    ],
    # 8: own topics (``index.own_topics``): each definition, its examples and trained head as JSON
    OWN_TOPICS_MIGRATION,
    # 9: the document's sentiment on its keyword rows (back-filled), so keywords of one polarity (the digest's
    # emerging complaints) are counted from one index without looking up each row's document
    KEYWORD_SENTIMENT_MIGRATION,
    # 10: each score copied once per topic of its document (back-filled, kept by triggers), so a score
    # trend split by topic reads one index instead of joining scores to topics (see _sqlite_scores)
    SCORE_TOPICS_MIGRATION,
]

SCHEMA_VERSION = len(MIGRATIONS)


def current_version(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return row[0] or 0


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to ``SCHEMA_VERSION``; returns the version it now has.

    Raises:
        BackendUnavailable: the file was written by a newer voclens.
    """
    version = current_version(conn)
    if version > SCHEMA_VERSION:
        raise BackendUnavailable(
            f"database schema version {version} is newer than this voclens understands ({SCHEMA_VERSION}); upgrade voclens"
        )
    for number, steps in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            if current_version(conn) >= number:
                conn.execute("COMMIT")
                continue
            for sql in steps:
                conn.execute(sql)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION

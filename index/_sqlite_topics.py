"""Own topics on SQLite: definitions in ``own_topics``, labels rewritten in place.

``relabel`` changes only what an own topic's labels need: the document's
``doc_topics`` rows, the topic list inside its stored JSON and the hourly
topic rollups. Nothing is tokenised again (the text did not change), and a
document whose own labels are already right is not written at all, so
applying twice writes nothing the second time.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterator, Mapping

from nlp.labels import TopicLabel

from ._sqlite_rollup import shift_topics
from .own_topics import OwnTopic, wanted_labels

_CHUNK = 500  # ids per IN (...) lookup

MIGRATION = [
    """CREATE TABLE own_topics (
        key TEXT PRIMARY KEY,
        body TEXT NOT NULL  -- the OwnTopic as JSON
    ) WITHOUT ROWID""",
]


def all_topics(conn: sqlite3.Connection) -> list[OwnTopic]:
    return [OwnTopic.model_validate_json(b) for (b,) in conn.execute("SELECT body FROM own_topics ORDER BY key")]


def keys(conn: sqlite3.Connection) -> list[str]:
    return [k for (k,) in conn.execute("SELECT key FROM own_topics")]


def save(conn: sqlite3.Connection, topic: OwnTopic) -> None:
    conn.execute("INSERT OR REPLACE INTO own_topics (key, body) VALUES (?, ?)", (topic.key, topic.model_dump_json()))


def delete(conn: sqlite3.Connection, key: str) -> bool:
    return conn.execute("DELETE FROM own_topics WHERE key = ?", (key,)).rowcount > 0


def _placeholders(n: int) -> str:
    return ",".join("?" * n)


def relabel(conn: sqlite3.Connection, scores: Mapping[str, Mapping[str, float | TopicLabel]], keys: Collection[str]) -> int:
    """Give each document in ``scores`` exactly the labels of ``keys`` it names; returns documents changed.

    Polarity and evidence: a ``TopicLabel``'s, else the document's own sentiment (neutral without one) and none.
    """
    keys = sorted(set(keys))
    docs = _documents(conn, list(scores))
    if not docs or not keys:
        return 0
    current = _current(conn, [d[0] for d in docs.values()], set(keys))
    wanted = {doc_id: wanted_labels(scores[doc_id], keys, sentiment) for doc_id, (_, sentiment, _, _) in docs.items()}
    same_spans = _same_evidence(conn, {docs[i][0]: spans for i, (want, spans) in wanted.items()
                                       if want == current.get(docs[i][0], {}) and any(spans.values())}, set(keys))
    removed, added, changed, evidence = [], [], {}, {}
    for doc_id, (seq, sentiment, created, rating) in docs.items():
        want, spans = wanted[doc_id]
        have = current.get(seq, {})
        if want == have and (seq in same_spans or not any(spans.values())):
            continue
        changed[seq], evidence[seq] = want, spans
        removed += [(t, p, created, rating) for t, (p, _) in have.items()]
        added += [(seq, t, p, s, created, rating) for t, (p, s) in want.items()]
    if not changed:
        return 0
    # a document without labels of ``keys`` (every one, the first time) has no rows to delete
    conn.executemany(f"DELETE FROM doc_topics WHERE seq = ? AND topic IN ({_placeholders(len(keys))})",
                     [(seq, *keys) for seq in changed if seq in current])
    conn.executemany("INSERT INTO doc_topics (seq, topic, polarity, score, created_at, rating) VALUES (?, ?, ?, ?, ?, ?)", added)
    shift_topics(conn, removed, [(t, p, c, r) for _, t, p, _, c, r in added])
    _rewrite_json(conn, changed, evidence, set(keys))
    # key drivers group scored responses by their labels (``doc_scores.labels``): keep them the document's
    conn.executemany("""UPDATE doc_scores SET labels = (SELECT group_concat(pair, ',') FROM (
                            SELECT topic || ':' || polarity AS pair FROM doc_topics t
                            WHERE t.seq = doc_scores.seq ORDER BY topic))
                        WHERE seq = ?""", [(seq,) for seq in changed])  # fmt: skip
    return len(changed)


def labels(conn: sqlite3.Connection, ids: list[str], keys: Collection[str]) -> dict[str, dict[str, TopicLabel]]:
    """id -> key -> the stored label, of ``keys`` (``Backend.topic_labels``): the topic list cut out of the JSON."""
    keys = set(keys)
    out: dict[str, dict[str, TopicLabel]] = {}
    ids = list(dict.fromkeys(ids))
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        for doc_id, raw in conn.execute("SELECT d.id, json_extract(j.doc, '$.topics') FROM documents d JOIN document_json j "
                                        f"ON j.seq = d.seq WHERE d.id IN ({_placeholders(len(chunk))})", chunk):  # fmt: skip
            found = {t["topic"]: TopicLabel.model_validate(t) for t in json.loads(raw or "[]") if t["topic"] in keys}
            if found:
                out[doc_id] = found
    return out


def _documents(conn: sqlite3.Connection, ids: list[str]) -> dict[str, tuple[int, str | None, int, float | None]]:
    """id -> (seq, sentiment, created_at, rating) of the stored ones among ``ids``."""
    docs = {}
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        for doc_id, seq, sentiment, created, rating in conn.execute(
            f"SELECT id, seq, sentiment, created_at, rating FROM documents WHERE id IN ({_placeholders(len(chunk))})", chunk
        ):
            docs[doc_id] = (seq, sentiment, created, rating)
    return docs


def _current(conn: sqlite3.Connection, seqs: list[int], keys: set[str]) -> dict[int, dict[str, tuple[str, float]]]:
    """seq -> the stored labels of ``keys`` (polarity, score rounded as written), for documents that have any.

    Reads every label of the documents and keeps those of ``keys`` here: one probe of the primary key per
    document, where ``topic IN (keys)`` made SQLite probe once per document and key.
    """
    current: dict[int, dict[str, tuple[str, float]]] = {}
    for i in range(0, len(seqs), _CHUNK):
        chunk = seqs[i : i + _CHUNK]
        for seq, topic, polarity, score in conn.execute(
            f"SELECT seq, topic, polarity, score FROM doc_topics WHERE seq IN ({_placeholders(len(chunk))})", chunk
        ):
            if topic in keys:
                current.setdefault(seq, {})[topic] = (polarity, round(score, 4))
    return current


def _stored_topics(conn: sqlite3.Connection, seqs: list[int]) -> Iterator[tuple[int, list[dict]]]:
    """(seq, the stored document's topic list) for ``seqs``: SQLite cuts the list out of the JSON, so
    Python decodes a few labels rather than the whole document and its text."""
    for i in range(0, len(seqs), _CHUNK):
        chunk = seqs[i : i + _CHUNK]
        for seq, raw in conn.execute(f"SELECT seq, json_extract(doc, '$.topics') FROM document_json "
                                     f"WHERE seq IN ({_placeholders(len(chunk))})", chunk):  # fmt: skip
            yield seq, json.loads(raw) if raw else []


def _same_evidence(conn: sqlite3.Connection, spans: dict[int, dict[str, list[int] | None]], keys: set[str]) -> set[int]:
    """Of the documents in ``spans`` (seq -> key -> evidence), those whose stored labels of ``keys`` have that evidence."""
    return {seq for seq, topics in _stored_topics(conn, list(spans))
            if {t["topic"]: t.get("evidence") for t in topics if t["topic"] in keys} == spans[seq]}


def _rewrite_json(conn: sqlite3.Connection, changed: dict[int, dict[str, tuple[str, float]]],
                  evidence: dict[int, dict[str, list[int] | None]], keys: set[str]) -> None:
    """The stored documents' topic lists: labels of ``keys`` replaced, the others kept in order.

    Only the list is decoded and encoded in Python; SQLite's ``json_set`` puts it back in place,
    and the rest of the document (its text above all) stays byte for byte as ``upsert`` wrote it:
    decoding and encoding whole documents was the largest part of its Python work on a first apply.
    """
    updates = []
    for seq, stored in _stored_topics(conn, list(changed)):
        topics = [t for t in stored if t["topic"] not in keys]
        topics += [{"topic": k, "polarity": p, "score": round(s, 4), "evidence": evidence[seq].get(k)}
                   for k, (p, s) in changed[seq].items()]
        updates.append((json.dumps(topics, ensure_ascii=False, separators=(",", ":")), seq))
    conn.executemany("UPDATE document_json SET doc = json_set(doc, '$.topics', json(?)) WHERE seq = ?", updates)


__all__ = ["MIGRATION", "all_topics", "delete", "keys", "labels", "relabel", "save"]

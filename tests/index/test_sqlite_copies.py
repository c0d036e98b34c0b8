"""SQLite's copies (keyword sentiment, ``score_topics``) mirror their sources row for row.

``test_contract_copies`` checks the answers on both backends; these look inside the file:
after writes of every kind, and after SQL that no write path runs today (the triggers are
there for the next one), each copy holds exactly what its source tables say.
"""

from __future__ import annotations

from index._sqlite_schema import MIGRATIONS, SCHEMA_VERSION
from index.base import ErasureKind, Filters, TopQuery
from index.scoring import ScoreTrendQuery
from index.sqlite import SQLiteBackend

from .corpus import corpus
from .old_files import undo_copies
from .test_scores_contract import _split_fixture

PAIRS = "SELECT s.seq, s.name, t.topic, s.created_at, s.value FROM doc_scores s JOIN doc_topics t ON t.seq = s.seq"
STRAY_SENTIMENTS = ("SELECT count(*) FROM doc_keywords k JOIN documents d ON d.seq = k.seq "
                    "WHERE k.sentiment IS NOT d.sentiment")


def _assert_mirrored(b: SQLiteBackend) -> None:
    with b._read() as conn:
        copies = conn.execute("SELECT seq, name, topic, created_at, value FROM score_topics").fetchall()
        assert sorted(copies) == sorted(conn.execute(PAIRS).fetchall())
        assert conn.execute(STRAY_SENTIMENTS).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM doc_keywords WHERE sentiment IS NOT NULL").fetchone()[0] > 0


def test_copies_mirror_their_sources_after_every_write(tmp_path):
    with SQLiteBackend(tmp_path / "c.db") as b:
        docs = _split_fixture()
        b.upsert(corpus() + docs)
        _assert_mirrored(b)
        b.upsert([d.model_copy(update={"topics": d.topics[:1], "scores": {"nps": 5.0, "csat": 2.0}}) for d in docs[::3]])
        b.upsert([d.model_copy(update={"sentiment": None}) for d in corpus()[::2]])
        _assert_mirrored(b)
        b.relabel_topics({d.id: {"delivery_speed": 0.9} for d in docs[::4]}, ["delivery_speed"])
        b.relabel_topics({d.id: {} for d in docs[::8]}, ["delivery_speed"])
        _assert_mirrored(b)
        b.erase(ErasureKind.document, docs[4].id, actor="test")
        b.delete_by_query("", Filters(brand=["Voltra"]))
        _assert_mirrored(b)
        with b._write() as conn:  # no write path does these today
            conn.execute("UPDATE documents SET sentiment = 'negative' WHERE sentiment IS NOT 'negative'")
            conn.execute("UPDATE doc_scores SET value = 10 - value, created_at = created_at + 3600000 WHERE name = 'nps'")
            conn.execute("UPDATE doc_topics SET topic = 'price' WHERE topic = 'logistics' AND seq % 2 = 0 "
                         "AND seq NOT IN (SELECT seq FROM doc_topics WHERE topic = 'price')")
        _assert_mirrored(b)


def test_an_older_file_gains_the_copies_back_filled(tmp_path):
    path = tmp_path / "old.db"
    query = ScoreTrendQuery(metric="nps", interval="week", split="topic")
    first_copy = next(n for n, steps in enumerate(MIGRATIONS, start=1)
                      if any("ADD COLUMN sentiment" in step for step in steps))
    with SQLiteBackend(path) as b:
        b.upsert(corpus() + _split_fixture())
        before = b.score_trends(query), b.top_keywords(TopQuery(polarity="negative"))
        with b._write() as conn:  # make it look like a file written before the copies
            undo_copies(conn)
            conn.execute("DELETE FROM schema_version WHERE version >= ?", (first_copy,))
    with SQLiteBackend(path) as b:
        assert b.schema_version == SCHEMA_VERSION
        _assert_mirrored(b)
        assert (b.score_trends(query), b.top_keywords(TopQuery(polarity="negative"))) == before
        assert before[1] and before[0].series

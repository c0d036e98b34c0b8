"""What only the SQLite backend has: its file, schema migrations, time limits, index text."""

import sqlite3

import pytest

from index import open_backend
from index._sqlite_schema import SCHEMA_VERSION
from index.base import ErasureKind, SearchQuery
from index.errors import BackendUnavailable, QueryTimeout
from index.sqlite import SQLiteBackend
from nlp.analyser import get_analyser

from .corpus import corpus, with_vectors
from .old_files import undo_copies


def test_data_survives_close_and_reopen(tmp_path):
    path = tmp_path / "sub" / "voclens.db"
    with SQLiteBackend(path) as backend:
        backend.upsert(corpus())
    with SQLiteBackend(path) as backend:
        assert backend.count() == 10
        assert backend.search(SearchQuery(q='"物流太慢"')).total == 1
        # sequence numbers keep growing after a reopen
        assert backend.upsert(corpus()[:1]).updated == 1


def test_migrates_an_empty_file(tmp_path):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    with SQLiteBackend(path) as backend:
        assert backend.health()["schema_version"] == SCHEMA_VERSION
        assert backend.count() == 0
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_refuses_a_newer_schema(tmp_path):
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(BackendUnavailable):
        SQLiteBackend(path)


def test_not_a_database(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(BackendUnavailable):
        SQLiteBackend(path)


def test_closed_backend_is_unavailable(tmp_path):
    backend = SQLiteBackend(tmp_path / "x.db")
    backend.close()
    backend.close()  # idempotent
    with pytest.raises(BackendUnavailable):
        backend.count()


def test_queries_have_a_time_limit(tmp_path):
    with SQLiteBackend(tmp_path / "x.db", timeout_ms=50) as backend:
        with pytest.raises(QueryTimeout), backend._read() as conn:
            conn.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c").fetchone()
        assert backend.count() == 0  # the connection is usable afterwards


def test_registry(tmp_path):
    backend = open_backend("SQLite", path=tmp_path / "x.db")
    assert isinstance(backend, SQLiteBackend) and backend.name == "sqlite"
    backend.close()
    with pytest.raises(ValueError, match="known backends: elasticsearch, sqlite"):
        open_backend("mongo")


@pytest.mark.parametrize(
    "text",
    ["中华人民共和国万岁", "买的手机壳很好看，价格便宜", "电池漏液了，非常失望", "物流太慢了 refunds refused", "北京大学生前来应聘", "小米手机壳子好用"],
)
def test_search_mode_tokens_split_into_reading_order_words_and_subwords(text):
    # The words column must be jieba's precise cut (what a phrase query produces);
    # the sub-words are the rest of search mode's output.
    analyser = get_analyser()
    words, grams = analyser.index_terms(text)
    assert words == analyser.query_tokens(text)
    assert sorted(words + grams) == sorted(analyser.tokenize(text))


def test_long_word_split():
    assert get_analyser().index_terms("中华人民共和国万岁") == (
        ["中华人民共和国", "万岁"], ["中华", "华人", "人民", "共和", "共和国"])


def _files_hold(folder, needles: list[bytes]) -> dict[str, list[bytes]]:
    """Which of the database's files (main, -wal) hold which needle, byte for byte."""
    out = {}
    for f in sorted(folder.iterdir()):
        data = f.read_bytes().lower()
        out[f.name] = [n for n in needles if n.lower() in data]
    return out


def test_erased_text_leaves_the_file_and_the_wal(tmp_path):
    """A takedown means the words are gone from disk, not only from search results."""
    secret = corpus()[0].model_copy(update={"text": "独一无二的投诉 Zqxjvwplugh 物流太慢", "source_id": "secret", "id": ""})
    needles = ["独一无二".encode(), b"zqxjvwplugh"]
    with SQLiteBackend(tmp_path / "voclens.db") as backend:
        backend.upsert(corpus() + [secret])
        backend.upsert(corpus()[:3])  # more writes after it, as in a live index
        assert any(_files_hold(tmp_path, needles).values())
        backend.erase(ErasureKind.document, secret.id, actor="cli")
        # while the backend is still open (the WAL exists): nothing anywhere
        assert not any(_files_hold(tmp_path, needles).values())
        assert backend.count() == 10 and backend.search(SearchQuery(q='"物流太慢"')).total == 1


def test_plain_deletes_would_leave_the_text_in_the_wal(tmp_path):
    """The control for the test above: without erase's precautions the bytes stay."""
    secret = corpus()[0].model_copy(update={"text": "独一无二的投诉 Zqxjvwplugh", "source_id": "secret", "id": ""})
    with SQLiteBackend(tmp_path / "voclens.db") as backend:
        backend.upsert(corpus() + [secret])
        backend.delete_by_query("Zqxjvwplugh")
        assert any(_files_hold(tmp_path, [b"zqxjvwplugh"]).values())


def test_migration_back_fills_the_author_hash(tmp_path):
    path = tmp_path / "old.db"
    docs = [d.model_copy(update={"author_hash": f"a_{i % 2}"}) for i, d in enumerate(corpus())]
    with SQLiteBackend(path) as b:
        b.upsert(docs)
        with b._write() as conn:  # make it look like a schema-3 file
            undo_copies(conn)  # the newest migrations first: their triggers name the tables below
            conn.execute("DROP TABLE doc_scores")  # migration 7 (scores) comes back with the rest
            conn.execute("DROP INDEX documents_customer")
            conn.execute("ALTER TABLE documents DROP COLUMN customer_hash")
            conn.execute("DROP TABLE rollup_brands")
            conn.execute("DROP TABLE rollup_sources")
            conn.execute("DROP TABLE doc_vectors")
            conn.execute("DROP TABLE own_topics")
            conn.execute("DROP TABLE erased")
            conn.execute("DROP TABLE erasure_log")
            conn.execute("DROP INDEX documents_author")
            conn.execute("ALTER TABLE documents DROP COLUMN author_hash")
            conn.execute("DELETE FROM schema_version WHERE version > 3")
    with SQLiteBackend(path) as b:
        assert b.schema_version == SCHEMA_VERSION
        assert b.erase(ErasureKind.author, "a_0", actor="cli").documents == 5
        assert b.count() == 5


def test_a_schema_4_file_gains_the_vector_table_and_keeps_its_documents(tmp_path):
    path = tmp_path / "old.db"
    with SQLiteBackend(path) as b:
        b.upsert(corpus())
        with b._write() as conn:  # make it look like a file written before vectors
            undo_copies(conn)  # the newest migrations first: their triggers name the tables below
            conn.execute("DROP TABLE doc_scores")  # migration 7 (scores) comes back with the rest
            conn.execute("DROP INDEX documents_customer")
            conn.execute("ALTER TABLE documents DROP COLUMN customer_hash")
            conn.execute("DROP TABLE rollup_brands")
            conn.execute("DROP TABLE rollup_sources")
            conn.execute("DROP TABLE doc_vectors")
            conn.execute("DROP TABLE own_topics")
            conn.execute("DELETE FROM schema_version WHERE version > 4")
    with SQLiteBackend(path) as b:
        assert b.schema_version == SCHEMA_VERSION and b.count() == 10
        assert b.health()["vectors"] == 0 and list(b.iter_vectors()) == []
        b.upsert(with_vectors(corpus()))  # what `voclens reclassify` does for them
        assert b.health()["vectors"] == 10


def _migration_creating(table: str) -> int:
    """The number of the migration that creates ``table``."""
    from index._sqlite_schema import MIGRATIONS

    return next(n for n, steps in enumerate(MIGRATIONS, start=1)
                if any(f"CREATE TABLE {table} " in step or f"CREATE TABLE {table}(" in step for step in steps))  # fmt: skip


def test_a_file_from_before_scores_gains_them_with_its_star_ratings_back_filled(tmp_path):
    from index.scoring import ScoreTrendQuery

    path = tmp_path / "old.db"
    docs = [d.model_copy(update={"rating": float(1 + i % 5)}) for i, d in enumerate(corpus())]
    with SQLiteBackend(path) as b:
        b.upsert(docs)
        with b._write() as conn:  # make it look like a file written before scores
            undo_copies(conn)  # the newest migrations first: their triggers name the tables below
            conn.execute("DROP TABLE doc_scores")
            conn.execute("DROP INDEX documents_customer")
            conn.execute("ALTER TABLE documents DROP COLUMN customer_hash")
            conn.execute("DROP TABLE own_topics")  # the migration after scores comes back too
            conn.execute("DELETE FROM schema_version WHERE version >= ?", (_migration_creating("doc_scores"),))
    with SQLiteBackend(path) as b:
        assert b.schema_version == SCHEMA_VERSION
        series = b.score_trends(ScoreTrendQuery(metric="rating")).series[0]
        assert (series.responses, series.value) == (10, sum(d.rating for d in docs) / 10)


def test_a_vector_is_one_388_byte_blob_beside_the_document(tmp_path):
    """384 int8 values and a float32 scale, in a table of its own: scans of documents read no vector."""
    with SQLiteBackend(tmp_path / "voclens.db") as b:
        b.upsert(with_vectors(corpus()))
        with b._read() as conn:
            assert {r[0] for r in conn.execute("SELECT length(vector) FROM doc_vectors")} == {388}
            columns = {r[1] for r in conn.execute("PRAGMA table_info(documents)")}
            assert not columns & {"vector", "model"}


def test_an_erased_documents_vector_leaves_the_file_and_the_wal(tmp_path):
    from index._sqlite_vectors import to_blob

    docs = with_vectors(corpus())
    blob = to_blob(docs[0].vector)
    with SQLiteBackend(tmp_path / "voclens.db") as backend:
        backend.upsert(docs)
        backend.upsert(docs[3:])
        assert any(_files_hold(tmp_path, [blob[4:]]).values())
        backend.erase(ErasureKind.document, docs[0].id, actor="cli")
        assert not any(_files_hold(tmp_path, [blob[4:]]).values())


def _many_with_vectors(n: int = 60):
    from datetime import timedelta

    from .corpus import NOW, doc

    brands = ["Acme"] * 8 + ["Beta"] * 2  # Beta: a fifth of the documents, so filtered rankings copy their rows
    docs = [doc(f"m{i}", f"第{i}条评论 物流" if i % 3 else f"第{i}条评论", brand=brands[i % 10],
                created_at=NOW - timedelta(hours=i)) for i in range(n)]
    return with_vectors(docs, seed=11)


@pytest.mark.parametrize("q", ["", "物流", "brand:Beta", "brand:Beta 物流", "brand:Acme"])
def test_similar_from_the_vectors_in_memory_equals_similar_from_the_file(tmp_path, q):
    """The in-memory matrices (kept per write generation) rank exactly as reading every vector from SQLite does."""
    docs = _many_with_vectors()
    with SQLiteBackend(tmp_path / "voclens.db") as b:
        b.upsert(docs)
        for target in docs[:6]:
            query = SearchQuery(q=f"similar:{target.id}:7 {q}", limit=7)
            from_memory = [(h.document.id, h.score) for h in b.search(query).hits]
            b.vector_memory, memory = None, b.vector_memory
            from_file = [(h.document.id, h.score) for h in b.search(query).hits]
            b.vector_memory = memory
            assert from_memory == from_file and len(from_memory) == 7


def test_the_vectors_in_memory_follow_every_write(tmp_path):
    docs = _many_with_vectors(20)
    target = docs[0]
    with SQLiteBackend(tmp_path / "voclens.db") as b:
        b.upsert(docs)
        from .corpus import doc

        before = b.search(SearchQuery(q=f"similar:{target.id}:1")).hits[0].document.id
        twin = doc("twin", "一模一样的向量").model_copy(update={"vector": target.vector})
        b.upsert([twin])
        assert b.search(SearchQuery(q=f"similar:{target.id}:1")).hits[0].document.id == twin.id
        b.erase(ErasureKind.document, twin.id, actor="cli")
        assert b.search(SearchQuery(q=f"similar:{target.id}:1")).hits[0].document.id == before
        b.upsert([docs[1].model_copy(update={"vector": None})])
        assert docs[1].id not in {h.document.id for h in b.search(SearchQuery(q=f"similar:{target.id}")).hits}


def test_relabelling_rewrites_only_the_topic_list_of_the_stored_json(tmp_path):
    """Only the topic list is decoded in Python; SQLite's json_set puts it back in place, and the rest
    of the document stays byte for byte as it was written (texts with quotes, escapes, emoji, line
    separators; a sentiment score that Python would write in another form, 1.234e-05)."""
    import json

    from index.own_topics import OwnTopic
    from nlp.labels import Sentiment, TopicLabel

    from .corpus import doc

    texts = ['他说"漏液了"\\n第二行\n第三行', "tab\there \u2028 sep \x01 ctl 🙂 emoji", "plain"]
    docs = [doc(f"j{n}", t, rating=3.7, title="T \"q\"" if n else None, topics={"logistics": "negative"},
                keywords=["漏液"]).model_copy(update={"sentiment": Sentiment(label="negative", score=1.234e-05)})
            for n, t in enumerate(texts)]
    with SQLiteBackend(tmp_path / "j.db") as backend:
        backend.upsert(docs)
        backend.save_own_topic(OwnTopic(key="leaking", name_zh="漏液", name_en="Leaking"))

        def raw() -> dict[str, str]:
            with backend._read() as conn:
                return dict(conn.execute("SELECT d.id, j.doc FROM documents d JOIN document_json j ON j.seq = d.seq"))

        written = raw()
        for scores in ({docs[0].id: {"leaking": TopicLabel(topic="leaking", polarity="negative", score=0.91234,
                                                            evidence=(0, 4))},
                        docs[1].id: {"leaking": 0.5}, docs[2].id: {}},
                       {docs[0].id: {}, docs[1].id: {"leaking": 0.75}, docs[2].id: {"leaking": 0.6}}):
            before = raw()
            assert backend.relabel_topics(scores, ["leaking"]) >= 2
            for doc_id, stored in raw().items():
                want = json.loads(before[doc_id])
                want["topics"] = [t for t in want["topics"] if t["topic"] != "leaking"] + [
                    {"topic": "leaking", "polarity": v.polarity.value if isinstance(v, TopicLabel) else "negative",
                     "score": round(float(v.score if isinstance(v, TopicLabel) else v), 4),
                     "evidence": list(v.evidence) if isinstance(v, TopicLabel) and v.evidence else None}
                    for v in scores[doc_id].values()]
                assert json.loads(stored) == want, doc_id
                head, _, rest = written[doc_id].partition(',"topics":[')
                assert stored.startswith(head + ',"topics":[') and "0.00001234" in head
                assert stored.endswith(rest[rest.index('],"keywords":') + 1 :])
        assert backend.get(docs[1].id).text == texts[1]

"""What only the SQLite backend has: its file, schema migrations, time limits, index text."""

import sqlite3

import pytest

from index import open_backend
from index._sqlite_schema import SCHEMA_VERSION
from index.base import SearchQuery
from index.errors import BackendUnavailable, QueryTimeout
from index.sqlite import SQLiteBackend
from nlp.analyser import get_analyser

from .corpus import corpus


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

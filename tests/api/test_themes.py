"""Discovered themes (issue 19 part 4): ``discover_themes`` on a real SQLite file, ``GET /themes``, ``voclens themes``.

The corpus (``themes_corpus``) plants a new complaint (eight Chinese "漏液"
and four English "leaking" reviews, current window only) among background
themes present in both windows; its vectors carry sentiment and, for the
leaks, a little shared direction: each language's group has to come from the
words, and joining the two from the vectors.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bounds import InvalidParameter
from api.settings import Settings
from api.themes import ThemeNotFound, ThemeStore, discover_themes, theme_examples
from api.themes.store import RETENTION
from index.base import Filters
from index.sqlite import SQLiteBackend
from nlp.analyser import Analyser
from nlp.models import get_classifier
from nlp.themes import ThemeOptions

from .test_cli import voclens
from .themes_corpus import NOW, documents, of, planted


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = tmp_path_factory.mktemp("themes")
    with SQLiteBackend(path / "voclens.db") as backend:
        backend.upsert(documents())
    return path


@pytest.fixture(scope="module")
def backend(data):
    with SQLiteBackend(data / "voclens.db") as b:
        yield b


def _theme_holding(result, ids: set[str]):
    return max(result.themes, key=lambda t: len(set(t.members) & ids))


def test_the_planted_complaint_is_one_new_theme_named_by_its_words(backend):
    result = discover_themes(backend, Analyser(), until=NOW)
    assert (result.documents, result.previous_documents) == (35, 19)
    leak = _theme_holding(result, planted())
    assert set(leak.members) == planted()  # all of them, both languages, and nothing else
    assert leak.size == 12 and leak.previous == 0 and leak.growth is None
    assert leak.terms[0] == "漏液" and {"爽肤水", "leaking", "bottle"} <= set(leak.terms)
    assert result.themes[0] is leak  # the largest theme first
    assert {e.id for e in leak.examples} <= planted() and len(leak.examples) == 3
    # no other theme takes a planted document, and themes never share one
    others = [t for t in result.themes if t is not leak]
    assert not any(set(t.members) & planted() for t in others)
    members = [m for t in result.themes for m in t.members]
    assert len(members) == len(set(members))


def test_without_joining_languages_each_language_has_its_theme(backend):
    result = discover_themes(backend, Analyser(), until=NOW, options=ThemeOptions(join_languages=None))
    zh, en = _theme_holding(result, planted("zh")), _theme_holding(result, planted("en"))
    assert set(zh.members) == planted("zh") and set(en.members) == planted("en")
    assert zh.terms[0] == "漏液" and "leaking" in en.terms[:2]
    # without joining, no theme holds documents of both languages
    lang = {d.id: d.lang for d in documents()}
    assert all(len({lang[m] for m in t.members}) == 1 for t in result.themes)


def test_sizes_count_the_current_window_and_growth_compares_with_the_one_before(backend):
    result = discover_themes(backend, Analyser(), until=NOW)
    assert result.current.until == NOW and result.current.since == NOW - timedelta(days=7)
    assert result.previous.until == result.current.since and result.previous.since == NOW - timedelta(days=14)
    for t in result.themes:
        assert t.size == len(t.members) >= result.min_size
        assert t.growth == (None if t.previous == 0 else round((t.size - t.previous) / t.previous, 3))
    quality = _theme_holding(result, of("quality"))  # five before, five now: steady
    assert set(quality.members) <= of("quality") and quality.previous >= 1 and quality.terms[0] in ("quality", "great")
    # a week earlier the leaks had not begun: no theme holds them
    earlier = discover_themes(backend, Analyser(), until=NOW - timedelta(days=7))
    assert earlier.documents == 19 and not any(set(t.members) & planted() for t in earlier.themes)


def test_filters_and_query_narrow_the_documents_clustered(backend):
    english = discover_themes(backend, Analyser(), filters=Filters(lang=["en"]), until=NOW)
    assert english.documents == 14 and not any(set(t.members) & planted("zh") for t in english.themes)
    assert set(_theme_holding(english, planted("en")).members) == planted("en")
    leaks = discover_themes(backend, Analyser(), q="漏液", until=NOW, min_size=2)
    assert leaks.documents == 8 and {m for t in leaks.themes for m in t.members} <= planted("zh")
    # the request's own dates intersect the windows: since after the previous window leaves it empty
    late = discover_themes(backend, Analyser(), filters=Filters(since=NOW - timedelta(days=3)), until=NOW)
    assert late.previous_documents == 0 and late.documents < 35


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def state_url(request, tmp_path) -> str:
    """The state database: a SQLite file, or a fresh database on a real PostgreSQL server."""
    if request.param == "postgres":
        return request.getfixturevalue("pg_server").new_database()
    return f"sqlite:///{tmp_path / 'state.db'}"


def test_same_documents_same_ids_and_the_members_can_be_read_back(backend, state_url):
    first = discover_themes(backend, Analyser(), until=NOW)
    again = discover_themes(backend, Analyser(), until=NOW)
    assert [t.id for t in first.themes] == [t.id for t in again.themes]
    assert [t.terms for t in first.themes] == [t.terms for t in again.themes]
    store = ThemeStore(state_url)
    try:
        store.save(first)
        store.save(again)  # the same themes again: replaced, not duplicated
        leak = _theme_holding(first, planted())
        examples = theme_examples(leak.id, store)
        assert sorted(examples) == sorted(planted()) and examples == leak.members
        assert examples[:3] == [e.id for e in leak.examples]  # most typical first
        assert store.get(leak.id)["terms"] == leak.terms and store.get(leak.id)["window_until"] == NOW
        with pytest.raises(ThemeNotFound, match="no theme with id 'ffffffffffffffff'"):
            theme_examples("f" * 16, store)
        # a theme older than RETENTION goes at the next save
        store.save(first.model_copy(update={"themes": []}), now=datetime.now(UTC) + RETENTION + timedelta(days=1))
        with pytest.raises(ThemeNotFound):
            store.get(leak.id)
    finally:
        store.close()


@pytest.mark.parametrize("window", ["7x", "0d", "", "7", "10000d"])
def test_a_bad_window_is_refused_naming_it(backend, window):
    with pytest.raises(InvalidParameter, match="window: .* is not a duration like 12h, 1d, 28d or 2w") as info:
        discover_themes(backend, Analyser(), window=window)
    assert info.value.field == "window"


def test_a_window_at_the_start_of_the_calendar_has_no_themes(backend):
    from index.document import EARLIEST

    result = discover_themes(backend, Analyser(), until=EARLIEST)
    assert result.documents == 0 and result.themes == []


# -- over HTTP and the command line ----------------------------------------------------------------
@pytest.fixture(scope="module")
def client(data, backend):
    with TestClient(create_app(Settings(data_dir=data), backend=backend, classifier=get_classifier("fast"))) as c:
        yield c


def test_get_themes_answers_the_planted_theme_and_stores_it(client, data):
    r = client.get("/themes", params={"until": NOW.isoformat(), "sentiment": "negative", "examples": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["documents"] == 30 and body["model"] == "enc-themes-test"  # the negative ones: 8 slow, 5 price, 5 support, 12 leaks
    leak = max(body["themes"], key=lambda t: "漏液" in t["terms"])
    assert leak["size"] == 12 and leak["previous"] == 0 and leak["growth"] is None and len(leak["examples"]) == 2
    assert "members" not in leak and set(leak) == {"id", "terms", "size", "previous", "growth", "examples"}
    store = ThemeStore(f"sqlite:///{data / 'state.db'}")
    try:
        assert sorted(theme_examples(leak["id"], store)) == sorted(planted())
    finally:
        store.close()


@pytest.mark.parametrize(("params", "field", "detail"), [
    ({"window": "7x"}, "window", "window: '7x' is not a duration like 12h, 1d, 28d or 2w"),
    ({"until": "yesterday"}, "until", "ISO 8601"),
    ({"limit": 0}, "limit", "greater than or equal to 1"),
    ({"min_size": 1}, "min_size", "greater than or equal to 2"),
    ({"q": "brnad:Acme"}, "q", "unknown field"),
])
def test_bad_requests_name_the_parameter(client, params, field, detail):
    r = client.get("/themes", params=params)
    assert r.status_code in (400, 422), r.text
    body = r.json()
    assert body.get("field") == field or field in json.dumps(body), body
    assert detail.lower() in body["detail"].lower()


def test_voclens_themes_prints_json_and_refuses_a_bad_window(data):
    r = voclens("themes", "--until", NOW.isoformat(), "--json", data_dir=data)
    body = json.loads(r.stdout)
    assert any(set(t["terms"]) >= {"漏液", "爽肤水", "leaking"} and t["size"] == 12 for t in body["themes"])
    bad = voclens("themes", "--window", "2x", data_dir=data, check=False)
    assert bad.returncode == 2 and "--window" in bad.stderr and "'2x' is not a duration" in bad.stderr
    table = voclens("themes", "--until", NOW.isoformat(), "--lang", "en", data_dir=data).stdout
    assert "14 documents" in table and "漏液" not in table and "leaking" in table


@pytest.mark.elasticsearch
def test_elasticsearch_gives_the_same_themes_as_sqlite(backend, es_node):
    from index.registry import open_backend
    from tests.es_node import unique_prefix

    es = open_backend("elasticsearch", hosts=[es_node.url], index_prefix=unique_prefix())
    try:
        es.upsert(documents())
        on_es = discover_themes(es, Analyser(), until=NOW)
        on_sqlite = discover_themes(backend, Analyser(), until=NOW)
        assert on_es.model_dump() == on_sqlite.model_dump()
        assert [t.members for t in on_es.themes] == [t.members for t in on_sqlite.themes]
    finally:
        es.drop_all()
        es.close()


def test_a_theme_becomes_an_own_topic_seeded_with_its_documents(data, tmp_path):
    """``voclens topics add KEY --from-theme ID``: the theme's documents are the topic's examples."""
    import shutil

    for name in ("voclens.db", "voclens.db-wal"):
        if (data / name).exists():
            shutil.copy(data / name, tmp_path / name)
    body = json.loads(voclens("themes", "--until", NOW.isoformat(), "--json", data_dir=tmp_path).stdout)
    leak = max(body["themes"], key=lambda t: "漏液" in t["terms"])
    r = voclens("topics", "add", "leaking", "--name-zh", "漏液", "--name-en", "Leaking", "--from-theme", leak["id"],
                data_dir=tmp_path)  # fmt: skip
    assert "12 example(s)" in r.stdout
    with SQLiteBackend(tmp_path / "voclens.db") as b:
        (topic,) = b.own_topics()
    assert {e.id for e in topic.examples} == planted() and {e.label for e in topic.examples} == {1}
    bad = voclens("topics", "add", "other", "--name-zh", "其他", "--name-en", "Other", "--from-theme", "0" * 16,
                  data_dir=tmp_path, check=False)  # fmt: skip
    assert bad.returncode == 1 and "0" * 16 in bad.stderr


def test_two_distinct_complaints_over_four_weeks_stay_two_themes_each_whole(tmp_path):
    """28-day windows: the leaks and the overheating power banks are one theme each, never one together."""
    from .themes_corpus import two_complaints

    docs = two_complaints()
    leaks = {d.id for d in docs if d.source_id.startswith("leak")}
    heat = {d.id for d in docs if d.source_id.startswith("heat")}
    with SQLiteBackend(tmp_path / "two.db") as backend:
        backend.upsert(docs)
        result = discover_themes(backend, Analyser(), window="28d", until=NOW, limit=50)
    assert result.documents == 24 + 4 * 14
    leak, hot = _theme_holding(result, leaks), _theme_holding(result, heat)
    assert leak is not hot
    assert set(leak.members) == leaks and set(hot.members) == heat

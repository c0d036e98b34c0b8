"""The query language parser (``index.query``): pure, no backend."""

from datetime import UTC, datetime

import pytest

from index.base import Filters, TopicFilter
from index.errors import InvalidQuery
from index.query import SimilarTo, combine_filters, highlight, parse_query


def texts(q):
    return [([t.text for t in c.terms], c.negated) for c in parse_query(q).clauses]


def test_terms_are_anded_and_tokenised():
    p = parse_query("物流太慢 refunds")
    assert [c.terms[0].tokens for c in p.clauses] == [("物流", "太慢"), ("refund",)]
    assert not any(c.terms[0].phrase for c in p.clauses)


def test_phrase_keeps_order_and_is_a_phrase():
    (clause,) = parse_query('"物流太慢"').clauses
    assert clause.terms[0].phrase and clause.terms[0].tokens == ("物流", "太慢")


def test_single_token_phrase_is_a_term():
    (clause,) = parse_query('"物流"').clauses
    assert not clause.terms[0].phrase


def test_exclusions_of_terms_and_phrases():
    assert texts('物流 -客服 -"不退款"') == [(["物流"], False), (["客服"], True), (["不退款"], True)]


def test_or_binds_tighter_than_and():
    assert texts('a b OR c OR "d e" f') == [(["a"], False), (["b", "c", "d e"], False), (["f"], False)]


@pytest.mark.parametrize("q", ["OR", "OR a", "a OR", "a OR OR b", "-", "- a", "--", "a -OR b"])
def test_stray_or_and_minus_never_fail(q):
    parse_query(q)


def test_or_at_edges_is_ignored():
    assert texts("OR 物流 OR") == [(["物流"], False)]
    assert texts("a OR -b") == [(["a"], False), (["b"], True)]


def test_lowercase_or_is_a_word():
    assert texts("a or b") == [(["a"], False), (["or"], False), (["b"], False)]


def test_unbalanced_quote_runs_to_the_end():
    assert texts('物流 "太慢 了') == [(["物流"], False), (["太慢 了"], False)]


def test_chinese_quotes_and_fullwidth_colon():
    p = parse_query("“物流太慢” brand：Acme")
    assert p.clauses[0].terms[0].phrase and p.filters.brand == ["Acme"]


@pytest.mark.parametrize("q", ["NEAR(a b)", "a* ^b", "(a OR b)", "'; DROP TABLE docs; --", 'x"y"z', "{title}: a", "\x00"])
def test_operators_become_plain_tokens(q):
    p = parse_query(q)
    for clause in p.clauses:
        for term in clause.terms:
            assert all(tok.isalnum() for tok in term.tokens), term


def test_punctuation_only_terms_are_dropped():
    assert parse_query("*** ! ? --").clauses == ()


def test_field_filters():
    p = parse_query(
        'brand:"Acme Inc" brand:Beta product:P1 source:jd channel:review lang:zh sentiment:negative '
        "topic:logistics topic:quality:negative rating:>=2 rating:<=4 since:2026-01-01 until:2026-02-01T12:00"
    )
    f = p.filters
    assert f.brand == ["Acme Inc", "Beta"] and f.product_id == ["P1"] and f.source == ["jd"]
    assert f.channel == ["review"] and f.lang == ["zh"] and [s.value for s in f.sentiment] == ["negative"]
    assert f.topics == [TopicFilter(topic="logistics"), TopicFilter(topic="quality", polarity="negative")]
    assert (f.rating_min, f.rating_max) == (2, 4)
    assert f.since == datetime(2026, 1, 1, tzinfo=UTC) and f.until == datetime(2026, 2, 1, 12, tzinfo=UTC)
    assert p.clauses == ()


def test_exact_rating():
    f = parse_query("rating:3").filters
    assert (f.rating_min, f.rating_max) == (3, 3)


def test_things_that_only_look_like_fields_are_text():
    assert texts('12:30 "foo:bar"') == [(["12:30"], False), (["foo:bar"], False)]
    assert parse_query("https://shop.example.com/item").clauses
    assert parse_query("mailto:a@b.cn note:").clauses


@pytest.mark.parametrize("q, name", [("brnad:Voltra", "brnad"), ("color:red", "color"), ("物流 -colour:red", "colour")])
def test_unknown_fields_name_themselves_and_the_known_ones(q, name):
    with pytest.raises(InvalidQuery) as exc:
        parse_query(q)
    assert exc.value.field == "q" and repr(name) in str(exc.value) and "brand, product" in str(exc.value)


@pytest.mark.parametrize(
    "q",
    ["since:yesterday", "until:2026-13-01", "rating:>5", "rating:>3", "rating:abc", "channel:fax", "lang:fr",
     "sentiment:angry", "topic:Bad-Key", "topic:shipping", "topic:logistics:furious", "brand:", 'brand:""', "-brand:Acme",
     "since:2026-02-01 until:2026-01-01"],
)
def test_invalid_filters_raise_invalid_query(q):
    with pytest.raises(InvalidQuery) as exc:
        parse_query(q)
    assert exc.value.field == "q"


def test_similar_names_a_document_and_how_many_neighbours():
    p = parse_query("similar:1740F3E06C9B49678144646CE6D032A2 物流 brand:Acme")
    assert p.similar == SimilarTo("1740f3e06c9b49678144646ce6d032a2", 100) and p.neighbours is None
    assert [c.terms[0].text for c in p.clauses] == ["物流"] and p.filters.brand == ["Acme"]
    assert parse_query("similar:abc:500").similar == SimilarTo("abc", 500)
    assert parse_query("物流").similar is None


@pytest.mark.parametrize("q", ["similar:", "similar:xyz", "similar:abc:0", "similar:abc:1001", "similar:abc:ten",
                               "similar:a similar:b", "-similar:abc"])
def test_invalid_similar_raises_invalid_query(q):
    with pytest.raises(InvalidQuery) as exc:
        parse_query(q)
    assert exc.value.field == "q"


def test_dates_past_the_ends_of_the_calendar_mean_unbounded():
    f = parse_query("since:0001-01-01T00:00:00+14:00 until:9999-12-31T23:59:59-14:00").filters
    assert f.since == datetime(1, 1, 2, tzinfo=UTC) and f.until == datetime(9999, 12, 30, tzinfo=UTC)


def test_combine_filters_merges_and_checks():
    p = parse_query("brand:Acme since:2026-01-10")
    merged = combine_filters(p, Filters(brand=["Beta"], since=datetime(2026, 1, 1, tzinfo=UTC)))
    assert merged.brand == ["Beta", "Acme"] and merged.since == datetime(2026, 1, 10, tzinfo=UTC)
    with pytest.raises(InvalidQuery):
        combine_filters(parse_query("since:2026-03-01"), Filters(until=datetime(2026, 2, 1, tzinfo=UTC)))


def test_highlight_marks_raw_words_and_escapes():
    tokens = parse_query("refund 物流").highlight_tokens()
    out = highlight("<b>Refunded</b> & 物流太慢", tokens)
    assert out == "&lt;b&gt;<mark>Refunded</mark>&lt;/b&gt; &amp; <mark>物流</mark>太慢"
    assert highlight("nothing here", tokens) is None


def test_highlight_snippet_of_long_text():
    text = "好" * 500 + "物流" + "好" * 500
    out = highlight(text, frozenset({"物流"}), max_chars=100)
    assert out.startswith("…") and out.endswith("…") and "<mark>物流</mark>" in out and len(out) < 130

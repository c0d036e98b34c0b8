"""The shared analyser: what indexing, queries and the baseline rely on."""

from __future__ import annotations

import pytest

from nlp.analyser import Analyser, detect_lang, get_analyser


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("物流太慢了", "zh"),
        ("The delivery was late and the box was crushed", "en"),
        ("iPhone 电池不耐用", "zh"),  # a brand name does not make a Chinese text English
        ("12345 !!!", "other"),
        ("", "other"),
    ],
)
def test_detect_lang(text, lang):
    assert detect_lang(text) == lang


def test_query_for_logistics_matches_tokens_of_a_sentence():
    analyser = get_analyser()
    query = analyser.query_tokens("物流")
    assert query == ["物流"]
    assert set(query) <= set(analyser.tokenize("物流太慢了"))


def test_inflections_stem_alike():
    analyser = get_analyser()
    stems = {analyser.tokenize(w)[0] for w in ("refund", "refunds", "refunded", "Refunding")}
    assert len(stems) == 1


def test_full_width_letters_match_ascii():
    analyser = get_analyser()
    assert analyser.tokenize("ＲＥＦＵＮＤ") == analyser.tokenize("refund")


def test_user_terms_are_kept_whole():
    plain = Analyser().words("戴森吹风机很好用")
    custom = Analyser(user_terms=["戴森吹风机"]).words("戴森吹风机很好用")
    assert "戴森吹风机" not in plain
    assert custom[0] == "戴森吹风机"
    # and the whole term is searchable as one index token
    assert "戴森吹风机" in Analyser(user_terms=["戴森吹风机"]).tokenize("戴森吹风机很好用")


def test_keywords_drop_stopwords_and_rank_repeated_terms_first():
    analyser = get_analyser()
    zh = analyser.keywords("物流太慢了，物流太差，客服不回复", k=3)
    assert zh[0] == "物流"
    assert "了" not in zh and len(zh) <= 3
    en = analyser.keywords("The refund never arrived and the seller ignored my refund request")
    assert en[0] == "refund"
    assert "the" not in en and "and" not in en
    assert analyser.keywords("") == []

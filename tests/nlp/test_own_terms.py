"""The heads' terms found without splitting whole texts (``TermMatcher``) are those the full split finds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nlp import own_terms
from nlp.own_terms import TermMatcher, matcher, presence, term_sets
from nlp.own_topics import HeadStack, TopicHead, unit

ROOT = Path(__file__).resolve().parents[2]

#: Texts where a shortcut would go wrong: substrings of words, stems, pairs, scripts, punctuation.
TRICKY = [
    "这个很好用，好评！", "好", "不好用", "用了好久才好", "漏液了!!!leaking", "瓶子漏了，液体洒了一半",
    "The bottle is leaking, it leaked twice; leaks everywhere.", "Leak", "LEAKING lid",
    "well-made, don't buy; the seller's fault", "I’m happy – it’s great, isn’t it?",
    "Ｔｈｅ ｓｈｏｅｓ ｒｕｎ ｓｍａｌｌ", "The shoes RUN small, 2 sizes", "run. small! run,small", "run 很 small",
    "run small很好 run small", "質量很差，物流太慢，客服態度不好", "质量很差，物流太慢", "café crème brûlée très bon",
    "ありがとう 商品は良い", "배송 빠름 good", "😀 good 👍 value", "2 day shipping, 3 days late, 2023 12 号",
    "iPhone电池不耐用, battery drains fast", "", "   ", "!!!", "x", "a-b-c d'e", "top-up failed; top up again",
    "尺码偏小了，建议拍大一码", "偏小", "大一码", "一", "快递很快，物流很快，快", "京东快递，京东物流",
    "It is what it is. The the the.", "custom servic", "customer service was rude, service",
    "退款退款退款 refund refunded refunds", "包装破损 packaging damaged, packaged badly", "12345", "１２３ ＡＢＣ",
]


def corpus() -> list[str]:
    """Both languages: the journey examples, the labelled samples and the tricky texts above."""
    texts = list(TRICKY)
    for path in sorted((ROOT / "nlp" / "resources" / "journey").glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    sample = ROOT / "tests" / "nlp" / "data" / "sample_labelled.jsonl"
    texts += [json.loads(line)["text"] for line in sample.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts


#: Terms that are no token of these texts but substrings or surface forms of their words.
NEAR_MISSES = ["好", "用", "好用", "漏", "液", "漏液", "液了", "leaking", "leaked", "leak", "small run", "run 很",
               "the", "2", "2 day", "café", "crème brûlée", "ありがとう", "良い", "배송", "well made", "don't", "dont",
               "seller", "sell", "i'm", "im", "快", "很快", "京", "京东快递", "up", "top up", "top", "", " ", "a b c",
               "质量", "質量", "态度", "態度", "ｒｕｎ", "run small", "shoe run", "d'e", "de", "e", "abc", "１２３", "123"]


def all_terms(texts: list[str]) -> list[str]:
    return sorted(set().union(*term_sets(texts))) + NEAR_MISSES


@pytest.mark.parametrize("regex_terms", [500, 0, 10**6], ids=["as shipped", "n-grams only", "regex only"])
def test_the_matcher_finds_exactly_the_terms_of_the_full_split(monkeypatch, regex_terms):
    monkeypatch.setattr(own_terms, "_REGEX_TERMS", regex_terms)  # both ways of finding substrings
    texts = corpus()
    full = term_sets(texts)
    terms = all_terms(texts)
    rng = np.random.default_rng(19)
    subsets = {
        "every term": terms,
        "near misses only": NEAR_MISSES,
        "Chinese only": [t for t in terms if not t.isascii()],
        "English pairs only": [t for t in terms if " " in t],
        "one character": ["好", "快", "一", "e", "x"],
        **{f"random {n}": list(rng.choice(terms, size=n, replace=False)) for n in (5, 50, 400)},
    }
    assert len(texts) > 300 and len(terms) > 1000
    for name, chosen in subsets.items():
        m = TermMatcher(chosen)
        for text, found in zip(texts, full, strict=True):
            assert m.found(text) == found & set(chosen), (name, text)
        expected = presence(full, chosen)
        assert np.array_equal(m.presence(texts), expected), name
        assert np.array_equal(m.presence(texts), expected), name  # again, from the memo


def test_the_corpus_exercises_what_the_matcher_skips_and_keeps():
    # the comparison above means something only if these cases are in it
    full = dict(zip(TRICKY, term_sets(TRICKY)))
    assert "好评" in full["这个很好用，好评！"] and "好用" not in full["这个很好用，好评！"]  # a substring, not a word of it
    assert full["不好用"] == {"不好"} and "好" not in full["用了好久才好"]  # 好: a word there, but a stop word
    assert "leak" in full["The bottle is leaking, it leaked twice; leaks everywhere."]
    assert "run small" in full["The shoes RUN small, 2 sizes"] and "run small" in full["run. small! run,small"]
    assert "run small" not in full["run 很 small"]  # a Chinese word between breaks the pair
    assert "run" in full["Ｔｈｅ ｓｈｏｅｓ ｒｕｎ ｓｍａｌｌ"] and "run small" not in full["Ｔｈｅ ｓｈｏｅｓ ｒｕｎ ｓｍａｌｌ"]
    assert full["質量很差，物流太慢，客服態度不好"] >= {"质量", "物流"}
    assert "café" in full["café crème brûlée très bon"] and "top up" in full["top-up failed; top up again"]


def test_a_matcher_for_terms_of_one_language_leaves_the_other_unsplit():
    m = TermMatcher(["leak", "run small"])
    assert m.found("漏液了，瓶子漏了 but it leaks") == {"leak"}
    assert m._run_tokens("漏液了") == (None,)  # never cut by jieba
    assert TermMatcher(["漏液"]).found("The bottle is leaking") == set()
    assert matcher(("leak",)) is matcher(("leak",))  # one memo per set of terms, across batches


def test_heads_score_with_the_terms_of_the_full_split():
    texts = corpus()
    terms = all_terms(texts)
    rng = np.random.default_rng(7)
    dims = 8
    heads = {
        f"t{k}": TopicHead(model="enc", weights=rng.normal(size=dims).tolist(), bias=-1.0,
                           terms={str(t): float(rng.normal(scale=2)) for t in rng.choice(terms, size=60, replace=False)},
                           threshold=0.5, positives=30, negatives=0, background=100, precision=0.5, recall=0.5,
                           f1=0.5, seconds=0.1)
        for k in range(4)
    }  # fmt: skip
    stack = HeadStack.of(heads)
    vectors = rng.normal(size=(len(texts), dims)).astype(np.float32)
    logits = unit(vectors) @ stack.weights.T + stack.bias + presence(term_sets(texts), stack.terms) @ stack.term_weights
    expected = 1.0 / (1.0 + np.exp(-logits))
    assert np.array_equal(stack.scores(vectors, texts=texts), expected)
    labels = stack.labels(vectors, texts=texts)
    hit = expected >= stack.thresholds
    assert 0 < hit.sum() < hit.size
    assert labels == [{stack.keys[j]: round(float(expected[i, j]), 4) for j in np.flatnonzero(hit[i])}
                      for i in range(len(texts))]  # fmt: skip
    with pytest.raises(ValueError, match="give the texts"):
        stack.scores(vectors)


def test_the_runs_tokens_are_the_analysers_precise_tokens():
    from nlp.analyser import get_analyser

    analyser = get_analyser()
    for text in corpus():
        runs = analyser.precise_runs(text)
        assert [t for run in runs for t in analyser.run_tokens(run)] == analyser.analyse(text, search_mode=False)[0]
        assert all(analyser.run_tokens(run) for run in runs)  # never none: a run always stands between its neighbours

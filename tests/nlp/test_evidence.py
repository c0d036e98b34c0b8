"""Evidence spans: clauses of a text and the clause that weighs most for a topic."""

import numpy as np

from nlp.evidence import clauses, evidence_span


def test_clauses_split_on_chinese_and_english_punctuation_but_not_numbers():
    text = "物流很快，但是质量很差。价格1,299元, 2.5斤. Runs small, order a size up!\n好"
    assert [text[a:b] for a, b in clauses(text)] == [
        "物流很快", "但是质量很差", "价格1,299元", "2.5斤", "Runs small", "order a size up", "好"]  # fmt: skip
    assert clauses("") == [] and clauses("。。") == []


def test_the_clause_of_the_strongest_token_wins_and_outside_tokens_count_for_nothing():
    text = "物流很快，质量很差"
    starts = [-1, 0, 2, 5, 7, -1]  # <s>, 物流, 很快, 质量, 很差, </s>
    assert evidence_span(text, starts, np.array([9.0, 0.5, 0.4, 0.3, 0.3, 9.0])) == (0, 4)
    assert evidence_span(text, starts, np.array([0.0, 0.4, 0.4, 0.2, 0.5, 0.0])) == (5, 9)
    assert evidence_span(text, [-1, -1], np.array([1.0, 1.0])) is None


def test_token_offsets_point_into_the_text_also_after_head_and_tail_truncation():
    from nlp.batching import TextEncoder
    from nlp.encoder import build_base_encoder
    from nlp.transformer import DEFAULT_CACHE_DIR

    enc = TextEncoder(build_base_encoder(DEFAULT_CACHE_DIR) / "tokenizer.json", max_length=16, tail=4)
    texts = ["物流很快，但是质量很差，穿了一次就起球了，非常失望的一次购物体验", "Runs small"]
    (ids_zh, ids_en), (zh, en) = enc.encode_with_offsets(texts)
    assert len(ids_zh) == len(zh) == 16 and ids_zh == enc.encode(texts[:1])[0]
    assert zh[:5] == [-1] * 5 and zh[-1] == -1  # <s>, the "query: " prefix, </s>
    inside = [p for p in zh if p >= 0]
    assert inside[0] == 0 and inside == sorted(inside) and inside[-1] > 20  # the kept tail
    assert [texts[1][p] for p in en if p >= 0] == ["R", "s", "s"]  # ▁Run, s, ▁small: spaces skipped


def test_a_clause_whose_words_name_the_topic_wins_over_a_stronger_token_elsewhere():
    from nlp.baseline import names_topic

    text = "很服帖，很柔软，质量也不错"
    starts = [-1, 0, 1, 4, 5, 8, 10, 11, -1]  # <s>, 很, 服帖, 很, 柔软, 质量, 也, 不错, </s>
    scores = np.array([0.0, 0.1, 0.2, 0.1, 3.0, 1.0, 0.1, 0.5, 0.0])
    assert evidence_span(text, starts, scores) == (4, 7)  # the strongest token alone
    assert evidence_span(text, starts, scores, names_topic("quality")) == (8, 13)
    # Where no clause names it, the scores decide as before; an anticipating clause names nothing.
    assert evidence_span(text, starts, scores, names_topic("logistics")) == (4, 7)
    hoped = "期待质量好，很柔软"
    assert evidence_span(hoped, [0, 2, 6, 7], np.array([0.5, 0.4, 0.1, 3.0]), names_topic("quality")) == (6, 9)

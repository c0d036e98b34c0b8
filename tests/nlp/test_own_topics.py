"""Own-topic heads (``nlp.own_topics``) and the shipped journey (``nlp.journey``), on plain arrays."""

from __future__ import annotations

import time

import numpy as np
import pytest

from nlp.journey import STAGES, TOUCHPOINTS, journey_examples, touchpoint_texts
from nlp.own_topics import (
    HeadStack,
    TopicExample,
    TopicTrainingError,
    TrainingArgs,
    check_key,
    merge_examples,
    parse_examples,
    read_examples,
    train_head,
)

DIMS = 384


def clusters(seed: int = 0, positives: int = 50, topic_docs: int = 60, others: int = 2000):
    """Examples around one direction, more documents of the topic, and unrelated documents (random directions)."""
    rng = np.random.default_rng(seed)
    axis = rng.standard_normal(DIMS)
    near = lambda n: (axis + 0.6 * rng.standard_normal((n, DIMS))).astype(np.float32)  # noqa: E731
    return near(positives), near(topic_docs), rng.standard_normal((others, DIMS)).astype(np.float32)


def test_examples_parse_from_jsonl_with_errors_naming_the_line(tmp_path):
    lines = ['{"text": "瓶子漏液了", "label": 1}', "", '{"id": "ab12", "label": 0, "polarity": "negative"}']
    examples = parse_examples(lines)
    assert [(e.text, e.id, e.label) for e in examples] == [("瓶子漏液了", None, 1), (None, "ab12", 0)]
    for bad, words in [('{"text": "x"}', "line 2: label"), ('{"text": "x", "id": "ab", "label": 1}', "exactly one of text and id"),
                       ('{"text": "x", "label": 2}', "less than or equal to 1"), ("not json", "line 2: not JSON"),
                       ('{"text": "x", "label": 1, "lable": 0}', "lable")]:
        with pytest.raises(TopicTrainingError, match=words):
            parse_examples(['{"text": "ok", "label": 1}', bad], "f.jsonl")
    path = tmp_path / "ex.jsonl"
    path.write_text("\ufeff" + lines[0] + "\n", encoding="utf-8")
    assert read_examples(path)[0].text == "瓶子漏液了"
    with pytest.raises(TopicTrainingError, match="cannot read"):
        read_examples(tmp_path / "missing.jsonl")


def test_merging_keeps_one_example_per_text_or_id_the_later_label_winning():
    old = [TopicExample(text="a", label=1), TopicExample(id="ff", label=1)]
    new = [TopicExample(text="a", label=0), TopicExample(text="b", label=1)]
    merged = merge_examples(old, new)
    assert [(e.identity, e.label) for e in merged] == [("id:ff", 1), ("text:a", 0), ("text:b", 1)]


def test_keys_and_arguments_are_checked():
    assert check_key("leaking_lid") == "leaking_lid"
    for bad in ("Leaking", "leak-lid", "", "x" * 65, "漏液"):
        with pytest.raises(ValueError, match="lower-case"):
            check_key(bad)
    with pytest.raises(ValueError, match="folds"):
        TrainingArgs(folds=1)
    with pytest.raises(ValueError, match="c must be positive"):
        TrainingArgs(c=0)


def test_a_head_finds_the_topic_and_says_so_by_cross_validation():
    examples, topic_docs, others = clusters()
    head = train_head("enc", examples, np.zeros((0, DIMS), np.float32), others)
    assert (head.positives, head.negatives, head.background, head.model) == (50, 0, 2000, "enc")
    assert head.precision > 0.9 and head.recall > 0.9 and head.f1 > 0.9 and 0 < head.threshold < 1
    stack = HeadStack.of({"leaking": head})
    labels = stack.labels(np.concatenate([topic_docs, others[:500]]))
    found = [i for i, lab in enumerate(labels) if "leaking" in lab]
    assert sum(i < 60 for i in found) >= 57 and sum(i >= 60 for i in found) <= 5
    assert all(0 < s <= 1 for lab in labels for s in lab.values())


def test_counter_examples_alone_can_teach_and_too_few_examples_cannot():
    examples, _, others = clusters(seed=1)
    head = train_head("enc", examples[:10], others[:40], np.zeros((0, DIMS), np.float32))
    assert head.negatives == 40 and head.background == 0 and head.recall > 0.8
    with pytest.raises(TopicTrainingError, match="at least 5"):
        train_head("enc", examples[:4], others[:40], others[40:100])
    with pytest.raises(TopicTrainingError, match="nothing to contrast"):
        train_head("enc", examples, others[:2], np.zeros((0, DIMS), np.float32))


def test_twenty_topics_of_fifty_examples_train_within_a_minute():
    started = time.perf_counter()
    heads = {}
    for seed in range(20):
        examples, _, others = clusters(seed=seed)
        heads[f"t{seed}"] = train_head("enc", examples, np.zeros((0, DIMS), np.float32), others)
    assert time.perf_counter() - started < 60
    assert HeadStack.of(heads).scores(others[:10]).shape == (10, 20)


def test_the_journey_has_five_stages_thirteen_touchpoints_and_examples_in_both_languages():
    assert len(STAGES) == 5 and len(TOUCHPOINTS) == 13
    assert {t.stage for t in TOUCHPOINTS} == {s.key for s in STAGES}
    examples = journey_examples()
    for t in TOUCHPOINTS:
        texts = touchpoint_texts(t)
        zh = [x for x in texts if any("\u4e00" <= c <= "\u9fff" for c in x)]
        assert len(texts) >= 24 and len(zh) >= 12 and len(texts) - len(zh) >= 12, t.key
        assert sum(e.label for e in examples[t.key]) == len(texts)
    for s in STAGES:
        own = sum(len(touchpoint_texts(t)) for t in TOUCHPOINTS if t.stage == s.key)
        assert sum(e.label for e in examples[s.key]) == own
    every = [x for t in TOUCHPOINTS for x in touchpoint_texts(t)]
    assert len(every) == len(set(every))  # no text teaches two touchpoints


def test_cue_words_become_a_feature_the_head_weighs():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((400, DIMS)).astype(np.float32)  # vectors that say nothing about the topic
    cues = np.zeros(400, dtype=bool)
    cues[:20] = True  # the 20 examples hold a cue word, as do 10 documents of the background
    cues[200:210] = True
    head = train_head("enc", x[:20], x[20:20], x[20:], cues=np.concatenate([cues[:20], cues[20:]]))
    assert head.cue_weight > 1.0
    stack = HeadStack.of({"k": head})
    flags = cues[20:].reshape(-1, 1)
    with_cues = stack.scores(x[20:], flags)[:, 0]
    assert with_cues[flags[:, 0]].mean() > with_cues[~flags[:, 0]].mean() + 0.2
    assert np.allclose(stack.scores(x[20:])[:, 0], stack.scores(x[20:], np.zeros_like(flags))[:, 0])
    assert train_head("enc", x[:20], x[20:20], x[20:]).cue_weight == 0.0


def test_has_cue_ignores_case():
    from nlp.own_topics import has_cue

    assert has_cue("The bottle LEAKED", ["leak"]) and has_cue("瓶子漏液了", ["漏液"]) and not has_cue("漏了", ["漏液"])


def _worded(seed: int = 7, n: int = 600, topic_every: int = 5):
    """Vectors that say nothing about the topic; texts of which every ``topic_every``-th names it in words."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, DIMS)).astype(np.float32)
    fillers = ["物流很快，包装完好", "The colour is lovely and it arrived on time", "客服回复及时，态度很好",
               "Battery lasts all day", "味道不错，下次还来", "Great value for the price"]
    sizes = ["尺码偏小，建议拍大一码", "It runs small, order a size up", "码数偏小，穿着有点紧",
             "Way too small for me, runs small"]
    is_topic = np.arange(n) % topic_every == 0
    texts = [f"{fillers[i % len(fillers)]}. {sizes[i % len(sizes)]}" if t else fillers[(i * 7) % len(fillers)]
             for i, t in enumerate(is_topic)]
    return x, texts, is_topic


def test_terms_mined_from_the_examples_words_teach_what_the_vectors_do_not_know():
    x, texts, is_topic = _worded()
    pos = np.flatnonzero(is_topic)[:30]
    bg = np.setdiff1d(np.arange(300), pos)  # the background holds unlabelled documents of the topic too
    head = train_head("enc", x[pos], x[:0], x[bg], texts=[texts[i] for i in (*pos, *bg)])
    assert {"偏小", "small", "run small"} <= set(head.terms) and all(head.terms[t] > 0 for t in ("偏小", "small"))
    assert head.recall > 0.9  # cross-validated: terms mined again in each fold, from its training part only
    stack = HeadStack.of({"size": head})
    assert stack.reads_words
    held_out = np.arange(300, 600)
    labels = stack.labels(x[held_out], texts=[texts[i] for i in held_out])
    found = np.array(["size" in lab for lab in labels])
    gold = is_topic[held_out]
    assert (found & gold).sum() >= 0.95 * gold.sum() and (found & ~gold).sum() <= 0.05 * (~gold).sum()
    vectors_alone = train_head("enc", x[pos], x[:0], x[bg])
    assert vectors_alone.terms == {} and vectors_alone.f1 < head.f1 - 0.3
    with pytest.raises(ValueError, match="give the texts"):
        stack.scores(x[:3])
    with pytest.raises(ValueError, match="2 texts for 3 vectors"):
        stack.scores(x[:3], texts=texts[:2])


def test_terms_off_and_a_head_stored_before_terms_still_load_and_score_alike():
    from nlp.own_topics import TopicHead

    x, texts, is_topic = _worded(seed=3)
    pos, bg = np.flatnonzero(is_topic)[:20], np.flatnonzero(~is_topic)[:200]
    off = train_head("enc", x[pos], x[:0], x[bg], TrainingArgs(terms=0), texts=[texts[i] for i in (*pos, *bg)])
    assert off.terms == {}
    old = off.model_dump(mode="json")
    del old["terms"]  # as stored by a voclens without terms
    loaded = TopicHead.model_validate(old)
    assert loaded == off and not HeadStack.of({"k": loaded}).reads_words
    assert np.allclose(HeadStack.of({"k": loaded}).scores(x[:50]), HeadStack.of({"k": off}).scores(x[:50], texts=texts[:50]))
    for bad in ({"terms": -1}, {"term_min_count": 0}, {"vector_scale": 0}):
        with pytest.raises(ValueError):
            TrainingArgs(**bad)


def test_term_sets_use_the_shared_analyser_without_stop_words():
    from nlp.own_terms import term_sets

    zh, en = term_sets(["尺码偏小了，建议拍大一码", "The shoes RUN small, 2 sizes"])
    assert {"尺码", "偏小"} <= zh and "了" not in zh
    assert {"shoe", "run", "small", "run small", "size"} <= en and "the" not in en and "2" not in en


def test_texts_without_a_term_leave_the_head_to_the_vector():
    examples, _, others = clusters(seed=4, positives=20, others=300)
    head = train_head("enc", examples, examples[:0], others, texts=["42", "的"] * 10 + ["!!"] * 300)
    assert head.terms == {} and head.recall > 0.8

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

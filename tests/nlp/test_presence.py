"""The presence head's pieces: the token maximum, the combination with the pooled head, its targets."""

import numpy as np

from nlp.annotations.store import AnnotatedText, Annotation, TopicLabel
from nlp.labels import DEFAULT_TOPICS, Polarity
from nlp.presence import combine, token_presence
from nlp.training.presence_head import presence_targets, two_fold_pair_f1

LOGISTICS, QUALITY = DEFAULT_TOPICS.index("logistics"), DEFAULT_TOPICS.index("quality")


def item(text: str, lang: str = "zh", *topics: tuple[str, str, int, int]) -> AnnotatedText:
    labels = tuple(TopicLabel(t, Polarity(p), a, b) for t, p, a, b in topics)
    return AnnotatedText(text, Annotation("s", text, "sha", lang, "d", "tune", "a", Polarity.neutral, labels))


def test_the_strongest_token_of_the_text_itself_counts_never_a_special_token():
    logits = np.full((4, len(DEFAULT_TOPICS)), -4.0, dtype=np.float32)
    logits[0, LOGISTICS] = 9.0  # [CLS]: outside the text
    logits[2, LOGISTICS] = 0.0
    got = token_presence(logits, [-1, 0, 2, -1])
    assert got[LOGISTICS] == 0.5 and np.isclose(got[QUALITY], 1 / (1 + np.exp(4.0)))
    assert not token_presence(logits, [-1, -1, -1, -1]).any()


def test_present_is_the_geometric_mean_and_the_polarities_keep_their_proportions():
    probs = np.zeros((len(DEFAULT_TOPICS), 4), dtype=np.float32)
    probs[:, 0] = 1.0
    probs[LOGISTICS] = [0.36, 0.48, 0.0, 0.16]  # present 0.64: negative three times positive
    presence = np.zeros(len(DEFAULT_TOPICS), dtype=np.float32)
    presence[LOGISTICS], presence[QUALITY] = 0.25, 0.99
    out = combine(probs, presence)
    assert np.allclose(out.sum(-1), 1.0)
    assert np.allclose(out[LOGISTICS], [0.6, 0.3, 0.0, 0.1])  # sqrt(0.64 * 0.25) = 0.4, split 3:1
    assert out[QUALITY, 0] == 1.0  # the pooled head saw nothing: a token alone does not make a topic


def test_targets_quote_tokens_positive_absent_topics_negative_the_rest_unknown():
    text = "物流很慢质量好"
    rows, y = presence_targets([item(text, "zh", ("logistics", "negative", 0, 4))], [[-1, 0, 2, 4, 6, -1]])
    assert rows == [(0, 1), (0, 2), (0, 3), (0, 4)]
    assert list(y[:, LOGISTICS]) == [1.0, 1.0, -1.0, -1.0]
    assert (y[:, QUALITY] == 0).all()  # not annotated: every token a negative


def test_two_fold_scores_a_perfect_model_perfect_and_a_silent_one_zero():
    items = [item(f"第{i}件 物流", "zh", ("logistics", "negative", 0, 2)) if i % 2 else item(f"第{i}件", "zh")
             for i in range(40)]  # fmt: skip
    perfect = np.zeros((len(items), len(DEFAULT_TOPICS), 4), dtype=np.float32)
    perfect[:, :, 0] = 1.0
    for k, it in enumerate(items):
        if it.annotation.topics:
            perfect[k, LOGISTICS] = [0.05, 0.9, 0.03, 0.02]
    silent = np.zeros_like(perfect)
    silent[:, :, 0] = 1.0
    assert two_fold_pair_f1(perfect, items, 0.7) == {"zh": 1.0}
    assert two_fold_pair_f1(silent, items, 0.7) == {"zh": 0.0}

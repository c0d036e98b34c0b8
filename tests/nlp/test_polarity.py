"""The mention head (``nlp.polarity``): each topic's polarity read where the text speaks of it."""

import numpy as np
import pytest

from nlp.labels import DEFAULT_TOPICS
from nlp.polarity import MentionPolarity, attention_pool, drop_mention_head, mention_features, with_polarity
from nlp.training.polarity_head import fit_polarity_head

T, H = len(DEFAULT_TOPICS), 8
LOGISTICS, QUALITY, OTHER = (DEFAULT_TOPICS.index(t) for t in ("logistics", "quality", "price"))


def test_each_topic_pools_the_tokens_its_evidence_points_at():
    hidden = np.eye(4, H, dtype=np.float32)  # token i is the unit vector e_i
    evidence = np.zeros((4, T), dtype=np.float32)
    evidence[1, LOGISTICS] = 30.0
    evidence[3, QUALITY] = 30.0
    pooled = attention_pool(hidden, evidence)
    assert pooled.shape == (T, H)
    assert np.allclose(pooled[LOGISTICS], hidden[1], atol=1e-6) and np.allclose(pooled[QUALITY], hidden[3], atol=1e-6)
    assert np.allclose(pooled[OTHER], hidden.mean(0))  # flat evidence: the plain mean


def test_only_the_polarities_change_presence_stays_the_topic_heads():
    probs = np.tile(np.array([0.2, 0.1, 0.1, 0.6], dtype=np.float32), (T, 1))
    polarity = np.tile(np.array([0.5, 0.25, 0.25], dtype=np.float32), (T, 1))
    out = with_polarity(probs, polarity)
    assert np.allclose(out[:, 0], 0.2) and np.allclose(out.sum(-1), 1.0)
    assert np.allclose(out[0, 1:], [0.4, 0.2, 0.2])


def _text(neg_at: int, pos_at: int):
    """Four tokens; one carries a "negative" direction, one a "positive" one; logistics' evidence
    points at ``neg_at``, quality's at ``pos_at``."""
    hidden = np.zeros((4, H), dtype=np.float32)
    hidden[neg_at, 0], hidden[pos_at, 1] = 1.0, 1.0
    evidence = np.zeros((4, T), dtype=np.float32)
    evidence[neg_at, LOGISTICS], evidence[pos_at, QUALITY] = 30.0, 30.0
    probs = np.tile(np.array([0.1, 0.3, 0.3, 0.3], dtype=np.float32), (T, 1))
    return hidden, evidence, hidden.mean(0), probs, np.array([1 / 3] * 3, dtype=np.float32)


def test_two_topics_of_one_text_get_opposite_polarities_from_their_own_clauses():
    weight = np.zeros((3, 2 * H + 6), dtype=np.float32)
    weight[0, 0], weight[2, 1] = 8.0, 8.0  # the pooled-by-evidence block only: dim 0 negative, dim 1 positive
    head = MentionPolarity(weight, np.zeros((T, 3), dtype=np.float32))
    out = head(*_text(neg_at=1, pos_at=3))
    assert np.argmax(out[LOGISTICS, 1:]) == 0 and np.argmax(out[QUALITY, 1:]) == 2
    assert np.allclose(out[:, 0], 0.1)


def test_the_fitted_head_learns_the_direction_and_each_topics_own_bias():
    rng = np.random.default_rng(3)
    rows, topics, y = [], [], []
    for _ in range(300):
        neg, pos = rng.choice(4, 2, replace=False)
        feats = mention_features(*_text(int(neg), int(pos)))
        rows += [feats[LOGISTICS], feats[QUALITY], feats[OTHER]]
        topics += [LOGISTICS, QUALITY, OTHER]
        y += [0, 2, 1]  # the third topic is always a neutral mention: only its bias can say so
    weight, bias = fit_polarity_head(np.stack(rows) + rng.normal(0, 0.01, (len(rows), 2 * H + 6)),
                                     np.array(topics), np.array(y), c=10.0)  # fmt: skip
    assert weight.shape == (3, 2 * H + 6) and bias.shape == (T, 3)
    out = MentionPolarity(weight, bias)(*_text(neg_at=2, pos_at=0))
    assert np.argmax(out[LOGISTICS, 1:]) == 0 and np.argmax(out[QUALITY, 1:]) == 2
    assert np.argmax(out[OTHER, 1:]) == 1


def test_dropping_the_head_removes_its_config_and_tensors_and_says_whether_there_was_one():
    config = {"version": "m", "polarity": "mention_head", "polarity_check": {"kept": True}, "evidence": "head"}
    weights = {"polarity_head.weight": np.zeros((3, 2)), "polarity_head.bias": np.zeros((T, 3)), "topic_head.bias": np.zeros(4)}
    assert drop_mention_head(config, weights)
    assert config == {"version": "m", "evidence": "head"} and list(weights) == ["topic_head.bias"]
    assert not drop_mention_head(config, weights)


@pytest.mark.model
def test_a_folder_whose_mention_head_cannot_work_is_refused_at_load(tmp_path):
    """A mention head without the evidence head it attends with, or without its tensors, is a broken
    folder: loading it says so rather than labelling with the wrong attention or failing later."""
    from nlp.errors import ModelError
    from nlp.model_layout import TrainedModel
    from nlp.transformer import DEFAULT_CACHE_DIR, LITE_MODEL_DIR, TransformerClassifier

    model = TrainedModel.from_pretrained(LITE_MODEL_DIR)
    assert model.config.get("polarity") == "mention_head"
    no_evidence = TrainedModel({**model.config, "evidence": "topic_head"}, dict(model.weights), model.training)
    no_evidence.save_pretrained(tmp_path / "no-evidence")
    no_tensors = TrainedModel(dict(model.config), {k: v for k, v in model.weights.items() if not k.startswith("polarity_head.")},
                              model.training)  # fmt: skip
    no_tensors.save_pretrained(tmp_path / "no-tensors")
    for folder, says in (("no-evidence", "evidence head"), ("no-tensors", "lacks its tensors")):
        with pytest.raises(ModelError, match=says):
            TransformerClassifier(tmp_path / folder, cache_dir=DEFAULT_CACHE_DIR, runtime="onnx-fp32").load()

"""The per-topic token logistic regression that the evidence and presence heads share."""

import numpy as np

from nlp.training.token_logistic import fit_token_logistic


def test_it_learns_each_topic_from_its_own_feature_and_ignores_unknown_targets():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 4)).astype(np.float32)
    y = np.stack([(x[:, 0] > 1.0), (x[:, 1] > 0.0)], axis=1).astype(np.float32)
    y[:1500, 1] = -1.0  # unknown half: must not count, whatever it says
    x[:1500, 1] = -5.0  # ...even though its feature alone would teach "absent"
    w, b = fit_token_logistic(x, y, epochs=30, lr=3e-2, seed=1, max_pos_weight=20.0, chunk=512)
    assert w.shape == (2, 4) and b.shape == (2,)
    assert np.argmax(np.abs(w[0])) == 0 and np.argmax(np.abs(w[1])) == 1
    pred = (x[1500:] @ w.T + b) > 0
    assert (pred[:, 1] == (y[1500:, 1] > 0)).mean() > 0.95
    assert (pred[:, 0] == (y[1500:, 0] > 0)).mean() > 0.85  # rare positives weighed up, still right

"""One logistic regression per topic over token states: what the evidence and presence heads fit.

Both heads read the encoder's last states token by token and learn, per topic, whether a token
belongs to a quote that shows the topic. Tokens of quotes are rare, so positives are weighed up
(to a cap) and tokens whose target is unknown (-1) are masked out of the loss.
"""

from __future__ import annotations

import numpy as np


def fit_token_logistic(
    x: np.ndarray, y: np.ndarray, *, epochs: int, lr: float, seed: int, max_pos_weight: float, chunk: int
) -> tuple[np.ndarray, np.ndarray]:
    """Weights (T, H) and bias (T,) fitted with Adam on ``x`` (N, H) and 0/1/-1 targets ``y`` (N, T),
    in shuffled mini-batches of about ``chunk`` rows."""
    import torch

    x_t = torch.from_numpy(x.astype(np.float32))
    y_t = torch.from_numpy(y)
    known = (y_t >= 0).float()
    pos_weight = ((y_t == 0).float().sum(0) / (y_t == 1).float().sum(0).clamp(min=1)).clamp(max=max_pos_weight)
    torch.manual_seed(seed)
    layer = torch.nn.Linear(x_t.shape[1], y_t.shape[1])
    opt = torch.optim.Adam(layer.parameters(), lr=lr, weight_decay=1e-4)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        for idx in np.array_split(rng.permutation(len(x_t)), max(1, len(x_t) // chunk)):
            idx = torch.from_numpy(idx)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                layer(x_t[idx]), y_t[idx].clamp(min=0), pos_weight=pos_weight, reduction="none")
            loss = (loss * known[idx]).sum() / known[idx].sum().clamp(min=1)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return layer.weight.detach().numpy(), layer.bias.detach().numpy()

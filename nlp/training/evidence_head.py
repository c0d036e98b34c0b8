"""Learn where a topic shows from the annotated quotes: the evidence head of a trained model.

Annotators marked, for every topic, the shortest quote that shows it. A linear layer over
the model's last token states learns "this token lies inside the quote of topic t" from the
annotation set's train part (only texts where the topic is present: the head localises a
topic, the topic head decides whether it is there). It is added to the model folder as
``evidence_head`` and exported with the rest of the graph, so it costs one small matrix
product per token. Scored on the tune part: the share of gold topics whose chosen clause
overlaps the annotated quote, against the topic head's own token shares.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..labels import DEFAULT_TOPICS
from ..model_layout import TrainedModel
from ..polarity import drop_mention_head
from .token_logistic import fit_token_logistic

log = logging.getLogger(__name__)


def last_hidden_batches(model_dir: Path, cache_dir: Path, texts: Sequence[str], offsets: bool = False):
    """A trained model's last token states, batch by batch, for feature extraction.

    Yields ``(batch, hidden, mask, net, encoded, starts)``: the length batch (its
    ``positions`` index ``texts``), the states (B, L, H) and mask as torch tensors, the
    network (for its heads), and the token ids and start offsets of every text.
    """
    import torch

    from ..batching import TextEncoder, length_batches
    from ..encoder import build_base_encoder
    from ..network import load_network

    base = build_base_encoder(cache_dir)
    net, config = load_network(model_dir, base)
    encoder = TextEncoder(base / "tokenizer.json", config["max_length"], config["tail"])
    encoded, starts = encoder.encode_with_offsets(list(texts)) if offsets else (encoder.encode(list(texts)), None)
    with torch.inference_mode():
        for batch in length_batches(encoded, 64):
            ids, mask = torch.from_numpy(batch.input_ids), torch.from_numpy(batch.attention_mask)
            yield batch, net.upper_hidden(net.lower(ids, mask), mask), mask, net, encoded, starts


def token_states(model_dir: Path, cache_dir: Path, texts: Sequence[str]):
    """Per text: last hidden states (L, H), token start offsets, and the topic probabilities."""
    import torch

    hidden: list[np.ndarray | None] = [None] * len(texts)
    probs = np.zeros((len(texts), len(DEFAULT_TOPICS), 4), dtype=np.float32)
    starts: list = []
    for batch, h, mask, net, encoded, starts in last_hidden_batches(model_dir, cache_dir, texts, offsets=True):
        _, t = net.heads(h, mask)
        probs[batch.positions] = torch.softmax(t, -1).numpy()
        for j, pos in enumerate(batch.positions):
            hidden[pos] = h[j, : len(encoded[pos])].numpy()
    return hidden, starts, probs


def _token_targets(items, starts) -> tuple[list[tuple[int, int]], np.ndarray]:
    """(item, token) pairs with a (T,) target row: 1 inside the topic's quote, 0 outside, -1 unknown."""
    index = {t: k for k, t in enumerate(DEFAULT_TOPICS)}
    rows, targets = [], []
    for n, item in enumerate(items):
        gold = item.annotation.topics
        if not gold:
            continue
        for i, start in enumerate(starts[n]):
            if start < 0:
                continue
            row = np.full(len(DEFAULT_TOPICS), -1.0, dtype=np.float32)
            for t in gold:
                row[index[t.topic]] = 1.0 if t.start <= start < t.end else 0.0
            rows.append((n, i))
            targets.append(row)
    return rows, np.stack(targets) if targets else np.zeros((0, len(DEFAULT_TOPICS)), np.float32)


def fit_evidence_head(hidden, starts, items, epochs: int = 30, lr: float = 3e-3, seed: int = 13):
    """Logistic regression per topic on token states; returns weight (T, H) and bias (T,).

    Quotes are short: their tokens are weighed up (to at most 20 times)."""
    rows, y = _token_targets(items, starts)
    x = np.stack([hidden[n][i] for n, i in rows])
    return fit_token_logistic(x, y, epochs=epochs, lr=lr, seed=seed, max_pos_weight=20.0, chunk=2048)


def overlap_share(items, starts, scores_for) -> float:
    """Share of gold topics whose evidence clause overlaps the annotated quote."""
    from ..evidence import evidence_span

    hit = total = 0
    index = {t: k for k, t in enumerate(DEFAULT_TOPICS)}
    for n, item in enumerate(items):
        for g in item.annotation.topics:
            span = evidence_span(item.text, starts[n], scores_for(n, index[g.topic]))
            total += 1
            hit += span is not None and span[0] < g.end and g.start < span[1]
    return hit / total if total else 0.0


def add_evidence_head(model_dir: Path, cache_dir: Path, data_dir: Path) -> dict:
    """Train the evidence head on the annotation train part, score it on tune, write it into ``model_dir``.

    The head is written only when it beats the topic head's own token shares on the tune part;
    the report says both figures either way.
    """
    from ..annotations.store import load_gold, load_train

    train_items = [i for i in load_train(data_dir) if i.annotation.topics]
    tune_items = [i for i in load_gold(data_dir, split="tune") if i.annotation.topics]
    h_tr, s_tr, _ = token_states(model_dir, cache_dir, [i.text for i in train_items])
    weight, bias = fit_evidence_head(h_tr, s_tr, train_items)
    h_tu, s_tu, p_tu = token_states(model_dir, cache_dir, [i.text for i in tune_items])
    model = TrainedModel.from_pretrained(model_dir)
    topic_w = model.weights["topic_head.weight"].astype(np.float32).reshape(len(DEFAULT_TOPICS), 4, -1)
    diff = topic_w[:, 1:, :] - topic_w[:, :1, :]

    def head_scores(n, k):
        return 1.0 / (1.0 + np.exp(-(h_tu[n] @ weight[k] + bias[k]))) - 0.5

    def share_scores(n, k):
        q = p_tu[n, k, 1:] / max(float(p_tu[n, k, 1:].sum()), 1e-9)
        return (h_tu[n] @ diff[k].T) @ q

    report = {"tune_overlap_evidence_head": round(overlap_share(tune_items, s_tu, head_scores), 4),
              "tune_overlap_topic_head_shares": round(overlap_share(tune_items, s_tu, share_scores), 4),
              "train_texts": len(train_items), "tune_texts": len(tune_items)}  # fmt: skip
    report["kept"] = report["tune_overlap_evidence_head"] > report["tune_overlap_topic_head_shares"]
    if drop_mention_head(model.config, model.weights):  # it attends with the evidence head it replaced
        log.info("the mention head read the old evidence head: dropped (voclens model add-polarity-head fits it again)")
    if report["kept"]:
        model.put_head("evidence_head", weight, bias, evidence="head")
    else:  # an evidence head from an earlier run is not what was compared: the topic head's shares it is
        model.drop_head("evidence_head", "evidence")
    model.config["evidence_check"] = report
    model.save_pretrained(model_dir)
    log.info("evidence: %s", report)
    return report


__all__ = ["add_evidence_head", "fit_evidence_head", "last_hidden_batches", "overlap_share", "token_states"]

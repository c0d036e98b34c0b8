"""Retrain a model's heads on the annotation set, over its frozen encoder: minutes, not hours.

Why heads first: the encoder of a trained model already separates the texts well (a frozen
e5 with a linear head beats the fine-tuned model on unseen hotel reviews); what it lacks is
labels that follow the taxonomy's rules across domains. The annotation set supplies those.
Its train part is shown ``annotation_repeat`` times per epoch next to capped rows of the
existing sets (so nothing they taught is forgotten) and sentiment from star ratings mapped
to three classes (1-2 negative, 3 neutral, 4-5 positive). Every annotated tune or test
text is kept out of all training rows, whatever set it came from.

Presence thresholds are then chosen per language and topic on the annotation set's **tune**
part only. The test part is never read here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._example import Example
from ..labels import DEFAULT_TOPICS, Polarity
from ..model_layout import WEIGHTS_FILE, TrainedModel
from ..polarity import drop_mention_head

log = logging.getLogger(__name__)

_POLARITY_INDEX = {Polarity.negative: 0, Polarity.neutral: 1, Polarity.positive: 2}
STAR_SENTIMENT = {1: Polarity.negative, 2: Polarity.negative, 3: Polarity.neutral, 4: Polarity.positive,
                  5: Polarity.positive}  # fmt: skip
#: Existing-set rows per set for head training (sentiment and covered topics).
HEAD_LIMITS = 1500
THRESHOLD_GRID = tuple(np.round(np.arange(0.20, 0.96, 0.05), 2))
#: Config entries chosen on the base's heads' probabilities: new heads make them stale, so a
#: retrained folder starts without them (``voclens model train-heads`` chooses each again).
STALE_AFTER_HEADS = ("cue_shift", "runtime_check", "thresholds_chosen_on", "cued_thresholds_by_lang",
                     "cue_thresholds_check", "sentiment_bias_by_lang", "sentiment_bias_check", "presence_check",
                     "evidence_check")  # fmt: skip


@dataclass
class HeadTrainingArguments:
    """One head-retraining run; validated on construction."""

    base_model: Path
    output_dir: Path
    version: str
    data_dir: Path
    cache_dir: Path
    epochs: int = 40
    learning_rate: float = 2e-3
    annotation_repeat: int = 4
    other_weight: float = 0.5
    limit_per_set: int = HEAD_LIMITS
    seed: int = 13
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, ok in {"epochs": self.epochs > 0, "learning_rate": self.learning_rate > 0,
                         "annotation_repeat": self.annotation_repeat >= 1,
                         "other_weight": 0 <= self.other_weight <= 1}.items():  # fmt: skip
            if not ok:
                raise ValueError(f"HeadTrainingArguments.{name}: invalid value {getattr(self, name)!r}")
        if not Path(self.base_model, "config.json").is_file():
            raise ValueError(f"HeadTrainingArguments.base_model: {self.base_model} is not a model folder (no config.json)")


def annotation_examples(items) -> list[Example]:
    """Annotated texts as training examples: every topic covered (absent is gold too)."""
    return [Example(text=i.text, lang=i.annotation.lang, source="annotations", split="train",
                    sentiment=i.annotation.sentiment,
                    topics={t.topic: t.polarity for t in i.annotation.topics},
                    covered=frozenset(DEFAULT_TOPICS)) for i in items]  # fmt: skip


def star_examples(data_dir: Path, exclude: set[str], limit: int) -> list[Example]:
    """Sentiment from star ratings (1-2 / 3 / 4-5) of the star-rated sets, balanced by star."""
    from ..annotations.sources import amazon_alexa, womens_clothing

    out = []
    for reader in (amazon_alexa, womens_clothing):
        by_star: dict[int, list] = {}
        for row in reader(data_dir):
            if row.text not in exclude:
                by_star.setdefault(row.meta["stars"], []).append(row)
        per = max(1, limit // 5)
        for star, rows in sorted(by_star.items()):
            for row in rows[:per]:
                out.append(Example(text=row.text, lang="en", source=row.set, split="train",
                                   sentiment=STAR_SENTIMENT[star], topics={}, covered=frozenset()))  # fmt: skip
    return out


def other_examples(data_dir: Path, exclude: set[str], limit: int) -> list[Example]:
    """Train rows of the existing sets (capped per set), without any annotated tune/test text.

    The annotation set is not one of them: its train part comes in through ``annotation_examples``
    (repeated, at full weight); counted here too it would add a capped copy at ``other_weight``."""
    from .corpora import ANNOTATIONS, CORPORA, load_all

    out = []
    for key, examples in load_all(data_dir).items():
        if CORPORA[key].held_out or key == ANNOTATIONS:
            continue
        rows = [e for e in examples if e.split == "train" and e.text not in exclude and not e.weak]
        step = max(1, len(rows) // limit)
        out += rows[::step][:limit]
    return out


def targets(examples: Sequence[Example], weights: Sequence[float]):
    """Sentiment (N,), topic states (N, T) with -100 where unknown (as full training encodes
    them, ``nlp.training.mix.targets``), and the per-example weights (N,) as an array."""
    from .mix import targets as label_tensors

    sent, top, _ = label_tensors(examples, DEFAULT_TOPICS, weak_weight=1.0)
    return sent.numpy(), top.numpy(), np.asarray(weights, dtype=np.float32)


def pooled_features(model_dir: Path, cache_dir: Path, texts: Sequence[str], on_progress=None) -> np.ndarray:
    """Mean-pooled last hidden states of a trained model's encoder (what its heads read)."""
    from .evidence_head import last_hidden_batches
    from ..network import mean_pool

    out: np.ndarray | None = None
    done = 0
    for batch, hidden, mask, _, _, _ in last_hidden_batches(model_dir, cache_dir, texts):
        if out is None:
            out = np.zeros((len(texts), hidden.shape[-1]), dtype=np.float32)
        out[batch.positions] = mean_pool(hidden, mask).numpy()
        done += len(batch.positions)
        if on_progress:
            on_progress("features", done, len(texts))
    return out if out is not None else np.zeros((0, 0), dtype=np.float32)


def _cached_features(args: HeadTrainingArguments, texts: Sequence[str], on_progress=None) -> np.ndarray:
    import hashlib

    digest = hashlib.sha256(Path(args.base_model, WEIGHTS_FILE).read_bytes())
    for t in texts:
        digest.update(t.encode("utf-8") + b"\x00")
    path = Path(args.cache_dir) / "head-features" / f"{digest.hexdigest()[:20]}.npy"
    if path.exists():
        return np.load(path)
    feats = pooled_features(args.base_model, args.cache_dir, texts, on_progress)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path.with_suffix(".tmp.npy"), feats)
    path.with_suffix(".tmp.npy").replace(path)
    return feats


def head_probabilities(heads: dict[str, np.ndarray], feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sentiment (N, 3) and topic-state (N, T, 4) probabilities from pooled features."""

    def softmax(x):
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    s = feats @ heads["sentiment_head.weight"].T + heads["sentiment_head.bias"]
    t = (feats @ heads["topic_head.weight"].T + heads["topic_head.bias"]).reshape(len(feats), len(DEFAULT_TOPICS), 4)
    return softmax(s), softmax(t)


def fit_heads(start: dict[str, np.ndarray], feats: np.ndarray, sent: np.ndarray, top: np.ndarray,
              weight: np.ndarray, epochs: int, lr: float, seed: int) -> dict[str, np.ndarray]:  # fmt: skip
    """Full-batch-ish Adam on the two linear heads, from ``start``; weighted, masked cross-entropy."""
    import torch

    torch.manual_seed(seed)
    params = {k: torch.tensor(v, dtype=torch.float32, requires_grad=True) for k, v in start.items()}
    opt = torch.optim.Adam(params.values(), lr=lr, weight_decay=1e-4)
    x, ys, yt, w = (torch.from_numpy(a) for a in (feats, sent, top, weight))
    n_topics = len(DEFAULT_TOPICS)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        for idx in np.array_split(rng.permutation(len(x)), max(1, len(x) // 256)):
            idx = torch.from_numpy(idx)
            xb = x[idx]
            s = xb @ params["sentiment_head.weight"].T + params["sentiment_head.bias"]
            t = (xb @ params["topic_head.weight"].T + params["topic_head.bias"]).view(-1, n_topics, 4)
            ls = torch.nn.functional.cross_entropy(s, ys[idx], ignore_index=-100, reduction="none")
            lt = torch.nn.functional.cross_entropy(t.reshape(-1, 4), yt[idx].reshape(-1), ignore_index=-100,
                                                   reduction="none").view(-1, n_topics).sum(-1)  # fmt: skip
            loss = ((ls + lt) * w[idx]).sum() / w[idx].sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return {k: v.detach().numpy() for k, v in params.items()}


def choose_thresholds(topic_probs: np.ndarray, items, grid=THRESHOLD_GRID, min_gold: int = 3,
                      min_precision: float = 0.0) -> dict[str, dict[str, float]]:  # fmt: skip
    """Per language, ``nlp.training.scoring.calibrate_topic_thresholds`` on the annotated tune items.

    A topic with fewer than ``min_gold`` tune items in a language keeps 0.5; see there for
    ``min_precision``.
    """
    from .scoring import calibrate_topic_thresholds

    out: dict[str, dict[str, float]] = {}
    for lang in sorted({i.annotation.lang for i in items}):
        rows = [k for k, i in enumerate(items) if i.annotation.lang == lang]
        out[lang] = calibrate_topic_thresholds(topic_probs[rows], annotation_examples([items[k] for k in rows]),
                                               DEFAULT_TOPICS, grid, min_gold, min_precision)  # fmt: skip
    return out


def train_heads(args: HeadTrainingArguments, on_progress=None) -> dict:
    """Retrain the heads of ``args.base_model`` and save a complete model folder; return its report."""
    from ..annotations.store import load_gold, load_train

    started = time.time()
    train_items = load_train(args.data_dir)
    tune_items = load_gold(args.data_dir, split="tune")
    held = {i.text for split in ("tune", "test") for i in load_gold(args.data_dir, split=split)}
    ann = annotation_examples(train_items)
    others = other_examples(args.data_dir, held, args.limit_per_set) + star_examples(args.data_dir, held, args.limit_per_set)
    examples = ann * args.annotation_repeat + others
    weights = [1.0] * (len(ann) * args.annotation_repeat) + [args.other_weight] * len(others)
    texts = [e.text for e in ann] + [e.text for e in others] + [i.text for i in tune_items]
    feats = _cached_features(args, texts, on_progress)
    n_ann, n_other = len(ann), len(others)
    train_feats = np.concatenate([np.tile(feats[:n_ann], (args.annotation_repeat, 1)), feats[n_ann : n_ann + n_other]])
    tune_feats = feats[n_ann + n_other :]
    base = TrainedModel.from_pretrained(args.base_model)
    start = _heads_of(base)
    sent, top, w = targets(examples, weights)
    heads = fit_heads(start, train_feats, sent, top, w, args.epochs, args.learning_rate, args.seed)
    _, tune_topics = head_probabilities(heads, tune_feats)
    thresholds = choose_thresholds(tune_topics, tune_items)
    config = dict(base.config)
    # Only the heads change: the encoder, and so every document vector, stays the base's, under its name.
    config.update(version=args.version, heads_retrained_from=config["version"], topic_thresholds_by_lang=thresholds,
                  vectors_of=config.get("vectors_of") or config["version"])  # fmt: skip
    for key in STALE_AFTER_HEADS:
        config.pop(key, None)
    report = {"version": args.version, "base_model": str(args.base_model), "seconds": round(time.time() - started, 1),
              "train_examples": {"annotations": n_ann, "annotation_repeat": args.annotation_repeat,
                                 "other_sets": n_other},
              "tune_items": len(tune_items), "thresholds": thresholds,
              "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}}  # fmt: skip
    weights = {**base.weights, **{k: v.astype(np.float16) for k, v in heads.items()}}
    if drop_mention_head(config, weights):
        log.info("the base's mention head was fitted to its old heads: dropped (voclens model add-polarity-head fits it again)")
    TrainedModel(config, weights, report).save_pretrained(args.output_dir)
    return report


def classifications(heads: dict[str, np.ndarray], feats: np.ndarray, langs: Sequence[str],
                    thresholds: dict[str, dict[str, float]]) -> list:  # fmt: skip
    """Classification objects from head probabilities and per-language thresholds (for scoring)."""
    from ..labels import Classification, Sentiment, TopicLabel

    sent, top = head_probabilities(heads, feats)
    polarities = list(_POLARITY_INDEX)
    out = []
    for s, t, lang in zip(sent, top, langs):
        th = thresholds.get(lang, {})
        topics = [TopicLabel(topic=topic, polarity=polarities[int(np.argmax(t[k, 1:]))], score=float(1 - t[k, 0]))
                  for k, topic in enumerate(DEFAULT_TOPICS) if 1.0 - t[k, 0] >= th.get(topic, 0.5)]  # fmt: skip
        k = int(np.argmax(s))
        out.append(Classification(lang=lang, sentiment=Sentiment(label=polarities[k], score=float(s[k])),
                                   topics=topics, model_version="heads"))  # fmt: skip
    return out


def leave_one_domain_out(args: HeadTrainingArguments, on_progress=None) -> dict:
    """Heads trained without a domain and scored on its test items, next to heads trained with it.

    The protocol isolates what the labels teach: the encoder is ``args.base_model`` (one that
    never saw the annotation set), only the two heads are trained, and a left-out domain's
    source set is dropped from the other sets' rows too (holding out "food_delivery" drops
    waimai_10k). Thresholds come from the tune items of the other domains. The test items of
    each domain are only scored, never used for a choice.
    """
    from ..annotations.evaluation import score_annotated
    from ..annotations.store import load_gold, load_train
    from .corpora import load_all

    train_items = load_train(args.data_dir)
    tune_items = load_gold(args.data_dir, split="tune")
    test_items = load_gold(args.data_dir, split="test")
    held = {i.text for i in tune_items + test_items}
    others = other_examples(args.data_dir, held, args.limit_per_set) + star_examples(args.data_dir, held, args.limit_per_set)
    domain_sets = {}
    for i in train_items + tune_items + test_items:
        domain_sets.setdefault(f"{i.annotation.lang}/{i.annotation.domain}", set()).add(i.annotation.set)
    texts = [i.text for i in train_items + tune_items + test_items] + [e.text for e in others]
    feats = _cached_features(args, texts, on_progress)
    n_tr, n_tu, n_te = len(train_items), len(tune_items), len(test_items)
    f_tr, f_tu, f_te = feats[:n_tr], feats[n_tr : n_tr + n_tu], feats[n_tr + n_tu : n_tr + n_tu + n_te]
    f_other = feats[n_tr + n_tu + n_te :]
    stored = _heads_of(TrainedModel.from_pretrained(args.base_model))

    def fit(skip: str | None):
        keep_tr = [k for k, i in enumerate(train_items) if f"{i.annotation.lang}/{i.annotation.domain}" != skip]
        keep_tu = [k for k, i in enumerate(tune_items) if f"{i.annotation.lang}/{i.annotation.domain}" != skip]
        drop_sets = domain_sets.get(skip, set())
        keep_ot = [k for k, e in enumerate(others) if e.source not in drop_sets]
        ann = annotation_examples([train_items[k] for k in keep_tr])
        examples = ann * args.annotation_repeat + [others[k] for k in keep_ot]
        weights = [1.0] * (len(ann) * args.annotation_repeat) + [args.other_weight] * len(keep_ot)
        x = np.concatenate([np.tile(f_tr[keep_tr], (args.annotation_repeat, 1)), f_other[keep_ot]])
        sent, top, w = targets(examples, weights)
        heads = fit_heads(stored, x, sent, top, w, args.epochs, args.learning_rate, args.seed)
        _, tune_top = head_probabilities(heads, f_tu[keep_tu])
        return heads, choose_thresholds(tune_top, [tune_items[k] for k in keep_tu])

    domains = sorted(domain_sets)
    heads, th = fit(None)
    preds_all = classifications(heads, f_te, [i.annotation.lang for i in test_items], th)
    in_domain = {g.name: g for g in score_annotated("heads", "test", test_items, preds_all).domains}
    rows = []
    for n, d in enumerate(domains):
        idx = [k for k, i in enumerate(test_items) if f"{i.annotation.lang}/{i.annotation.domain}" == d]
        if not idx:
            continue
        heads_d, th_d = fit(d)
        preds = classifications(heads_d, f_te[idx], [test_items[k].annotation.lang for k in idx], th_d)
        (out,) = score_annotated("heads", "test", [test_items[k] for k in idx], preds).domains
        ins = in_domain[d]
        gold = [test_items[k] for k in idx]
        rows.append({"domain": d, "n": out.n, "pair_f1_left_out": round(out.pairs.f1, 4),
                     "pair_f1_in_domain": round(ins.pairs.f1, 4),
                     "sentiment_macro_f1_left_out": round(out.sentiment_macro_f1, 4),
                     "sentiment_macro_f1_in_domain": round(ins.sentiment_macro_f1, 4),
                     "binary_accuracy_left_out": binary_accuracy(head_probabilities(heads_d, f_te[idx])[0], gold),
                     "binary_accuracy_in_domain": binary_accuracy(head_probabilities(heads, f_te[idx])[0], gold)})  # fmt: skip
        if on_progress:
            on_progress("domains", n + 1, len(domains))
    report = {"protocol": "heads over a frozen encoder that never saw the annotation set",
              "base_model": str(args.base_model), "domains": rows}  # fmt: skip
    for lang in ("zh", "en"):
        mine = [r for r in rows if r["domain"].startswith(lang + "/")]
        if mine:
            report[f"{lang}_macro"] = {k: round(sum(r[k] for r in mine) / len(mine), 4)
                                       for k in ("pair_f1_left_out", "pair_f1_in_domain",
                                                 "sentiment_macro_f1_left_out", "sentiment_macro_f1_in_domain")}  # fmt: skip
    return report


def binary_accuracy(sentiment_probs: np.ndarray, items) -> float | None:
    """Accuracy of positive against negative (the larger of the two probabilities) on the items
    whose gold sentiment is not neutral: the issue's binary figure (0.855 for a frozen encoder
    with a logistic head on hotel reviews). None when every item is neutral."""
    keep = [k for k, i in enumerate(items) if i.annotation.sentiment is not Polarity.neutral]
    if not keep:
        return None
    said = sentiment_probs[keep, _POLARITY_INDEX[Polarity.positive]] > sentiment_probs[keep, _POLARITY_INDEX[Polarity.negative]]
    gold = np.array([items[k].annotation.sentiment is Polarity.positive for k in keep])
    return round(float((said == gold).mean()), 4)


def _heads_of(model: TrainedModel) -> dict[str, np.ndarray]:
    """The sentiment and topic heads of a model folder, as float32."""
    return {k: model.weights[k].astype(np.float32) for k in ("sentiment_head.weight", "sentiment_head.bias",
                                                              "topic_head.weight", "topic_head.bias")}  # fmt: skip


__all__ = ["HeadTrainingArguments", "binary_accuracy", "choose_thresholds", "classifications", "fit_heads", "head_probabilities",
           "leave_one_domain_out", "pooled_features", "train_heads"]  # fmt: skip


"""Train the multi-task network on the shared labelled sets, within a 2-core budget.

The lower ``frozen_layers`` of the encoder never change, so each training
text goes through them exactly once: their output is cached (fp16, on disk in
the model cache) and every epoch only runs the upper layers and the heads.
On two CPU cores this is the difference between hours and minutes.

Data: every set in ``nlp.corpora`` that is not held out, capped per set
(``limits``) so the big binary-sentiment sets do not drown the topic sets.
Sets without topic gold (online_shopping, waimai) get weak topic labels from
the lexicon baseline, marked weak and weighted down. Losses are masked: a set
only teaches the topics its scheme covers. Early stopping watches the tune
splits; the dev splits are never seen.

Distillation (``num_layers`` and ``teacher``): a shallower student, the
base's embedding table and lowest layers, all of them trained, learns from
the gold labels and from a trained teacher's probabilities on every
training text, sentiment and all topic states alike. The teacher's answers
carry what gold cannot: how sure it is, and the topics a set never annotates.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..batching import TextEncoder, length_batches
from .evaluation import DEFAULT_DATA_DIR, accuracy, macro_f1, set_scores
from ..labels import DEFAULT_TOPICS, Polarity
from ..network import SENTIMENT_LABELS, TOPIC_STATES, VoclensNet, save_trained, student_config, trained_tensors

log = logging.getLogger(__name__)

#: Training examples taken per set (train split, deterministic sample).
DEFAULT_LIMITS: dict[str, int] = {
    "online_shopping_10_cats": 5000, "waimai_10k": 1200, "weibo_senti_100k_partial": 1200,
    "smp2020_ewect": 3500, "zhijiang2019_ecommerce_opinion": 3000, "asap_samples": 300,
    "aichallenger2018_fsauor_subset": 1500, "ccf_bdci2018_car_aspect": 1200,
    "ecommerce_dispute_appeals_zh": 800, "absa_term_zh_pyabsa": 1200,
    "semeval_absa_2014_2016": 2500, "absa_term_en_tshirt_television": 1200,
    "tweeteval_sentiment": 1600, "banking77": 1000, "cfpb_consumer_complaints_sample": 200,
    "amazon_alexa_reviews_en": 1500, "womens_clothing_reviews_en": 1000, "annotations": 100_000,
}  # fmt: skip
#: Sets whose texts get weak topic labels from the lexicon baseline (their sentiment stays gold).
#: TweetEval adds English complaints that name no taxonomy topic, so English negativity alone
#: does not teach the topic head to fire (without it, banking77 taught "negative English -> payment").
WEAK_TOPIC_SETS = ("online_shopping_10_cats", "waimai_10k", "tweeteval_sentiment")
_POLARITY_INDEX = {Polarity.negative: 0, Polarity.neutral: 1, Polarity.positive: 2}


@dataclass
class TrainingArguments:
    """Everything a training run depends on; validated on construction."""

    output_dir: Path
    cache_dir: Path
    data_dir: Path = DEFAULT_DATA_DIR
    version: str = "e5s-mt-1"
    frozen_layers: int = 9
    max_length: int = 96
    tail: int = 24
    epochs: float = 2.0
    batch_size: int = 32
    learning_rate: float = 1e-4
    head_learning_rate: float = 1e-3
    topic_loss_weight: float = 1.0
    weak_weight: float = 0.3
    limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    #: Sets shown this many times per epoch (the topic gold is small and the target domain).
    oversample: dict[str, int] = field(default_factory=lambda: {"zhijiang2019_ecommerce_opinion": 3})
    #: Start from a trained model folder (same frozen_layers) instead of the base encoder's layers.
    init_from: Path | None = None
    #: Keep only the first ``num_layers`` encoder layers (a faster student); None keeps all 12.
    num_layers: int | None = None
    #: A trained model folder whose probabilities the student also learns from.
    teacher: Path | None = None
    #: Share of the loss taken by the teacher's probabilities (the rest: gold labels).
    distill_weight: float = 0.7
    tune_limit: int = 400
    #: Sets whose tune scores choose the checkpoint (empty: every set). The annotation set's
    #: tune part is never capped by ``tune_limit``: it is what the targets are stated on.
    select_on: tuple[str, ...] = ()
    eval_every: int = 150
    patience: int = 4
    seed: int = 13
    threads: int = 2

    def __post_init__(self) -> None:
        self.output_dir, self.cache_dir, self.data_dir = map(Path, (self.output_dir, self.cache_dir, self.data_dir))
        if self.teacher is not None:
            self.teacher = Path(self.teacher)
        depth = 12 if self.num_layers is None else self.num_layers
        checks = {
            "num_layers": 1 <= depth <= 12, "distill_weight": 0 <= self.distill_weight <= 1,
            "frozen_layers": 0 <= self.frozen_layers <= depth, "epochs": self.epochs > 0,
            "batch_size": self.batch_size > 0, "learning_rate": self.learning_rate > 0,
            "weak_weight": 0 <= self.weak_weight <= 1, "eval_every": self.eval_every > 0,
            "patience": self.patience > 0, "max_length": 16 <= self.max_length <= 512,
            "tail": 0 <= self.tail < self.max_length - 2,
        }  # fmt: skip
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid training arguments: {', '.join(f'{k}={getattr(self, k)!r}' for k in bad)}")


# -- data ------------------------------------------------------------------------------


def select_examples(args: TrainingArguments) -> tuple[list, dict[str, list]]:
    """Train examples (capped per set, weak topics added) and tune examples per set."""
    from ..baseline import LexiconClassifier
    from .corpora import ANNOTATIONS, CORPORA, load_corpus

    rng = random.Random(args.seed)
    train, tune = [], {}
    for key, spec in CORPORA.items():
        if spec.held_out or args.limits.get(key, 0) <= 0:
            continue
        rows = load_corpus(key, args.data_dir)
        tr = [e for e in rows if e.split == "train"]
        rng.shuffle(tr)
        tr = tr[: args.limits[key]]
        if key in WEAK_TOPIC_SETS:
            tr = _with_weak_topics(tr, LexiconClassifier())
        train.extend(tr)
        tn = [e for e in rows if e.split == "tune"]
        rng.shuffle(tn)
        tune[key] = tn if key == ANNOTATIONS else tn[: args.tune_limit]
        log.info("set %s: %d train, %d tune", key, len(tr), len(tune[key]))
    rng.shuffle(train)
    return train, tune


def _with_weak_topics(examples, baseline) -> list:
    from dataclasses import replace

    preds = baseline.classify_batch([e.text for e in examples])
    return [
        replace(e, topics={t.topic: t.polarity for t in p.topics}, covered=frozenset(DEFAULT_TOPICS))
        for e, p in zip(examples, preds)
    ]


def targets(examples: Sequence, topics: Sequence[str], weak_weight: float):
    """Label tensors: sentiment (N,), topics (N, T) with -100 where unknown, weights (N, 2).

    Column 0 weighs the sentiment loss, column 1 the topic loss: a review with gold
    sentiment and baseline topics (``WEAK_TOPIC_SETS``) is weak only on the topic side.
    """
    t_index = {t: i for i, t in enumerate(topics)}
    sent = torch.full((len(examples),), -100, dtype=torch.long)
    top = torch.full((len(examples), len(topics)), -100, dtype=torch.long)
    weight = torch.ones(len(examples), 2)
    for i, e in enumerate(examples):
        if e.sentiment is not None:
            sent[i] = _POLARITY_INDEX[e.sentiment]
        for t in e.covered:
            top[i, t_index[t]] = 0
        for t, pol in e.topics.items():
            top[i, t_index[t]] = 1 + _POLARITY_INDEX[pol]
        if e.weak:
            weight[i] = weak_weight
        elif e.source in WEAK_TOPIC_SETS and e.covered:
            weight[i, 1] = weak_weight
    return sent, top, weight


def balanced_weights(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Inverse square-root frequency weights (mean 1) over labels that are not -100."""
    valid = labels[labels >= 0]
    counts = torch.bincount(valid, minlength=n_classes).float().clamp(min=1)
    w = (counts.sum() / counts).sqrt()
    return w / w.mean()


# -- cached lower layers ----------------------------------------------------------------


def lower_features(net: VoclensNet, encoded: list[list[int]], cache_file: Path, on_progress=None) -> list[torch.Tensor]:
    """Per-text fp16 hidden states after the frozen layers, computed once and cached."""
    from safetensors.torch import load_file

    if cache_file.exists():
        blob = load_file(str(cache_file))
        flat, offsets = blob["hidden"], blob["offsets"].tolist()
        return [flat[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)]
    out: list[torch.Tensor | None] = [None] * len(encoded)
    net.eval()
    done = 0
    with torch.inference_mode():
        for batch in length_batches(encoded, 64):
            hidden = net.lower(torch.from_numpy(batch.input_ids), torch.from_numpy(batch.attention_mask))
            for row, pos in enumerate(batch.positions):
                out[pos] = hidden[row, : len(encoded[pos])].to(torch.float16).clone()
            done += len(batch.positions)
            if on_progress:
                on_progress("features", done, len(encoded))
    lengths = [len(e) for e in encoded]
    offsets = torch.tensor(np.concatenate([[0], np.cumsum(lengths)]), dtype=torch.long)
    _save_cache({"hidden": torch.cat(out), "offsets": offsets}, cache_file)
    return out  # type: ignore[return-value]


def teacher_probabilities(teacher_dir: Path, texts: Sequence[str], cache_dir: Path, threads: int,
                          on_progress=None) -> tuple[torch.Tensor, torch.Tensor]:
    """The teacher network's sentiment (N, 3) and topic-state (N, T, 4) probabilities, cached.

    Computed once per (teacher weights, texts) with the ONNX float32 runtime,
    which gives torch's numbers faster; the cache lets a second student with
    other settings start training at once.
    """
    from safetensors.torch import load_file

    from ..onnx_export import weights_digest
    from ..transformer import TransformerClassifier

    cache_file = cache_dir / "features" / f"teacher-{_texts_key(weights_digest(teacher_dir), texts)}.safetensors"
    if cache_file.exists():
        blob = load_file(str(cache_file))
        return blob["sentiment"], blob["topics"]
    teacher = TransformerClassifier(teacher_dir, cache_dir, runtime="onnx-fp32", threads=threads)
    if list(teacher.topics) != list(DEFAULT_TOPICS):
        raise ValueError(f"teacher {teacher_dir} predicts topics {teacher.topics}, not the default taxonomy")
    sent, top = [], []
    chunk = 1024
    for start in range(0, len(texts), chunk):
        s, t = teacher.probabilities(texts[start : start + chunk])
        sent.append(torch.from_numpy(s))
        top.append(torch.from_numpy(t))
        if on_progress:
            on_progress("teacher", min(start + chunk, len(texts)), len(texts))
    blob = {"sentiment": torch.cat(sent).contiguous(), "topics": torch.cat(top).contiguous()}
    _save_cache(blob, cache_file)
    return blob["sentiment"], blob["topics"]


def soft_cross_entropy(logits: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    """Cross-entropy against a teacher's probabilities over the last axis, one value per row."""
    return -(probs * torch.log_softmax(logits, -1)).sum(-1)


def _pad_hidden(features: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(f.shape[0] for f in features)
    hidden = torch.zeros(len(features), width, features[0].shape[1])
    mask = torch.zeros(len(features), width, dtype=torch.long)
    for i, f in enumerate(features):
        hidden[i, : f.shape[0]] = f.float()
        mask[i, : f.shape[0]] = 1
    return hidden, mask


def _texts_key(prefix: str, texts: Sequence[str]) -> str:
    """Cache key for something computed from ``texts`` under settings summed up in ``prefix``."""
    h = hashlib.sha256(prefix.encode())
    for t in texts:
        h.update(t.encode("utf-8", "replace") + b"\x00")
    return h.hexdigest()[:20]


def _features_key(args: TrainingArguments, base_name: str, texts: Sequence[str]) -> str:
    return _texts_key(f"{base_name}|{args.frozen_layers}|{args.max_length}|{args.tail}", texts)


def _save_cache(tensors: dict[str, torch.Tensor], cache_file: Path) -> None:
    """Write under a temporary name, then rename: a crash never leaves a file a later run would trust."""
    from safetensors.torch import save_file

    cache_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.with_suffix(".tmp")
    save_file(tensors, str(tmp))
    tmp.rename(cache_file)


# -- scoring on tune splits ---------------------------------------------------------------


def decode_topics(topic_probs: np.ndarray, topics: Sequence[str], threshold: float = 0.5):
    """(T, 4) state probabilities -> [(topic, Polarity, score)] for present topics."""
    out = []
    for i, topic in enumerate(topics):
        p = topic_probs[i]
        if 1.0 - p[0] >= threshold:
            k = int(np.argmax(p[1:]))
            out.append((topic, Polarity(SENTIMENT_LABELS[k]), float(p[1 + k])))
    return out


def score_logits(examples: Sequence, sent_probs: np.ndarray, topic_probs: np.ndarray, topics) -> dict[str, float]:
    """The primary metric of each kind of gold in ``examples`` (one set)."""
    scores: dict[str, float] = {}
    labelled = [i for i, e in enumerate(examples) if e.sentiment is not None]
    if labelled:
        gold = [examples[i].sentiment for i in labelled]
        if Polarity.neutral not in gold:  # binary gold: decide between negative and positive only
            pred = [Polarity.positive if sent_probs[i, 2] >= sent_probs[i, 0] else Polarity.negative for i in labelled]
            scores["sentiment_accuracy"] = accuracy(gold, pred)
        else:
            pred = [Polarity(SENTIMENT_LABELS[int(np.argmax(sent_probs[i]))]) for i in labelled]
            scores["sentiment_macro_f1"] = macro_f1(gold, pred, list(Polarity))
    covered = [i for i, e in enumerate(examples) if e.covered and not e.weak]
    if covered:
        gold_pairs = [set(examples[i].topics.items()) for i in covered]
        pred_pairs = [
            {(t, p) for t, p, _ in decode_topics(topic_probs[i], topics) if t in examples[i].covered} for i in covered
        ]
        scores["topic_micro_f1"] = set_scores(gold_pairs, pred_pairs).micro.f1
    return scores


def _predict_features(net, features, batch_size=64):
    net.eval()
    sent, top = [], []
    with torch.inference_mode():
        for start in range(0, len(features), batch_size):
            hidden, mask = _pad_hidden(features[start : start + batch_size])
            s, t = net.upper(hidden, mask)
            sent.append(torch.softmax(s, -1))
            top.append(torch.softmax(t, -1))
    return torch.cat(sent).numpy(), torch.cat(top).numpy()


# -- the loop ---------------------------------------------------------------------------------


ProgressFn = Callable[[str, int, int], None]


def _rounded(per_set: dict) -> dict:
    return {k: {m: round(v, 4) for m, v in scores.items()} for k, scores in per_set.items()}


def _headline(per_set: dict) -> dict[str, float]:
    """The first score of each set, for a one-line log of an early-stopping check."""
    return {k: next(iter(scores.values())) for k, scores in per_set.items() if scores}


def train(args: TrainingArguments, on_progress: ProgressFn | None = None) -> dict:
    """Run one training and save the best model to ``args.output_dir``; return its report."""
    from safetensors.torch import load_file

    from ..encoder import BASE_NAME, build_base_encoder

    started = time.perf_counter()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    base = build_base_encoder(args.cache_dir)
    net = VoclensNet(student_config(base, args.num_layers), DEFAULT_TOPICS, args.frozen_layers)
    net.bert.load_state_dict(load_file(str(base / "model.safetensors")), strict=False)  # a student skips upper layers
    if args.init_from:
        net.load_state_dict(trained_tensors(args.init_from, net.state_dict()), strict=False)
    encoder = TextEncoder(base / "tokenizer.json", args.max_length, args.tail)

    train_ex, tune = select_examples(args)
    all_tune = [e for rows in tune.values() for e in rows]
    texts = [e.text for e in train_ex] + [e.text for e in all_tune]
    key = _features_key(args, BASE_NAME, texts)
    feats = lower_features(net, encoder.encode(texts), args.cache_dir / "features" / f"{key}.safetensors", on_progress)
    train_feats, tune_feats = feats[: len(train_ex)], feats[len(train_ex) :]
    soft = None
    if args.teacher is not None:
        soft = teacher_probabilities(args.teacher, [e.text for e in train_ex], args.cache_dir, args.threads, on_progress)
    feature_secs = time.perf_counter() - started

    sent_y, topic_y, weight = targets(train_ex, DEFAULT_TOPICS, args.weak_weight)
    sent_w = balanced_weights(sent_y, len(SENTIMENT_LABELS))
    topic_w = balanced_weights(topic_y.flatten(), len(TOPIC_STATES))
    net.freeze_lower()
    heads = [p for n, p in net.named_parameters() if p.requires_grad and "_head." in n]
    layers = [p for n, p in net.named_parameters() if p.requires_grad and "_head." not in n]
    opt = torch.optim.AdamW(
        [{"params": layers, "lr": args.learning_rate}, {"params": heads, "lr": args.head_learning_rate}],
        weight_decay=0.01,
    )
    # oversampling repeats indices, so the cached features (keyed by the texts) are reused
    epoch_order = [i for i, e in enumerate(train_ex) for _ in range(args.oversample.get(e.source, 1))]
    steps_per_epoch = (len(epoch_order) + args.batch_size - 1) // args.batch_size
    total_steps = int(steps_per_epoch * args.epochs)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=[args.learning_rate, args.head_learning_rate], total_steps=total_steps, pct_start=0.06
    )
    ce_sent = nn.CrossEntropyLoss(weight=sent_w, ignore_index=-100, reduction="none")
    ce_topic = nn.CrossEntropyLoss(weight=topic_w, ignore_index=-100, reduction="none")
    rng = random.Random(args.seed)

    def evaluate() -> tuple[float, dict]:
        offset, per_set = 0, {}
        for key_, rows in tune.items():
            if not rows:
                continue
            s, t = _predict_features(net, tune_feats[offset : offset + len(rows)])
            offset += len(rows)
            per_set[key_] = score_logits(rows, s, t, DEFAULT_TOPICS)
        chosen = {k: v for k, v in per_set.items() if not args.select_on or k in args.select_on}
        values = [v for scores in chosen.values() for v in scores.values()]
        net.train()
        return (sum(values) / len(values) if values else 0.0), per_set

    best, best_state, best_step, bad_evals, history = -1.0, None, 0, 0, []
    step = 0
    if args.init_from:  # the starting point competes too: a continuation never ships worse than it began
        best, per_set = evaluate()
        best_state = {n: p.detach().clone() for n, p in net.named_parameters() if p.requires_grad}
        history.append({"step": 0, "loss": None, "tune": round(best, 4), "per_set": _rounded(per_set)})
        log.info("step 0 (from %s) tune %.4f %s", args.init_from, best,
                 " ".join(f"{k}={v:.3f}" for k, v in _headline(per_set).items()))  # fmt: skip
    net.train()
    while step < total_steps and bad_evals < args.patience:
        order = list(epoch_order)
        rng.shuffle(order)
        # bucket by length inside chunks so batches pad little but stay shuffled
        chunks = [order[i : i + args.batch_size * 50] for i in range(0, len(order), args.batch_size * 50)]
        batches = []
        for chunk in chunks:
            chunk.sort(key=lambda i: train_feats[i].shape[0])
            batches += [chunk[i : i + args.batch_size] for i in range(0, len(chunk), args.batch_size)]
        rng.shuffle(batches)
        for idx in batches:
            if step >= total_steps or bad_evals >= args.patience:
                break
            hidden, mask = _pad_hidden([train_feats[i] for i in idx])
            s_logits, t_logits = net.upper(hidden, mask)
            ix = torch.tensor(idx)
            ws, wt = weight[ix, 0], weight[ix, 1]
            s_loss = ce_sent(s_logits, sent_y[ix])
            s_den = (sent_y[ix] >= 0).float().mul(ws).sum().clamp(min=1)
            t_target = topic_y[ix]
            t_loss = ce_topic(t_logits.reshape(-1, len(TOPIC_STATES)), t_target.reshape(-1)).view(len(idx), -1)
            t_den = ((t_target >= 0).float() * wt[:, None]).sum().clamp(min=1)
            loss = (s_loss * ws).sum() / s_den + args.topic_loss_weight * (t_loss * wt[:, None]).sum() / t_den
            if soft is not None:
                kd = soft_cross_entropy(s_logits, soft[0][ix]).mean()
                kd = kd + args.topic_loss_weight * soft_cross_entropy(t_logits, soft[1][ix]).mean()
                loss = (1 - args.distill_weight) * loss + args.distill_weight * kd
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if on_progress:
                on_progress("train", step, total_steps)
            if step % args.eval_every == 0 or step == total_steps:
                score, per_set = evaluate()
                history.append({"step": step, "loss": round(loss.item(), 4), "tune": round(score, 4),
                                "per_set": _rounded(per_set)})  # fmt: skip
                log.info("step %d/%d loss %.4f tune %.4f %s", step, total_steps, loss.item(), score,
                         " ".join(f"{k}={v:.3f}" for k, v in _headline(per_set).items()))  # fmt: skip
                if score > best:
                    best, best_step, bad_evals = score, step, 0
                    best_state = {n: p.detach().clone() for n, p in net.named_parameters() if p.requires_grad}
                else:
                    bad_evals += 1
    if best_state is None:
        raise RuntimeError("training ran no evaluation; raise epochs or lower eval_every")
    net.load_state_dict(best_state, strict=False)
    _, best_per_set = evaluate()
    # per-topic presence thresholds from the tune splits (sets that annotate the topic)
    gold_tune = [i for i, e in enumerate(all_tune) if e.covered and not e.weak]
    _, tune_topic_probs = _predict_features(net, [tune_feats[i] for i in gold_tune])
    thresholds = calibrate_topic_thresholds(tune_topic_probs, [all_tune[i] for i in gold_tune], DEFAULT_TOPICS)
    by_lang = _thresholds_by_lang(net, tune, tune_feats)
    report = {
        "version": args.version,
        "base": BASE_NAME,
        "best_step": best_step,
        "steps": step,
        "tune_score": round(best, 4),
        "tune_per_set": best_per_set,
        "train_examples": dict(Counter(e.source for e in train_ex)),
        "weak_examples": sum(e.weak or e.source in WEAK_TOPIC_SETS for e in train_ex),
        "feature_seconds": round(feature_secs, 1),
        "train_seconds": round(time.perf_counter() - started, 1),
        "history": history,
        "arguments": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(args).items()},
    }
    report["topic_thresholds"] = thresholds
    meta = {"version": args.version, "base": BASE_NAME, "max_length": args.max_length, "tail": args.tail,
            "topic_threshold": 0.5, "topic_thresholds": thresholds}  # fmt: skip
    if by_lang:
        meta["topic_thresholds_by_lang"] = report["topic_thresholds_by_lang"] = by_lang
    if args.teacher is not None:
        meta["distilled_from"] = json.loads((args.teacher / "config.json").read_text()).get("version", args.teacher.name)
    save_trained(net, args.output_dir, meta, base)
    (args.output_dir / "training.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return report


__all__ = ["DEFAULT_LIMITS", "TrainingArguments", "balanced_weights", "calibrate_topic_thresholds",
           "decode_topics", "score_logits",
           "select_examples", "soft_cross_entropy", "targets", "teacher_probabilities", "train"]  # fmt: skip


def _thresholds_by_lang(net, tune: dict[str, list], tune_feats) -> dict[str, dict[str, float]]:
    """Per-language, per-topic thresholds on the annotation set's tune part (every topic covered)."""
    from .corpora import ANNOTATIONS

    offset = 0
    for key, rows in tune.items():
        if key == ANNOTATIONS and rows:
            _, probs = _predict_features(net, tune_feats[offset : offset + len(rows)])
            out = {}
            for lang in sorted({e.lang for e in rows}):
                idx = [i for i, e in enumerate(rows) if e.lang == lang]
                out[lang] = calibrate_topic_thresholds(probs[idx], [rows[i] for i in idx], DEFAULT_TOPICS)
            return out
        offset += len(rows)
    return {}


def calibrate_topic_thresholds(topic_probs: np.ndarray, examples: Sequence, topics: Sequence[str],
                               grid: Sequence[float] = tuple(np.round(np.arange(0.30, 0.96, 0.05), 2)),
                               min_gold: int = 1, min_precision: float = 0.0) -> dict[str, float]:  # fmt: skip
    """Per-topic presence thresholds that maximise each topic's pair F1 on tune examples.

    Class-balanced training pushes "present" probabilities up, so 0.5 over-reports
    topics; each topic gets the threshold that scores best on the tune examples
    whose set annotates it (weak sets excluded). Ties go to the higher threshold.
    A topic with fewer than ``min_gold`` gold examples keeps 0.5 (too few to choose on).
    With ``min_precision``, only thresholds whose pair precision reaches it compete (a
    topic that fires wrongly misleads every filter built on it); when none does, the
    most precise one is taken.
    """
    out = {}
    for k, topic in enumerate(topics):
        rows = [i for i, e in enumerate(examples) if topic in e.covered and not e.weak]
        if not rows or sum(examples[i].topics.get(topic) is not None for i in rows) < min_gold:
            out[topic] = 0.5
            continue
        scored = []
        for th in grid:
            tp = n_pred = n_gold = 0
            for i in rows:
                gold = examples[i].topics.get(topic)
                p = topic_probs[i, k]
                pred = Polarity(SENTIMENT_LABELS[int(np.argmax(p[1:]))]) if 1.0 - p[0] >= th else None
                n_gold += gold is not None
                n_pred += pred is not None
                tp += pred is not None and pred == gold
            f1 = 2 * tp / (n_pred + n_gold) if n_pred + n_gold else 0.0
            scored.append((f1, tp / n_pred if n_pred else 0.0, float(th)))
        allowed = [t for t in scored if t[1] >= min_precision]
        out[topic] = (max(allowed, key=lambda t: (t[0], t[2])) if allowed else max(scored, key=lambda t: (t[1], t[2])))[2]
    return out

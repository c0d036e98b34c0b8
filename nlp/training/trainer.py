"""Train the multi-task network on the shared labelled sets, within a 2-core budget.

The lower ``frozen_layers`` of the encoder never change, so each training
text goes through them once and their output is cached (``features``);
every epoch only runs the upper layers and the heads. The data is every set
in ``nlp.training.corpora`` that is not held out, capped per set, with weak
topic labels where a set has no topic gold (``mix``). Early stopping watches
the tune splits; the dev splits are never seen (``scoring``).

Distillation (``num_layers`` and ``teacher``): a shallower student, the
base's embedding table and lowest layers, all of them trained, learns from
the gold labels and from a trained teacher's probabilities on every
training text, sentiment and all topic states alike. The teacher's answers
carry what gold cannot: how sure it is, and the topics a set never annotates.

``train`` runs named steps in order: ``build_network``, ``read_data``,
``run_epochs``, ``select_checkpoint``, ``calibrate``, ``save``.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from ..batching import TextEncoder
from ..labels import DEFAULT_TOPICS
from ..model_layout import TrainedModel
from ..network import SENTIMENT_LABELS, TOPIC_STATES, VoclensNet, save_trained, student_config, trained_tensors
from .evaluation import DEFAULT_DATA_DIR
from .features import features_key, lower_features, pad_hidden, teacher_probabilities
from .mix import DEFAULT_LIMITS, WEAK_TOPIC_SETS, balanced_weights, select_examples, targets
from .scoring import calibrate_topic_thresholds, predict_features, thresholds_by_lang, tune_scores

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]


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
    #: With ``init_from``: its own tune score competes as step 0, so a continuation never ships worse
    #: than it began. Off for a folder whose heads were refitted to the annotation set over its frozen
    #: encoder (``voclens model train-heads``): those heads score far above what joint training's
    #: heads reach, so step 0 would win though the encoder is what the run is for (its heads are
    #: refitted after it too).
    start_competes: bool = True
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
        checks["start_competes"] = self.start_competes or self.init_from is not None  # only a continuation has a start
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid training arguments: {', '.join(f'{k}={getattr(self, k)!r}' for k in bad)}")


@dataclass
class TrainingData:
    """What the epochs read: the examples, their cached frozen-layer states, the teacher's probabilities."""

    train: list
    tune: dict[str, list]
    train_feats: list[torch.Tensor]
    tune_feats: list[torch.Tensor]
    #: The teacher's sentiment (N, 3) and topic-state (N, T, 4) probabilities on ``train``.
    soft: tuple[torch.Tensor, torch.Tensor] | None = None

    @property
    def all_tune(self) -> list:
        """Every tune example, in the order of ``tune_feats``."""
        return [e for rows in self.tune.values() for e in rows]


@dataclass
class Checkpoint:
    """The best tune score so far, where it was reached, and the trainable parameters then."""

    score: float = -1.0
    state: dict[str, torch.Tensor] | None = None
    step: int = 0
    #: Steps run in all (early stopping may end before the planned total).
    steps: int = 0
    history: list[dict] = field(default_factory=list)

    def keep(self, net: VoclensNet, score: float, step: int) -> None:
        self.score, self.step = score, step
        self.state = {n: p.detach().clone() for n, p in net.named_parameters() if p.requires_grad}


def soft_cross_entropy(logits: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    """Cross-entropy against a teacher's probabilities over the last axis, one value per row."""
    return -(probs * torch.log_softmax(logits, -1)).sum(-1)


class BatchLoss:
    """One batch's loss: class-balanced cross-entropy on the gold it has, masked where it has none.

    A set only teaches the topics its scheme covers; weak labels weigh less; with a
    teacher, ``distill_weight`` of the loss is the cross-entropy against its probabilities.
    """

    def __init__(self, args: TrainingArguments, data: TrainingData):
        self.sent_y, self.topic_y, self.weight = targets(data.train, DEFAULT_TOPICS, args.weak_weight)
        sent_w = balanced_weights(self.sent_y, len(SENTIMENT_LABELS))
        topic_w = balanced_weights(self.topic_y.flatten(), len(TOPIC_STATES))
        self.ce_sent = nn.CrossEntropyLoss(weight=sent_w, ignore_index=-100, reduction="none")
        self.ce_topic = nn.CrossEntropyLoss(weight=topic_w, ignore_index=-100, reduction="none")
        self.feats, self.soft = data.train_feats, data.soft
        self.topic_loss_weight, self.distill_weight = args.topic_loss_weight, args.distill_weight

    def __call__(self, net: VoclensNet, idx: list[int]) -> torch.Tensor:
        hidden, mask = pad_hidden([self.feats[i] for i in idx])
        s_logits, t_logits = net.upper(hidden, mask)
        ix = torch.tensor(idx)
        ws, wt = self.weight[ix, 0], self.weight[ix, 1]
        s_loss = self.ce_sent(s_logits, self.sent_y[ix])
        s_den = (self.sent_y[ix] >= 0).float().mul(ws).sum().clamp(min=1)
        t_target = self.topic_y[ix]
        t_loss = self.ce_topic(t_logits.reshape(-1, len(TOPIC_STATES)), t_target.reshape(-1)).view(len(idx), -1)
        t_den = ((t_target >= 0).float() * wt[:, None]).sum().clamp(min=1)
        loss = (s_loss * ws).sum() / s_den + self.topic_loss_weight * (t_loss * wt[:, None]).sum() / t_den
        if self.soft is not None:
            kd = soft_cross_entropy(s_logits, self.soft[0][ix]).mean()
            kd = kd + self.topic_loss_weight * soft_cross_entropy(t_logits, self.soft[1][ix]).mean()
            loss = (1 - self.distill_weight) * loss + self.distill_weight * kd
        return loss


# -- the steps ----------------------------------------------------------------------------------


def build_network(args: TrainingArguments) -> tuple[VoclensNet, Path]:
    """The network to train and the base encoder's folder: the base's layers, or ``init_from``'s over them."""
    from safetensors.torch import load_file

    from ..encoder import build_base_encoder

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    base = build_base_encoder(args.cache_dir)
    net = VoclensNet(student_config(base, args.num_layers), DEFAULT_TOPICS, args.frozen_layers)
    net.bert.load_state_dict(load_file(str(base / "model.safetensors")), strict=False)  # a student skips upper layers
    if args.init_from:
        # Training moves the encoder's token states: the token-level heads of a finished model (evidence,
        # presence, mention) no longer fit them and are left behind; `voclens model add-*` fits them again.
        dropped = ("evidence_head.", "presence_head.", "polarity_head.")
        net.load_state_dict(trained_tensors(args.init_from, net.state_dict(), drop=dropped), strict=False)
    return net, base


def read_data(args: TrainingArguments, net: VoclensNet, base: Path,
              on_progress: ProgressFn | None = None) -> TrainingData:  # fmt: skip
    """The training mix and the tune splits with every text's frozen-layer states, and the teacher's probabilities."""
    from ..encoder import BASE_NAME

    encoder = TextEncoder(base / "tokenizer.json", args.max_length, args.tail)
    train_ex, tune = select_examples(args)
    texts = [e.text for e in train_ex] + [e.text for rows in tune.values() for e in rows]
    cache_file = args.cache_dir / "features" / f"{features_key(args, BASE_NAME, texts)}.safetensors"
    feats = lower_features(net, encoder.encode(texts), cache_file, on_progress)
    soft = None
    if args.teacher is not None:
        teacher_texts = [e.text for e in train_ex]
        soft = teacher_probabilities(args.teacher, teacher_texts, args.cache_dir, args.threads, on_progress)
    return TrainingData(train_ex, tune, feats[: len(train_ex)], feats[len(train_ex) :], soft)


def run_epochs(args: TrainingArguments, net: VoclensNet, data: TrainingData,
               on_progress: ProgressFn | None = None) -> Checkpoint:  # fmt: skip
    """Train the upper layers and the heads, checking the tune splits every ``eval_every`` steps.

    Stops after ``patience`` checks without a better score. Oversampling repeats
    indices, so the cached features (keyed by the texts) are reused.
    """
    loss_of = BatchLoss(args, data)
    net.freeze_lower()
    epoch_order = [i for i, e in enumerate(data.train) for _ in range(args.oversample.get(e.source, 1))]
    steps_per_epoch = (len(epoch_order) + args.batch_size - 1) // args.batch_size
    total_steps = int(steps_per_epoch * args.epochs)
    opt, sched = _optimiser(args, net, total_steps)
    rng = random.Random(args.seed)
    best, bad_evals, step = Checkpoint(), 0, 0
    if args.init_from and args.start_competes:  # a continuation never ships worse than it began
        score, per_set = tune_scores(net, data.tune, data.tune_feats, args.select_on)
        best.keep(net, score, 0)
        best.history.append({"step": 0, "loss": None, "tune": round(score, 4), "per_set": _rounded(per_set)})
        log.info("step 0 (from %s) tune %.4f %s", args.init_from, score, _headline(per_set))
    net.train()
    while step < total_steps and bad_evals < args.patience:
        for idx in epoch_batches(epoch_order, data.train_feats, args.batch_size, rng):
            if step >= total_steps or bad_evals >= args.patience:
                break
            loss = loss_of(net, idx)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if on_progress:
                on_progress("train", step, total_steps)
            if step % args.eval_every == 0 or step == total_steps:
                score, per_set = tune_scores(net, data.tune, data.tune_feats, args.select_on)
                best.history.append({"step": step, "loss": round(loss.item(), 4), "tune": round(score, 4),
                                     "per_set": _rounded(per_set)})  # fmt: skip
                log.info("step %d/%d loss %.4f tune %.4f %s", step, total_steps, loss.item(), score, _headline(per_set))
                if score > best.score:
                    best.keep(net, score, step)
                    bad_evals = 0
                else:
                    bad_evals += 1
    best.steps = step
    return best


def epoch_batches(epoch_order: Sequence[int], feats: Sequence[torch.Tensor], batch_size: int,
                  rng: random.Random) -> list[list[int]]:  # fmt: skip
    """One epoch's batches of example indices: shuffled, and bucketed by length inside chunks
    of 50 batches so that batches pad little but stay shuffled."""
    order = list(epoch_order)
    rng.shuffle(order)
    chunks = [order[i : i + batch_size * 50] for i in range(0, len(order), batch_size * 50)]
    batches = []
    for chunk in chunks:
        chunk.sort(key=lambda i: feats[i].shape[0])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def select_checkpoint(net: VoclensNet, best: Checkpoint, data: TrainingData, select_on: Sequence[str] = ()) -> dict:
    """Load the best checkpoint's parameters into ``net``; return its tune scores per set."""
    if best.state is None:
        raise RuntimeError("training ran no evaluation; raise epochs or lower eval_every")
    net.load_state_dict(best.state, strict=False)
    _, per_set = tune_scores(net, data.tune, data.tune_feats, select_on)
    return per_set


def calibrate(net: VoclensNet, data: TrainingData) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Per-topic presence thresholds on the tune splits of the sets that annotate each topic,
    and per language and topic on the annotation set's tune part (empty without it)."""
    all_tune = data.all_tune
    gold_tune = [i for i, e in enumerate(all_tune) if e.covered and not e.weak]
    _, tune_topic_probs = predict_features(net, [data.tune_feats[i] for i in gold_tune])
    thresholds = calibrate_topic_thresholds(tune_topic_probs, [all_tune[i] for i in gold_tune], DEFAULT_TOPICS)
    return thresholds, thresholds_by_lang(net, data.tune, data.tune_feats)


def save(args: TrainingArguments, net: VoclensNet, base: Path, report: dict) -> Path:
    """Write the model folder: the trained part, its config (thresholds included) and ``report``."""
    from ..encoder import BASE_NAME

    meta = {"version": args.version, "base": BASE_NAME, "max_length": args.max_length, "tail": args.tail,
            "topic_threshold": 0.5, "topic_thresholds": report["topic_thresholds"]}  # fmt: skip
    if "topic_thresholds_by_lang" in report:
        meta["topic_thresholds_by_lang"] = report["topic_thresholds_by_lang"]
    if args.teacher is not None:
        meta["distilled_from"] = TrainedModel.from_pretrained(args.teacher).config.get("version", args.teacher.name)
    return save_trained(net, args.output_dir, meta, base, training=report)


def train(args: TrainingArguments, on_progress: ProgressFn | None = None) -> dict:
    """Run one training and save the best model to ``args.output_dir``; return its report."""
    from ..encoder import BASE_NAME

    started = time.perf_counter()
    net, base = build_network(args)
    data = read_data(args, net, base, on_progress)
    feature_secs = time.perf_counter() - started
    best = run_epochs(args, net, data, on_progress)
    best_per_set = select_checkpoint(net, best, data, args.select_on)
    thresholds, by_lang = calibrate(net, data)
    report = {
        "version": args.version,
        "base": BASE_NAME,
        "best_step": best.step,
        "steps": best.steps,
        "tune_score": round(best.score, 4),
        "tune_per_set": best_per_set,
        "train_examples": dict(Counter(e.source for e in data.train)),
        "weak_examples": sum(e.weak or e.source in WEAK_TOPIC_SETS for e in data.train),
        "feature_seconds": round(feature_secs, 1),
        "train_seconds": round(time.perf_counter() - started, 1),
        "history": best.history,
        "arguments": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(args).items()},
        "topic_thresholds": thresholds,
    }
    if by_lang:
        report["topic_thresholds_by_lang"] = by_lang
    save(args, net, base, report)
    return report


def _optimiser(args: TrainingArguments, net: VoclensNet, total_steps: int):
    """AdamW with the heads at their own learning rate, under a one-cycle schedule."""
    heads = [p for n, p in net.named_parameters() if p.requires_grad and "_head." in n]
    layers = [p for n, p in net.named_parameters() if p.requires_grad and "_head." not in n]
    opt = torch.optim.AdamW(
        [{"params": layers, "lr": args.learning_rate}, {"params": heads, "lr": args.head_learning_rate}],
        weight_decay=0.01,
    )
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=[args.learning_rate, args.head_learning_rate], total_steps=total_steps, pct_start=0.06
    )
    return opt, sched


def _rounded(per_set: dict) -> dict:
    return {k: {m: round(v, 4) for m, v in scores.items()} for k, scores in per_set.items()}


def _headline(per_set: dict) -> str:
    """The first score of each set, for a one-line log of an early-stopping check."""
    return " ".join(f"{k}={next(iter(scores.values())):.3f}" for k, scores in per_set.items() if scores)


__all__ = ["BatchLoss", "Checkpoint", "TrainingArguments", "TrainingData", "build_network", "calibrate",
           "epoch_batches", "read_data", "run_epochs", "save", "select_checkpoint", "soft_cross_entropy",
           "train"]  # fmt: skip

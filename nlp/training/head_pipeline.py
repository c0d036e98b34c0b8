"""Every head of a model, rebuilt over its frozen encoder in one run: the recipe of a release.

A shipped model is its encoder plus a chain of small steps, each fitted on the annotation set's
train part and kept only when it wins on the tune part (the step's own check, written into
``config.json``). Run one by one, the chain is easy to get out of order (a mention head fitted
to heads that were then retrained is wrong, thresholds chosen before the presence head are
stale) and hard to repeat from a release note. This module runs it in the one order that is
valid and writes each step's command and seconds into ``training.json``, so a release can be
rebuilt from the repository with one command. Nothing is trained on the test part or chosen
with it (its texts are read only to keep them out of training).
"""

from __future__ import annotations

import logging
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..model_layout import TrainedModel
from .heads import HeadTrainingArguments, train_heads

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    """One step of the chain: its name, what it runs, and how its outcome reads in a report."""

    name: str
    #: ``(model_dir, cache_dir, data_dir, min_precision) -> report`` (the step's check, with "kept")
    run: Callable[[Path, Path, Path, float], dict]
    summary: Callable[[dict], str]


def _evidence(model_dir, cache_dir, data_dir, min_precision):
    from .evidence_head import add_evidence_head

    return add_evidence_head(model_dir, cache_dir, data_dir)


def _presence(model_dir, cache_dir, data_dir, min_precision):
    from .presence_head import add_presence_head

    return add_presence_head(model_dir, cache_dir, data_dir, min_precision)


def _polarity(model_dir, cache_dir, data_dir, min_precision):
    from .polarity_head import add_polarity_head

    if TrainedModel.from_pretrained(model_dir).config.get("evidence") != "head":
        # the mention head pools with the evidence head's attention; without one there is nothing to fit
        # (the evidence step dropped any mention head it had)
        return {"kept": False, "skipped": "no evidence head"}
    return add_polarity_head(model_dir, cache_dir, data_dir, min_precision)


def _cues(model_dir, cache_dir, data_dir, min_precision):
    from .cue_thresholds import add_cue_thresholds

    return add_cue_thresholds(model_dir, cache_dir, data_dir, min_precision)


def _bias(model_dir, cache_dir, data_dir, min_precision):
    from .sentiment_bias import add_sentiment_bias

    return add_sentiment_bias(model_dir, cache_dir, data_dir)


def _pair(report, before: str, after: str) -> str:
    b, a = report.get(before, {}), report.get(after, {})
    return ", ".join(f"{lang} {b[lang]:.4f} -> {a.get(lang, float('nan')):.4f}" for lang in sorted(b))


#: The chain after the heads, in the only valid order: the evidence head before the mention head
#: (which pools the token states with its attention), presence and mention heads before the
#: thresholds (they change the topic probabilities), and the thresholds (single and cue-conditioned,
#: chosen again on all of tune either way) and sentiment offsets last, on the final probabilities.
STEPS = (
    Step("add-evidence", _evidence, lambda r: f"tune overlap {r['tune_overlap_evidence_head']} "
         f"against topic-head shares {r['tune_overlap_topic_head_shares']}"),
    Step("add-presence-head", _presence, lambda r: "two-fold pair F1 on tune " + _pair(
        r, "tune_two_fold_pair_f1_pooled", "tune_two_fold_pair_f1_combined")),
    Step("add-polarity-head", _polarity, lambda r: f"skipped: {r['skipped']}" if "skipped" in r else
         "two-fold pair F1 on tune " + _pair(r, "tune_two_fold_pair_f1_topic_head", "tune_two_fold_pair_f1_mention_head")),
    Step("add-cue-thresholds", _cues, lambda r: "two-fold pair F1 on tune " + _pair(
        r, "tune_two_fold_pair_f1_single", "tune_two_fold_pair_f1_cued")),
    Step("add-sentiment-bias", _bias, lambda r: "two-fold macro-F1 on tune " + _pair(
        r, "tune_two_fold_macro_f1_plain", "tune_two_fold_macro_f1_biased")),
)  # fmt: skip


def build_heads(args: HeadTrainingArguments, min_precision: float = 0.70, on_step=None, on_progress=None) -> dict:
    """Retrain ``args.base_model``'s heads into ``args.output_dir`` and run every later step.

    Args:
        args: the head-training run (base model, output folder, version, data).
        min_precision: the pair precision every threshold must reach on tune.
        on_step: called as ``on_step(name, seconds, summary)`` after each step.
        on_progress: called as ``on_progress(stage, done, total)`` while the heads' features are
            computed (the longest part).

    Returns:
        The training report, also written as ``training.json``: ``commands`` holds the command
        that repeats the run, ``steps`` each step with its outcome and seconds.
    """
    started = time.time()
    report = train_heads(args, on_progress)
    steps = [{"step": "train-heads", "seconds": report["seconds"],
              "summary": f"heads on {report['train_examples']['annotations']} annotated train items "
                         f"(x{args.annotation_repeat}) and {report['train_examples']['other_sets']} rows of "
                         f"other sets (weight {args.other_weight}), {args.epochs} epochs"}]  # fmt: skip
    if on_step:
        on_step(steps[0]["step"], steps[0]["seconds"], steps[0]["summary"])
    for step in STEPS:
        t0 = time.time()
        outcome = step.run(Path(args.output_dir), Path(args.cache_dir), Path(args.data_dir), min_precision)
        kept = outcome.get("kept", True)
        entry = {"step": step.name, "seconds": round(time.time() - t0, 1),
                 "summary": step.summary(outcome) + ("" if kept else " (not kept)")}  # fmt: skip
        steps.append(entry)
        log.info("%s: %s (%.0f s)", step.name, entry["summary"], entry["seconds"])
        if on_step:
            on_step(step.name, entry["seconds"], entry["summary"])
    model = TrainedModel.from_pretrained(args.output_dir)
    training = dict(model.training or report)
    training["seconds"] = round(time.time() - started, 1)
    training["commands"] = [shlex.join([
        "voclens", "model", "train-heads", str(args.base_model), "--output", str(args.output_dir),
        "--version", args.version, "--data-dir", str(args.data_dir), "--epochs", str(args.epochs),
        "--annotation-repeat", str(args.annotation_repeat), "--other-weight", str(args.other_weight),
        "--min-precision", str(min_precision)])]  # fmt: skip
    training["steps"] = steps
    model.training = training
    model.save_pretrained(args.output_dir)
    return training


__all__ = ["STEPS", "Step", "build_heads"]

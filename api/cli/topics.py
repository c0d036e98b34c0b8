"""``voclens topics ...``: teach voclens your own topics (and the customer journey) from examples.

The steps, in order (``docs/topics.md``): ``add`` a topic, give it
``examples``, ``train`` (shows cross-validated precision and recall, labels
nothing), ``apply`` (labels the whole index from the stored vectors). ``list``
shows where each topic stands; ``remove`` takes a topic and its labels away;
``journey`` installs the shipped customer journey as 18 topics to train and
apply the same way.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from index.errors import SearchBackendError
from nlp.errors import NLPError
from nlp.own_topics import read_examples

from ..components import load_classifier, open_configured_backend
from ..own_topics import (
    UnknownOwnTopic,
    add_examples,
    add_topic,
    apply_topics,
    checkpoint_file,
    install_journey,
    remove_topic,
    seed_from_theme,
    train_topics,
    trained_heads,
)
from ..themes.store import ThemeNotFound, ThemeStore
from ._common import JsonOpt, err, fail, load_settings, out, progress_forced

topics_app = typer.Typer(help="Teach voclens your own topics from examples, and label the index with them.",
                         no_args_is_help=True)

KeyArg = Annotated[str, typer.Argument(help="The topic's key: lower-case letters, digits, underscores (topic:KEY in queries).")]


def _run(fn):
    """Run ``fn(backend)`` on the configured backend; a foreseen failure ends in one line."""
    settings = load_settings()
    try:
        with open_configured_backend(settings) as backend:
            return fn(backend)
    except (UnknownOwnTopic, ThemeNotFound, NLPError, SearchBackendError, ValueError) as exc:
        fail(exc)


@topics_app.command("add")
def topics_add(
    key: KeyArg,
    name_zh: Annotated[str, typer.Option("--name-zh", help="Chinese name, shown in digests and the web app.")],
    name_en: Annotated[str, typer.Option("--name-en", help="English name.")],
    cues: Annotated[str, typer.Option("--cues", help="Comma-separated words typical of the topic (kept with it, for people).")] = "",
    from_theme: Annotated[str | None, typer.Option("--from-theme", help="A theme's id from `voclens themes`: its most typical documents become the topic's examples.")] = None,
) -> None:
    """Define an own topic (or rename one: its examples and head are kept).

    Example: voclens topics add leaking --name-zh 漏液 --name-en Leaking --cues 漏液,漏水,leak
    """

    def run(backend):
        topic = add_topic(backend, key, name_zh, name_en, [c for c in cues.split(",") if c.strip()])
        if from_theme is None:
            return topic
        store = ThemeStore(load_settings().state_url)
        try:
            return seed_from_theme(backend, key, from_theme, store)
        finally:
            store.close()

    topic = _run(run)
    out.print(f"topic {topic.key} ({topic.name_zh} / {topic.name_en}): {len(topic.examples)} example(s); "
              f"next: voclens topics examples {topic.key} FILE", markup=False, highlight=False)


@topics_app.command("examples")
def topics_examples(
    key: KeyArg,
    file: Annotated[Path, typer.Argument(help='JSONL: {"text": "...", "label": 1} or {"id": "<document id>", "label": 0}.')],
    replace: Annotated[bool, typer.Option("--replace", help="Drop the topic's earlier examples first.")] = False,
) -> None:
    """Give a topic labelled examples: label 1 for the topic, 0 for a counter-example."""
    try:
        examples = read_examples(file)
    except NLPError as exc:
        fail(exc)
    topic = _run(lambda b: add_examples(b, key, examples, replace=replace))
    pos = sum(e.label for e in topic.examples)
    out.print(f"topic {topic.key}: {pos} example(s) of it, {len(topic.examples) - pos} counter-example(s); "
              "next: voclens topics train", markup=False, highlight=False)


@topics_app.command("train")
def topics_train(
    keys: Annotated[list[str] | None, typer.Argument(help="Topics to train (default: all).")] = None,
    model: Annotated[str | None, typer.Option(help="Model whose encoder reads text examples (default: settings).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Train each topic's head and show its cross-validated precision and recall; labels nothing (see apply)."""
    settings = load_settings()
    try:
        classifier = load_classifier(settings, model)
    except Exception as exc:
        fail(exc)
    reports = _run(lambda b: train_topics(b, classifier, keys or None))
    if as_json:
        out.print_json(json.dumps([r.as_dict() for r in reports], ensure_ascii=False))
    else:
        table = Table(title="own topics, cross-validated (background documents count as not the topic)")
        for col in ("topic", "examples", "counter", "background", "precision", "recall", "F1", "threshold", "seconds"):
            table.add_column(col, justify="right")
        for r in reports:
            h = r.head
            if h is None:
                table.add_row(escape(r.key), "", "", "", "", "", "", "", "not trained")
            else:
                table.add_row(escape(r.key), str(h.positives), str(h.negatives), str(h.background), f"{h.precision:.2f}",
                              f"{h.recall:.2f}", f"{h.f1:.2f}", f"{h.threshold:.2f}", f"{h.seconds:.1f}")
        out.print(table)
        for r in reports:
            if r.head is None:
                err.print(f"{r.key} not trained: {r.error}", markup=False, highlight=False)
        out.print("next: voclens topics apply", markup=False, highlight=False)
    if any(r.head is None for r in reports):
        raise typer.Exit(1)


@topics_app.command("apply")
def topics_apply(
    batch_size: Annotated[int, typer.Option(min=100, max=50_000, help="Vectors scored and written together; progress is saved after each batch.")] = 5000,
    as_json: JsonOpt = False,
) -> None:
    """Label every document with a stored vector from the trained heads (resumable).

    Labels of own topics are replaced, default topics never touched; run again
    after training and only documents whose labels change are written.
    Stopped half-way, it continues where it stopped when run again.
    """
    settings = load_settings()
    try:  # the encoder locates each label's evidence and polarity; without it labels take the document's
        classifier = load_classifier(settings)
    except Exception as exc:
        err.print(f"warning: no model ({exc}); labels take their document's sentiment", markup=False, highlight=False)
        classifier = None

    def run(backend):
        heads = trained_heads(backend)
        if not heads:
            fail("no trained topic: voclens topics train first")
        with Progress(TextColumn("apply"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err,
                      disable=as_json or not sys.stderr.isatty() and not progress_forced()) as bar:
            task = bar.add_task("documents", total=backend.health().get("vectors"))
            return apply_topics(backend, checkpoint=checkpoint_file(settings.data_dir, heads), batch_size=batch_size,
                                progress=lambda n: bar.advance(task, n), classifier=classifier)

    report = _run(run)
    if as_json:
        out.print_json(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    rate = report.as_dict()["docs_per_second"]
    out.print(f"applied {len(report.topics)} topic(s) to {report.seen} documents in {report.seconds:.1f} s"
              f"{f' ({rate}/s)' if rate else ''}: {report.changed} changed"
              + (f" (resumed after id {report.resumed_after})" if report.resumed_after else ""), markup=False, highlight=False)
    for key in report.topics:
        out.print(f"  {key}: {report.labelled.get(key, 0)} document(s)", markup=False, highlight=False)


@topics_app.command("list")
def topics_list(as_json: JsonOpt = False) -> None:
    """Own topics (and journey steps) with their examples and, once trained, their cross-validated scores."""
    topics = _run(lambda b: b.own_topics())
    if as_json:
        out.print_json(json.dumps([t.model_dump(mode="json", exclude={"examples": True, "labelled_by": True, "head": {"weights"}}) | {
            "examples": len(t.examples)} for t in topics], ensure_ascii=False))
        return
    if not topics:
        out.print("no own topics yet: voclens topics add KEY --name-zh ... --name-en ...", markup=False, highlight=False)
        return
    table = Table(title="own topics")
    for col in ("topic", "taxonomy", "names", "examples", "counter", "precision", "recall", "trained on"):
        table.add_column(col)
    for t in topics:
        pos = sum(e.label for e in t.examples)
        h = t.head
        table.add_row(escape(t.key), t.taxonomy.value, escape(f"{t.name_zh} / {t.name_en}"), str(pos),
                      str(len(t.examples) - pos), f"{h.precision:.2f}" if h else "", f"{h.recall:.2f}" if h else "",
                      escape(h.model) if h else "not trained")
    out.print(table)


@topics_app.command("remove")
def topics_remove(key: KeyArg) -> None:
    """Remove an own topic and its labels from every document (default topics are not affected)."""
    changed = _run(lambda b: remove_topic(b, key))
    out.print(f"removed topic {key}; its label came off {changed} document(s)", markup=False, highlight=False)


@topics_app.command("journey")
def topics_journey() -> None:
    """Install the customer journey (5 stages, 13 touchpoints, examples in Chinese and English) as own topics.

    Then train and apply them like any topic; voclens trends --split stage (or touchpoint) charts them.
    """
    stored = _run(install_journey)
    out.print(f"installed {len(stored)} journey topics (stage_*, touch_*); next: voclens topics train",
              markup=False, highlight=False)


__all__ = ["topics_app"]

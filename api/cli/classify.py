"""``voclens classify`` and ``voclens reclassify``: label texts from a file, or documents in the index."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from crawlers.importers import BadRow, read_records

from ..components import load_classifier, open_configured_backend
from ..reclassify import checkpoint_file
from ..reclassify import reclassify as reclassify_documents
from ._common import JsonOpt, count_lines, err, fail, load_settings, out, progress_forced


def classify(
    input: Annotated[Path, typer.Option("--input", "-i", help="JSONL with `id` and `text` on each line.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="JSONL to write: id, lang, sentiment, topics.")],
    model: Annotated[str | None, typer.Option(help="Model name (default: settings; 'transformer' = the 12-layer model; 'fast' = lexicon baseline).")] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=4096, help="Texts handed to the model together; the transformer sorts each batch by length, so larger batches pad less.")] = 512,
) -> None:
    """Classify texts without indexing them: overall sentiment and topics with their own polarity."""
    settings = load_settings()
    try:
        classifier = load_classifier(settings, model)
    except Exception as exc:
        fail(exc)
    if not input.is_file():
        fail(FileNotFoundError(f"{input}: no such file"))
    bad = written = 0
    batch: list[tuple[str, str]] = []

    def flush(fh) -> None:
        nonlocal written
        if not batch:
            return
        for (doc_id, _), res in zip(batch, classifier.classify_batch([t for _, t in batch]), strict=True):
            fh.write(json.dumps({
                "id": doc_id, "lang": res.lang,
                "sentiment": res.sentiment.model_dump(mode="json"),
                "topics": [t.model_dump(mode="json") for t in res.topics],
                "model_version": res.model_version,
            }, ensure_ascii=False) + "\n")
            written += 1
        batch.clear()

    with open(output, "w", encoding="utf-8") as fh, Progress(console=err, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("classify", total=count_lines(input))
        for item in read_records(input, "jsonl"):
            bar.advance(task)
            if isinstance(item, BadRow):
                bad += 1
                err.print(f"{input}:{item.line}: {item.reason}", markup=False, highlight=False)
                continue
            text, doc_id = item.record.get("text"), item.record.get("id")
            if not isinstance(text, str) or not text.strip() or doc_id is None:
                bad += 1
                err.print(f"{input}:{item.line}: needs a non-empty string `text` and an `id`", markup=False, highlight=False)
                continue
            batch.append((str(doc_id), text))
            if len(batch) >= batch_size:
                flush(fh)
        flush(fh)
    err.print(f"classified {written} text(s) with {classifier.version}; {bad} line(s) skipped", highlight=False)
    if bad and not written:
        raise typer.Exit(1)


def reclassify(
    model: Annotated[str | None, typer.Option(help="Model to label with (default: settings; 'transformer' = the 12-layer model; 'fast' = lexicon baseline).")] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=10000, help="Documents classified and written together; progress is saved after each batch.")] = 256,
    force: Annotated[bool, typer.Option("--force", help="Also re-label documents this model version has already labelled.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Re-label documents already in the index with a model, e.g. after switching to a new one.

    Each document gets the model's sentiment and topics, and its model_version
    becomes the model's version; nothing else about it changes, and search,
    trends and topic counts follow the new labels. Documents this model version
    already labelled are skipped (--force re-labels them too), so running it
    twice is harmless. Stopped half-way (Ctrl-C, a crash), it continues where it
    stopped when run again with the same model. Documents the model fails on
    keep their old labels and make the command exit with status 1; run it again
    to retry them.

    Example: voclens reclassify --model fast
    """
    settings = load_settings()
    try:
        classifier = load_classifier(settings, model)
    except Exception as exc:
        fail(exc)
    with open_configured_backend(settings) as backend, Progress(
        TextColumn("reclassify"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err, disable=as_json or not sys.stderr.isatty() and not progress_forced(),
    ) as bar:
        task = bar.add_task("documents", total=backend.count())
        report = reclassify_documents(
            backend, classifier, batch_size=batch_size, force=force,
            checkpoint_path=checkpoint_file(settings.data_dir, classifier.version),
            progress=lambda n: bar.advance(task, n),
        )
    if as_json:
        out.print_json(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        out.print(f"reclassified with {report.model_version}: {report.seen} documents seen, {report.updated} updated, "
                  f"{report.skipped_current} already current, {report.failed} failed"
                  + (f" (resumed after id {report.resumed_after})" if report.resumed_after else ""),
                  markup=False, highlight=False)
        if report.failed:
            shown = ", ".join(report.failed_ids[:20]) + (" ..." if report.failed > 20 else "")
            out.print(f"failed documents keep their old labels; run again to retry them: {shown}", markup=False, highlight=False)
    if report.failed:
        raise typer.Exit(1)

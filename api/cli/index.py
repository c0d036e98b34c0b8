"""``voclens index ...``: prepare, migrate and copy the search index between backends.

``copy`` moves every document from one backend to the other (SQLite to
Elasticsearch when a brand team outgrows one machine, or back). Documents
keep their stable ids, so a copy is an idempotent upsert: a checkpoint file
in the data directory records the last id copied, and a run that stops
(Ctrl-C, a node restart) resumes after it.
"""

from __future__ import annotations

import json
import os
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from index.errors import SearchBackendError

from ..components import open_configured_backend
from ._common import err, fail, load_settings, out

from index.registry import backend_names

index_app = typer.Typer(help="Prepare, migrate and copy the search index (SQLite or Elasticsearch).", no_args_is_help=True)


#: The registered backends (``index.registry``), as command-line choices.
Kind = Enum("Kind", {name: name for name in backend_names()}, type=str)


def _open(kind: str):
    settings = load_settings()
    try:
        return open_configured_backend(settings.model_copy(update={"backend": kind}))
    except SearchBackendError as exc:
        fail(exc)


@index_app.command("init")
def init() -> None:
    """Create the configured backend's storage (SQLite file, or Elasticsearch index template and alias); idempotent."""
    settings = load_settings()
    with _open(settings.backend) as backend:
        health = backend.health()
    out.print(json.dumps(health, ensure_ascii=False, indent=2, default=str), highlight=False)


@index_app.command("migrate")
def migrate() -> None:
    """Bring the index to the current schema (SQLite: in place; Elasticsearch: new indices behind the alias)."""
    from rich.progress import Progress

    from index.errors import SearchBackendError

    settings = load_settings()
    with _open(settings.backend) as backend:
        total = backend.count()
        try:
            with Progress(console=err, transient=True) as bar:
                task = bar.add_task("migrating", total=total or None)
                report = backend.migrate(progress=lambda n: bar.advance(task, n))
        except SearchBackendError as exc:
            fail(exc)
    out.print(report.summary, highlight=False)


def checkpoint_file(data_dir: Path, source: str, target: str) -> Path:
    return data_dir / f"copy-{source}-to-{target}.checkpoint.json"


def copy_documents(source, target, *, batch_size: int = 500, checkpoint: Path | None = None, progress=None) -> int:
    """Upsert every document of ``source`` into ``target`` in id order; returns how many were copied.

    With ``checkpoint`` the last copied id is saved after each batch (atomically)
    and a later call resumes after it; the file is removed once the copy is complete.
    Erasure tombstones go first, so ``target`` refuses what ``source`` erased,
    and again at the end, for erasures made while copying. Own topics'
    definitions go first too, so queries naming them work on ``target``.
    """
    source.copy_tombstones_to(target)
    for topic in source.own_topics():
        target.save_own_topic(topic)
    after_id = None
    if checkpoint is not None and checkpoint.is_file():
        try:
            after_id = json.loads(checkpoint.read_text(encoding="utf-8")).get("after_id")
        except ValueError:
            after_id = None
    copied = 0
    with target.bulk_import():  # Elasticsearch: refresh off until the copy ends
        for batch in source.iter_documents(batch_size=batch_size, after_id=after_id):
            target.upsert(batch)
            copied += len(batch)
            if checkpoint is not None:
                tmp = checkpoint.with_suffix(".tmp")
                tmp.write_text(json.dumps({"after_id": batch[-1].id}), encoding="utf-8")
                os.replace(tmp, checkpoint)
            if progress is not None:
                progress(len(batch))
    source.copy_tombstones_to(target)
    if checkpoint is not None:
        checkpoint.unlink(missing_ok=True)
    return copied


@index_app.command("copy")
def copy(
    from_: Annotated[Kind, typer.Option("--from", help="Backend to read from.")],
    to: Annotated[Kind, typer.Option("--to", help="Backend to write to.")],
    batch_size: Annotated[int, typer.Option(min=1, max=5000, help="Documents per write.")] = 500,
    restart: Annotated[bool, typer.Option(help="Ignore a checkpoint and copy from the first document.")] = False,
) -> None:
    """Copy every document from one backend to the other, with a progress bar; resumable (re-run after a stop)."""
    if from_ is to:
        raise typer.BadParameter("--from and --to must name different backends")
    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = checkpoint_file(settings.data_dir, from_.value, to.value)
    if restart:
        checkpoint.unlink(missing_ok=True)
    resumed = checkpoint.is_file()
    with _open(from_.value) as source, _open(to.value) as target:
        total = source.count()
        try:
            with Progress(TextColumn("copying"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                          console=err, transient=True) as bar:
                task = bar.add_task("copy", total=total)
                copied = copy_documents(source, target, batch_size=batch_size, checkpoint=checkpoint,
                                        progress=lambda n: bar.advance(task, n))
        except SearchBackendError as exc:
            err.print(f"stopped; run the same command again to resume ({checkpoint})", highlight=False)
            fail(exc)
        count = target.count()
    note = " (resumed)" if resumed else ""
    out.print(f"copied {copied} document(s) from {from_.value} to {to.value}{note}; {to.value} now holds {count}", highlight=False)


__all__ = ["copy_documents", "index_app"]

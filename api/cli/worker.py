"""``voclens worker``: classify documents from the queue and write them, in batches, until stopped."""

from __future__ import annotations

import json
import logging
import signal
from typing import Annotated
from urllib.parse import urlsplit

import typer

from ..components import analyser_for, load_classifier, open_configured_backend
from ..own_topics import with_own_topics
from ._common import JsonOpt, err, fail, load_settings, out, require_own_salt

log = logging.getLogger("voclens.cases")
#: Least seconds between two runs of the case rules while the queue stays busy (each run searches every
#: rule's lookback window); when it goes idle they run at once.
CASES_EVERY_S = 10.0


def worker(
    name: Annotated[str | None, typer.Option(help="This worker's name in the consumer group (default: host-pid). A worker restarted with its old name finishes its own unacknowledged batch first.")] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, max=10_000, help="Documents classified and written together (default: worker_batch_size).")] = None,
    model: Annotated[str | None, typer.Option(help="Model to classify with (default: settings).")] = None,
    classify: Annotated[bool, typer.Option("--classify/--no-classify", help="Classify with the model (off: language and keywords only; labels that came with a record are kept).")] = True,
    exit_when_empty: Annotated[bool, typer.Option("--exit-when-empty", help="Stop once nothing is waiting or in progress (batch jobs, benchmarks); default: run until stopped.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Classify documents from the queue (`ingest --queue`, `crawl --queue`) and bulk-write them.

    Delivery is at least once and writes are idempotent by document id: a
    worker killed mid-batch loses nothing (its batch is taken over by another
    worker after worker_claim_idle_s, or finished by itself when restarted
    with the same --name) and stores nothing twice. Stop with Ctrl-C or
    SIGTERM: the batch in hand is finished first.

    Case rules (voclens cases) run on what the worker wrote, as after
    voclens ingest: when the queue goes idle, and every 10 seconds while it
    stays busy. Where no state database or no rule exists nothing happens.
    """
    from crawlers.queue import Worker, connect, queue_depth

    from ..crawl import queue_url

    settings = load_settings()
    try:
        url = queue_url(settings)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    from index.registry import backend_class

    hosts = [urlsplit(url).hostname or ""] if not url.startswith("unix://") else []
    require_own_salt(settings, "worker", hosts + backend_class(settings.backend).hosts_from(settings))
    try:
        classifier = load_classifier(settings, model) if classify else None
    except Exception as exc:
        fail(exc)
    client = connect(url)
    opened: list[int] = []
    with open_configured_backend(settings) as backend:
        if hasattr(backend, "refresh"):
            # Elasticsearch: a worker needs no read-your-writes, and a refresh per batch costs more than the
            # batch; the index's periodic refresh (1 s) makes what it wrote searchable
            backend.refresh = False
        classifier = with_own_topics(classifier, backend)  # own topics' labels at the write (api.own_topics)
        w = Worker(client, settings.queue_stream, backend, analyser_for(settings), classifier, name=name,
                   batch_size=batch_size or settings.worker_batch_size, claim_idle_s=settings.worker_claim_idle_s,
                   after_writes=lambda: _open_cases(settings, backend, opened), after_writes_every_s=CASES_EVERY_S)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: w.stop())
        if not as_json:
            err.print(f"worker {w.name}: {settings.queue_stream} on {urlsplit(url).hostname or url} -> {backend.name}",
                      markup=False, highlight=False)
        stats = w.run(exit_when_empty=exit_when_empty, idle_exit_s=1.0)
    report = {"worker": w.name, "written": stats.written, "batches": stats.batches, "claimed": stats.claimed,
              "dead_letters": stats.dead_letters, "erased": stats.erased, "cases_opened": len(opened),
              **queue_depth(client, settings.queue_stream)}
    if as_json:
        out.print_json(json.dumps(report, ensure_ascii=False))
    else:
        out.print(f"worker {w.name}: {stats.written} written in {stats.batches} batches, {stats.claimed} taken over, "
                  f"{stats.dead_letters} dead letters{f', {len(opened)} cases opened' if opened else ''}; "
                  f"queue depth {report['depth']}", markup=False, highlight=False)


def _open_cases(settings, backend, opened: list[int]) -> None:
    """The case rules on what the worker wrote (api.cases.after_ingest: nothing without a state database or a rule)."""
    from ..cases.engine import after_ingest

    report = after_ingest(settings, backend)
    if report and report.opened:
        opened.extend(report.opened)
        log.info("opened %d case(s)", len(report.opened))

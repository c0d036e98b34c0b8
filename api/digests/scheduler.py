"""The in-process scheduler of ``voclens serve``: the same runner as ``voclens digests run``, every poll.

It runs in a worker thread (the runner does blocking database, SMTP and HTTP
calls) so the API keeps answering. Several API processes may each run one:
the delivery claims keep them from sending a period twice, exactly as with
two cron jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager

from index.base import Backend

from ..settings import Settings
from .runner import Runner
from .store import DigestStore

log = logging.getLogger("voclens.digests")


async def _loop(runner: Runner, poll_s: float) -> None:
    from ..cases import CaseStore
    from ..cases import run_once as run_cases

    cases = CaseStore(runner.store.engine)
    while True:
        try:
            report = await asyncio.to_thread(runner.run_once)
            if report.sent or report.failed or report.paused:
                log.info("digest run", extra=report.as_dict())
        except Exception:  # the scheduler must outlive a bad run (state DB restart, backend outage)
            log.exception("digest run failed; retrying at the next poll")
        try:  # case rules and deadline alerts ride the same poll (api.cases.engine)
            await asyncio.to_thread(run_cases, cases, runner.backend, runner.settings)
        except Exception:
            log.exception("case run failed; retrying at the next poll")
        await asyncio.sleep(poll_s)


@asynccontextmanager
async def digests_lifespan(app, settings: Settings, backend: Callable[[], Backend]):
    """Open the state store lazily for the routes and, when enabled, run the scheduler task."""
    app.state.digest_store = None
    task = None
    if settings.digest_scheduler:
        store = get_store(app, settings)
        task = asyncio.create_task(_loop(Runner(store, backend(), settings), settings.digest_poll_s))
        log.info("digest scheduler started", extra={"poll_s": settings.digest_poll_s})
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if app.state.digest_store is not None:
            app.state.digest_store.close()


_OPENING = threading.Lock()


def get_store(app, settings: Settings) -> DigestStore:
    """The app's state store, opened on first use so an API without subscriptions never touches it.

    Requests run in a thread pool, so the first few may arrive together: one
    opens the store (creating its tables) while the others wait for it.
    """
    store = getattr(app.state, "digest_store", None)
    if store is not None:
        return store
    with _OPENING:
        if getattr(app.state, "digest_store", None) is None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            app.state.digest_store = DigestStore(settings.state_url)
        return app.state.digest_store


__all__ = ["digests_lifespan", "get_store"]

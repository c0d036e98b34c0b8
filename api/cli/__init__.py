"""The ``voclens`` command line: ingest, search, trends, classify, serve and a demo.

Every command reads the one settings object (``VOCLENS_*`` env vars and
``voclens.toml``); options on the command line override it for that run.

One module per command group (``ingest``, ``search``, ``analytics``,
``erasure``, ``classify``, ``serve``, ``crawl``, ``worker``, ``keys``, ``model``,
``index``, ``digests``, ``themes``, ``topics``), all built on ``_common``; this module only
assembles them, in the order ``voclens --help`` lists them. Every run
imports every group, so what only one command needs and takes long to
import (Scrapy, torch and the training code, uvicorn) is imported inside
that command; everything else is imported at the top, most of it already
loaded by ``import api``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from crawlers.errors import CrawlerError
from index.errors import SearchBackendError
from nlp.extras import missing_extra
from nlp.errors import NLPError

from ..logs import configure_logging
from . import analytics, classify, crawl, erasure, ingest, scores, search, serve, themes, worker
from ._common import err, load_settings
from .cases import cases_app, churn_app
from .digests import digests_app
from .index import index_app
from .keys import keys_app
from .model import model_app
from .topics import topics_app

app = typer.Typer(
    name="voclens",
    help="voclens: collect, classify, search and trend customer feedback (Chinese and English).\n\n"
    "Start with `voclens demo`, then `voclens search 物流` or `voclens trends --split topic`. "
    "Data lives in VOCLENS_DATA_DIR (default ./voclens-data).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

_COMMANDS = (ingest.ingest, search.search, search.similar, analytics.trends, analytics.top, analytics.emerging,
             scores.drivers, themes.themes, search.get, erasure.erase, erasure.erasures, classify.classify,
             classify.reclassify, serve.serve, serve.demo, crawl.crawl, worker.worker)
for _command in _COMMANDS:
    app.command()(_command)
app.add_typer(keys_app, name="keys")
app.add_typer(model_app, name="model")
app.add_typer(index_app, name="index")
app.add_typer(digests_app, name="digests")
app.add_typer(topics_app, name="topics")
app.add_typer(cases_app, name="cases")
app.add_typer(churn_app, name="churn")


@app.callback()
def main_callback(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    settings = load_settings()
    configure_logging("DEBUG" if verbose else settings.log_level if settings.log_level != "INFO" else "WARNING",
                      settings.log_format)


def main() -> None:
    """Entry point: every failure ends with one clear line, not a traceback (``-v`` shows it)."""
    try:
        app()
    except (SearchBackendError, CrawlerError, NLPError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(1)
    except Exception as exc:  # anything unforeseen still gets one line; -v shows where it came from
        if "-v" in sys.argv[1:] or "--verbose" in sys.argv[1:]:
            raise
        if missing := missing_extra(exc):  # a training command without torch: say what to install
            err.print(f"[red]error:[/red] {escape(str(missing))}")
            sys.exit(1)
        err.print(f"[red]error:[/red] {type(exc).__name__}: {escape(str(exc))} (run with -v for the traceback)")
        sys.exit(1)


__all__ = ["app", "main"]

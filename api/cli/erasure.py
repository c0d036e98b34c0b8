"""``voclens erase`` and ``voclens erasures``: takedown requests and their log."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from index.base import ErasureKind
from index.errors import DocumentNotFound

from ..components import open_configured_backend
from ..erasure import author_hash_for
from ..erasure import erase as erase_one
from ._common import JsonOpt, fail, load_settings, out


def erase(
    doc: Annotated[str | None, typer.Option("--doc", help="The document id to erase (as `voclens get` and the API show it).")] = None,
    author: Annotated[str | None, typer.Option("--author", help="The author's handle on --source; hashed here exactly as ingest hashes it, never stored.")] = None,
    author_id: Annotated[str | None, typer.Option("--author-id", help="The platform's id of the author (a Weibo uid...) on --source, hashed like ingest does.")] = None,
    author_hash: Annotated[str | None, typer.Option("--author-hash", help="An author hash (a_ + 24 hex digits) as documents carry it.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Where the author wrote (jd, weibo, zendesk...): hashes are per source. Required with --author / --author-id.")] = None,
    force: Annotated[bool, typer.Option("--force", help="With --doc: refuse the id from now on even if it is not stored (a takedown before the crawl, or re-applying the log after restoring a backup).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Erase a document or an author for good (a PIPL / GDPR takedown).

    Removes the document (or every document of the author) from the index,
    refuses it on every later import, crawl or POST /documents, and writes one
    line to the erasure log (what, when, who = "cli", how many; never text).
    Exactly one of --doc, --author, --author-id, --author-hash. See
    docs/operations.md#erasure-takedown-requests.
    """
    given = [name for name, v in (("--doc", doc), ("--author", author), ("--author-id", author_id),
                                  ("--author-hash", author_hash)) if v is not None]
    if len(given) != 1:
        raise typer.BadParameter("give exactly one of --doc, --author, --author-id, --author-hash")
    if (author is not None or author_id is not None) and not source:
        raise typer.BadParameter("--author and --author-id need --source: an author's hash depends on the source")
    settings = load_settings()
    if doc is not None:
        kind, key = ErasureKind.document, doc.strip().lower()
    else:
        kind = ErasureKind.author
        key = author_hash.strip() if author_hash is not None else author_hash_for(
            source, handle=author, author_id=author_id, salt=settings.author_salt)
    with open_configured_backend(settings) as backend:
        try:
            record = erase_one(backend, kind, key, actor="cli", must_exist=not force)
        except DocumentNotFound as exc:
            fail(exc)
    if as_json:
        out.print_json(record.model_dump_json())
        return
    what = f"document {record.key}" if kind is ErasureKind.document else f"author {record.key}"
    out.print(f"erased {what}: {record.documents} document(s) removed; future copies will be refused", highlight=False)


def erasures(
    limit: Annotated[int, typer.Option(help="How many entries, newest first.")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Print the erasure log: what was erased, when, by whom, how many documents (never content)."""
    with open_configured_backend(load_settings()) as backend:
        rows = backend.erasures(limit)
    if as_json:
        out.print_json(json.dumps([r.model_dump(mode="json") for r in rows]))
        return
    table = Table(title="erasure log (newest first)")
    for col in ("at (UTC)", "kind", "key", "actor", "documents"):
        table.add_column(col)
    for r in rows:
        table.add_row(f"{r.at:%Y-%m-%d %H:%M:%S}", r.kind.value, r.key, r.actor, str(r.documents))
    out.print(table)

"""``voclens serve`` and ``voclens demo``: the HTTP API, and the demo corpus loaded before it."""

from __future__ import annotations

import errno
import socket
from typing import Annotated

import typer
from rich.markup import escape

from ..app import create_app
from ..components import open_configured_backend
from ..demo import load_demo
from ..logs import configure_logging
from ._common import err, load_settings, out, require_own_salt


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default: settings, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: settings, 8000).")] = None,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    host, port = host or settings.host, port or settings.port
    require_own_salt(settings, "serve", [host])
    _require_free_port(host, port)
    err.print(f"voclens on http://{host}:{port}/  (open it in a browser; API docs: http://{host}:{port}/docs)", highlight=False)
    # uvicorn and its h11 protocol: ~50 ms of imports that no other command needs
    import uvicorn

    from ..http11 import ClearErrorsH11Protocol

    # h11 (not httptools, even when installed): its 400 for a raw UTF-8 URL can name the fix; a
    # request line up to max_url_bytes gets through to the app, which answers 414 beyond.
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False,
                http=ClearErrorsH11Protocol, h11_max_incomplete_event_size=settings.max_url_bytes + 64 * 1024)


def _require_free_port(host: str, port: int) -> None:
    """Stop with one line naming ``--port`` when the address is taken, instead of uvicorn's bind error."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return  # let uvicorn report an unknown host its own way
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a TIME_WAIT socket is no conflict
        try:
            s.bind(addr)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                return
            err.print(f"[red]error:[/red] port {port} on {escape(host)} is already in use (another voclens serve?); "
                      f"stop it or choose another port, e.g. --port {port + 1 if port < 65535 else 8001}")
            raise typer.Exit(1) from None


def demo(
    serve_api: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the API after loading.")] = True,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Load the bundled demo corpus (fictional brands Lumio, Qinghe, Voltra), classify and index it, then serve.

    Dates are shifted so the newest item is from today, so "this week" and
    "emerging" queries show something.
    """
    settings = load_settings()
    with open_configured_backend(settings) as backend:
        summary = load_demo(settings, backend)
        total = backend.count()
    out.print(f"demo corpus: {summary.created} new, {summary.updated} updated, {summary.rejected} rejected; "
              f"{total} documents in {settings.sqlite_path}", markup=False)
    out.print('try:  voclens search 物流 --sentiment negative   |   voclens emerging keywords   |   '
              'voclens trends --interval week --split topic')
    if serve_api:
        serve(host=host, port=port)

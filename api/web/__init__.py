"""The web app (issue 18): one HTML shell at ``/`` and its static files under ``/static/``.

The page is a client of the JSON API like any other (every view is a few
``fetch`` calls a curl user can repeat), so this module serves files only: the
shell, with the vocabularies the filters offer written into it from the same
definitions the API validates against (``api.bounds``), and the ES modules,
stylesheet and vendored Apache ECharts (``static/vendor``, see
``scripts/vendor-web``). Nothing is fetched from a CDN: it works offline.
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from index.document import Channel
from nlp.labels import DEFAULT_TOPICS, TOPIC_NAMES_ZH

from ..bounds import LANGS, POLARITIES
from ..settings import Settings

STATIC_DIR = Path(__file__).parent / "static"
#: URL prefix of the app's files; the JSON API never uses it.
STATIC_PATH = "/static"
#: The page runs only its own scripts and shows customer text: nothing else may run or load.
#: Inline styles are allowed for ECharts and the digest preview (an e-mail's HTML in a sandboxed frame).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")


class _RevalidatedFiles(StaticFiles):
    """Static files the browser must revalidate (a cheap 304 by ETag), so an upgrade is never half-loaded:
    ES modules import each other by plain URLs that cannot carry a version."""

    def file_response(self, full_path, *args, **kwargs):
        response = super().file_response(full_path, *args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


def page_config(settings: Settings) -> dict:
    """What the shell tells the page: filter vocabularies, limits, whether keys are needed."""
    return {
        "topics": list(DEFAULT_TOPICS),
        "topic_names_zh": TOPIC_NAMES_ZH,
        "polarities": list(POLARITIES),
        "channels": [c.value for c in Channel],
        "langs": list(LANGS),
        "page_size": min(50, settings.max_page_size),
        "max_query_chars": settings.max_query_chars,
        "keys_required": bool(settings.api_keys),
    }


def shell_html(settings: Settings) -> str:
    """``index.html`` with the page config inlined (``<`` escaped, so no value can close the script tag)."""
    config = json.dumps(page_config(settings), ensure_ascii=False).replace("<", "\\u003c")
    return (STATIC_DIR / "index.html").read_text(encoding="utf-8").replace("__VOCLENS_CONFIG__", config)


def install_web(app: FastAPI, settings: Settings) -> None:
    """Serve the app at ``/`` and its files under ``/static/``; the API's own paths are untouched."""
    html = shell_html(settings)
    app.mount(STATIC_PATH, _RevalidatedFiles(directory=str(STATIC_DIR)), name="web-static")

    @app.get("/", include_in_schema=False)
    async def web_app(request: Request) -> HTMLResponse:
        return HTMLResponse(html, headers={"Cache-Control": "no-cache", "Content-Security-Policy": CSP,
                                           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"})

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:  # browsers ask for it on any page of the origin
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")


def is_static(scope: Scope) -> bool:
    """True for a request of one of the app's files (not counted against the API rate limit)."""
    return scope.get("path", "").startswith(STATIC_PATH + "/")


__all__ = ["STATIC_DIR", "STATIC_PATH", "install_web", "is_static", "page_config", "shell_html"]

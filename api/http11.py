"""The HTTP/1.1 protocol ``voclens serve`` runs: uvicorn's h11 one, with a useful 400.

A request line with raw (not percent-encoded) UTF-8, as sent by
``curl 'http://127.0.0.1:8000/search?q=物流'``, is not HTTP: both of uvicorn's
parsers (h11 and httptools) refuse it before the app sees it, with a bare
"Invalid HTTP request received.". This subclass answers the same 400 in the
API's one error shape and names the fix, since that is by far the most
common way to get there.
"""

from __future__ import annotations

import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .errors import PROBLEM_JSON

HINT = ("Invalid HTTP request received. If the URL has non-ASCII characters (q=物流), percent-encode them: "
        "with curl, use -G and --data-urlencode 'q=物流'; HTTP clients and browsers do it for you.")


class ClearErrorsH11Protocol(H11Protocol):
    """``H11Protocol`` whose 400 for an unparseable request says what to do about it."""

    def send_400_response(self, msg: str) -> None:
        body = json.dumps({"type": "about:blank", "title": "Bad Request", "status": 400, "detail": HINT},
                          ensure_ascii=False).encode()
        headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close")]
        self.transport.write(self.conn.send(h11.Response(status_code=400, headers=headers, reason=b"Bad Request")))
        self.transport.write(self.conn.send(h11.Data(data=body)))
        self.transport.write(self.conn.send(h11.EndOfMessage()))
        self.transport.close()


__all__ = ["HINT", "ClearErrorsH11Protocol"]

"""Signed export links: a keyed CSV export that a browser can download by itself.

A download the browser makes on its own (a link, a navigation) cannot carry the
``X-API-Key`` header, and reading the export with ``fetch`` to save it collects
the whole file in the page. So a client holding a key asks for a link
(``POST /search/export/links`` with the export's parameters) and gets the same
export URL with a ``token`` that stands for the key, for that one use only:

* **bound to the exact query**: the token is an HMAC of every parameter of the
  URL (sorted name and value pairs, the token left out), so a changed, added
  or removed parameter makes it invalid; it opens ``GET /search/export`` and
  nothing else (the purpose is part of what is signed);
* **short-lived**: it carries its expiry (``export_link_ttl_s``, 60 s by default);
* **single use**: the first download spends it; spent tokens are kept until they
  expire in the Redis of ``rate_limit_storage_url`` when it is one (so several API
  processes share them, as they share the rate limits), else in the process;
* **no key in the URL**: what is signed includes the stored *hash* of the key
  that asked, so a link dies with its key (removed from ``api_keys``) and
  server logs and browser history hold only a token worth one download.

The HMAC key is derived from the installation's ``author_salt``, which a
served voclens must have set to a secret of its own before it listens beyond
loopback or in production (``settings.default_salt_refusal``). With the shipped
default salt (a loopback development server) a random secret of the process is
used instead: the default salt is public, and links then last as long as the
process, which is all a loopback server needs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Iterable
from urllib.parse import urlencode

import redis

from nlp.privacy import is_default_salt

from .settings import ApiKey, Settings

#: What the signature is for: a token made for anything else never opens an export.
PURPOSE = "voclens:search-export:v1"
#: The query parameter that carries the token.
TOKEN_PARAM = "token"
#: Signs the links of a server still on the default (public) salt; lives and dies with the process.
_PROCESS_SECRET = secrets.token_bytes(32)
#: What stands in for a key's hash where no keys are configured (the export is open then anyway).
OPEN = "open"


class ExportLinkError(ValueError):
    """Why a token does not open the export (the API answers 401 with it)."""


def signing_key(settings: Settings) -> bytes:
    """The HMAC key of export links: derived from the installation's secret salt, never the salt itself."""
    if is_default_salt(settings.author_salt):
        return _PROCESS_SECRET
    return hmac.new(settings.author_salt.encode(), PURPOSE.encode(), hashlib.sha256).digest()


def canonical(params: Iterable[tuple[str, str]]) -> str:
    """The parameters as signed: every (name, value) pair but the token's, sorted, URL-encoded."""
    return urlencode(sorted((name, value) for name, value in params if name != TOKEN_PARAM))


def _signature(secret: bytes, key_hash: str, expires: int, nonce: str, query: str) -> str:
    message = "\n".join((PURPOSE, key_hash, str(expires), nonce, query)).encode()
    return base64.urlsafe_b64encode(hmac.new(secret, message, hashlib.sha256).digest()).rstrip(b"=").decode()


def make_token(secret: bytes, key_hash: str, params: Iterable[tuple[str, str]], ttl_s: int,
               now: float | None = None) -> tuple[str, int]:
    """A token for ``params`` asked by the key whose stored hash is ``key_hash``; and its expiry (Unix seconds).

    The token is ``<expires>.<nonce>.<signature>``: the nonce makes every link
    single (two links of one query are spent separately).
    """
    expires = int(now if now is not None else time.time()) + ttl_s
    nonce = secrets.token_urlsafe(12)
    return f"{expires}.{nonce}.{_signature(secret, key_hash, expires, nonce, canonical(params))}", expires


def check_token(secret: bytes, token: str, params: Iterable[tuple[str, str]], keys: Iterable[ApiKey],
                now: float | None = None) -> tuple[str, int]:
    """The nonce and expiry of a valid ``token`` for ``params``, made for one of ``keys`` that may read.

    Raises:
        ExportLinkError: the token is malformed, was made for other parameters or a key no longer
            configured (or without the read scope), or has expired.
    """
    expires_text, _, rest = token.partition(".")
    nonce, _, signature = rest.partition(".")
    if not (expires_text.isdigit() and nonce and signature):
        raise ExportLinkError("the export link's token is malformed; ask for a new link (POST /search/export/links)")
    expires, query = int(expires_text), canonical(params)
    keys = list(keys)
    hashes = [k.hash for k in keys if "read" in k.scopes] if keys else [OPEN]
    if not any(hmac.compare_digest(signature, _signature(secret, h, expires, nonce, query)) for h in hashes):
        raise ExportLinkError("the export link is not valid for this query (a parameter was changed, added or removed) "
                              "or its key is no longer configured; ask for a new link (POST /search/export/links)")
    if (now if now is not None else time.time()) >= expires:
        raise ExportLinkError(f"the export link expired {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(expires))}; "
                              "ask for a new link (POST /search/export/links)")
    return nonce, expires


class SpentTokens:
    """The nonces of links already used in this process, each kept until its link expires (one download per link)."""

    def __init__(self) -> None:
        self._spent: dict[str, int] = {}
        self._lock = threading.Lock()

    def spend(self, nonce: str, expires: int, now: float | None = None) -> bool:
        """Mark ``nonce`` used; False when it already was."""
        now = now if now is not None else time.time()
        with self._lock:
            if len(self._spent) > 1000:  # forget the expired ones now and then: they cannot be replayed anyway
                self._spent = {n: e for n, e in self._spent.items() if e > now}
            if nonce in self._spent:
                return False
            self._spent[nonce] = expires
            return True

    def close(self) -> None:
        pass


class RedisSpentTokens:
    """The nonces of links already used, in Redis, shared by every API process that uses it.

    ``SET key NX EX``: of two processes spending one token at once, one wins.
    """

    PREFIX = "voclens:export-link:"

    def __init__(self, url: str):
        self.client = redis.Redis.from_url(url)  # connects on the first download with a token

    def spend(self, nonce: str, expires: int, now: float | None = None) -> bool:
        """Mark ``nonce`` used; False when it already was. Raises redis.RedisError when Redis cannot answer."""
        ttl = max(1, int(expires - (now if now is not None else time.time())) + 1)
        return bool(self.client.set(self.PREFIX + nonce, 1, nx=True, ex=ttl))

    def close(self) -> None:
        self.client.close()


def spent_tokens(storage_url: str) -> SpentTokens | RedisSpentTokens:
    """Where spent tokens are kept: the rate limits' Redis (``redis://``, ``rediss://``), else this process."""
    url = storage_url.removeprefix("async+")
    return RedisSpentTokens(url) if url.startswith(("redis://", "rediss://")) else SpentTokens()


__all__ = ["OPEN", "TOKEN_PARAM", "ExportLinkError", "RedisSpentTokens", "SpentTokens", "canonical", "check_token",
           "make_token", "signing_key", "spent_tokens"]

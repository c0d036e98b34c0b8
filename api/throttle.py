"""Request limits enforced before any route runs: rate, failed key attempts, URL and body size.

An ASGI middleware (not a route dependency) so that every request counts,
including ones that fail validation, and so a body is refused before it is
parsed. Counting uses the ``limits`` library: moving windows, in memory by
default (per process) or in Redis (``rate_limit_storage_url``) for several
API processes sharing one budget.

* Each API key has its own budget (``rate_limit``); without keys, or for a
  request without a valid key, the client address does.
* Failed key attempts count per address (``auth_failure_limit``); past it,
  every request from that address that presents a key gets 429 *before* the
  key is checked, so guessing stops telling right from wrong.
* A URL longer than ``max_url_bytes`` gets 414; a body longer than
  ``max_body_bytes`` gets 413, whether its length is announced or streamed.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable

import redis.asyncio
from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import PROBLEM_JSON
from .settings import Settings


class LimitsMiddleware:
    """Applies the ``rate_limit``, ``auth_failure_limit``, ``max_url_bytes`` and ``max_body_bytes`` settings."""

    def __init__(self, app: ASGIApp, settings: Settings, uncounted: Callable[[Scope], bool] = lambda scope: False):
        self.app = app
        self.settings = settings
        self.uncounted = uncounted  # requests that use no budget (the web app's static files)
        self.rates: list[RateLimitItem] = parse_many(settings.rate_limit) if settings.rate_limit else []
        self.failures: list[RateLimitItem] = parse_many(settings.auth_failure_limit) if settings.auth_failure_limit else []
        storage, self.redis_pool = _storage(settings.rate_limit_storage_url)
        self.limiter = MovingWindowRateLimiter(storage)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" and self.redis_pool is not None:
            await self.app(scope, receive, self._closing_redis(send))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        s = self.settings
        url_bytes = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string", b""))
        if url_bytes > s.max_url_bytes:
            await _problem(send, 414, "URI Too Long", f"the URL has {url_bytes} bytes; the most is {s.max_url_bytes} "
                           "(max_url_bytes); send fewer or shorter filter values")
            return
        if self.uncounted(scope):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        address = (scope.get("client") or ("unknown", 0))[0]
        identity = f"addr:{address}"
        key = _presented_key(headers)
        if key and s.api_keys:
            for rate in self.failures:
                if not await self.limiter.test(rate, "auth-failures", address):
                    await _too_many(send, await self._retry_after(rate, "auth-failures", address),
                                    "too many failed API key attempts from this address; wait before trying again")
                    return
            matched = next((k for k in s.api_keys if k.matches(key)), None)
            if matched is None:
                for rate in self.failures:
                    await self.limiter.hit(rate, "auth-failures", address)
            else:
                identity = f"key:{matched.name}"
        for rate in self.rates:
            if not await self.limiter.hit(rate, "requests", identity):
                who = "this API key" if identity.startswith("key:") else "this address"
                await _too_many(send, await self._retry_after(rate, "requests", identity),
                                f"more than {rate} from {who} (rate_limit)")
                return
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > s.max_body_bytes:
            await _problem(send, 413, "Request body too large",
                           f"the body has {int(length)} bytes; the most is {s.max_body_bytes} (max_body_bytes)")
            return
        if scope["method"] in ("POST", "PUT", "PATCH") and length is None:
            body = await _read_body(receive, s.max_body_bytes)
            if body is None:
                await _problem(send, 413, "Request body too large",
                               f"the body is longer than {s.max_body_bytes} bytes (max_body_bytes)")
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    def _closing_redis(self, send: Send) -> Send:
        """``send`` that closes the Redis connections as the app shuts down, in the loop that opened them."""

        async def send_then_close(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await self.redis_pool.disconnect()
            await send(message)

        return send_then_close

    async def _retry_after(self, rate: RateLimitItem, *ids: str) -> int:
        stats = await self.limiter.get_window_stats(rate, *ids)
        return max(1, math.ceil(stats.reset_time - time.time()))


def _storage(url: str) -> tuple[Storage, redis.asyncio.ConnectionPool | None]:
    """The async counter storage for ``url``, and the Redis connection pool to close at shutdown, if any.

    limits' async Redis storage defaults to the coredis client, which voclens does not install: it
    gets redis-py's instead. For redis:// and rediss:// the pool is ours, so the app can close it.
    """
    url = url if url.startswith("async+") else f"async+{url}"
    if url.startswith(("async+redis://", "async+rediss://")):
        pool = redis.asyncio.ConnectionPool.from_url(url.removeprefix("async+"))
        return storage_from_string(url, implementation="redispy", connection_pool=pool), pool
    if url.startswith("async+redis"):  # a socket, Sentinel or a cluster: limits opens (and keeps) the connections
        return storage_from_string(url, implementation="redispy"), None
    return storage_from_string(url), None


def _presented_key(headers: dict[str, str]) -> str | None:
    if headers.get("x-api-key"):
        return headers["x-api-key"]
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return None


async def _read_body(receive: Receive, most: int) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > most:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body already read, then whatever the client sends next (its disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _too_many(send: Send, retry_after: int, detail: str) -> None:
    await _problem(send, 429, "Too Many Requests", f"{detail}; retry after {retry_after} s",
                   [(b"retry-after", str(retry_after).encode())])


async def _problem(send: Send, status: int, title: str, detail: str, extra: list | None = None) -> None:
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


__all__ = ["LimitsMiddleware"]

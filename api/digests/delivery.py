"""Senders: e-mail over SMTP and webhooks over HTTP(S), each request signed; and the retry backoff.

Webhook requests carry:

* ``Idempotency-Key``: the same for every attempt of one (subscription,
  period), so a receiver that stores keys it has seen processes a re-sent
  digest once;
* ``X-Voclens-Timestamp`` and ``X-Voclens-Signature: sha256=<hex>``, the
  HMAC-SHA256 of ``"<timestamp>.<body>"`` under the signing secret, so a
  receiver can reject forged or replayed requests (docs/digests.md has a
  verification example).

Redirects are not followed: a target could otherwise bounce a signed request
to a host outside the allow-list.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import httpx

from .errors import DeliveryFailed
from ..targets import address_refusal, host_allowed

SIGNATURE_HEADER = "X-Voclens-Signature"
TIMESTAMP_HEADER = "X-Voclens-Timestamp"
MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class SmtpConfig:
    host: str | None
    port: int = 25
    user: str | None = None
    password: str | None = None
    sender: str = "voclens@localhost"
    starttls: bool = False
    ssl: bool = False
    timeout_s: float = 30.0


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` over ``timestamp + "." + body``; what receivers recompute."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, max_age_s: float = 300,
           now: float | None = None) -> bool:
    """Receiver side: a valid signature on a recent timestamp (the docs show the same steps)."""
    try:
        age = abs((now or time.time()) - int(timestamp))
    except ValueError:
        return False
    return age <= max_age_s and hmac.compare_digest(sign(secret, timestamp, body), signature)


def backoff(attempts: int, base_s: float) -> timedelta:
    """Delay before the next try: base, 2x base, 4x base... capped at six hours."""
    return min(timedelta(seconds=base_s * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def resolve_target(host: str, port: int, allow_private: bool) -> str:
    """The address to connect to for ``host``, every resolved address checked.

    The request then goes to this address (the name kept for Host and TLS), so
    a name cannot resolve to a public address for the check and to a private
    one for the connection.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise DeliveryFailed(f"webhook host {host!r} does not resolve: {exc}") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not allow_private:
        for address in addresses:
            why = address_refusal(address)
            if why:
                raise DeliveryFailed(f"webhook host {host!r} resolves to {why}", retryable=False)
    return addresses[0]


def send_webhook(url: str, body: dict, *, idempotency_key: str, secret: str | None, allowed_hosts: list[str],
                 timeout_s: float = 10.0, allow_private: bool = False) -> int:
    """POST ``body`` as JSON; returns the status. Raises :class:`DeliveryFailed` (retryable unless 4xx)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryFailed(f"webhook URL {url!r} is not http(s)", retryable=False)
    if not host_allowed(parts.hostname, allowed_hosts):
        raise DeliveryFailed(f"webhook host {parts.hostname!r} is not in webhook_allowed_hosts", retryable=False)
    address = resolve_target(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), allow_private)
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": idempotency_key,
               TIMESTAMP_HEADER: timestamp, "User-Agent": "voclens-digests/1"}
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, timestamp, data)
    pinned = httpx.URL(url).copy_with(host=address)
    headers["Host"] = parts.netloc.rsplit("@", 1)[-1]
    try:
        with httpx.Client(timeout=timeout_s, follow_redirects=False) as client:
            response = client.post(pinned, content=data, headers=headers,
                                   extensions={"sni_hostname": parts.hostname} if parts.scheme == "https" else {})
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"webhook {parts.hostname}: {type(exc).__name__}: {exc}") from exc
    if response.status_code >= 300:
        # 408 and 429 are the receiver asking for a later try; other 4xx will not change by retrying.
        retryable = response.status_code >= 500 or response.status_code in (408, 429)
        raise DeliveryFailed(f"webhook {parts.hostname} answered {response.status_code}: {response.text[:200]}",
                             retryable=retryable, status=response.status_code)
    return response.status_code


def send_email(config: SmtpConfig, message: EmailMessage, recipients: list[str]) -> None:
    """Send one message; raises :class:`DeliveryFailed` (permanent for 5xx refusals of every recipient)."""
    if not config.host:
        raise DeliveryFailed("smtp_host is not set: configure VOCLENS_SMTP_HOST to send e-mail digests", retryable=False)
    if config.sender and "From" in message:
        del message["From"]
        message["From"] = config.sender
    try:
        cls = smtplib.SMTP_SSL if config.ssl else smtplib.SMTP
        kwargs = {"context": ssl.create_default_context()} if config.ssl else {}
        with cls(config.host, config.port, timeout=config.timeout_s, **kwargs) as smtp:
            if config.starttls and not config.ssl:
                smtp.starttls(context=ssl.create_default_context())
            if config.user:
                smtp.login(config.user, config.password or "")
            smtp.send_message(message, from_addr=config.sender, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryFailed(f"SMTP refused every recipient: {exc.recipients}", retryable=False) from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryFailed(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", retryable=exc.smtp_code < 500,
                             status=exc.smtp_code) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"SMTP {config.host}:{config.port}: {type(exc).__name__}: {exc}") from exc


def retry_time(now: datetime, attempts: int, base_s: float) -> datetime:
    return now + backoff(attempts, base_s)


__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "SmtpConfig", "backoff", "retry_time", "send_email",
           "send_webhook", "sign", "verify"]

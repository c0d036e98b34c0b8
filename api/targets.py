"""Where alerts may be sent: the e-mail and webhook checks shared by digest subscriptions and case rules.

Both save addresses a runner will later send to, so both must refuse the same
things with the same words: a malformed e-mail address, a webhook URL that is
not http(s) with a host, a host outside ``webhook_allowed_hosts``, an address
written as a private one. The field validators of ``api.digests.schemas`` and
``api.cases.schemas`` call these; ``api.digests.delivery`` checks the host
again before every send, where the resolved address is what counts.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

# Deliberately simple: one @, a dot in the domain, no spaces. Full RFC 5322 parsing accepts
# addresses no mail server will deliver to; this catches the typos users actually make.
EMAIL_RE = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;.]+$")


def clean_emails(values: list[str]) -> list[str]:
    """The addresses stripped.

    Raises:
        ValueError: one is not an e-mail address (the message quotes it).
    """
    cleaned = [v.strip() for v in values]
    for address in cleaned:
        if not EMAIL_RE.match(address):
            raise ValueError(f"{address!r} is not an e-mail address")
    return cleaned


def clean_webhook_url(value: str | None) -> str | None:
    """The URL stripped (None stays None).

    Raises:
        ValueError: not http or https, or no host.
    """
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"webhook URLs must be http or https, not {parts.scheme or 'a bare path'!r}")
    if not parts.hostname:
        raise ValueError("the webhook URL has no host")
    return value.strip()


def host_allowed(host: str, allowed: list[str]) -> bool:
    """``allowed`` empty = any host; ``*.example.com`` matches subdomains (not example.com itself)."""
    if not allowed:
        return True
    host = host.lower().rstrip(".")
    for pattern in allowed:
        pattern = pattern.lower().rstrip(".")
        if pattern.startswith("*.") and host.endswith(pattern[1:]):
            return True
        if host == pattern:
            return True
    return False


def address_refusal(address: str) -> str | None:
    """Why a webhook must not go to ``address`` (an IP), or None for a public one.

    Loopback, link-local (the cloud metadata service at 169.254.169.254), private,
    shared and reserved ranges reach this machine or its network, not a
    receiver on the internet: refused unless ``webhook_allow_private`` is set.
    """
    try:
        ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_global and not ip.is_multicast:
        return None
    kind = ("loopback" if ip.is_loopback else "link-local" if ip.is_link_local else
            "private" if ip.is_private else "non-public")
    return f"{address} is a {kind} address (set webhook_allow_private to allow it)"


def webhook_refusal(url: str, allowed_hosts: list[str], allow_private: bool = False) -> str | None:
    """Why a saved webhook URL may not be used, or None: its host is outside the allow-list, or written private.

    Checked when saving; names are resolved and checked again before every
    send (``api.digests.delivery.send_webhook``).
    """
    host = urlsplit(url).hostname or ""
    if not host_allowed(host, allowed_hosts):
        return f"webhook host {host!r} is not in webhook_allowed_hosts ({', '.join(allowed_hosts)})"
    if not allow_private:
        why = address_refusal("127.0.0.1" if host == "localhost" or host.endswith(".localhost") else host)
        if why:
            return f"webhook host {host!r}: {why}"
    return None


__all__ = ["EMAIL_RE", "address_refusal", "clean_emails", "clean_webhook_url", "host_allowed", "webhook_refusal"]

"""The alert a failed scheduled crawl sends: an e-mail and/or a webhook, through the digests' senders.

A crawl that fails its health checks (``crawlers.health``) exits 1, which
an operator at a terminal sees; from cron nobody does. So ``voclens crawl``
then alerts the configured channels (``crawl_alert_email_to``,
``crawl_alert_webhook_url``): when it runs without a terminal (cron,
systemd, a CI job) or with ``--alert``.

The alert goes through ``api.digests.delivery``, the code that sends
digests: the same SMTP settings, and webhooks signed with
``webhook_signing_secret`` and held to ``webhook_allowed_hosts`` and the
private-address check, so an operator configures and secures delivery once.
It is not a digest subscription: it is about the crawler, not about
feedback, and it has no query, period or state row. One attempt per
channel: the crawl has failed already, and the next scheduled run alerts
again while the spider stays broken; a failed send is printed and reported
under ``alert`` in ``voclens crawl --json``.
"""

from __future__ import annotations

import shlex
import socket
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from crawlers.report import CrawlSummary

from .digests.delivery import send_email, send_webhook
from .digests.errors import DeliveryFailed
from .settings import Settings

_CHECKS = (("rejected_items", "Rejected items"), ("failed_requests", "Failed requests"),
           ("item_less_pages", "Pages without items"))
DOCS = "docs/crawling.md#when-a-spider-breaks"


@dataclass
class AlertReport:
    """Which channels got the alert and which failed (with the error)."""

    sent: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"sent": list(self.sent), "failed": list(self.failed)}


def channels(settings: Settings) -> list[str]:
    """The configured crawl alert channels, in sending order."""
    return [name for name, on in (("email", bool(settings.crawl_alert_email_to)),
                                  ("webhook", bool(settings.crawl_alert_webhook_url))) if on]


def _share(check: dict) -> str:
    share = check.get("share")
    pct = "n/a" if share is None else f"{share:.0%}"
    judged = "" if check.get("judged") else ", not judged"
    return f"{pct} ({check.get('count', 0)} of {check.get('of', 0)}; threshold {check.get('threshold', 0):.0%}{judged})"


def describe(summary: CrawlSummary, command: str, host: str, at: datetime) -> tuple[str, list[str]]:
    """Subject and body lines of the alert; the same words in every format."""
    reason = (summary.finish_reason or "unknown").removeprefix("failed: ")
    subject = f"[voclens] crawl {summary.spider} failed: {reason}"
    lines = [f"The crawl `{command}` on {host} failed at {at:%Y-%m-%d %H:%M} UTC.",
             f"Finish reason: {summary.finish_reason}"]
    health = summary.health or {}
    lines += [f"{label}: {_share(health[key])}" for key, label in _CHECKS if key in health]
    lines.append(f"Pages: {summary.pages}, items seen: {summary.items_seen}, new: {summary.new}, "
                 f"updated: {summary.updated}, invalid: {summary.invalid}")
    if summary.invalid_by_field:
        lines.append("Invalid by field: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.invalid_by_field.items())))
    if summary.errors:
        lines.append("Errors: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.errors.items())))
    lines.append(f"A spider that stops finding items usually means the site changed its pages: see {DOCS}.")
    return subject, lines


def email_message(settings: Settings, subject: str, lines: list[str], key: str, at: datetime) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(settings.crawl_alert_email_to)
    message["Date"] = format_datetime(at)
    message["Message-ID"] = f"<{key}@voclens>"
    message.set_content("\n".join(lines) + "\n")
    return message


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_body(fmt: str, subject: str, lines: list[str], key: str, summary: CrawlSummary, command: str,
                 host: str) -> dict[str, Any]:
    """The POST body for ``fmt``: generic JSON with the whole summary, or a chat platform's message."""
    if fmt == "json":
        return {"type": "voclens.crawl_failed", "version": 1, "idempotency_key": key, "spider": summary.spider,
                "command": command, "host": host, "finish_reason": summary.finish_reason,
                "health": summary.health, "summary": summary.as_dict()}
    text = "\n".join(lines)
    if fmt == "slack":
        return {"text": subject[:3000], "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": subject[:150], "emoji": True}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(text)[:3000]}}]}
    markdown = f"**{subject}**\n\n" + "\n".join(f"- {line}" for line in lines)
    if fmt == "feishu":
        return {"msg_type": "interactive", "card": {
            "header": {"title": {"tag": "plain_text", "content": subject}, "template": "red"},
            "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": markdown}}]}}
    if fmt == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": subject[:100], "text": markdown[:5000]}}
    return {"msgtype": "markdown", "markdown": {"content": markdown.encode()[:4000].decode(errors="ignore")}}  # wecom


def send_alert(settings: Settings, summary: CrawlSummary, command: str) -> AlertReport:
    """Send the failed-crawl alert to every configured channel, once each; never raises for a failed send."""
    from .digests.runner import smtp_config

    report, host, at = AlertReport(), socket.gethostname(), datetime.now(UTC)
    key = f"crawl-alert-{uuid.uuid4().hex}"
    subject, lines = describe(summary, command, host, at)
    for channel in channels(settings):
        try:
            if channel == "email":
                send_email(smtp_config(settings), email_message(settings, subject, lines, key, at),
                           settings.crawl_alert_email_to)
            else:
                secret = settings.webhook_signing_secret
                send_webhook(settings.crawl_alert_webhook_url or "",
                             webhook_body(settings.crawl_alert_webhook_format, subject, lines, key, summary, command,
                                          host),
                             idempotency_key=key, secret=secret.get_secret_value() if secret else None,
                             allowed_hosts=settings.webhook_allowed_hosts, timeout_s=settings.webhook_timeout_s,
                             allow_private=settings.webhook_allow_private)
        except DeliveryFailed as exc:
            report.failed.append({"channel": channel, "error": str(exc)})
        else:
            report.sent.append(channel)
    return report


def scheduled() -> bool:
    """True when no one is at a terminal to see the exit status (cron, systemd timers, CI)."""
    try:
        return not sys.stdin.isatty()
    except (AttributeError, ValueError):  # no stdin at all, or a closed one
        return True


def alert_if_failed(settings: Settings, summary: CrawlSummary, spider: str, args: dict[str, str],
                    alert: bool | None) -> AlertReport | None:
    """Send the alert when the crawl failed (not when interrupted) and it should: ``alert`` True, or None and
    ``scheduled()``; None when nothing was to be sent."""
    if summary.finish_reason in ("finished", "shutdown") or not channels(settings):
        return None
    if not (alert if alert is not None else scheduled()):
        return None
    command = " ".join(["voclens crawl", spider, *(f"-a {shlex.quote(f'{k}={v}')}" for k, v in args.items())])
    return send_alert(settings, summary, command)


__all__ = ["AlertReport", "alert_if_failed", "channels", "describe", "scheduled", "send_alert", "webhook_body"]

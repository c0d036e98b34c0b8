"""Due work to exactly-once delivery: the code behind ``voclens digests run`` and the serve scheduler.

One run:

1. for each enabled subscription, create the delivery row of its latest due
   period (and of the current alert window when its rule fires) unless it
   exists; the row is unique on (subscription, period);
2. for each claimable row (pending; failed and due for retry; or left
   ``sending`` by a runner that died, once its lease ran out), claim it with
   one conditional UPDATE, build the digest, send it with the row's stable
   idempotency key, and record ``sent`` or ``failed`` with a backoff;
3. pause a subscription whose target failed ``digest_failure_threshold``
   times in a row (at once for a permanent error such as a 404 or a refused
   address) and report it.

Guarantees and their limits are spelled out in docs/digests.md: a period is
never sent twice by two runners, and a runner that crashes after the
receiver got the digest but before recording it causes one more send with
the *same* key (webhook receivers de-duplicate on it; e-mail carries the
same Message-ID).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from index.base import Backend

from ..settings import Settings
from . import alerts, payloads, render
from .content import AlertInfo, Digest, build_digest
from .delivery import SmtpConfig, retry_time, send_email, send_webhook
from .errors import DeliveryFailed
from .schedule import Period, alert_window, due_period, idempotency_key, local_midnight, period_ending, span_label
from .schemas import DeliveryPublic, Subscription
from .store import DigestStore

log = logging.getLogger("voclens.digests")


@dataclass
class RunReport:
    """What one run did; printed by ``voclens digests run --json``."""

    queued: int = 0
    alerts_fired: int = 0
    sent: list[int] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    paused: list[dict] = field(default_factory=list)
    skipped: int = 0

    def as_dict(self) -> dict:
        return {"queued": self.queued, "alerts_fired": self.alerts_fired, "sent": self.sent, "failed": self.failed,
                "paused": self.paused, "skipped_claimed_elsewhere": self.skipped}


def smtp_config(settings: Settings) -> SmtpConfig:
    return SmtpConfig(
        host=settings.smtp_host, port=settings.smtp_port, user=settings.smtp_user,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        sender=settings.smtp_from, starttls=settings.smtp_starttls, ssl=settings.smtp_ssl,
        timeout_s=settings.smtp_timeout_s,
    )


def alert_period(info: AlertInfo, tz: str) -> Period:
    """Alerts show today's picture (local midnight to midnight) under the alert headline."""
    zone = ZoneInfo(tz)
    day = info.window_end.astimezone(zone).date()
    start, end = local_midnight(day, zone), local_midnight(day + timedelta(days=1), zone)
    return Period(key=f"alert-view:{day}", start=start, end=end, scheduled_at=info.window_end,
                  label=f"{day:%a %d %b %Y} (alert)")


def digest_for(backend: Backend, sub: Subscription, delivery: DeliveryPublic, context: dict | None,
               public_base_url: str | None) -> Digest:
    """Rebuild the digest of a delivery row (the same data ``preview`` shows)."""
    if delivery.kind == "alert":
        info = AlertInfo.model_validate(context or {})
        digest = build_digest(backend, sub, alert_period(info, sub.tz), public_base_url=public_base_url, alert=info)
        return digest.model_copy(update={"period_key": delivery.period_key})
    if delivery.period_key.startswith("cron:"):
        period = Period(key=delivery.period_key, start=delivery.period_start, end=delivery.period_end,
                        scheduled_at=delivery.period_end,
                        label=span_label(delivery.period_start, delivery.period_end, sub.tz))
    else:
        zone = ZoneInfo(sub.tz)
        days = (delivery.period_end.astimezone(zone).date() - delivery.period_start.astimezone(zone).date()).days
        period = period_ending("daily" if days == 1 else "weekly", sub.tz, delivery.period_end.astimezone(zone).date(),
                               sub.hour)
    return build_digest(backend, sub, period, public_base_url=public_base_url)


class Runner:
    """Finds due digests and alerts and delivers each (subscription, period) once.

    Args:
        store: the state database.
        backend: the search backend digests are built from.
        settings: SMTP, webhook, retry and lease settings.
    """

    def __init__(self, store: DigestStore, backend: Backend, settings: Settings, runner_id: str | None = None):
        self.store, self.backend, self.settings = store, backend, settings
        self.runner_id = runner_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    # -- 1. what is due -----------------------------------------------------------------------
    def queue_due(self, now: datetime, report: RunReport) -> None:
        for sub in self.store.list(enabled=True):
            if sub.digest:
                period = due_period(sub, now)
                if period is not None and period.scheduled_at >= sub.created_at and self.store.ensure_delivery(
                        sub.id, "digest", period.key, period.start, period.end,
                        idempotency_key(sub.id, period.key), now=now):
                    report.queued += 1
            if sub.alert is not None:
                self._check_alert(sub, now, report)

    def _check_alert(self, sub: Subscription, now: datetime, report: RunReport) -> None:
        from ..windows import parse_duration

        key, start = alert_window(parse_duration(sub.alert.window, "window"), sub.tz, now)
        if any(d.period_key == key for d in self.store.deliveries(sub.id, limit=20)):
            return  # already fired in this window: skip the backend queries
        info = alerts.evaluate(self.backend, sub, now)
        if info is None:
            return
        if self.store.ensure_delivery(sub.id, "alert", key, info.window_start, info.window_end,
                                      idempotency_key(sub.id, key), context=info.model_dump(mode="json"), now=now):
            report.alerts_fired += 1
            log.info("alert fired", extra={"subscription": sub.id, "window": key, "value": info.value})

    # -- 2. deliver ------------------------------------------------------------------------------
    def run_once(self, now: datetime | None = None) -> RunReport:
        """Queue what is due at ``now`` and try every claimable delivery once."""
        now = now or datetime.now(UTC)
        report = RunReport()
        self.queue_due(now, report)
        for candidate in self.store.claimable(now):
            delivery = self.store.claim(candidate.id, self.runner_id, now, self.settings.digest_lease_s)
            if delivery is None:
                report.skipped += 1  # another runner took it between our read and our claim
                continue
            self._deliver(delivery, report, now)
        return report

    def _deliver(self, delivery: DeliveryPublic, report: RunReport, now: datetime) -> None:
        sub = self.store.get(delivery.subscription_id)
        started = time.perf_counter()
        try:
            digest = digest_for(self.backend, sub, delivery, self.store.context(delivery.id), self.settings.public_base_url)
            self.send(sub, digest, delivery.idempotency_key)
        except DeliveryFailed as exc:
            self._failed(sub, delivery, str(exc), exc.retryable, time.perf_counter() - started, report, now)
            return
        except Exception as exc:  # a bug or a backend outage must not leave the row in 'sending' until the lease ends
            log.exception("digest delivery crashed", extra={"delivery": delivery.id})
            self._failed(sub, delivery, f"{type(exc).__name__}: {exc}", True, time.perf_counter() - started, report, now)
            return
        self.store.finish(delivery, self.runner_id, ok=True, seconds=time.perf_counter() - started)
        self.store.record_outcome(sub.id, True, threshold=self.settings.digest_failure_threshold)
        report.sent.append(delivery.id)
        log.info("digest sent", extra={"subscription": sub.id, "period": delivery.period_key, "attempt": delivery.attempts})

    def _failed(self, sub: Subscription, delivery: DeliveryPublic, error: str, retryable: bool, seconds: float,
                report: RunReport, now: datetime) -> None:
        retry_at = retry_time(now, delivery.attempts, self.settings.digest_retry_base_s)
        self.store.finish(delivery, self.runner_id, ok=False, error=error, retry_at=retry_at, seconds=seconds)
        threshold = self.settings.digest_failure_threshold if retryable else 1
        paused = self.store.record_outcome(sub.id, False, threshold=threshold, error=error)
        report.failed.append({"delivery": delivery.id, "subscription": sub.id, "error": error,
                              "retry_at": retry_at.isoformat()})
        log.warning("digest delivery failed", extra={"subscription": sub.id, "period": delivery.period_key,
                                                     "attempt": delivery.attempts, "error": error})
        if paused:
            report.paused.append({"subscription": sub.id, "name": sub.name, "owner": sub.owner, "error": error})
            log.error("subscription paused: its target keeps failing",
                      extra={"subscription": sub.id, "owner": sub.owner, "error": error})

    def send(self, sub: Subscription, digest: Digest, key: str) -> None:
        """Send one digest over the subscription's channel with idempotency ``key``."""
        if sub.channel == "email":
            message = render.build_email(digest, sender=self.settings.smtp_from, recipients=sub.email_to,
                                         idempotency_key=key)
            send_email(smtp_config(self.settings), message, sub.email_to)
            return
        secret = sub.webhook_secret or self.settings.webhook_signing_secret
        send_webhook(sub.webhook_url or "", payloads.payload(sub.webhook_format, digest, key), idempotency_key=key,
                     secret=secret.get_secret_value() if secret else None,
                     allowed_hosts=self.settings.webhook_allowed_hosts, timeout_s=self.settings.webhook_timeout_s,
                     allow_private=self.settings.webhook_allow_private)


__all__ = ["RunReport", "Runner", "digest_for", "smtp_config"]

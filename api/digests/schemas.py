"""Subscription models: what a user saves (Create/Update), what the API shows (Public), what is stored.

Validation lives here so the API (422 naming the field) and the CLI (one clear
line) reject the same things: an unknown time zone, an hour outside 0-23, a
malformed e-mail address, a webhook URL that is not http(s). The host
allow-list depends on settings and is checked by :func:`check_target`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from index.base import MAX_QUERY_CHARS, Filters

from ..targets import address_refusal, clean_emails, clean_webhook_url, host_allowed, webhook_refusal
from ..windows import DURATION_PATTERN, parse_duration
from .cron import CronError, validate
from .errors import InvalidSubscription

Frequency = Literal["daily", "weekly", "cron"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DeliveryChannel = Literal["email", "webhook"]
WebhookFormat = Literal["json", "slack", "feishu", "dingtalk", "wecom"]
DeliveryState = Literal["pending", "sending", "sent", "failed"]

class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AlertRule(_Model):
    """Notify when a complaint topic spikes, at most once per ``window``.

    ``emerging``: the top negative topic's G² score (``index.stats``) over the last
    ``window`` against the ``baseline`` before it reaches ``threshold`` (10 is a
    clear rise, 20 a strong one). ``volume``: the number of matching documents in
    the last ``window`` reaches ``threshold``.
    """

    kind: Literal["emerging", "volume"] = "emerging"
    threshold: float = Field(gt=0, le=1e9)
    window: str = Field(default="1d", json_schema_extra={"pattern": DURATION_PATTERN}, description="Current window and alert period: 12h, 1d, 7d...")
    baseline: str = Field(default="28d", json_schema_extra={"pattern": DURATION_PATTERN}, description="Baseline right before the window (emerging only).")
    min_count: int = Field(default=3, ge=1, le=10000, description="Emerging: ignore topics seen fewer times in the window.")

    @field_validator("window", "baseline")
    @classmethod
    def _duration(cls, value: str, info) -> str:
        parse_duration(value, info.field_name)
        return value


class _SubscriptionFields(_Model):
    name: str = Field(min_length=1, max_length=200, description="Shown as the digest's title.")
    owner: str = Field(min_length=1, max_length=200, description="Who the subscription belongs to (a person or team).")
    enabled: bool = True
    q: str = Field(default="", max_length=MAX_QUERY_CHARS, description="Saved text query (the search language).")
    filters: Filters = Field(default_factory=Filters, description="Saved filters; since/until are set per period.")
    digest: bool = Field(default=True, description="Send the scheduled digest; false for an alert-only subscription.")
    frequency: Frequency = "weekly"
    hour: int = Field(default=9, ge=0, le=23, description="Local hour the digest is sent.")
    weekday: Weekday = Field(default="mon", description="Weekly digests: the day they are sent.")
    cron: str | None = Field(default=None, max_length=100, validate_default=True, description="frequency=cron: five-field expression in tz, e.g. '0 9 * * 1-5'; a digest covers the time since the previous fire.")
    tz: str = Field(default="UTC", max_length=64, description="IANA time zone of the schedule and of day boundaries.")
    channel: DeliveryChannel
    email_to: list[str] = Field(default_factory=list, max_length=50, validate_default=True)
    webhook_url: str | None = Field(default=None, max_length=2048, validate_default=True)
    webhook_format: WebhookFormat = "json"
    alert: AlertRule | None = Field(default=None, validate_default=True)

    @field_validator("tz")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Asia/Shanghai)") from None
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return validate(value)
        except CronError as exc:
            raise ValueError(f"bad cron expression {value!r}: {exc}") from None

    @field_validator("email_to")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        return clean_emails(value)

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return clean_webhook_url(value)

    @field_validator("filters")
    @classmethod
    def _no_dates(cls, value: Filters) -> Filters:
        if value.since or value.until:
            raise ValueError("a saved query has no since/until: each digest covers its own period")
        return value

    # Cross-field rules are field validators (fields validate in order, earlier ones are in
    # info.data) so an error names its field: 422 {"field": "webhook_url"}, not a bare model error.
    @field_validator("cron")
    @classmethod
    def _cron_needed(cls, value, info):
        frequency = info.data.get("frequency")
        if frequency == "cron" and not value:
            raise ValueError("frequency 'cron' needs a cron expression such as '0 9 * * 1-5'")
        if frequency not in (None, "cron") and value:
            raise ValueError("a cron expression needs frequency 'cron'")
        return value

    @field_validator("email_to")
    @classmethod
    def _email_needed(cls, value, info):
        if info.data.get("channel") == "email" and not value:
            raise ValueError("an e-mail subscription needs at least one address")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _url_needed(cls, value, info):
        if info.data.get("channel") == "webhook" and not value:
            raise ValueError("a webhook subscription needs a URL")
        return value

    @field_validator("alert")
    @classmethod
    def _something_to_send(cls, value, info):
        if info.data.get("digest") is False and value is None:
            raise ValueError("a subscription without a digest needs an alert rule")
        return value


class SubscriptionCreate(_SubscriptionFields):
    """A new subscription. ``webhook_secret`` (optional) overrides the signing secret from settings."""

    webhook_secret: SecretStr | None = Field(default=None, max_length=500, description="Write-only HMAC key for this webhook.")


class SubscriptionUpdate(_Model):
    """Fields to change; omitted fields keep their value. Set ``webhook_secret`` to "" to clear it."""

    name: str | None = None
    owner: str | None = None
    enabled: bool | None = None
    q: str | None = None
    filters: Filters | None = None
    digest: bool | None = None
    frequency: Frequency | None = None
    hour: int | None = None
    weekday: Weekday | None = None
    cron: str | None = None
    tz: str | None = None
    channel: DeliveryChannel | None = None
    email_to: list[str] | None = None
    webhook_url: str | None = None
    webhook_format: WebhookFormat | None = None
    webhook_secret: SecretStr | None = None
    alert: AlertRule | None = None

    def apply(self, current: Subscription) -> SubscriptionCreate:
        """The subscription after this update, validated as a whole (cross-field rules included)."""
        data = current.model_dump(include=set(SubscriptionCreate.model_fields))
        data["webhook_secret"] = current.webhook_secret
        data.update({k: getattr(self, k) for k in self.model_fields_set})
        if "webhook_secret" in self.model_fields_set and self.webhook_secret is not None \
                and not self.webhook_secret.get_secret_value():
            data["webhook_secret"] = None
        return SubscriptionCreate.model_validate(data)


class Subscription(SubscriptionCreate):
    """A stored subscription, secret included; never returned by the API as is (see ``public``)."""

    id: str
    created_at: datetime
    updated_at: datetime
    consecutive_failures: int = 0
    paused_reason: str | None = None

    def public(self) -> SubscriptionPublic:
        data = self.model_dump(exclude={"webhook_secret"})
        return SubscriptionPublic(**data, has_webhook_secret=self.webhook_secret is not None)


class SubscriptionPublic(_SubscriptionFields):
    """A subscription as the API and the CLI show it: secrets are never included."""

    id: str
    created_at: datetime
    updated_at: datetime
    consecutive_failures: int = 0
    paused_reason: str | None = Field(default=None, description="Why it was paused automatically (a failing target).")
    has_webhook_secret: bool = False


class DeliveryPublic(BaseModel):
    """One (subscription, period) delivery and where it stands."""

    id: int
    subscription_id: str
    kind: Literal["digest", "alert"]
    period_key: str
    period_start: datetime
    period_end: datetime
    idempotency_key: str
    state: DeliveryState
    attempts: int
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    created_at: datetime
    sent_at: datetime | None = None


def check_target(sub: _SubscriptionFields, allowed_hosts: list[str], allow_private: bool = False) -> None:
    """Raise :class:`InvalidSubscription` when the webhook host is not allowed.

    Checked when saving: the allow-list, and addresses written as such
    (``http://127.0.0.1/``, ``localhost``). Names are resolved and checked again
    before every send (``delivery.send_webhook``), where the answer counts.
    """
    if sub.channel == "webhook" and sub.webhook_url:
        why = webhook_refusal(sub.webhook_url, allowed_hosts, allow_private)
        if why:
            raise InvalidSubscription(why, field="webhook_url")


__all__ = [
    "WEEKDAYS", "AlertRule", "DeliveryPublic", "Subscription", "SubscriptionCreate", "SubscriptionPublic",
    "SubscriptionUpdate", "address_refusal", "check_target", "host_allowed",
]

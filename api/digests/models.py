"""The state database's tables (SQLAlchemy Core): subscriptions, deliveries and their attempts.

Exactly-once rests on one constraint: a delivery row is unique on
``(subscription_id, period_key)``, and a runner may only send after moving
that row to ``sending`` with a conditional UPDATE that one runner wins.
Datetimes are stored as naive UTC so SQLite and PostgreSQL compare them alike.

There is no separate alert-state table: an alert that fired in a window *is*
its delivery row (period key ``alert:<window start>``), so "at most once per
window" is the same unique constraint, not a second record that could
disagree with it.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

subscriptions = Table(
    "voclens_subscriptions", metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("owner", String(200), nullable=False, index=True),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("q", Text, nullable=False, default=""),
    Column("filters", JSON, nullable=False),
    Column("digest", Boolean, nullable=False, default=True),
    Column("frequency", String(16), nullable=False),
    Column("hour", Integer, nullable=False),
    Column("weekday", String(3), nullable=False),
    Column("cron", String(100)),
    Column("tz", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("email_to", JSON, nullable=False),
    Column("webhook_url", Text),
    Column("webhook_format", String(16), nullable=False),
    Column("webhook_secret", Text),
    Column("alert", JSON),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("paused_reason", Text),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

deliveries = Table(
    "voclens_deliveries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscription_id", String(32), ForeignKey("voclens_subscriptions.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("period_key", String(64), nullable=False),
    Column("period_start", DateTime, nullable=False),
    Column("period_end", DateTime, nullable=False),
    Column("idempotency_key", String(64), nullable=False),
    Column("context", JSON),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("next_attempt_at", DateTime),
    Column("lease_until", DateTime),
    Column("claimed_by", String(64)),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    UniqueConstraint("subscription_id", "period_key", name="uq_voclens_delivery_period"),
    Index("ix_voclens_deliveries_state", "state", "next_attempt_at"),
)

attempts = Table(
    "voclens_delivery_attempts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", Integer, ForeignKey("voclens_deliveries.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("attempt", Integer, nullable=False),
    Column("runner", String(64), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("ok", Boolean),
    Column("error", Text),
    Column("seconds", Float),
)

__all__ = ["attempts", "deliveries", "metadata", "subscriptions"]

"""The cases' tables in the state database (SQLAlchemy Core), beside the subscriptions.

Exactly-once rests on constraints, not on timing: a case is unique on
``(rule_id, document_id)``, so two processes that see the same document (a
re-ingest, a re-crawl, two API workers) insert one row and the loser's
insert is skipped; a breach alert is unique on ``(case_id, kind)``, so a
deadline is reported once however many runners notice it.
Datetimes are naive UTC, as in ``api.digests.models``.
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

rules = Table(
    "voclens_case_rules", metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("q", Text, nullable=False, default=""),
    Column("filters", JSON, nullable=False),
    Column("conditions", JSON, nullable=False),
    Column("owner", String(200), nullable=False),
    Column("first_response_h", Float, nullable=False),
    Column("resolve_h", Float, nullable=False),
    Column("lookback_days", Integer, nullable=False),
    Column("email_to", JSON, nullable=False),
    Column("webhook_url", Text),
    Column("webhook_secret", Text),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

cases = Table(
    "voclens_cases", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule_id", String(32), ForeignKey("voclens_case_rules.id", ondelete="CASCADE"), nullable=False),
    Column("document_id", String(64), nullable=False),
    Column("owner", String(200), nullable=False, index=True),
    Column("state", String(16), nullable=False),
    Column("opened_at", DateTime, nullable=False),
    Column("due_first_response", DateTime, nullable=False),
    Column("due_resolution", DateTime, nullable=False),
    Column("first_response_at", DateTime),
    Column("resolved_at", DateTime),
    Column("closed_at", DateTime),
    Column("reopen_count", Integer, nullable=False, default=0),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("rule_id", "document_id", name="uq_voclens_case_rule_document"),
    Index("ix_voclens_cases_state", "state", "opened_at"),
)

events = Table(
    "voclens_case_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("voclens_cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(16), nullable=False),
    Column("from_state", String(16)),
    Column("to_state", String(16)),
    Column("note", Text),
)

alerts = Table(
    "voclens_case_alerts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("voclens_cases.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("created_at", DateTime, nullable=False),
    Column("claimed_at", DateTime),
    Column("sent_at", DateTime),
    UniqueConstraint("case_id", "kind", name="uq_voclens_case_alert_kind"),
)

__all__ = ["alerts", "cases", "events", "metadata", "rules"]

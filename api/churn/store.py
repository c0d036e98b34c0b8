"""Churn flags in the state database: one row per customer at risk, on their newest document.

The flag lives beside the cases (SQLite or PostgreSQL), keyed by customer,
not in the search index: it changes with every new answer of the customer,
and keeping it out of the index needs no schema change on either backend.
``GET /churn`` and ``voclens churn list`` read it; a case rule with
``churn_risk`` opens a case for each flagged document.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table, delete, select, update
from sqlalchemy.exc import IntegrityError

from ..state_store import StateStore, naive_utc
from .signals import CustomerRisk

metadata = MetaData()

flags = Table(
    "voclens_churn_flags", metadata,
    Column("customer_hash", String(64), primary_key=True),
    Column("document_id", String(64), nullable=False, index=True),
    Column("signals", JSON, nullable=False),
    Column("flagged_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)


class ChurnStore(StateStore):
    """The flags; ``target`` is a SQLAlchemy URL or the state database's engine already open."""

    metadata = metadata

    def save(self, risks: list[CustomerRisk], *, now: datetime | None = None) -> list[CustomerRisk]:
        """Flag the customers at risk, clear the others; the risks newly flagged (or moved to a newer document)."""
        now = naive_utc(now or datetime.now(UTC))
        changed = []
        with self.engine.begin() as conn:
            stored = {r["customer_hash"]: r["document_id"] for r in conn.execute(
                select(flags.c.customer_hash, flags.c.document_id)).mappings()}
            for risk in risks:
                signals = [s.model_dump() for s in risk.signals]
                if not risk.at_risk:
                    if risk.customer_hash in stored:
                        conn.execute(delete(flags).where(flags.c.customer_hash == risk.customer_hash))
                    continue
                if risk.customer_hash not in stored:
                    try:
                        with conn.begin_nested():
                            conn.execute(flags.insert().values(customer_hash=risk.customer_hash,
                                                               document_id=risk.document_id, signals=signals,
                                                               flagged_at=now, updated_at=now))
                        changed.append(risk)
                    except IntegrityError:  # another scan flagged the customer meanwhile
                        pass
                    continue
                conn.execute(update(flags).where(flags.c.customer_hash == risk.customer_hash)
                             .values(document_id=risk.document_id, signals=signals, updated_at=now))
                if stored[risk.customer_hash] != risk.document_id:
                    changed.append(risk)
        return changed

    def list(self, limit: int | None = 100) -> list[dict]:
        stmt = select(flags).order_by(flags.c.updated_at.desc(), flags.c.customer_hash)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(stmt).mappings()]
        for row in rows:
            row["flagged_at"], row["updated_at"] = (row["flagged_at"].replace(tzinfo=UTC),
                                                    row["updated_at"].replace(tzinfo=UTC))
        return rows

    def flagged_documents(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(select(flags.c.document_id)).scalars())


__all__ = ["ChurnStore", "flags"]

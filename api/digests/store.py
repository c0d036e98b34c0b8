"""Subscriptions and deliveries in the state database (SQLite by default, PostgreSQL by URL).

Every state change a runner makes is one conditional statement, so two
runners (two cron jobs, a cron job and ``voclens serve``) never both own a
delivery: ``claim`` moves a row to ``sending`` only if it is still claimable,
and the database tells exactly one of them that a row changed.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, create_engine, delete, event, func, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from . import models as m
from .errors import SubscriptionNotFound
from .schemas import DeliveryPublic, Subscription, SubscriptionCreate

log = logging.getLogger("voclens.digests")


def _naive(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC).replace(tzinfo=None) if value is not None else None


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None else None


def open_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite waits on locks instead of failing and uses WAL for concurrent readers."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def create_tables(engine: Engine, metadata) -> None:
    """``metadata``'s tables in the state database, made once however many processes start at once.

    Another process (a second API worker, a cron run) may create the same tables at the same
    moment: "already exists" then means the work is done, so look again instead of failing.
    """
    for attempt in range(3):
        try:
            metadata.create_all(engine)
            return
        except (OperationalError, ProgrammingError, IntegrityError) as exc:
            if "already exists" not in str(exc) and "duplicate" not in str(exc).lower() or attempt == 2:
                raise


class DigestStore:
    """Subscriptions, deliveries and delivery attempts; safe to share between threads.

    Args:
        url: SQLAlchemy URL (``sqlite:///path/state.db`` or ``postgresql+psycopg://...``).
    """

    def __init__(self, url: str):
        self.url = url
        self.engine = open_engine(url)
        create_tables(self.engine, m.metadata)

    def close(self) -> None:
        self.engine.dispose()

    # -- subscriptions ----------------------------------------------------------------------
    def create(self, sub: SubscriptionCreate, *, now: datetime | None = None) -> Subscription:
        now = now or datetime.now(UTC)
        row = self._row(sub)
        row.update(id=uuid.uuid4().hex[:16], created_at=_naive(now), updated_at=_naive(now), consecutive_failures=0)
        with self.engine.begin() as conn:
            conn.execute(insert(m.subscriptions).values(**row))
        return self.get(row["id"])

    def get(self, sub_id: str) -> Subscription:
        with self.engine.connect() as conn:
            row = conn.execute(select(m.subscriptions).where(m.subscriptions.c.id == sub_id)).mappings().first()
        if row is None:
            raise SubscriptionNotFound(sub_id)
        return self._sub(row)

    def list(self, *, owner: str | None = None, enabled: bool | None = None) -> list[Subscription]:
        stmt = select(m.subscriptions).order_by(m.subscriptions.c.created_at, m.subscriptions.c.id)
        if owner is not None:
            stmt = stmt.where(m.subscriptions.c.owner == owner)
        if enabled is not None:
            stmt = stmt.where(m.subscriptions.c.enabled == enabled)
        with self.engine.connect() as conn:
            return [self._sub(r) for r in conn.execute(stmt).mappings()]

    def replace(self, sub_id: str, sub: SubscriptionCreate, *, now: datetime | None = None) -> Subscription:
        """Store the updated subscription (see ``SubscriptionUpdate.apply``)."""
        row = self._row(sub)
        row["updated_at"] = _naive(now or datetime.now(UTC))
        if sub.enabled:
            row["paused_reason"] = None
        with self.engine.begin() as conn:
            if conn.execute(update(m.subscriptions).where(m.subscriptions.c.id == sub_id).values(**row)).rowcount != 1:
                raise SubscriptionNotFound(sub_id)
        return self.get(sub_id)

    def delete(self, sub_id: str) -> None:
        with self.engine.begin() as conn:
            ids = select(m.deliveries.c.id).where(m.deliveries.c.subscription_id == sub_id)
            conn.execute(delete(m.attempts).where(m.attempts.c.delivery_id.in_(ids)))
            conn.execute(delete(m.deliveries).where(m.deliveries.c.subscription_id == sub_id))
            if conn.execute(delete(m.subscriptions).where(m.subscriptions.c.id == sub_id)).rowcount != 1:
                raise SubscriptionNotFound(sub_id)

    def set_enabled(self, sub_id: str, enabled: bool, reason: str | None = None) -> Subscription:
        """Pause or resume; resuming clears the failure count so the target gets a fresh chance."""
        values: dict[str, Any] = {"enabled": enabled, "paused_reason": reason, "updated_at": _naive(datetime.now(UTC))}
        if enabled:
            values["consecutive_failures"] = 0
        with self.engine.begin() as conn:
            if conn.execute(update(m.subscriptions).where(m.subscriptions.c.id == sub_id).values(**values)).rowcount != 1:
                raise SubscriptionNotFound(sub_id)
            if enabled:  # failed deliveries are retried at once instead of after their backoff
                conn.execute(update(m.deliveries).where(
                    m.deliveries.c.subscription_id == sub_id, m.deliveries.c.state == "failed",
                ).values(next_attempt_at=None))
        return self.get(sub_id)

    def record_outcome(self, sub_id: str, ok: bool, *, threshold: int, error: str | None = None) -> bool:
        """Count consecutive failures; returns True when this failure paused the subscription."""
        c = m.subscriptions.c
        with self.engine.begin() as conn:
            if ok:
                conn.execute(update(m.subscriptions).where(c.id == sub_id).values(consecutive_failures=0))
                return False
            conn.execute(update(m.subscriptions).where(c.id == sub_id)
                         .values(consecutive_failures=c.consecutive_failures + 1))
            paused = conn.execute(update(m.subscriptions).where(
                c.id == sub_id, c.enabled.is_(True), c.consecutive_failures >= threshold,
            ).values(enabled=False, paused_reason=f"paused after {threshold} failed attempts in a row; last error: {error}"))
            return paused.rowcount == 1

    # -- deliveries ---------------------------------------------------------------------------
    def ensure_delivery(self, sub_id: str, kind: str, period_key: str, start: datetime, end: datetime,
                        idempotency_key: str, *, context: dict | None = None, now: datetime | None = None) -> bool:
        """Create the pending delivery of a period unless it exists; True when this call created it."""
        values = dict(subscription_id=sub_id, kind=kind, period_key=period_key, period_start=_naive(start),
                      period_end=_naive(end), idempotency_key=idempotency_key, context=context, state="pending",
                      attempts=0, created_at=_naive(now or datetime.now(UTC)), next_attempt_at=_naive(now or datetime.now(UTC)))
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        stmt = dialect_insert(m.deliveries).values(**values).on_conflict_do_nothing(
            index_elements=["subscription_id", "period_key"]).returning(m.deliveries.c.id)
        with self.engine.begin() as conn:
            # RETURNING, not rowcount: PostgreSQL reports no reliable rowcount for a skipped conflict.
            return conn.execute(stmt).first() is not None

    def claimable(self, now: datetime) -> list[DeliveryPublic]:
        """Deliveries of enabled subscriptions that a runner may try now."""
        d, s = m.deliveries.c, m.subscriptions.c
        stmt = (select(m.deliveries).join(m.subscriptions, s.id == d.subscription_id)
                .where(s.enabled.is_(True), self._claimable_clause(_naive(now))).order_by(d.id))
        with self.engine.connect() as conn:
            return [self._delivery(r) for r in conn.execute(stmt).mappings()]

    @staticmethod
    def _claimable_clause(now: datetime):
        d = m.deliveries.c
        return or_(
            d.state == "pending",
            and_(d.state == "failed", or_(d.next_attempt_at.is_(None), d.next_attempt_at <= now)),
            and_(d.state == "sending", d.lease_until < now),  # its runner died or hung past the lease
        )

    def claim(self, delivery_id: int, runner: str, now: datetime, lease_s: float) -> DeliveryPublic | None:
        """Atomically take a delivery for sending; None when another runner has it or it is done."""
        naive_now = _naive(now)
        d = m.deliveries.c
        with self.engine.begin() as conn:
            won = conn.execute(update(m.deliveries).where(d.id == delivery_id, self._claimable_clause(naive_now)).values(
                state="sending", claimed_by=runner, lease_until=naive_now + timedelta(seconds=lease_s),
                attempts=d.attempts + 1,
            )).rowcount == 1
            if not won:
                return None
            row = conn.execute(select(m.deliveries).where(d.id == delivery_id)).mappings().one()
            conn.execute(insert(m.attempts).values(delivery_id=delivery_id, attempt=row["attempts"], runner=runner,
                                                   started_at=naive_now))
        return self._delivery(row)

    def finish(self, delivery: DeliveryPublic, runner: str, *, ok: bool, error: str | None = None,
               retry_at: datetime | None = None, seconds: float | None = None) -> None:
        """Record the attempt's outcome: ``sent``, or ``failed`` with the time of the next try."""
        now = _naive(datetime.now(UTC))
        d, a = m.deliveries.c, m.attempts.c
        values = ({"state": "sent", "sent_at": now, "last_error": None, "next_attempt_at": None, "lease_until": None}
                  if ok else {"state": "failed", "last_error": (error or "")[:2000], "next_attempt_at": _naive(retry_at),
                              "lease_until": None})
        with self.engine.begin() as conn:
            # Only the runner holding the claim records; a runner whose lease expired and was
            # overtaken must not turn another runner's "sent" back into "failed".
            conn.execute(update(m.deliveries).where(d.id == delivery.id, d.state == "sending",
                                                    d.claimed_by == runner).values(**values))
            conn.execute(update(m.attempts).where(a.delivery_id == delivery.id, a.attempt == delivery.attempts,
                                                  a.runner == runner)
                         .values(finished_at=now, ok=ok, error=(error or None) and error[:2000], seconds=seconds))

    def get_delivery(self, delivery_id: int) -> DeliveryPublic:
        with self.engine.connect() as conn:
            row = conn.execute(select(m.deliveries).where(m.deliveries.c.id == delivery_id)).mappings().one()
        return self._delivery(row)

    def deliveries(self, sub_id: str | None = None, *, state: str | None = None, limit: int = 100) -> list[DeliveryPublic]:
        d = m.deliveries.c
        stmt = select(m.deliveries).order_by(d.id.desc()).limit(limit)
        if sub_id is not None:
            stmt = stmt.where(d.subscription_id == sub_id)
        if state is not None:
            stmt = stmt.where(d.state == state)
        with self.engine.connect() as conn:
            return [self._delivery(r) for r in conn.execute(stmt).mappings()]

    def attempts(self, delivery_id: int) -> list[dict]:
        a = m.attempts.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(m.attempts).where(a.delivery_id == delivery_id).order_by(a.id)).mappings()
            return [{**r, "started_at": _aware(r["started_at"]), "finished_at": _aware(r["finished_at"])} for r in rows]

    def count_deliveries(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(m.deliveries)).scalar_one()

    # -- row <-> model -----------------------------------------------------------------------------
    @staticmethod
    def _row(sub: SubscriptionCreate) -> dict:
        data = sub.model_dump(mode="json", exclude={"webhook_secret"})
        data["webhook_secret"] = sub.webhook_secret.get_secret_value() if sub.webhook_secret else None
        return data

    @staticmethod
    def _sub(row) -> Subscription:
        data = dict(row)
        data["created_at"], data["updated_at"] = _aware(data["created_at"]), _aware(data["updated_at"])
        return Subscription.model_validate(data)

    @staticmethod
    def _delivery(row) -> DeliveryPublic:
        data = {k: row[k] for k in DeliveryPublic.model_fields}
        for key in ("period_start", "period_end", "next_attempt_at", "created_at", "sent_at"):
            data[key] = _aware(data[key])
        return DeliveryPublic.model_validate(data)

    def context(self, delivery_id: int) -> dict | None:
        with self.engine.connect() as conn:
            return conn.execute(select(m.deliveries.c.context).where(m.deliveries.c.id == delivery_id)).scalar_one()


__all__ = ["DigestStore", "open_engine"]

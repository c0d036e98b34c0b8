"""The base of the small stores kept in the state database (cases, churn flags, computed themes).

Each owns a few tables beside the digest subscriptions (SQLite by default,
PostgreSQL by ``state_db_url``) and is opened either on a URL (a CLI run: the
store makes and disposes of its engine) or on the engine the API already holds
(a request: the engine outlives the store). Making the tables is safe when
several processes start at once (``create_tables``). Times are stored naive
in UTC, because SQLite keeps no time zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

from index.document import clamp_utc

from .digests.store import create_tables, open_engine


def naive_utc(value: datetime | None) -> datetime | None:
    """``value`` in UTC without its time zone, as stored; a bound at either end of the calendar stays a datetime."""
    return clamp_utc(value).replace(tzinfo=None) if value is not None else None


def aware_utc(value: datetime | None) -> datetime | None:
    """A stored (naive, UTC) time read back with its time zone."""
    return value.replace(tzinfo=UTC) if value is not None else None


class StateStore:
    """Tables of ``metadata`` in the state database; safe to share between threads.

    Args:
        target: a SQLAlchemy URL (the store opens and closes its engine), or the
            state database's engine already open (the API's; ``close`` leaves it open).
    """

    metadata: ClassVar[MetaData]

    def __init__(self, target: str | Engine):
        self._owned = isinstance(target, str)
        self.engine = open_engine(target) if isinstance(target, str) else target
        create_tables(self.engine, self.metadata)

    def close(self) -> None:
        """Dispose of the engine if this store opened it."""
        if self._owned:
            self.engine.dispose()


__all__ = ["StateStore", "aware_utc", "naive_utc"]

"""Computed themes kept in the state database, so a theme can be found again by its id.

A theme is shown once (``GET /themes``, ``voclens themes``) and acted on
later (``voclens topics add KEY --from-theme ID`` seeds an own topic with its
documents), so every run stores each theme it reports: id, terms, size, the
window and its member document ids. The id is a hash of the members, so
asking again for the same window stores nothing new (the row is replaced).
Rows older than ``RETENTION`` go at the next save: a theme is a snapshot of a
window, not a record to keep.

The table lives in the state database beside the subscriptions (SQLite by
default, PostgreSQL by URL), so API workers and the CLI share it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, delete, insert, select
from sqlalchemy.exc import IntegrityError

from ..state_store import StateStore, naive_utc

if TYPE_CHECKING:
    from .discover import Theme, ThemesResult

#: How long a computed theme can be found by its id.
RETENTION = timedelta(days=90)

metadata = MetaData()

themes = Table(
    "voclens_themes", metadata,
    Column("id", String(32), primary_key=True),
    Column("computed_at", DateTime, nullable=False, index=True),
    Column("window_since", DateTime, nullable=False),
    Column("window_until", DateTime, nullable=False),
    Column("terms", JSON, nullable=False),
    Column("size", Integer, nullable=False),
    Column("members", JSON, nullable=False),
)


class ThemeNotFound(LookupError):
    """No stored theme has this id (never computed, or older than ``RETENTION``)."""

    def __init__(self, theme_id: str):
        super().__init__(f"no theme with id {theme_id!r}: run `voclens themes` (or GET /themes) and take an id "
                         f"from its answer; themes are kept {RETENTION.days} days")
        self.theme_id = theme_id


class ThemeStore(StateStore):
    """The stored themes; safe to share between threads.

    Args:
        target: a SQLAlchemy URL, or the engine of the state database already open (the API's).
    """

    metadata = metadata

    def save(self, result: ThemesResult, *, now: datetime | None = None) -> None:
        """Store every theme of ``result`` (replacing a stored one of the same id) and drop expired ones."""
        now = now or datetime.now(UTC)
        rows = [self._row(t, result, now) for t in result.themes]
        for attempt in range(2):  # another request saving the same theme at once may insert it between our two steps
            try:
                with self.engine.begin() as conn:
                    conn.execute(delete(themes).where(themes.c.computed_at < naive_utc(now - RETENTION)))
                    if rows:
                        conn.execute(delete(themes).where(themes.c.id.in_([r["id"] for r in rows])))
                        conn.execute(insert(themes), rows)
                return
            except IntegrityError:
                if attempt:
                    raise

    @staticmethod
    def _row(theme: Theme, result: ThemesResult, now: datetime) -> dict:
        return {"id": theme.id, "computed_at": naive_utc(now), "window_since": naive_utc(result.current.since),
                "window_until": naive_utc(result.current.until), "terms": theme.terms, "size": theme.size,
                "members": theme.members}

    def get(self, theme_id: str) -> dict:
        """The stored theme: ``id``, ``terms``, ``size``, ``members``, ``computed_at``, ``window_since``, ``window_until``.

        Raises:
            ThemeNotFound: no theme has this id.
        """
        with self.engine.connect() as conn:
            row = conn.execute(select(themes).where(themes.c.id == theme_id)).mappings().first()
        if row is None:
            raise ThemeNotFound(theme_id)
        out = dict(row)
        for key in ("computed_at", "window_since", "window_until"):
            out[key] = out[key].replace(tzinfo=UTC)
        return out


def theme_examples(theme_id: str, store: ThemeStore | None = None) -> list[str]:
    """The ids of a computed theme's member documents (its current window's), most typical first.

    Typical: nearest the theme's centre in the features it was clustered on,
    so the first few are the theme's clearest examples.

    ``store``: the state database to read; None opens the configured one
    (``Settings.state_url``).

    Raises:
        ThemeNotFound: no theme has this id.
    """
    if store is not None:
        return list(store.get(theme_id)["members"])
    from ..settings import get_settings

    opened = ThemeStore(get_settings().state_url)
    try:
        return list(opened.get(theme_id)["members"])
    finally:
        opened.close()


__all__ = ["RETENTION", "ThemeNotFound", "ThemeStore", "theme_examples"]

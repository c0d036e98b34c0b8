"""Make a test file look written by an older voclens: undo the newest migrations' tables and columns.

Tests that migrate an old file build it with today's schema and take back what
later migrations added; the copies of migrations 9 and 10 (keyword sentiment,
score topics) come back on reopening like the rest.
"""

from __future__ import annotations

import sqlite3


def undo_copies(conn: sqlite3.Connection) -> None:
    """Drop the keyword sentiment (migration 9) and the score topics (migration 10) with their triggers."""
    triggers = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                                           "(name LIKE 'score_topics_%' OR name = 'doc_keywords_follow_sentiment')")]
    for name in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("DROP TABLE score_topics")
    conn.execute("DROP INDEX doc_keywords_sentiment")
    conn.execute("ALTER TABLE doc_keywords DROP COLUMN sentiment")

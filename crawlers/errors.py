"""Errors raised while turning outside records (rows, items) into documents."""

from __future__ import annotations


class CrawlerError(Exception):
    """Base class of every error raised by ``crawlers``."""


class RecordError(CrawlerError):
    """A record cannot become a document.

    Attributes:
        problems: ``(field, message)`` pairs, one per thing that was wrong,
            so a user can fix a whole row at once.
    """

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{f}: {m}" if f else m for f, m in problems))


class ImportFileError(CrawlerError):
    """The file as a whole cannot be read (missing, wrong format, no header)."""

"""Errors raised while getting outside records (rows, crawled items) in."""

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


class ComponentsError(CrawlerError):
    """A crawl cannot open what it writes with: no ``CRAWL_COMPONENTS`` factory, or one that cannot be loaded.

    The crawlers package does not know where the backend, model and salt come
    from; the command that starts a crawl must say (``voclens crawl`` does).
    """


class SpiderArgumentError(CrawlerError):
    """A spider was started with arguments it cannot use (``-a products=...``).

    The message names each argument that was wrong, so ``voclens crawl`` can
    refuse to start instead of crawling with a half-understood request.
    """


class PageError(CrawlerError):
    """A fetched page or JSON payload does not have the structure its parser expects.

    Raised by the pure parse functions (malformed JSON, a block page in place
    of reviews); spiders count it by kind and retry the page once.

    Attributes:
        kind: short machine-readable reason (``malformed-json``, ``blocked``...).
    """

    def __init__(self, kind: str, message: str):
        self.kind = kind
        super().__init__(f"{kind}: {message}")

"""The base every voclens spider builds on: typed arguments, a date bound, incremental paging.

A spider declares ``Args`` (a pydantic model: what to watch, ``since``,
``base_url``, ``max_pages``), a ``description``, and parses pages with pure
functions. The base validates ``-a key=value`` arguments before anything is
fetched, and decides page by page whether to keep paging
(``gate``): items older than ``since`` or than the scope's watermark (the
newest item a previous finished crawl saw) end the paging of that scope.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar, Literal, get_args, get_origin

import scrapy
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.http import Request, Response

from ..errors import PageError, SpiderArgumentError
from ..items import FeedbackItem
from ..normalize import parse_datetime
from ..runtime import components

log = logging.getLogger(__name__)


def split_list(value: Any) -> Any:
    """``-a products=1,2,3`` arrives as one string; lists pass through."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


def _type_name(annotation: Any) -> str:
    """``list[str]`` -> "list of str", ``date | datetime | None`` -> "date"."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(str(a) for a in args)
    if get_origin(annotation) is list:
        return f"list of {_type_name(args[0])}" if args else "list"
    if args:
        return _type_name(args[0])
    return getattr(annotation, "__name__", str(annotation))


class SpiderArgs(BaseModel):
    """Arguments every spider takes. Subclasses add what to watch; ``Field(description=...)`` is the help."""

    model_config = ConfigDict(extra="forbid")

    since: date | datetime | None = Field(
        default=None, description="Only items created on or after this date (ISO, e.g. 2026-11-01); paging stops at older items.")
    max_pages: int = Field(default=50, ge=1, le=10_000, description="Most pages fetched per product, search or feed.")
    incremental: bool = Field(
        default=True, description="Stop paging at items a previous finished crawl already saw (false: page to the end or since).")

    @field_validator("since")
    @classmethod
    def _utc_since(cls, value):
        if value is None:
            return None
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        return datetime.combine(value, time.min, tzinfo=UTC)


class VoclensSpider(scrapy.Spider):
    """Base class: subclasses set ``name``, ``description``, ``Args`` and implement ``start``.

    Attributes:
        args: the validated arguments (an ``Args`` instance).
    """

    Args: ClassVar[type[SpiderArgs]] = SpiderArgs
    description: ClassVar[str] = ""
    #: Sample arguments under ``scrapy check`` (Scrapy sets ``SCRAPY_CHECK``): contracts need an
    #: instance, so required arguments get these; incremental is off so no crawl state is opened.
    contract_args: ClassVar[dict[str, Any]] = {}

    def __init__(self, name: str | None = None, **kwargs: Any):
        if os.environ.get("SCRAPY_CHECK"):
            kwargs = {"incremental": False, **self.contract_args, **kwargs}
        self.args = self.validate_args(kwargs)
        super().__init__(name)
        self._pending_marks: dict[str, str] = {}
        self._watermarks: dict[str, datetime | None] = {}
        self._incomplete: set[str] = set()
        # scrapy check opens no components and discards every item: a throwaway key will do.
        self._check_salt = secrets.token_hex(16) if os.environ.get("SCRAPY_CHECK") else None

    @property
    def salt(self) -> str:
        """The installation's key for ids made from a person's data (``author_salt``, via the components)."""
        return self._check_salt or components(self.crawler).salt

    @classmethod
    def validate_args(cls, raw: dict[str, Any]) -> SpiderArgs:
        """Validate ``-a`` arguments, or raise ``SpiderArgumentError`` naming each bad one."""
        try:
            return cls.Args.model_validate(raw)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or "arguments"
                msg = "unknown argument" if err["type"] == "extra_forbidden" else (
                    "required" if err["type"] == "missing" else err["msg"])
                problems.append(f"{where}: {msg}")
            raise SpiderArgumentError(f"spider {cls.name!r}: " + "; ".join(problems)) from None

    @classmethod
    def describe_args(cls) -> list[tuple[str, str, str]]:
        """``(name, type/default, help)`` per argument, for ``voclens crawl --list``."""
        rows = []
        own = [n for n in cls.Args.model_fields if n not in SpiderArgs.model_fields]
        for name in own + list(SpiderArgs.model_fields):
            info = cls.Args.model_fields[name]
            kind = _type_name(info.annotation)
            default = "required" if info.is_required() else f"default {info.get_default(call_default_factory=True)!r}"
            rows.append((name, f"{kind}, {default}", info.description or ""))
        return rows

    # -- requests -----------------------------------------------------------------------
    def page(self, url: str, callback, scope: str, **kwargs: Any) -> Request:
        """A request for one page of ``scope``; a page that finally fails marks the scope incomplete."""
        meta = {**kwargs.pop("meta", {}), "voclens_scope": scope}
        return Request(url, callback=callback, errback=self.page_error, meta=meta, **kwargs)

    def page_error(self, failure) -> None:
        """Errback: an HTTP error or download failure after retries (counted by Scrapy's stats)."""
        request = getattr(failure, "request", None)
        response = getattr(failure.value, "response", None)
        if request is None and response is not None:
            request = response.request
        reason = f"http-{response.status}" if response is not None else type(failure.value).__name__
        self.crawler.stats.inc_value(f"voclens/failed_pages/{reason}")
        scope = request.meta.get("voclens_scope") if request is not None else None
        if scope:
            self._incomplete.add(scope)
        log.warning("page failed", extra={"url": getattr(request, "url", None), "error": failure.getErrorMessage()})

    # -- incremental paging --------------------------------------------------------------
    def watermark(self, scope: str) -> datetime | None:
        """Newest item time a previous finished crawl saw for ``scope`` (None: page fully)."""
        if not self.args.incremental:
            return None
        if scope not in self._watermarks:
            self._watermarks[scope] = components(self.crawler).state.watermark(scope)
        return self._watermarks[scope]

    def gate(self, scope: str, items: Iterable[FeedbackItem]) -> tuple[list[FeedbackItem], bool]:
        """Keep the items of one newest-first page that are new; say whether to fetch the next page.

        Items that cannot be dated are kept (the pipeline rejects them with a
        reason). Returns ``(items to yield, keep paging)``.
        """
        since, mark = self.args.since, self.watermark(scope)
        keep: list[FeedbackItem] = []
        more = True
        for item in items:
            try:
                created = parse_datetime(item.created_at, item.tz)
            except ValueError:
                keep.append(item)
                continue
            if since and created < since:
                more = False
                self.crawler.stats.inc_value("voclens/since_skipped")
                continue
            if mark and created < mark:
                more = False
                self.crawler.stats.inc_value("voclens/known_skipped")
                continue
            self._note(scope, created)
            keep.append(item)
        if not more and mark:
            self.crawler.stats.inc_value("voclens/incremental_stops")
        return keep, more

    def gate_by_key(self, scope: str, items: Iterable[FeedbackItem],
                    key: Callable[[FeedbackItem], int | None]) -> tuple[list[FeedbackItem], bool]:
        """``gate`` for newest-first listings without dates but with ids that grow with time.

        The newest key seen is kept in the crawl state beside the scope's date
        watermark (scope ``<scope>#key``, stored as an instant ``key``
        microseconds after the epoch: an order, not a time), so a later crawl
        stops at the first item it already saw. ``since`` still applies to
        the items' dates. Items without a key are kept.
        """
        key_scope = f"{scope}#key"
        mark = self.watermark(key_scope)
        keep: list[FeedbackItem] = []
        more = True
        for item in self.within_since(items):
            number = key(item)
            if number is None:
                keep.append(item)
                continue
            ordinal = datetime.fromtimestamp(0, UTC) + timedelta(microseconds=number)
            if mark and ordinal <= mark:
                more = False
                self.crawler.stats.inc_value("voclens/known_skipped")
                continue
            self._note(key_scope, ordinal)
            keep.append(item)
        if not more:
            self.crawler.stats.inc_value("voclens/incremental_stops")
        return keep, more

    def within_since(self, items: Iterable[FeedbackItem]) -> list[FeedbackItem]:
        """Items on or after ``since``, for listings not ordered by time (comment trees, ranked search).

        No watermark applies: an old item there says nothing about the next one.
        Items that cannot be dated are kept (the pipeline rejects them with a reason).
        """
        if self.args.since is None:
            return list(items)
        keep = []
        for item in items:
            try:
                if parse_datetime(item.created_at, item.tz) < self.args.since:
                    self.crawler.stats.inc_value("voclens/since_skipped")
                    continue
            except ValueError:
                pass
            keep.append(item)
        return keep

    def _note(self, scope: str, created: datetime) -> None:
        marks = self._marks()
        iso = created.astimezone(UTC).isoformat()
        if scope not in marks or marks[scope] < iso:
            marks[scope] = iso

    def _marks(self) -> dict[str, str]:
        # spider.state is saved in JOBDIR by Scrapy's SpiderState extension, so a
        # resumed crawl remembers the newest items its first part saw.
        state = getattr(self, "state", None)
        if state is None:
            return self._pending_marks  # type: ignore[return-value]
        return state.setdefault("voclens_marks", {})

    def closed(self, reason: str) -> None:
        """Advance watermarks only after a clean finish with every batch written."""
        marks = {k: datetime.fromisoformat(v) for k, v in self._marks().items() if k not in self._incomplete}
        if self._incomplete:
            log.warning("pages failed: watermarks of these scopes stay", extra={"scopes": sorted(self._incomplete)})
        comp = getattr(self.crawler, "_voclens_components", None)
        if reason != "finished" or comp is None or comp.write_failures or not marks:
            if marks:
                log.info("watermarks not advanced", extra={"reason": reason, "scopes": len(marks)})
            return
        comp.state.advance(marks)
        log.info("watermarks advanced", extra={"scopes": len(marks)})

    # -- page errors ----------------------------------------------------------------------
    def parsed_or_retry(self, response: Response, parse: Callable, *args, **kwargs):
        """Run a pure page parser; on ``PageError`` count it, yield its retry (once) and return None.

        Use as ``parsed = yield from self.parsed_or_retry(response, parse_x, ...)`` in a callback,
        then ``if parsed is None: return``.
        """
        try:
            return parse(*args, **kwargs)
        except PageError as exc:
            retry = self.page_failed(response, exc)
            if retry is not None:
                yield retry
            return None

    def page_failed(self, response: Response, exc: PageError) -> Request | None:
        """Count a page that did not parse and retry it once (truncated bodies are often transient).

        When the retry is spent too the scope is marked incomplete, so its
        watermark does not move past the pages this crawl could not read.
        """
        self.crawler.stats.inc_value(f"voclens/page_errors/{exc.kind}")
        log.warning("page did not parse", extra={"url": response.url, "error": str(exc)})
        retry = get_retry_request(response.request, spider=self, reason=f"page error {exc.kind}", max_retry_times=1)
        if retry is None and response.meta.get("voclens_scope"):
            self._incomplete.add(response.meta["voclens_scope"])
        return retry

"""App Store customer reviews from Apple's public RSS feed (JSON flavour), per country, newest first.

``itunes.apple.com/<country>/rss/customerreviews/page=<n>/id=<app>/sortby=mostrecent/json``
answers ``{"feed": {"entry": [...]}}`` where every value is wrapped as
``{"label": ...}``: ``id``, ``author.name``, ``im:rating``, ``title``,
``content``, ``updated``, ``im:version``. Apple serves pages 1 to 10 (50
reviews each); a page without ``entry`` is the end. One entry comes as an
object instead of a list, and page 1 may start with an entry describing the
app itself (``im:name``, no rating), which is not a review.

Some versions of the JSON feed carry no per-entry ``updated`` at all (the
2020 Japanese capture in ``tests/crawlers/site/captures/appstore``). Such a
review is dated when the crawl first sees it (the answer's ``Date`` header),
flagged ``meta.date_estimated``; the newest-first order still holds, and
Apple's review ids grow with time, so the incremental stop of those feeds
compares review ids instead of dates (``VoclensSpider.gate_by_key``): a
re-crawl stops paging at the first known review and never re-dates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import Field, field_validator
from scrapy.http import Request, Response

from ..dates import iso_date, response_time
from ..errors import PageError
from ..items import FeedbackItem
from .base import SpiderArgs, VoclensSpider, split_list
from .jd import load_payload

APPSTORE_BASE_URL = "https://itunes.apple.com"
#: Apple serves at most this many pages of the review feed.
MAX_FEED_PAGES = 10


@dataclass
class ReviewsPage:
    items: list[FeedbackItem]
    last: bool


def _label(entry: dict, *path: str) -> Any:
    value: Any = entry
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value.get("label") if isinstance(value, dict) else None


def parse_reviews(body: str, app_id: str, country: str, brand: str | None = None,
                  now: datetime | None = None) -> ReviewsPage:
    """Reviews of one feed page; ``last`` when the page has no entries.

    An entry without ``updated`` is dated ``now`` (when the page was served)
    and flagged ``meta.date_estimated``.

    Raises:
        PageError: the body is not JSON (``blocked`` for an HTML error page),
            or has no ``feed`` object.
    """
    data = load_payload(body)
    feed = data.get("feed")
    if not isinstance(feed, dict):
        raise PageError("unexpected-json", "no 'feed' object in the payload")
    entries = feed.get("entry")
    if entries is None:
        return ReviewsPage(items=[], last=True)
    if isinstance(entries, dict):  # the feed writes a single entry as an object
        entries = [entries]
    if not isinstance(entries, list):
        raise PageError("unexpected-json", "'feed.entry' is neither a list nor an object")
    items = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        review_id = _label(entry, "id")
        if "im:name" in entry and "im:rating" not in entry:
            continue  # the app's own entry at the top of page 1
        if not review_id:
            continue
        meta: dict[str, Any] = {"country": country}
        updated = _label(entry, "updated")
        if updated is None:
            updated, meta["date_estimated"] = (now or datetime.now(UTC)).isoformat(), True
        version = _label(entry, "im:version")
        if version:
            meta["app_version"] = version
        for key, name in (("im:voteSum", "helpful_votes"), ("im:voteCount", "votes")):
            value = _label(entry, key)
            if isinstance(value, str) and value.isdigit():
                meta[name] = int(value)
        items.append(FeedbackItem(
            source="appstore", source_id=f"{country}:{review_id}", text=_label(entry, "content"),
            title=_label(entry, "title"), created_at=iso_date(updated), scope=f"appstore:{country}:{app_id}",
            channel="review", url=f"https://apps.apple.com/{country}/app/id{app_id}?see-all=reviews", brand=brand,
            product_id=app_id, author=_label(entry, "author", "name"), rating=_label(entry, "im:rating"),
            meta=meta, rating_scale=5.0,
        ))
    return ReviewsPage(items=items, last=not items)


def review_number(item: FeedbackItem) -> int | None:
    """The numeric review id of an item (``us:6290024630`` -> 6290024630): Apple's ids grow with time."""
    tail = item.source_id.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


class AppStoreArgs(SpiderArgs):
    apps: list[str] = Field(min_length=1, description="App Store app ids (the number in apps.apple.com/.../id<number>), comma-separated.")
    countries: list[str] = Field(default_factory=lambda: ["us"], min_length=1, description="Store countries (two-letter codes: us, cn, gb...), comma-separated; one feed each.")
    brand: str | None = Field(default=None, max_length=128, description="Brand stored on every item.")
    base_url: str = Field(default=APPSTORE_BASE_URL, description="Feed origin; tests point it at the local site.")
    max_pages: int = Field(default=MAX_FEED_PAGES, ge=1, le=MAX_FEED_PAGES, description="Most pages per app and country (Apple serves 10).")

    _split = field_validator("apps", "countries", mode="before")(split_list)

    @field_validator("apps")
    @classmethod
    def _numeric(cls, value: list[str]) -> list[str]:
        ids = [v.lower().removeprefix("id") for v in value]
        bad = [v for v in ids if not v.isdigit()]
        if bad:
            raise ValueError(f"App Store app ids are numbers; got {', '.join(bad)}")
        return ids

    @field_validator("countries")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        codes = [v.lower() for v in value]
        bad = [v for v in codes if len(v) != 2 or not v.isalpha()]
        if bad:
            raise ValueError(f"countries are two-letter codes; got {', '.join(bad)}")
        return codes


class AppStoreSpider(VoclensSpider):
    name = "appstore"
    description = "App Store customer reviews (Apple's RSS JSON feed) per app and country: rating, title, app version; newest first."
    Args = AppStoreArgs
    args: AppStoreArgs

    def page_request(self, app_id: str, country: str, page: int) -> Request:
        url = f"{self.args.base_url.rstrip('/')}/{country}/rss/customerreviews/page={page}/id={app_id}/sortby=mostrecent/json"
        return self.page(url, self.parse_page, f"appstore:{country}:{app_id}",
                         cb_kwargs={"app_id": app_id, "country": country, "page": page})

    async def start(self):
        for app_id in self.args.apps:
            for country in self.args.countries:
                yield self.page_request(app_id, country, 1)

    def parse_page(self, response: Response, app_id: str, country: str, page: int):
        parsed = yield from self.parsed_or_retry(response, parse_reviews, response.text, app_id, country, self.args.brand,
                                                 response_time(response.headers))
        if parsed is None:
            return
        scope = f"appstore:{country}:{app_id}"
        if any(i.meta.get("date_estimated") for i in parsed.items):
            items, more = self.gate_by_key(scope, parsed.items, review_number)
        else:
            items, more = self.gate(scope, parsed.items)
        yield from items
        if more and not parsed.last and page < min(self.args.max_pages, MAX_FEED_PAGES):
            yield self.page_request(app_id, country, page + 1)

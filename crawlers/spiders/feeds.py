"""RSS 2.0 and Atom feeds (news, blogs) filtered to entries that mention a brand.

The parser reads the XML with lxml (via parsel), so the encoding declared in
the XML prolog (GB2312, ISO-8859-1...) wins over a missing or wrong HTTP
charset. Atom feeds that page (RFC 5005 ``<link rel="next">``) are followed.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector
from pydantic import Field, field_validator
from scrapy.http import Response
from w3lib.html import remove_tags

from ..errors import PageError
from ..items import FeedbackItem
from .base import SpiderArgs, VoclensSpider, split_list

ATOM = "http://www.w3.org/2005/Atom"


@dataclass
class FeedPage:
    items: list[FeedbackItem]
    next_url: str | None


def _text(value: str | None) -> str | None:
    if not value:
        return None
    return " ".join(html.unescape(remove_tags(value)).split()) or None


def _date(value: str | None) -> str | None:
    """RFC 822 (RSS) to ISO; ISO (Atom) passes through; unreadable dates go on to validation as they are."""
    if not value:
        return None
    value = value.strip()
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        return value


def parse_feed(body: bytes, feed_url: str, brands: list[str]) -> FeedPage:
    """Entries of an RSS or Atom document that mention one of ``brands`` (all entries when empty).

    Raises:
        PageError: the body is not XML, or neither RSS nor Atom.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body.strip(), parser=parser)  # honours the prolog's encoding
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise PageError("malformed-xml", str(exc)) from None
    sel = Selector(root=root, type="xml")
    sel.register_namespace("a", ATOM)
    entries: list[dict] = []
    next_url = None
    if sel.xpath("/rss/channel"):
        for item in sel.xpath("/rss/channel/item"):
            link = item.xpath("link/text()").get()
            entries.append({
                "id": item.xpath("guid/text()").get() or link, "link": link,
                "title": item.xpath("title/text()").get(),
                "text": item.xpath("description/text()").get(),
                "date": item.xpath("pubDate/text()").get(), "author": item.xpath("author/text()").get(),
            })
    elif sel.xpath("/a:feed"):
        for entry in sel.xpath("/a:feed/a:entry"):
            link = entry.xpath("a:link[not(@rel) or @rel='alternate']/@href").get()
            entries.append({
                "id": entry.xpath("a:id/text()").get() or link, "link": link,
                "title": entry.xpath("a:title/text()").get(),
                "text": entry.xpath("a:content/text()").get() or entry.xpath("a:summary/text()").get(),
                "date": entry.xpath("a:published/text()").get() or entry.xpath("a:updated/text()").get(),
                "author": entry.xpath("a:author/a:name/text()").get(),
            })
        href = sel.xpath("/a:feed/a:link[@rel='next']/@href").get()
        next_url = urljoin(feed_url, href) if href else None
    else:
        raise PageError("unexpected-xml", "neither an RSS <channel> nor an Atom <feed>")
    items = []
    for e in entries:
        title, text = _text(e["title"]), _text(e["text"])
        haystack = f"{title or ''} {text or ''}".casefold()
        brand = next((b for b in brands if b.casefold() in haystack), None)
        if brands and brand is None:
            continue
        entry_id = e["id"] or hashlib.sha256(f"{title}|{e['date']}".encode()).hexdigest()[:32]
        items.append(FeedbackItem(
            source="feed", source_id=entry_id if len(entry_id) <= 256 else hashlib.sha256(entry_id.encode()).hexdigest(),
            text=text or title, title=title if text else None, created_at=_date(e["date"]), scope=f"feed:{feed_url}",
            channel="other", url=urljoin(feed_url, e["link"]) if e["link"] else None, brand=brand,
            author=e["author"], meta={"feed": feed_url},
        ))
    return FeedPage(items=items, next_url=next_url)


class FeedArgs(SpiderArgs):
    urls: list[str] = Field(min_length=1, description="RSS or Atom feed URLs, comma-separated.")
    brands: list[str] = Field(default_factory=list, description="Keep entries mentioning one of these (case-insensitive); empty keeps all.")

    _split = field_validator("urls", "brands", mode="before")(split_list)

    @field_validator("urls")
    @classmethod
    def _http(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not v.lower().startswith(("http://", "https://"))]
        if bad:
            raise ValueError(f"feed URLs must be http(s); got {', '.join(bad)}")
        return value


class FeedsSpider(VoclensSpider):
    name = "feeds"
    description = "RSS/Atom feeds (news, blogs): entries that mention a brand; Atom paging followed."
    Args = FeedArgs
    args: FeedArgs
    contract_args = {"urls": "https://blog.example.com/atom.xml"}

    @property
    def item_less_pages_expected(self) -> bool:
        """With a brand filter most feed pages mention no brand: crawl health does not judge item-less pages."""
        return bool(self.args.brands)

    async def start(self):
        for url in self.args.urls:
            yield self.page(url, self.parse_feed, f"feed:{url}", cb_kwargs={"feed_url": url, "page": 1})

    def parse_feed(self, response: Response, feed_url: str, page: int):
        """One feed document: its entries, then the Atom next page while entries are new.

        @site /blog/atom.xml
        @cb_kwargs {"feed_url": "https://blog.example.com/atom.xml", "page": 1}
        @returns items 6 6
        @returns requests 1 1
        @scrapes source source_id text created_at url
        @fills source source_id text created_at url author
        """
        parsed = yield from self.parsed_or_retry(response, parse_feed, response.body, feed_url, self.args.brands)
        if parsed is None:
            return
        # feeds list newest first; the gate applies since and the watermark per feed
        items, more = self.gate(f"feed:{feed_url}", parsed.items)
        yield from items
        if more and parsed.next_url and page < self.args.max_pages:
            yield self.page(parsed.next_url, self.parse_feed, f"feed:{feed_url}",
                            cb_kwargs={"feed_url": feed_url, "page": page + 1})

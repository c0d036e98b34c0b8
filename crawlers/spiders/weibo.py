"""Weibo (微博) posts that mention keywords, from the mobile site's JSON search API, newest first.

``m.weibo.cn/api/container/getIndex?containerid=100103type=61&q=<keyword>&page=N``
answers ``{"ok": 1, "data": {"cards": [...]}}``; a post is a card's ``mblog``
(``card_type`` 9), or sits in a ``card_group`` (``card_type`` 11). ``ok: 0``
means there are no more pages. ``type=61`` is the real-time tab (newest
first), which incremental paging needs; ``type=1`` (the mixed tab) ranks by
relevance, so ``order=mixed`` turns incremental stops off for it.
Parsing is a pure function (``parse_search``) tested on fixture payloads.
The author's numeric uid goes to ``FeedbackItem.author_id``, which is stored
only as the author hash; it never reaches ``meta``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import Field, field_validator
from scrapy.http import Request, Response
from w3lib.html import remove_tags

from ..errors import PageError
from ..items import FeedbackItem
from .base import SpiderArgs, VoclensSpider, split_list
from .jd import load_payload

WEIBO_BASE_URL = "https://m.weibo.cn"
#: containerid search type per ``order``: 61 = real-time (newest first), 1 = mixed (relevance).
SEARCH_TYPES = {"realtime": 61, "mixed": 1}
_IMG_ALT_RE = re.compile(r"<img[^>]*\balt=[\"']?(\[[^\]\"'>]+\])[^>]*>", re.I)
_BR_RE = re.compile(r"<br\s*/?>", re.I)


@dataclass
class SearchPage:
    items: list[FeedbackItem]
    last: bool


def weibo_text(value: Any) -> str | None:
    """Plain text of a post's HTML: emoji images become their ``[alt]``, links their text, ``<br>`` a newline."""
    if not isinstance(value, str):
        return None
    text = _IMG_ALT_RE.sub(lambda m: m.group(1), value)
    text = _BR_RE.sub("\n", text)
    text = html.unescape(remove_tags(text))
    return "\n".join(" ".join(line.split()) for line in text.splitlines()).strip() or None


def weibo_time(value: Any) -> Any:
    """``Sat Nov 21 10:15:00 +0800 2026`` to ISO; other forms (``5分钟前``) go on to validation as they are."""
    if isinstance(value, str):
        try:
            return datetime.strptime(value.strip(), "%a %b %d %H:%M:%S %z %Y").isoformat()
        except ValueError:
            return value
    return value


def _posts(cards: list) -> list[dict]:
    posts = []
    for card in cards:
        if not isinstance(card, dict):
            continue
        if isinstance(card.get("mblog"), dict):
            posts.append(card["mblog"])
        for inner in card.get("card_group") or []:
            if isinstance(inner, dict) and isinstance(inner.get("mblog"), dict):
                posts.append(inner["mblog"])
    return posts


def parse_search(body: str, keyword: str, brand: str | None = None) -> SearchPage:
    """Posts of one search page. Posts without an id are skipped; other gaps reach validation.

    Raises:
        PageError: the body is not JSON (``blocked`` for an HTML login or
            block page), or an ``ok: 1`` payload has no ``data.cards`` list.
    """
    data = load_payload(body)
    if data.get("ok") != 1:
        return SearchPage(items=[], last=True)  # ok: 0 is Weibo's "no more results"
    cards = (data.get("data") or {}).get("cards") if isinstance(data.get("data"), dict) else None
    if not isinstance(cards, list):
        raise PageError("unexpected-json", "no 'data.cards' list in the payload")
    items = []
    for post in _posts(cards):
        post_id = post.get("id") or post.get("mid")
        if post_id in (None, ""):
            continue
        user = post.get("user") if isinstance(post.get("user"), dict) else {}
        meta: dict[str, Any] = {"keyword": keyword}
        for key, name in (("reposts_count", "reposts"), ("comments_count", "comments"), ("attitudes_count", "likes")):
            if isinstance(post.get(key), int):
                meta[name] = post[key]
        if post.get("isLongText"):
            meta["truncated"] = True  # the search shows the first ~140 characters of long posts
        if isinstance(post.get("retweeted_status"), dict) and post["retweeted_status"].get("id"):
            meta["repost_of"] = str(post["retweeted_status"]["id"])
        items.append(FeedbackItem(
            source="weibo", source_id=str(post_id), text=weibo_text(post.get("text")),
            created_at=weibo_time(post.get("created_at")), scope=f"weibo:{keyword}", channel="social",
            url=f"https://m.weibo.cn/detail/{post_id}", brand=brand, author=user.get("screen_name"),
            author_id=str(user["id"]) if user.get("id") not in (None, "") else None, meta=meta, tz="Asia/Shanghai",
        ))
    return SearchPage(items=items, last=False)


class WeiboArgs(SpiderArgs):
    keywords: list[str] = Field(min_length=1, description="Search keywords (one search each), comma-separated.")
    brand: str | None = Field(default=None, max_length=128, description="Brand stored on every item.")
    order: Literal["realtime", "mixed"] = Field(
        default="realtime", description="realtime: newest first (type=61, incremental stops work); mixed: Weibo's ranking (type=1, pages to the end or max_pages).")
    base_url: str = Field(default=WEIBO_BASE_URL, description="API origin; tests point it at the local site.")

    _split = field_validator("keywords", mode="before")(split_list)


class WeiboSpider(VoclensSpider):
    name = "weibo"
    description = "Weibo posts mentioning keywords (m.weibo.cn search JSON): text, time, reposts/comments/likes; newest first."
    Args = WeiboArgs
    args: WeiboArgs

    def page_request(self, keyword: str, page: int) -> Request:
        containerid = f"100103type={SEARCH_TYPES[self.args.order]}&q={keyword}"
        query = urlencode({"containerid": containerid, "page_type": "searchall", "page": page})
        return self.page(f"{self.args.base_url.rstrip('/')}/api/container/getIndex?{query}", self.parse_page,
                         f"weibo:{keyword}", cb_kwargs={"keyword": keyword, "page": page},
                         headers={"Accept": "application/json", "X-Requested-With": "XMLHttpRequest"})

    async def start(self):
        for keyword in self.args.keywords:
            yield self.page_request(keyword, 1)

    def parse_page(self, response: Response, keyword: str, page: int):
        parsed = yield from self.parsed_or_retry(response, parse_search, response.text, keyword, self.args.brand)
        if parsed is None:
            return
        if self.args.order == "realtime":
            items, more = self.gate(f"weibo:{keyword}", parsed.items)
        else:  # ranked by relevance: an old post on page 1 says nothing about page 2
            items, more = self.within_since(parsed.items), True
        yield from items
        if more and not parsed.last and parsed.items and page < self.args.max_pages:
            yield self.page_request(keyword, page + 1)

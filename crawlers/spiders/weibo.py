"""Weibo (微博) posts that mention keywords, from the mobile site's JSON search API, newest first.

``m.weibo.cn/api/container/getIndex?containerid=100103type=61&q=<keyword>&page=N``
answers ``{"ok": 1, "data": {"cards": [...]}}``; a post is a card's ``mblog``
(``card_type`` 9), or sits in a ``card_group`` (``card_type`` 11). ``ok: 0``
means there are no more pages. ``type=61`` is the real-time tab (newest
first), which incremental paging needs; ``type=1`` (the mixed tab) ranks by
relevance, so ``order=mixed`` turns incremental stops off for it.
Parsing is a pure function (``parse_search``) tested on real captured
payloads (``tests/crawlers/site/captures/weibo``). The author's numeric uid
goes to ``FeedbackItem.author_id``, which is stored only as the author hash;
it never reaches ``meta``.

Dates are written for people: ``Sat Nov 21 10:15:00 +0800 2026`` in newer
answers, but ``刚刚``, ``5分钟前``, ``15小时前``, ``昨天 12:25`` and ``06-27``
(this year) in the timelines and older searches. They are read by
``crawlers.dates.page_date`` in Beijing time against the time the answer was
served (its ``Date`` header), so a relative date means the same thing when a
captured page is replayed. A long post arrives cut at about 140 characters
and ends with `` ...<a href="/status/ID">全文</a>`` (2019 on) or a plain
``...全文`` (2018 searches); that text is not the customer's, so it is dropped
and the post marked ``meta.truncated``. Emoji are images whose ``alt`` is the
emoji's name (``alt=[doge]``, in 2018 ``alt = [泪]``), and 2018 answers end
every text with a zero-width space; the text keeps the names and loses the
invisible characters.
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

from ..dates import iso_date, response_time
from ..errors import PageError
from ..items import FeedbackItem
from .base import SpiderArgs, VoclensSpider, split_list
from .jd import load_payload

WEIBO_BASE_URL = "https://m.weibo.cn"
#: containerid search type per ``order``: 61 = real-time (newest first), 1 = mixed (relevance).
SEARCH_TYPES = {"realtime": 61, "mixed": 1}
_IMG_ALT_RE = re.compile(r"<img[^>]*\balt\s*=\s*[\"']?(\[[^\]\"'>]+\])[^>]*>", re.I)
_BR_RE = re.compile(r"<br\s*/?>", re.I)
#: The "...全文" (full text) link, or in 2018 the plain "...全文", that ends a post shown truncated.
_FULL_TEXT_RE = re.compile(r"[\s\u200b]*(?:(?:\.\.\.|…)?[\s\u200b]*<a\b[^>]*>\s*全文\s*</a>|(?:\.\.\.|…)全文)[\s\u200b]*$",
                           re.I)
#: Invisible characters Weibo adds (a zero-width space ends every 2018 text); ZWJ stays, emoji need it.
_INVISIBLE_RE = re.compile("[\u200b\u200c\u2060\ufeff]")
TZ = "Asia/Shanghai"


@dataclass
class SearchPage:
    items: list[FeedbackItem]
    last: bool


def truncated(value: Any) -> bool:
    """True when a post's HTML ends with the "...全文" (link or plain text) of a post shown cut."""
    return isinstance(value, str) and bool(_FULL_TEXT_RE.search(value))


def weibo_text(value: Any) -> str | None:
    """Plain text of a post's HTML: emoji images become their ``[alt]``, links their text, ``<br>`` a newline.

    The "...全文" of a truncated post is dropped with its ellipsis, and zero-width characters with it.
    """
    if not isinstance(value, str):
        return None
    text = _FULL_TEXT_RE.sub("", value)
    text = _IMG_ALT_RE.sub(lambda m: m.group(1), text)
    text = _BR_RE.sub("\n", text)
    text = _INVISIBLE_RE.sub("", html.unescape(remove_tags(text)))
    return "\n".join(" ".join(line.split()) for line in text.splitlines()).strip() or None


def weibo_time(value: Any, now: datetime | None = None) -> Any:
    """A post's ``created_at`` as ISO 8601 (Beijing time), absolute or relative to ``now``.

    What cannot be read goes on to validation as it is.
    """
    return iso_date(value, tz=TZ, now=now, languages=("zh", "en"))


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


def parse_search(body: str, keyword: str, brand: str | None = None, now: datetime | None = None) -> SearchPage:
    """Posts of one search page. Posts without an id are skipped; other gaps reach validation.

    ``now`` is when the answer was served; relative dates count back from it.

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
        if post.get("isLongText") or truncated(post.get("text")):
            meta["truncated"] = True  # the search shows the first ~140 characters of long posts
        if isinstance(post.get("retweeted_status"), dict) and post["retweeted_status"].get("id"):
            meta["repost_of"] = str(post["retweeted_status"]["id"])
        items.append(FeedbackItem(
            source="weibo", source_id=str(post_id), text=weibo_text(post.get("text")),
            created_at=weibo_time(post.get("created_at"), now), scope=f"weibo:{keyword}", channel="social",
            url=f"https://m.weibo.cn/detail/{post_id}", brand=brand, author=user.get("screen_name"),
            author_id=str(user["id"]) if user.get("id") not in (None, "") else None, meta=meta, tz=TZ,
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
        parsed = yield from self.parsed_or_retry(response, parse_search, response.text, keyword, self.args.brand,
                                                 response_time(response.headers))
        if parsed is None:
            return
        if self.args.order == "realtime":
            items, more = self.gate(f"weibo:{keyword}", parsed.items)
        else:  # ranked by relevance: an old post on page 1 says nothing about page 2
            items, more = self.within_since(parsed.items), True
        yield from items
        if more and not parsed.last and parsed.items and page < self.args.max_pages:
            yield self.page_request(keyword, page + 1)

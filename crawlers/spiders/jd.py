"""JD (京东) product reviews from the JSON comment endpoint, newest first, page by page.

The endpoint (``/comment/productPageComments.action``) answers JSON, or
JSONP when a callback is asked for, in GBK or UTF-8; ``maxPage`` says how
many pages exist. Parsing is a pure function (``parse_comments``) tested on
fixture payloads and real captured answers.

A follow-up review (追评, ``afterUserComment``) is its own item: the buyer
writes it days or weeks after the first review, often with a changed
verdict ("用了一个月开始漏水"), so a brand team reads it as separate feedback
with its own date, not as more words of the first one. JD nests it as
``afterUserComment: {"created": "YYYY-MM-DD HH:MM:SS", "hAfterUserComment":
{"content": ...}}``; its id is the first review's id plus
``:after`` (JD allows one follow-up per review), stable across crawls. It
carries no stars of its own; ``meta.follow_up_of`` names the first review,
which gets ``meta.follow_up_id``. A follow-up without a date cannot be an
item and stays on the first review as ``meta.follow_up`` (its text), as the
flat ``afterUserComment.content`` of older answers does. A real answer of
2017 (``tests/crawlers/site/captures/jd/4183290-2017-08.json``) holds one.

JD writes the text fields of its answers as HTML-escaped text (``MAC过滤&hellip;``,
``让&ldquo;智能&rdquo;家居``; the ``showOrderComment`` copy is even escaped
twice), so every text the spider reads (comment, follow-up, nickname,
product name, variant) is unescaped once; tags are not stripped, as those
fields hold none.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pydantic import Field, field_validator
from scrapy.http import Request, Response

from ..errors import PageError
from ..items import FeedbackItem
from .base import SpiderArgs, VoclensSpider, split_list

JD_BASE_URL = "https://club.jd.com"
_JSONP_RE = re.compile(r"^\s*[\w$.]+\s*\((.*)\)\s*;?\s*$", re.S)


def _text(value: Any) -> Any:
    """A text field as written (``&hellip;`` -> ``…``); anything else unchanged, for validation to judge."""
    return html.unescape(value) if isinstance(value, str) else value


@dataclass
class CommentsPage:
    items: list[FeedbackItem]
    max_page: int


def load_payload(body: str) -> dict[str, Any]:
    """The JSON object of a JSON or JSONP body; ``PageError`` when it is neither."""
    text = body.strip()
    match = _JSONP_RE.match(text)
    if match and not text.startswith("{"):
        text = match.group(1)
    try:
        data = json.loads(text)
    except ValueError as exc:
        kind = "blocked" if text.lower().startswith("<") else "malformed-json"
        raise PageError(kind, f"not JSON ({exc.msg} at char {exc.pos})") from None
    if not isinstance(data, dict):
        raise PageError("malformed-json", "top-level value is not an object")
    return data


def parse_comments(body: str, product_id: str, url: str | None = None, brand: str | None = None) -> CommentsPage:
    """Items of one comment page. Comments without an id are skipped; other gaps reach validation.

    Raises:
        PageError: the body is not JSON, or has no ``comments`` list.
    """
    data = load_payload(body)
    comments = data.get("comments")
    if comments is None:
        raise PageError("unexpected-json", "no 'comments' in the payload")
    if not isinstance(comments, list):
        raise PageError("unexpected-json", "'comments' is not a list")
    items = []
    for c in comments:
        if not isinstance(c, dict) or c.get("id") in (None, ""):
            continue
        variant = {k: _text(c[j]) for k, j in (("color", "productColor"), ("size", "productSize")) if c.get(j)}
        meta: dict[str, Any] = {}
        if variant:
            meta["variant"] = variant
        for key, name in (("usefulVoteCount", "helpful_votes"), ("replyCount", "replies")):
            if isinstance(c.get(key), int):
                meta[name] = c[key]
        comment = FeedbackItem(
            source="jd", source_id=str(c["id"]), text=_text(c.get("content")), created_at=c.get("creationTime"),
            scope=f"jd:{product_id}", channel="review", url=url, brand=brand, product_id=product_id,
            product_name=_text(c.get("referenceName")), author=_text(c.get("nickname")), rating=c.get("score"),
            meta=meta, tz="Asia/Shanghai", rating_scale=5.0,
        )
        items.append(comment)
        follow_up = _follow_up(c, comment)
        if follow_up is not None:
            items.append(follow_up)
    try:
        max_page = int(data.get("maxPage", 1))
    except (TypeError, ValueError):
        max_page = 1
    return CommentsPage(items=items, max_page=max_page)


def _follow_up(c: dict[str, Any], comment: FeedbackItem) -> FeedbackItem | None:
    """The follow-up review of comment ``c`` as its own item (see the module docstring), or None."""
    after = c.get("afterUserComment")
    if not isinstance(after, dict):
        return None
    nested = after.get("hAfterUserComment")
    text = _text((nested.get("content") if isinstance(nested, dict) else None) or after.get("content"))
    if not isinstance(text, str) or not text.strip():
        return None
    created = after.get("created")
    if not isinstance(created, str) or not created.strip():
        comment.meta["follow_up"] = text      # no date of its own: it cannot stand as an item
        return None
    follow_id = f"{comment.source_id}:after"
    comment.meta["follow_up_id"] = follow_id
    meta: dict[str, Any] = {"follow_up_of": comment.source_id}
    if isinstance(c.get("afterDays"), int):
        meta["after_days"] = c["afterDays"]
    if "variant" in comment.meta:
        meta["variant"] = dict(comment.meta["variant"])
    return FeedbackItem(
        source="jd", source_id=follow_id, text=text, created_at=created, scope=comment.scope,
        channel="review", url=comment.url, brand=comment.brand, product_id=comment.product_id,
        product_name=comment.product_name, author=comment.author, rating=None, meta=meta,
        tz="Asia/Shanghai", rating_scale=5.0,
    )


class JdArgs(SpiderArgs):
    products: list[str] = Field(min_length=1, description="JD product ids (SKU numbers), comma-separated.")
    brand: str | None = Field(default=None, max_length=128, description="Brand stored on every item.")
    page_size: int = Field(default=10, ge=1, le=100, description="Comments per page (JD serves 10).")
    base_url: str = Field(default=JD_BASE_URL, description="Endpoint origin; tests point it at the local site.")

    _split = field_validator("products", mode="before")(split_list)

    @field_validator("products")
    @classmethod
    def _numeric(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not v.isdigit()]
        if bad:
            raise ValueError(f"JD product ids are numbers; got {', '.join(bad)}")
        return value


class JdSpider(VoclensSpider):
    name = "jd"
    description = "JD product reviews (JSON comment endpoint): rating, time, product variant; newest first."
    Args = JdArgs
    args: JdArgs
    contract_args = {"products": "100001"}

    def page_request(self, product_id: str, page: int) -> Request:
        query = urlencode({"productId": product_id, "score": 0, "sortType": 6, "page": page,
                           "pageSize": self.args.page_size})
        return self.page(f"{self.args.base_url.rstrip('/')}/comment/productPageComments.action?{query}",
                         self.parse_page, f"jd:{product_id}", cb_kwargs={"product_id": product_id, "page": page},
                         headers={"Referer": f"https://item.jd.com/{product_id}.html"})

    async def start(self):
        for product_id in self.args.products:
            yield self.page_request(product_id, 0)

    def parse_page(self, response: Response, product_id: str, page: int):
        """One comment page: its items, then the next page while comments are new.

        @site /comment/productPageComments.action?productId=100001&score=0&sortType=6&page=0&pageSize=10
        @cb_kwargs {"product_id": "100001", "page": 0}
        @returns items 10 10
        @returns requests 1 1
        @scrapes source source_id text created_at rating scope product_id
        @fills source source_id text created_at rating author product_name
        """
        parsed = yield from self.parsed_or_retry(
            response, parse_comments, response.text, product_id, f"https://item.jd.com/{product_id}.html", self.args.brand)
        if parsed is None:
            return
        items, more = self.gate(f"jd:{product_id}", parsed.items)
        yield from items
        if more and parsed.items and page + 1 < min(parsed.max_page, self.args.max_pages):
            yield self.page_request(product_id, page + 1)

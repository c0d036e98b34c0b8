"""Reddit posts matching a search in chosen subreddits, and their comments, from the public JSON listings.

Search: ``/r/<sub>/search.json?q=...&restrict_sr=1&sort=new&after=<fullname>``
answers a Listing (``data.children[].data``: ``name``, ``title``,
``selftext``, ``author``, ``created_utc``, ``score``, ``permalink``,
``num_comments``) newest first, with ``data.after`` naming the next page
(null at the end). Comments: ``<permalink>.json`` answers two Listings, the
post and its comment tree (``replies`` is a nested Listing, or ``""``).
``raw_json=1`` asks for text without HTML entities. Deleted or removed
authors and texts (``[deleted]``, ``[removed]``) are not stored as such:
a post keeps its title, a comment without text is skipped and counted.
Comments in older answers carry no ``permalink``; their URL is built from
the post's permalink and the comment id (``<post permalink><id>/``, which
is the form Reddit's own permalinks take), or ``/comments/<post>/_/<id>/``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from pydantic import Field, field_validator
from scrapy.http import Request, Response

from ..errors import PageError
from ..items import FeedbackItem
from .base import SpiderArgs, VoclensSpider, split_list
from .jd import load_payload

REDDIT_BASE_URL = "https://www.reddit.com"
#: What Reddit shows in place of an author or a text that is gone.
GONE = frozenset({"[deleted]", "[removed]"})


@dataclass
class Post:
    item: FeedbackItem
    permalink: str | None
    num_comments: int


@dataclass
class SearchPage:
    posts: list[Post]
    after: str | None


@dataclass
class CommentsPage:
    items: list[FeedbackItem]
    gone: int  # comments whose text was deleted or removed
    more: int  # "load more comments" stubs not followed


def _present(value: Any) -> str | None:
    if not isinstance(value, str) or value.strip() in GONE or not value.strip():
        return None
    return value


def _listing_children(listing: Any, where: str) -> list[dict]:
    if not isinstance(listing, dict) or not isinstance(listing.get("data"), dict):
        raise PageError("unexpected-json", f"{where} is not a Listing")
    children = listing["data"].get("children")
    if not isinstance(children, list):
        raise PageError("unexpected-json", f"{where} has no 'data.children' list")
    return [c for c in children if isinstance(c, dict)]


def parse_search(body: str, subreddit: str, query: str, brand: str | None = None) -> SearchPage:
    """Posts of one search page and the ``after`` cursor of the next.

    Raises:
        PageError: the body is not JSON or not a Listing.
    """
    data = load_payload(body)
    posts = []
    for child in _listing_children(data, "the search answer"):
        post = child.get("data") or {}
        if child.get("kind") not in (None, "t3") or not post.get("name"):
            continue
        selftext = _present(post.get("selftext"))
        title = post.get("title") if isinstance(post.get("title"), str) else None
        meta: dict[str, Any] = {"subreddit": post.get("subreddit") or subreddit, "query": query, "kind": "post"}
        for key in ("score", "num_comments"):
            if isinstance(post.get(key), int):
                meta[key] = post[key]
        if isinstance(post.get("selftext"), str) and post["selftext"].strip() in GONE:
            meta["text_gone"] = post["selftext"].strip()
        permalink = post.get("permalink") if isinstance(post.get("permalink"), str) else None
        posts.append(Post(
            item=FeedbackItem(
                source="reddit", source_id=str(post["name"]), text=selftext or title,
                title=title if selftext else None, created_at=post.get("created_utc"),
                scope=f"reddit:{subreddit}:{query}", channel="social",
                url=f"{REDDIT_BASE_URL}{permalink}" if permalink else None, brand=brand,
                author=_present(post.get("author")), meta=meta),
            permalink=permalink,
            num_comments=post["num_comments"] if isinstance(post.get("num_comments"), int) else 0,
        ))
    after = data["data"].get("after")
    return SearchPage(posts=posts, after=after if isinstance(after, str) and after else None)


def comment_url(comment: dict, post_name: str, post_permalink: str | None) -> str:
    """The comment's own permalink, or one built from its post's (older answers give comments none)."""
    if isinstance(comment.get("permalink"), str) and comment["permalink"]:
        return f"{REDDIT_BASE_URL}{comment['permalink']}"
    comment_id = str(comment.get("id") or str(comment.get("name", "")).removeprefix("t1_"))
    if post_permalink:
        return f"{REDDIT_BASE_URL}{post_permalink.rstrip('/')}/{comment_id}/"
    post_id = str(comment.get("link_id") or post_name).removeprefix("t3_")
    return f"{REDDIT_BASE_URL}/comments/{post_id}/_/{comment_id}/"


def _walk(children: list[dict], depth: int, page: CommentsPage, scope: str, post_name: str,
          brand: str | None, post_permalink: str | None = None) -> Iterator[FeedbackItem]:
    for child in children:
        if child.get("kind") == "more":
            page.more += len((child.get("data") or {}).get("children") or []) or 1
            continue
        c = child.get("data") or {}
        if child.get("kind") != "t1" or not c.get("name"):
            continue
        text = _present(c.get("body"))
        if text is None:
            page.gone += 1
        else:
            meta: dict[str, Any] = {"kind": "comment", "post": post_name, "depth": depth,
                                    "subreddit": c.get("subreddit")}
            if isinstance(c.get("parent_id"), str):
                meta["parent"] = c["parent_id"]
            if isinstance(c.get("score"), int):
                meta["score"] = c["score"]
            yield FeedbackItem(
                source="reddit", source_id=str(c["name"]), text=text, created_at=c.get("created_utc"),
                scope=scope, channel="social", url=comment_url(c, post_name, post_permalink),
                brand=brand, author=_present(c.get("author")), meta={k: v for k, v in meta.items() if v is not None})
        replies = c.get("replies")
        if isinstance(replies, dict):  # "" when there are none
            yield from _walk(_listing_children(replies, f"replies of {c['name']}"), depth + 1, page, scope,
                             post_name, brand, post_permalink)


def parse_comments(body: str, scope: str, post_name: str, brand: str | None = None) -> CommentsPage:
    """Every comment of a post's comment tree, depth first; removed ones and "more" stubs counted.

    Raises:
        PageError: the body is not JSON, or not the ``[post, comments]`` pair of Listings.
    """
    try:
        pair = json.loads(body)
    except ValueError as exc:
        kind = "blocked" if body.lstrip().startswith("<") else "malformed-json"
        raise PageError(kind, f"not JSON ({exc})") from None
    if not isinstance(pair, list) or len(pair) < 2:
        raise PageError("unexpected-json", "a comments page is a list of two Listings")
    page = CommentsPage(items=[], gone=0, more=0)
    posts = [c.get("data") or {} for c in _listing_children(pair[0], "the post Listing")]
    post_permalink = next((p["permalink"] for p in posts if isinstance(p.get("permalink"), str)), None)
    page.items = list(_walk(_listing_children(pair[1], "the comment Listing"), 0, page, scope, post_name, brand,
                            post_permalink))
    return page


class RedditArgs(SpiderArgs):
    subreddits: list[str] = Field(min_length=1, description="Subreddits to search (without r/), comma-separated.")
    query: str = Field(min_length=1, max_length=512, description="Reddit search query, e.g. \"voltra vacuum\".")
    comments: bool = Field(default=True, description="Also fetch the comments of every new matching post.")
    brand: str | None = Field(default=None, max_length=128, description="Brand stored on every item.")
    base_url: str = Field(default=REDDIT_BASE_URL, description="Site origin; tests point it at the local site.")

    _split = field_validator("subreddits", mode="before")(split_list)

    @field_validator("subreddits")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        names = [v.removeprefix("/").removeprefix("r/") for v in value]
        bad = [v for v in names if not v.replace("_", "").isalnum()]
        if bad:
            raise ValueError(f"subreddit names are letters, digits and _; got {', '.join(bad)}")
        return names


class RedditSpider(VoclensSpider):
    name = "reddit"
    description = "Reddit posts matching a search in subreddits, and their comment trees (JSON listings); newest first."
    Args = RedditArgs
    args: RedditArgs

    def scope(self, subreddit: str) -> str:
        return f"reddit:{subreddit}:{self.args.query}"

    def search_request(self, subreddit: str, page: int, after: str | None = None) -> Request:
        params = {"q": self.args.query, "restrict_sr": 1, "sort": "new", "limit": 100, "raw_json": 1}
        if after:
            params["after"] = after
        return self.page(f"{self.args.base_url.rstrip('/')}/r/{quote(subreddit)}/search.json?{urlencode(params)}",
                         self.parse_search, self.scope(subreddit), cb_kwargs={"subreddit": subreddit, "page": page})

    async def start(self):
        for subreddit in self.args.subreddits:
            yield self.search_request(subreddit, 1)

    def parse_search(self, response: Response, subreddit: str, page: int):
        parsed = yield from self.parsed_or_retry(response, parse_search, response.text, subreddit, self.args.query, self.args.brand)
        if parsed is None:
            return
        by_id = {id(p.item): p for p in parsed.posts}
        items, more = self.gate(self.scope(subreddit), [p.item for p in parsed.posts])
        for item in items:
            yield item
            post = by_id[id(item)]
            if self.args.comments and post.permalink and post.num_comments > 0:
                url = f"{self.args.base_url.rstrip('/')}{post.permalink.rstrip('/')}.json?{urlencode({'raw_json': 1, 'sort': 'new', 'limit': 500})}"
                yield self.page(url, self.parse_comments, self.scope(subreddit),
                                cb_kwargs={"subreddit": subreddit, "post_name": item.source_id})
        if more and parsed.after and parsed.posts and page < self.args.max_pages:
            yield self.search_request(subreddit, page + 1, parsed.after)

    def parse_comments(self, response: Response, subreddit: str, post_name: str):
        parsed = yield from self.parsed_or_retry(response, parse_comments, response.text, self.scope(subreddit), post_name, self.args.brand)
        if parsed is None:
            return
        if parsed.gone:
            self.crawler.stats.inc_value("voclens/reddit/comments_gone", parsed.gone)
        if parsed.more:
            self.crawler.stats.inc_value("voclens/reddit/more_not_followed", parsed.more)
        # a comment tree is not in time order: since applies, the search's watermark does not
        yield from self.within_since(parsed.items)

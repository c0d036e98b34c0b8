"""Weibo, Reddit and App Store on the fixture site: catalog builders and the answers the site serves.

The answers copy the structure of the real endpoints (see each spider's
module docstring): Weibo's ``{"ok", "data": {"cards": [...]}}`` with posts
in ``mblog`` or in a ``card_group`` and ``ok: 0`` past the end; Reddit's
Listings with ``after`` cursors and comment trees whose ``replies`` are
Listings or ``""``; Apple's label-wrapped review feed with the app's own
entry first on page 1, one entry written as an object, and no ``entry`` past
the end. ``route`` is called by ``tests.crawlers.site.server``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, timedelta
from urllib.parse import parse_qsl

from tests.crawlers.site.catalog import BASE_TIME, EN_PHRASES, en_text, zh_text

BEIJING = timedelta(hours=8)


def _num(seed: str, mod: int) -> int:
    return int(hashlib.sha256(seed.encode()).hexdigest(), 16) % mod


# -- Weibo -------------------------------------------------------------------------------
def weibo_post(i: int, keyword: str, minutes: int, **overrides) -> dict:
    """Post ``i``: written at 2026-10-01 09:00 Beijing time + ``minutes``, mentioning ``keyword``."""
    t = BASE_TIME + timedelta(minutes=minutes)  # Beijing wall time
    post_id = str(4_900_000_000_000_000 + _num(keyword, 1000) * 1_000_000 + i)
    post = {
        "id": post_id, "mid": post_id, "created_at": t.strftime("%a %b %d %H:%M:%S +0800 %Y"),
        "text": (f"<a href='/n/小米之家'>@小米之家</a> {keyword}{zh_text(i, 'weibo' + keyword)}"
                 f"<span class=\"url-icon\"><img alt=[doge] src=\"//h5.sinaimg.cn/m/emoticon/icon/others/d_doge.png\" /></span>"
                 f"<br />#{keyword}#"),
        "user": {"id": 5_000_000 + i, "screen_name": f"微博用户{i}"},
        "reposts_count": i % 7, "comments_count": i % 5, "attitudes_count": 3 * i, "isLongText": i % 4 == 0,
        "_sort": (t - BEIJING).isoformat(),
    }
    post.update(overrides)
    return post


def weibo_search(keyword: str, n: int, *, offset: int = 0, **extra) -> dict:
    """``n`` posts one hour apart; ``offset`` adds newer ones (ids and times move on)."""
    return {"posts": [weibo_post(i, keyword, 60 * i) for i in range(offset, offset + n)], **extra}


def weibo_edge(keyword: str) -> tuple[dict, dict]:
    """Posts with every kind of gap; returns (search, what to expect)."""
    good = [weibo_post(i, keyword, 60 * i) for i in range(6)]
    good[1]["retweeted_status"] = {"id": "4800000000000001", "text": "原微博"}
    broken = [
        {**weibo_post(100, keyword, 900), "text": "<span class='url-icon'><img src='x.png'></span>"},  # no text left
        {**weibo_post(101, keyword, 901), "created_at": "刚刚"},     # a relative time: the time it was served
        {k: v for k, v in weibo_post(102, keyword, 902).items() if k not in ("id", "mid")},  # no id: skipped
        {k: v for k, v in weibo_post(103, keyword, 903).items() if k != "user"},    # no user: kept, no author
    ]
    return {"posts": good + broken, "ascii": True}, {"valid": 8, "invalid": 1, "invalid_fields": {"text": 1}}


def weibo_answer(search: dict, page: int) -> dict:
    size = search.get("page_size", 10)
    posts = sorted(search["posts"], key=lambda p: p.get("_sort", ""), reverse=True)
    chunk = [{k: v for k, v in p.items() if k != "_sort"} for p in posts[(page - 1) * size: page * size]]
    if not chunk:
        return {"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}}
    cards = [{"card_type": 9, "itemid": f"seqid:{p.get('id')}", "mblog": p} for p in chunk[1:]]
    # the first post sits in a card group next to a user card, as the search shows it
    cards.insert(0, {"card_type": 11, "card_group": [{"card_type": 10, "user": {"id": 1, "screen_name": "推荐用户"}},
                                                     {"card_type": 9, "mblog": chunk[0]}]})
    return {"ok": 1, "data": {"cardlistInfo": {"page": page + 1, "total": len(posts)}, "cards": cards}}


# -- Reddit ------------------------------------------------------------------------------
def _epoch(hours: float) -> float:
    return (BASE_TIME.replace(tzinfo=UTC) + timedelta(hours=hours)).timestamp()


def reddit_comment(name: str, hours: float, body: str, author: str = "commenter", replies=None, **extra) -> dict:
    data = {"name": f"t1_{name}", "id": name, "body": body, "author": author, "created_utc": _epoch(hours),
            "score": 2, "permalink": f"/r/x/comments/c/{name}/", "subreddit": "x",
            "replies": {"kind": "Listing", "data": {"children": replies, "after": None}} if replies else "", **extra}
    return {"kind": "t1", "data": data}


def reddit_post(i: int, sub: str, hours: float, comments: int = 0, **overrides) -> dict:
    pid = f"{sub[:3].lower()}{i:04d}"
    data = {
        "name": f"t3_{pid}", "id": pid, "subreddit": sub, "title": f"Voltra V8: {EN_PHRASES[i % len(EN_PHRASES)]}? ({i})",
        "selftext": en_text(i, "reddit" + sub) + " Q&A <3", "author": f"redditor_{i}", "created_utc": _epoch(hours),
        "score": i % 9, "permalink": f"/r/{sub}/comments/{pid}/voltra_v8_{i}/", "num_comments": comments,
    }
    data.update(overrides)
    return {"kind": "t3", "data": data}


def reddit_sub(sub: str, query: str, n: int, *, offset: int = 0, **extra) -> dict:
    """``n`` posts one hour apart without comments; ``offset`` adds newer ones."""
    return {"query": query, "posts": [reddit_post(i, sub, i) for i in range(offset, offset + n)], "comments": {}, **extra}


def reddit_thread(sub: str, i: int, hours: float) -> tuple[dict, dict, dict]:
    """A post with a comment tree holding removed and deleted comments and a "more" stub.

    Returns (post, comment listing children, what to expect).
    """
    tree = [
        reddit_comment(f"{sub}{i}a", hours + 1, "Mine died after a month, support replaced it.", replies=[
            reddit_comment(f"{sub}{i}b", hours + 2, "Same here, the battery stopped charging.", author="[deleted]"),
            reddit_comment(f"{sub}{i}c", hours + 3, "[removed]", author="[deleted]"),
        ]),
        reddit_comment(f"{sub}{i}d", hours + 1.5, "Great suction on carpets & rugs; 10/10 would buy again."),
        reddit_comment(f"{sub}{i}e", hours + 4, "[deleted]", author="[deleted]"),
        {"kind": "more", "data": {"count": 3, "children": ["m1", "m2", "m3"]}},
    ]
    post = reddit_post(i, sub, hours, comments=7)
    return post, tree, {"comments": 3, "gone": 2, "more": 3}


def reddit_search_answer(sub: dict, q: dict) -> dict:
    posts = sorted(sub["posts"], key=lambda p: p["data"]["created_utc"], reverse=True) if q.get("q") == sub["query"] else []
    start = 0
    if q.get("after"):
        names = [p["data"]["name"] for p in posts]
        start = names.index(q["after"]) + 1 if q["after"] in names else len(posts)
    size = sub.get("page_size", 10)
    chunk = posts[start:start + size]
    after = chunk[-1]["data"]["name"] if chunk and start + size < len(posts) else None
    return {"kind": "Listing", "data": {"after": after, "dist": len(chunk), "children": chunk, "before": None}}


def reddit_comments_answer(sub: dict, post_id: str) -> list:
    post = next(p for p in sub["posts"] if p["data"]["id"] == post_id)
    tree = sub["comments"].get(post["data"]["name"], [])
    return [{"kind": "Listing", "data": {"children": [post], "after": None}},
            {"kind": "Listing", "data": {"children": tree, "after": None}}]


# -- App Store ---------------------------------------------------------------------------
def _l(value) -> dict:
    return {"label": value}


def appstore_entry(i: int, app_id: str, country: str, hours: float, **overrides) -> dict:
    t = BASE_TIME.replace(tzinfo=UTC) + timedelta(hours=hours)
    text = zh_text(i, f"app{app_id}{country}") if country in ("cn", "tw") else en_text(i, f"app{app_id}{country}")
    entry = {
        "author": {"uri": _l(f"https://itunes.apple.com/{country}/reviews/id{7000 + i}"), "name": _l(f"reviewer {i}"), "label": ""},
        "updated": _l((t - timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M:%S-07:00")),
        "im:rating": _l(str(1 + i % 5)), "im:version": _l(f"3.{i % 4}.0"), "id": _l(str(11_000_000_000 + int(app_id) % 1000 * 1000 + i)),
        "title": _l(f"Review {i}"), "content": {"label": text, "attributes": {"type": "text"}},
        "link": {"attributes": {"rel": "related", "href": f"https://itunes.apple.com/{country}/review?id={app_id}"}},
        "im:voteSum": _l(str(i % 3)), "im:voteCount": _l(str(i % 4)),
        "im:contentType": {"attributes": {"term": "Application", "label": "Application"}},
        "_sort": t.isoformat(),
    }
    for key, value in overrides.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    return entry


def appstore_app(app_id: str, country: str, n: int, *, offset: int = 0, **extra) -> dict:
    """``n`` reviews one hour apart; ``offset`` adds newer ones."""
    return {"entries": [appstore_entry(i, app_id, country, i) for i in range(offset, offset + n)], **extra}


def appstore_answer(app: dict, app_id: str, country: str, page: int) -> dict:
    size = app.get("page_size", 10)
    entries = sorted(app["entries"], key=lambda e: e.get("_sort", ""), reverse=True)
    chunk = [{k: v for k, v in e.items() if k != "_sort"} for e in entries[(page - 1) * size: page * size]]
    feed = {"author": {"name": _l("iTunes Store"), "uri": _l("http://www.apple.com/itunes/")},
            "updated": _l("2026-11-23T01:00:00-07:00"), "title": _l("iTunes Store: Customer Reviews"),
            "link": [{"attributes": {"rel": "alternate", "type": "text/html", "href": f"https://apps.apple.com/{country}/app/id{app_id}"}}]}
    if page == 1 and chunk:
        chunk.insert(0, {"im:name": _l("Voltra Home"), "id": _l(f"https://apps.apple.com/{country}/app/id{app_id}"),
                         "im:artist": _l("Voltra Inc.")})
    if len(chunk) == 1:
        feed["entry"] = chunk[0]  # Apple writes a lone entry as an object
    elif chunk:
        feed["entry"] = chunk
    return {"feed": feed}


# -- routing -----------------------------------------------------------------------------
def route(path: str, query: str, data: dict) -> dict | None:
    """The answer for ``path`` when it is a Weibo, Reddit or App Store URL, else None.

    Returns ``{"behaviour", "key", "page", "status", "body", "ctype"}`` for the server.
    """
    q = dict(parse_qsl(query))
    parts = path.strip("/").split("/")
    if path == "/api/container/getIndex":
        cq = dict(parse_qsl(q.get("containerid", "")))  # "100103type=61&q=<keyword>"
        search = data["weibo"][cq["q"]]
        page = int(q.get("page", 1))
        body = json.dumps(weibo_answer(search, page), ensure_ascii=search.get("ascii", False))
        return {"behaviour": search.get("behaviour", {}), "key": f"weibo:{cq['q']}:{page}", "page": str(page),
                "body": body.encode(), "ctype": "application/json; charset=utf-8"}
    if len(parts) == 3 and parts[0] == "r" and parts[2] == "search.json":
        sub = data["reddit"][parts[1]]
        page_key = q.get("after", "first")
        return {"behaviour": sub.get("behaviour", {}), "key": f"reddit:{parts[1]}:{page_key}", "page": page_key,
                "body": json.dumps(reddit_search_answer(sub, q)).encode(), "ctype": "application/json; charset=UTF-8"}
    if len(parts) == 5 and parts[0] == "r" and parts[2] == "comments" and parts[4].endswith(".json"):
        sub = data["reddit"][parts[1]]
        return {"behaviour": sub.get("behaviour", {}), "key": f"reddit:{parts[1]}:{parts[3]}", "page": parts[3],
                "body": json.dumps(reddit_comments_answer(sub, parts[3])).encode(),
                "ctype": "application/json; charset=UTF-8"}
    if len(parts) == 7 and parts[1:3] == ["rss", "customerreviews"] and parts[6] == "json":
        country, page, app_id = parts[0], int(parts[3].removeprefix("page=")), parts[4].removeprefix("id=")
        app = data["appstore"][f"{country}:{app_id}"]
        if page > 10:
            return {"behaviour": {}, "key": "", "page": "", "status": 400,
                    "body": b"<html><body>CustomerReviews RSS page depth is limited to 10</body></html>",
                    "ctype": "text/html"}
        # Apple answers text/javascript; one app here is served without a charset
        ctype = "text/javascript" + ("" if app.get("no_charset") else "; charset=utf-8")
        return {"behaviour": app.get("behaviour", {}), "key": f"appstore:{country}:{app_id}:{page}", "page": str(page),
                "body": json.dumps(appstore_answer(app, app_id, country, page), ensure_ascii=False).encode(),
                "ctype": ctype}
    return None


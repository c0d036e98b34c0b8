"""Builders for the fixture site's catalog: deterministic reviews with the shape of each source.

Texts are assembled from distinct phrases so that generated reviews are not
near-duplicates of each other; the planted spam copies and broken records
are listed by each builder so tests can check them exactly.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from datetime import datetime, timedelta
from pathlib import Path

ZH_PHRASES = [
    "物流很快第二天就到了", "包装完好没有任何破损", "手机运行流畅不卡顿", "电池续航比预期要长",
    "屏幕显示效果非常细腻", "客服态度耐心解答问题", "拍照效果在夜景下一般", "价格比实体店便宜不少",
    "充电速度快半小时充满", "外观设计简洁手感舒适", "信号偶尔不太稳定", "系统更新后发热明显",
    "声音洪亮音质清晰", "做工精细缝隙均匀", "赠品少了一个耳机", "退货流程简单方便",
]
EN_PHRASES = [
    "arrived two days early", "the box was dented but the unit was fine", "suction is strong on carpets",
    "battery lasts about forty minutes", "very loud at the highest setting", "customer service replaced the filter",
    "easy to assemble without tools", "the dust bin is small", "stopped charging after a month",
    "lighter than my old vacuum", "great value for the price", "the brush roll tangles with long hair",
    "works well on hardwood floors", "the app keeps disconnecting", "instructions were unclear", "quiet enough for night use",
]
BASE_TIME = datetime(2026, 10, 1, 9, 0, 0)


_COMBOS = list(itertools.combinations(range(16), 3))
random.Random(5).shuffle(_COMBOS)


def _phrases(phrases: list[str], i: int, seed: str) -> list[str]:
    """A distinct phrase triple per (seed, i) for the first 560 reviews of a seed: no accidental near-duplicates."""
    start = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % len(_COMBOS)
    return [phrases[k] for k in _COMBOS[(start + i) % len(_COMBOS)]]


def zh_text(i: int, seed: str = "") -> str:
    # the second part differs per seed (product), so products never share a text
    own = "".join(random.Random(f"zh{seed}").sample(ZH_PHRASES, 2))
    return "，".join(_phrases(ZH_PHRASES, i, seed)) + f"。总的来说{own}。第{i}次购买"


def en_text(i: int, seed: str = "") -> str:
    own = " and ".join(random.Random(f"en{seed}").sample(EN_PHRASES, 2))
    return "; ".join(_phrases(EN_PHRASES, i, seed)).capitalize() + f". Overall {own}. Order {i}."


def jd_comment(i: int, product_id: str, minutes: int) -> dict:
    t = BASE_TIME + timedelta(minutes=minutes)
    return {
        "id": int(product_id) * 1000 + i, "guid": f"g{product_id}-{i}", "content": zh_text(i, product_id),
        "creationTime": t.strftime("%Y-%m-%d %H:%M:%S"), "score": 1 + i % 5, "nickname": f"j***{i}",
        "productColor": ["黑色", "白色", "蓝色"][i % 3], "productSize": ["128GB", "256GB"][i % 2],
        "referenceName": f"小米13 {product_id}", "usefulVoteCount": i % 4, "replyCount": 0,
    }


def jd_product(product_id: str, n: int, *, offset: int = 0, **extra) -> dict:
    """``n`` comments, one hour apart; ``offset`` shifts ids and times (new reviews for a re-crawl)."""
    comments = [jd_comment(i, product_id, 60 * i) for i in range(offset, offset + n)]
    return {"comments": comments, **extra}


def jd_edge_product(product_id: str) -> tuple[dict, dict]:
    """A product with every kind of broken record; returns (product, what to expect)."""
    good = [jd_comment(i, product_id, 60 * i) for i in range(8)]
    spam_text = "加微信领红包返现50元，好评截图发给客服立即到账，机会难得"
    good[1]["content"] = "卖家电话13812345678，邮箱 shop@example.com，有问题随时联系"
    good[2]["content"] = spam_text
    good[3]["content"] = spam_text + "！！"  # near-duplicate of good[2]
    good[3]["creationTime"] = (BASE_TIME + timedelta(minutes=181)).strftime("%Y-%m-%d %H:%M:%S")
    broken = [
        {**jd_comment(100, product_id, 900), "content": ""},            # stars only: kept as a rating
        {**jd_comment(101, product_id, 901), "creationTime": "昨天"},     # unparseable date
        {**jd_comment(102, product_id, 902), "score": 9},               # rating off the scale
        {**{k: v for k, v in jd_comment(103, product_id, 903).items() if k != "id"}},  # no id: skipped by the parser
    ]
    return {"comments": good + broken}, {"valid": 9, "invalid": 2, "near": 1,
                                         "invalid_fields": {"created_at": 1, "rating": 1}}


def write_catalog(path: Path, catalog: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def amazon_review(i: int, asin: str, days: int, **overrides) -> dict:
    t = BASE_TIME + timedelta(days=days)
    helpful = {0: None, 1: "One person found this helpful"}.get(i % 4, f"{i % 4 * 3} people found this helpful")
    review = {
        "id": f"R{asin[-4:]}{i:06d}", "sort_key": t.isoformat(), "author": f"Customer {i}",
        "stars": f"{1 + i % 5}.0", "title": f"Review {i}: {EN_PHRASES[i % len(EN_PHRASES)]}",
        "date": f"Reviewed in the United States on {t.strftime('%B')} {t.day}, {t.year}",
        "verified": i % 3 != 0, "body": en_text(i, asin), "helpful": helpful,
        "variant": ["Color: Black", "Color: Silver"][i % 2],
    }
    review.update(overrides)
    return review


def amazon_product(asin: str, n: int, *, offset: int = 0, **extra) -> dict:
    """``n`` reviews one day apart, newest first on the pages; ``offset`` adds newer ones."""
    return {"name": f"Voltra V8 Cordless Vacuum ({asin})",
            "reviews": [amazon_review(i, asin, i) for i in range(offset, offset + n)], **extra}


def rss_feed(n: int, brand: str = "Voltra", encoding: str = "utf-8", *, offset: int = 0) -> str:
    """RSS 2.0, newest first; every third item mentions ``brand``, one item has a broken date."""
    items = []
    for i in reversed(range(offset, offset + n)):
        t = BASE_TIME + timedelta(hours=i)
        mention = f"{brand} 吸尘器" if i % 3 == 0 else "行业新闻"
        items.append(
            f"<item><title>{mention}：第{i}篇报道</title><link>https://news.example.com/a/{i}</link>"
            f"<guid>https://news.example.com/a/{i}</guid>"
            f"<description>&lt;p&gt;{zh_text(i, 'rss')}，{mention}&lt;/p&gt;</description>"
            f"<pubDate>{t.strftime('%a, %d %b %Y %H:%M:%S')} +0800</pubDate></item>")
    return (f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>科技新闻</title>'
            f'{"".join(items)}</channel></rss>')


def atom_page(ids: range, next_href: str | None, brand: str = "Voltra") -> str:
    entries = []
    for i in reversed(ids):
        t = BASE_TIME + timedelta(hours=i)
        entries.append(
            f"<entry><id>tag:blog.example.com,2026:{i}</id><title>{brand} review, part {i}</title>"
            f"<link rel='alternate' href='/posts/{i}'/><published>{t.isoformat()}Z</published>"
            f"<author><name>blogger{i}</name></author><summary type='html'>&lt;b&gt;{en_text(i, 'atom')}&lt;/b&gt;</summary></entry>")
    nxt = f"<link rel='next' href='{next_href}'/>" if next_href else ""
    return f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'><title>Blog</title>{nxt}{''.join(entries)}</feed>"

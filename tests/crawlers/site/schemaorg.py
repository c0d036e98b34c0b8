"""Product pages with schema.org reviews in the shapes sites really use, for the generic spider's tests.

Shapes: ``jsonld`` (a Product with a ``review`` list, authors as Person
objects), ``graph`` (an ``@graph`` of Product, Review and Person nodes joined
by ``@id`` references, ratings out of 10), ``microdata`` (``itemscope``
Product with ``itemprop="review"`` items), ``both`` (the same reviews in
JSON-LD and microdata) and ``none`` (no markup). Pages list reviews newest
first and link the next page with ``rel=next`` or, with ``next="more"``,
only with an ``<a class="more-reviews">``.
"""

from __future__ import annotations

import html
import json
from datetime import timedelta

from tests.crawlers.site.catalog import BASE_TIME, en_text, zh_text


def web_review(i: int, seed: str, days: int, *, zh: bool = False, **overrides) -> dict:
    t = BASE_TIME + timedelta(days=days)
    review = {"author": f"{'买家' if zh else 'Shopper'} {i}", "date": t.strftime("%Y-%m-%d"),
              "text": zh_text(i, seed) if zh else en_text(i, seed), "rating": 1 + i % 5,
              "title": f"{'评价' if zh else 'Review'} {i}"}
    review.update(overrides)
    return review


def web_reviews(seed: str, n: int, *, offset: int = 0, zh: bool = False) -> list[dict]:
    """``n`` reviews one day apart; ``offset`` adds newer ones (for a re-crawl)."""
    return [web_review(i, seed, i, zh=zh) for i in range(offset, offset + n)]


def _product(name: str, slug: str) -> dict:
    return {"@type": "Product", "name": name, "sku": slug.upper(), "brand": {"@type": "Brand", "name": "Voltra"}}


def _jsonld_review(r: dict, scale: int = 5) -> dict:
    out: dict = {"@type": "Review"}
    if r.get("author") is not None:
        out["author"] = {"@type": "Person", "name": r["author"]}
    if r.get("date") is not None:
        out["datePublished"] = r["date"]
    if r.get("text") is not None:
        out["reviewBody"] = r["text"]
    if r.get("title") is not None:
        out["name"] = r["title"]
    if r.get("rating") is not None:
        out["reviewRating"] = {"@type": "Rating", "ratingValue": str(r["rating"] * scale // 5),
                               "bestRating": str(scale), "worstRating": "0" if scale != 5 else "1"}
    if r.get("id"):
        out["@id"] = r["id"]
    return out


def _jsonld(product: dict, reviews: list[dict]) -> str:
    block = {"@context": "https://schema.org", **product, "review": [_jsonld_review(r) for r in reviews],
             "aggregateRating": {"@type": "AggregateRating", "ratingValue": "4.2", "reviewCount": "57"}}
    return f'<script type="application/ld+json">{json.dumps(block, ensure_ascii=False)}</script>'


def _graph(product: dict, reviews: list[dict]) -> str:
    nodes: list[dict] = [{**product, "@id": "#product"}]
    for n, r in enumerate(reviews):
        review = _jsonld_review(r, scale=10)
        review["author"] = {"@id": f"#person-{n}"}
        review["itemReviewed"] = {"@id": "#product"}
        nodes += [review, {"@type": "Person", "@id": f"#person-{n}", "name": r["author"]}]
    return ('<script type="application/ld+json">'
            f'{json.dumps({"@context": "https://schema.org", "@graph": nodes}, ensure_ascii=False)}</script>')


def _microdata(product: dict, reviews: list[dict]) -> str:
    parts = ['<div itemscope itemtype="https://schema.org/Product">',
             f'<h1 itemprop="name">{html.escape(product["name"])}</h1><meta itemprop="sku" content="{product["sku"]}">']
    for r in reviews:
        parts.append('<div itemprop="review" itemscope itemtype="https://schema.org/Review">')
        if r.get("author") is not None:
            parts.append('<span itemprop="author" itemscope itemtype="https://schema.org/Person">'
                         f'<span itemprop="name">{html.escape(r["author"])}</span></span>')
        if r.get("title") is not None:
            parts.append(f'<h3 itemprop="name">{html.escape(r["title"])}</h3>')
        if r.get("date") is not None:
            parts.append(f'<time itemprop="datePublished" datetime="{r["date"]}">{r["date"]}</time>')
        if r.get("rating") is not None:
            parts.append('<div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating">'
                         f'<meta itemprop="ratingValue" content="{r["rating"]}"><meta itemprop="bestRating" content="5">'
                         f'<span>{r["rating"]} stars</span></div>')
        if r.get("text") is not None:
            parts.append(f'<p itemprop="reviewBody">{html.escape(r["text"])}</p>')
        parts.append("</div>")
    parts.append("</div>")
    return "".join(parts)


def product_page(name: str, slug: str, reviews: list[dict], *, shape: str = "jsonld", next_href: str | None = None,
                 next: str = "rel", charset: str = "utf-8", extra_head: str = "") -> str:
    """One page of reviews in ``shape``, linking ``next_href`` the way ``next`` says."""
    product = _product(name, slug)
    head = [f'<meta charset="{charset}">', f"<title>{html.escape(name)}</title>", extra_head]
    body = [f"<h1>{html.escape(name)}</h1>"]
    if shape in ("jsonld", "both"):
        head.append(_jsonld(product, reviews))
    if shape == "graph":
        head.append(_graph(product, reviews))
    if shape in ("microdata", "both"):
        body.append(_microdata(product, reviews))
    if shape == "none":
        body += [f"<p>{html.escape(r['text'])}</p>" for r in reviews]
    if next_href and next == "rel":
        head.append(f'<link rel="next" href="{next_href}">')
    elif next_href:
        body.append(f'<a class="more-reviews" href="{next_href}">More reviews</a>')
    return f"<!DOCTYPE html><html><head>{''.join(head)}</head><body>{''.join(body)}</body></html>"


def product_pages(slug: str, reviews: list[dict], *, per_page: int = 10, encoding: str = "utf-8",
                  declare_charset: bool = True, **kwargs) -> dict[str, dict]:
    """Fixture-site pages ``/shop/<slug>/reviews.html``, ``reviews-2.html``... newest reviews first."""
    ordered = sorted(reviews, key=lambda r: str(r.get("date") or ""), reverse=True)
    chunks = [ordered[i:i + per_page] for i in range(0, len(ordered), per_page)] or [[]]
    pages = {}
    for n, chunk in enumerate(chunks, 1):
        path = f"/shop/{slug}/reviews.html" if n == 1 else f"/shop/{slug}/reviews-{n}.html"
        nxt = f"reviews-{n + 1}.html" if n < len(chunks) else None
        body = product_page(f"Voltra {slug}", slug, chunk, next_href=nxt, charset=encoding, **kwargs)
        pages[path] = {"body": body, "encoding": encoding, "content_type": "text/html",
                       "declare_charset": declare_charset}
    return pages

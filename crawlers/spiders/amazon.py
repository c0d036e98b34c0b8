"""Amazon product reviews from the HTML review pages (``/product-reviews/<ASIN>/?sortBy=recent``).

Parsing is a pure function over the page (``parse_reviews``), keyed on the
``data-hook`` attributes Amazon's review markup carries. English
(amazon.com, .co.uk...) date and rating phrasing is understood; a robot-check
page is recognised and reported as ``blocked``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from parsel import Selector
from pydantic import Field, field_validator
from scrapy.http import Response

from ..errors import PageError
from ..items import FeedbackItem
from .base import SpiderArgs, VoclensSpider, split_list

AMAZON_BASE_URL = "https://www.amazon.com"
_STARS_RE = re.compile(r"(\d+(?:[.,]\d+)?) out of (\d+)")
_DATE_RE = re.compile(r"on (\w+ \d{1,2}, \d{4})\s*$")
_COUNTRY_RE = re.compile(r"Reviewed in (?:the )?(.+?) on ")
_HELPFUL_RE = re.compile(r"([\d,]+|One) (?:person|people) found this helpful", re.I)


@dataclass
class ReviewsPage:
    items: list[FeedbackItem]
    next_url: str | None


def _date(text: str) -> str | None:
    match = _DATE_RE.search(text.strip())
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%B %d, %Y").date().isoformat()
    except ValueError:
        return None


def parse_reviews(html: str, asin: str, url: str, brand: str | None = None) -> ReviewsPage:
    """Reviews of one page and the next page's URL.

    A review whose date or stars cannot be read keeps the raw text in the
    item, so validation reports exactly which field was wrong.

    Raises:
        PageError: a robot-check page, or a page without a review list.
    """
    sel = Selector(text=html)
    if sel.css("form[action*='validateCaptcha']") or "Robot Check" in (sel.css("title::text").get() or ""):
        raise PageError("blocked", "Amazon answered with a robot check")
    if not sel.css("#cm_cr-review_list"):
        raise PageError("unexpected-html", "no review list (#cm_cr-review_list) on the page")
    product_name = sel.css("[data-hook=product-link]::text").get()
    items = []
    for review in sel.css("[data-hook=review]"):
        review_id = review.attrib.get("id")
        if not review_id:
            continue
        stars_text = review.css("[data-hook=review-star-rating] .a-icon-alt::text, "
                                "[data-hook=cmps-review-star-rating] .a-icon-alt::text").get() or ""
        stars = _STARS_RE.search(stars_text)
        date_text = " ".join(review.css("[data-hook=review-date]::text").getall())
        body = " ".join(t.strip() for t in review.css("[data-hook=review-body] ::text").getall() if t.strip())
        helpful = _HELPFUL_RE.search(" ".join(review.css("[data-hook=helpful-vote-statement]::text").getall()))
        meta: dict = {"verified_purchase": bool(review.css("[data-hook=avp-badge]"))}
        if helpful:
            meta["helpful_votes"] = 1 if helpful.group(1) == "One" else int(helpful.group(1).replace(",", ""))
        country = _COUNTRY_RE.search(date_text)
        if country:
            meta["country"] = country.group(1)
        variant = " ".join(review.css("[data-hook=format-strip] ::text").getall()).strip()
        if variant:
            meta["variant"] = variant
        items.append(FeedbackItem(
            source="amazon", source_id=review_id, text=body or None,
            created_at=_date(date_text) or date_text.strip() or None, scope=f"amazon:{asin}",
            url=urljoin(url, f"/gp/customer-reviews/{review_id}"), brand=brand, product_id=asin,
            product_name=product_name, author=review.css(".a-profile-name::text").get(),
            title=" ".join(t.strip() for t in review.css("[data-hook=review-title] ::text").getall() if t.strip()) or None,
            rating=stars.group(1).replace(",", ".") if stars else (stars_text or None),
            rating_scale=float(stars.group(2)) if stars else 5.0, meta=meta,
        ))
    next_href = sel.css("li.a-last:not(.a-disabled) a::attr(href)").get()
    return ReviewsPage(items=items, next_url=urljoin(url, next_href) if next_href else None)


class AmazonArgs(SpiderArgs):
    asins: list[str] = Field(min_length=1, description="Amazon product ids (ASINs, 10 letters/digits), comma-separated.")
    brand: str | None = Field(default=None, max_length=128, description="Brand stored on every item.")
    base_url: str = Field(default=AMAZON_BASE_URL, description="Amazon site (https://www.amazon.co.uk...); tests point it at the local site.")

    _split = field_validator("asins", mode="before")(split_list)

    @field_validator("asins")
    @classmethod
    def _asin(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not re.fullmatch(r"[A-Z0-9]{10}", v)]
        if bad:
            raise ValueError(f"ASINs are 10 capital letters or digits; got {', '.join(bad)}")
        return value


class AmazonSpider(VoclensSpider):
    name = "amazon"
    description = "Amazon product reviews (HTML pages, newest first): rating, title, verified purchase, helpful votes."
    Args = AmazonArgs
    args: AmazonArgs
    contract_args = {"asins": "B0TEST0001"}

    def reviews_request(self, asin: str, url: str, page: int):
        return self.page(url, self.parse_page, f"amazon:{asin}", cb_kwargs={"asin": asin, "page": page})

    async def start(self):
        for asin in self.args.asins:
            yield self.reviews_request(
                asin, f"{self.args.base_url.rstrip('/')}/product-reviews/{asin}/?sortBy=recent&pageNumber=1", 1)

    def parse_page(self, response: Response, asin: str, page: int):
        """One review page: its items, then "Next page" while reviews are new.

        @site /product-reviews/B0TEST0001/?sortBy=recent&pageNumber=1
        @cb_kwargs {"asin": "B0TEST0001", "page": 1}
        @returns items 10 10
        @returns requests 1 1
        @scrapes source source_id text created_at rating scope title
        @fills source source_id text created_at rating author title url
        """
        parsed = yield from self.parsed_or_retry(response, parse_reviews, response.text, asin, response.url, self.args.brand)
        if parsed is None:
            return
        items, more = self.gate(f"amazon:{asin}", parsed.items)
        yield from items
        if more and parsed.next_url and page < self.args.max_pages:
            yield self.reviews_request(asin, parsed.next_url, page + 1)

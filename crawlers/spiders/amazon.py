"""Amazon product reviews from the HTML review pages (``/product-reviews/<ASIN>/?sortBy=recent``).

Parsing is a pure function over the page (``parse_reviews``), keyed on the
``data-hook`` attributes Amazon's review markup carries, tested on real
captured pages (``tests/crawlers/site/captures/amazon``). A robot-check page
is recognised and reported as ``blocked``.

Every country site writes stars and dates in its own language: ``5.0 out of
5 stars`` / ``5,0 su 5 stelle`` / ``5つ星のうち4.0``; ``Reviewed in the United
States on July 16, 2022`` / ``Reviewed in the United Kingdom on 16 July
2022`` / ``14 novembre 2018`` / ``2022年7月16日に日本でレビュー済み``. The date
phrase is cut out of the sentence by shape (own code: the prefix is
Amazon's, no parser knows it) and read by ``crawlers.dates.page_date``
(dateparser) in the site's languages. Titles on newer layouts hold the star
text inside the title link; it is left out of the title. A review with a
title and no body keeps the title as its text (``meta.text_from = "title"``);
one with stars only is kept as a rating (``meta.rating_only``), both by
``crawlers.normalize.record_to_document``. "Next page"
is followed only while it leads to another review page: a link that leaves
the review list (a sign-in page, as on 2024 pages) ends the paging as
finished, not failed; when the first review page already asks to sign in
(Amazon's rule for visitors who are not signed in since late 2024), the
spider reads the product page instead.

The product page (``/dp/<ASIN>``) shows the first reviews in the same
markup inside ``#cm-cr-dp-review-list`` (badges and format strips marked
``-linkless``), and since about 2022 "top reviews from other countries" in
``#cm-cr-global-review-list`` (each with its own country, "Reviewed in the
United Kingdom on 10 November 2024"), which is the only list when the
product has no review on that site; ``parse_reviews`` reads all of them,
which is how the amazon.de (2019), amazon.ae (2025) and amazon.co.uk (2026)
captures are read (no saved ``/product-reviews/`` page of amazon.de, .co.uk
or .co.jp, nor any page of .co.jp, was found in public repositories). A
product page of a product nobody rated (its reviews section without "N
global ratings") has nothing to read, which is not a page error.

In 2026 the product page moved the title to an ``h5`` marked
``data-hook=reviewTitle`` and the body to ``data-hook=reviewText`` (rich-text
paragraphs, hidden screen-reader hints, a "Read more" card footer); both
hooks are read beside the older ones. Before, every such review became a
star rating without words, silently. Amazon lists no review without words,
so a page whose every review lacks both title and text is now a page error
(``unexpected-html``): a changed layout fails the crawl (health checks)
instead of filling the index with bare ratings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from pydantic import Field, field_validator
from scrapy.http import Response

from ..dates import page_date, response_time
from ..errors import PageError
from ..items import FeedbackItem
from .base import SpiderArgs, VoclensSpider, split_list

AMAZON_BASE_URL = "https://www.amazon.com"
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)?")
#: The date inside Amazon's date sentence: "16 July 2022", "16. Juli 2022", "1er mars 2023",
#: "15 de septiembre de 2023", "July 16, 2022", "2022年7月16日".
_DATE_RE = re.compile(r"\d{4}年\s*\d{1,2}月\s*\d{1,2}日|\d{1,2}(?:er)?\.? (?:de )?[^\W\d_]+\.? (?:de )?\d{4}"
                      r"|[^\W\d_]+\.? \d{1,2}, \d{4}"
                      r"|\d{1,2}/\d{1,2}/\d{4}")
#: The country in the date sentence: "Reviewed in the United Kingdom on", "Rezension aus Deutschland vom",
#: "2022年9月22日に日本でレビュー済み".
_COUNTRY_RE = re.compile(r"Reviewed in (?:the )?(.+?) on |Rezension aus (.+?) vom |日に(.+?)でレビュー済み")
#: Review lists: the review pages', the product page's "top reviews" (the one readable without signing in) and its
#: "top reviews from other countries", which a product page may show alone.
REVIEW_LISTS = "#cm_cr-review_list, #cm-cr-dp-review-list, #cm-cr-global-review-list"
_ONE_RE = re.compile(r"^\s*(one|una|un|eine|une|uno)\b", re.I)
#: Languages of each Amazon site's pages, by the host's last label.
SITE_LANGUAGES = {"uk": ("en",), "ae": ("en", "ar"), "com": ("en", "es"), "ca": ("en", "fr"), "au": ("en",), "in": ("en",), "de": ("de", "en"),
                  "fr": ("fr", "en"), "it": ("it", "en"), "es": ("es", "en"), "jp": ("ja", "en"), "mx": ("es", "en"),
                  "br": ("pt", "en"), "nl": ("nl", "en")}


@dataclass
class ReviewsPage:
    """Items of one page; ``left_list``: "next" pointed away from the reviews (sign-in), so paging ends there."""

    items: list[FeedbackItem]
    next_url: str | None
    left_list: bool = False


def languages_for(url: str) -> tuple[str, ...]:
    """The languages an Amazon site writes (``www.amazon.co.uk`` -> en)."""
    host = urlsplit(url).hostname or ""
    return SITE_LANGUAGES.get(host.rsplit(".", 1)[-1], ("en",))


def review_date(text: str, languages: tuple[str, ...], now: datetime | None = None) -> str | None:
    """The day of Amazon's date sentence as ISO (``2022-07-16``), or None when it holds no readable date."""
    match = _DATE_RE.search(" ".join(text.split()))
    parsed = page_date(match.group(0), now=now, languages=languages) if match else None
    return parsed.date().isoformat() if parsed else None


def review_country(text: str) -> str | None:
    """The country of Amazon's date sentence ("the United Kingdom", "Deutschland", "日本"), None when it names none."""
    match = _COUNTRY_RE.search(" ".join(text.split()))
    return next((group for group in match.groups() if group), None) if match else None


def stars(text: str) -> tuple[float, float] | None:
    """``(rating, scale)`` of a star text: "4.0 out of 5 stars", "4,0 su 5 stelle", "5つ星のうち4.0"."""
    numbers = [float(n.replace(",", ".")) for n in _NUMBER_RE.findall(text)]
    if len(numbers) < 2:
        return None
    value, scale = (numbers[1], numbers[0]) if "のうち" in text else (numbers[0], numbers[1])
    return (value, scale) if 0 <= value <= scale else None


def helpful_votes(text: str) -> int | None:
    """Votes of "921 people found this helpful", "921 persone l'hanno trovato utile", "One person...": None without."""
    text = text.strip()
    if not text:
        return None
    number = re.search(r"\d[\d.,]*", text)
    if number:
        return int(re.sub(r"[.,]", "", number.group(0)))
    return 1 if _ONE_RE.match(text) else None


def is_sign_in(sel: Selector, url: str) -> bool:
    """True for Amazon's sign-in page (where review pages past the first redirect since 2024)."""
    return "/ap/signin" in urlsplit(url).path or bool(sel.css("form[name=signIn], form[action*='/ap/signin']"))


def is_unrated_product(sel: Selector) -> bool:
    """True for a product page whose reviews section holds no rating at all (no "N global ratings"): nothing to read.

    Told apart from a changed layout by the section itself (``#reviewsMedley``), which rated products fill with
    ``data-hook=total-review-count``; a page without that section is still a page error.
    """
    return bool(sel.css("#reviewsMedley")) and not sel.css("#reviewsMedley [data-hook=total-review-count]")


def is_review_page(url: str) -> bool:
    """True for an Amazon review-list URL; "next" links elsewhere (sign-in) leave the review list."""
    return "/product-reviews/" in urlsplit(url).path


def parse_reviews(html: str, asin: str, url: str, brand: str | None = None,
                  now: datetime | None = None) -> ReviewsPage:
    """Reviews of one page and the next review page's URL (None at the end or when "next" leaves the list).

    A review whose date or stars cannot be read keeps the raw text in the
    item, so validation reports exactly which field was wrong.

    Raises:
        PageError: a robot-check page, or a page without a review list.
    """
    sel = Selector(text=html)
    if sel.css("form[action*='validateCaptcha']") or "Robot Check" in (sel.css("title::text").get() or ""):
        raise PageError("blocked", "Amazon answered with a robot check")
    if is_sign_in(sel, url):
        # later review pages answer with a sign-in form (2024): the end of what can be read, not a failure
        return ReviewsPage(items=[], next_url=None, left_list=True)
    if not sel.css(REVIEW_LISTS):
        if is_unrated_product(sel):
            return ReviewsPage(items=[], next_url=None)
        raise PageError("unexpected-html", "no review list (#cm_cr-review_list, #cm-cr-dp-review-list or "
                                           "#cm-cr-global-review-list) on the page")
    languages = languages_for(url)
    product_name = (sel.css("[data-hook=product-link]::text").get()
                    or " ".join(" ".join(sel.css("#productTitle::text").getall()).split()) or None)
    items = [_review_item(review, asin, url, brand, product_name, languages, now)
             for review in sel.css("[data-hook=review]") if review.attrib.get("id")]
    if items and not any(item.text or item.title for item in items):
        # Amazon lists no review without words: a list of star ratings alone is markup the spider no longer reads
        raise PageError("unexpected-html", f"{len(items)} reviews and not one title or text: the review markup changed")
    next_href = sel.css("li.a-last:not(.a-disabled) a::attr(href)").get()
    next_url = urljoin(url, next_href) if next_href else None
    return ReviewsPage(items=items, next_url=next_url if next_url and is_review_page(next_url) else None,
                       left_list=bool(next_url) and not is_review_page(next_url))


def _text(nodes: list[str]) -> str:
    return " ".join(t.strip() for t in nodes if t.strip())


def _outside(*names: str) -> str:
    """XPath test: the node sits inside an element with one of the classes ``names``."""
    return "".join(f"[not(ancestor::*[contains(concat(' ', @class, ' '), ' {name} ')])]" for name in names)


#: Title and body under their hook of each layout: ``review-title``/``review-body`` until 2025, ``reviewTitle`` (an
#: ``h5``) and ``reviewText`` (a card deck of rich-text paragraphs) on 2026 product pages.
_TITLE = (".//*[@data-hook='review-title' or @data-hook='reviewTitle']//text()[not(ancestor::i)]"
          + _outside("a-icon-alt"))
#: Left out of a body: the "Read more" prompt of a long one ("Lesen Sie weiter"; an expander header until 2025, the
#: card footer in 2026) and hidden screen-reader hints ("Brief content visible, double tap to read full content.").
_BODY = (".//*[@data-hook='review-body' or @data-hook='reviewText']//text()"
         + _outside("a-expander-header", "a-cardui-footer", "a-hidden"))


def _review_item(review: Selector, asin: str, url: str, brand: str | None, product_name: str | None,
                 languages: tuple[str, ...], now: datetime | None) -> FeedbackItem:
    review_id = review.attrib["id"]
    stars_text = review.css("[data-hook=review-star-rating] .a-icon-alt::text, "
                            "[data-hook=cmps-review-star-rating] .a-icon-alt::text").get() or ""
    rating = stars(stars_text)
    date_text = " ".join(review.css("[data-hook=review-date]::text").getall())
    body = _text(review.xpath(_BODY).getall())
    # newer layouts put the star icon (and its "5.0 out of 5 stars") inside the title link
    title = _text(review.xpath(_TITLE).getall()) or None
    # product pages mark these "-linkless" (no link to the badge's explanation)
    meta: dict = {"verified_purchase": bool(review.css("[data-hook=avp-badge], [data-hook=avp-badge-linkless]"))}
    votes = helpful_votes(" ".join(review.css("[data-hook=helpful-vote-statement]::text").getall()))
    if votes is not None:
        meta["helpful_votes"] = votes
    country = review_country(date_text)
    if country:
        meta["country"] = country
    variant = _text(review.css("[data-hook=format-strip] ::text, [data-hook=format-strip-linkless] ::text").getall())
    if variant:
        meta["variant"] = variant
    return FeedbackItem(  # no body: the title stands in, or the stars alone (crawlers.normalize)
        source="amazon", source_id=review_id, text=body or None,
        created_at=review_date(date_text, languages, now) or date_text.strip() or None, scope=f"amazon:{asin}",
        url=urljoin(url, f"/gp/customer-reviews/{review_id}"), brand=brand, product_id=asin,
        product_name=product_name, author=(review.css(".a-profile-name::text").get() or "").strip() or None, title=title,
        rating=rating[0] if rating else (stars_text or None), rating_scale=rating[1] if rating else 5.0, meta=meta,
    )


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
        parsed = yield from self.parsed_or_retry(response, parse_reviews, response.text, asin, response.url,
                                                 self.args.brand, response_time(response.headers))
        if parsed is None:
            return
        if parsed.left_list and page == 1:
            # since late 2024 the first review page too answers a visitor who is not signed in with the sign-in form
            self.crawler.stats.inc_value("voclens/amazon/product_page_fallback")
            yield self.page(f"{self.args.base_url.rstrip('/')}/dp/{asin}", self.parse_product_page, f"amazon:{asin}",
                            cb_kwargs={"asin": asin})
            return
        if parsed.left_list:
            self.crawler.stats.inc_value("voclens/amazon/next_left_reviews")
        items, more = self.gate(f"amazon:{asin}", parsed.items)
        yield from items
        if more and parsed.next_url and page < self.args.max_pages:
            yield self.reviews_request(asin, parsed.next_url, page + 1)

    def parse_product_page(self, response: Response, asin: str):
        """The product page's review lists, read when the review pages ask to sign in (up to 8 + 5 reviews).

        They are the most helpful reviews, not the newest, so only ``since`` bounds them: a watermark says
        nothing about them, and stable ids make a review read again an update, not a duplicate.

        @site /dp/B0TEST0001
        @cb_kwargs {"asin": "B0TEST0001"}
        @returns items 10 10
        @returns requests 0 0
        @scrapes source source_id text created_at rating scope title
        @fills source source_id text created_at rating author title url
        """
        parsed = yield from self.parsed_or_retry(response, parse_reviews, response.text, asin, response.url,
                                                 self.args.brand, response_time(response.headers))
        if parsed is not None:
            yield from self.within_since(parsed.items)

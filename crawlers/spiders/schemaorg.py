"""Any product page with schema.org ``Review`` markup (JSON-LD or microdata), on a list of URLs.

Most shops, review widgets (Trustpilot, Yotpo, Bazaarvoice...) and many
blogs publish their reviews as schema.org objects so search engines can show
stars; reading that markup gets reviews from sites no dedicated spider knows.
The markup is read by ``extruct`` (``crawlers.structured_data``), so reviews
printed without an enclosing item (comment-rating plugins) and RDFa count
too; the reviewed thing may be of any type (a Recipe, a Book, a shop), and a
review with stars only is kept as a rating (``crawlers.normalize``).
``parse_review_page`` is a pure function from the page's bytes to items and
the next page's URL; ``crawlers.structured_data`` does the markup reading.

Items get ``source = web:<host>`` and, when the page gives a review no
``@id`` or ``url``, a ``source_id`` hashed from the product page URL (the
start URL, not the paginated one: a review that moves to page 2 keeps its
id), author, date and text, so re-crawls update instead of duplicating.
That hash is keyed with the installation's salt (``hash_author``): the
author's name is in it, and an unkeyed hash would let anyone confirm that a
given person wrote a given review by hashing the same four fields.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from pydantic import Field, field_validator, model_validator
from scrapy.http import Response
from w3lib.encoding import html_to_unicode
from w3lib.html import remove_tags

from nlp.privacy import hash_author

from ..errors import PageError
from ..items import FeedbackItem
from ..structured_data import Markup, read_markup, types_of
from .base import SpiderArgs, VoclensSpider, split_list

#: schema.org types that are reviewed things when a page's reviews stand alone (Bazaarvoice, comment
#: plugins): the page's subject is the first such node. Inside a node's ``review`` list, any type counts.
PRODUCT_TYPES = {"Product", "ProductGroup", "IndividualProduct", "ProductModel", "SomeProducts", "Vehicle", "Car",
                 "SoftwareApplication", "MobileApplication", "WebApplication", "VideoGame", "Book", "Game", "Recipe",
                 "LocalBusiness", "Organization", "Restaurant", "FoodEstablishment", "Hotel", "LodgingBusiness",
                 "Store", "Service", "Course", "Event", "Movie", "TVSeries", "MusicAlbum", "MusicRecording",
                 "CreativeWork", "HowTo", "Place", "TouristAttraction", "Offer", "Brand"}
#: Types that are never the reviewed thing (the review itself, its parts, its author).
NOT_SUBJECTS = {"Review", "CriticReview", "UserReview", "EmployerReview", "Rating", "AggregateRating", "Person",
                "ImageObject", "WebPage", "WebSite", "BreadcrumbList", "ListItem", "SearchAction", "Offer",
                "AggregateOffer", "PostalAddress", "Comment"}


@dataclass
class ReviewPage:
    """What one page holds.

    Attributes:
        aggregate: the page's ``AggregateRating`` (``value``, ``count``, ``best``), if any.
        problems: page problems that did not stop parsing (``malformed-jsonld``).
    """

    items: list[FeedbackItem]
    next_url: str | None
    encoding: str
    aggregate: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)


def source_for(url: str) -> str:
    """``web:<host>`` (IDNA, at most 64 characters): matches the Document source pattern."""
    host = (urlsplit(url).hostname or "unknown").lower()
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = hashlib.sha256(host.encode()).hexdigest()[:16]
    return f"web:{host}"[:64]


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else (None if isinstance(value, list) else value)


def _clean(value: Any) -> str | None:
    value = _first(value)
    if value is None or isinstance(value, dict):
        return None
    text = " ".join(htmllib.unescape(remove_tags(str(value))).split())
    return text or None


def _resolve(value: Any, markup: Markup) -> Any:
    """A bare ``{"@id": ...}`` reference replaced by the object it names (if the page defines it)."""
    if isinstance(value, dict) and set(value) == {"@id"}:
        return markup.by_id.get(value["@id"], value)
    return value


def _name(value: Any, markup: Markup) -> str | None:
    value = _resolve(_first(value), markup)
    if isinstance(value, dict):
        return _clean(value.get("name") or value.get("alternateName"))
    return _clean(value)


def _number(value: Any) -> float | None:
    value = _first(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value).strip().replace(",", "."))
    except (TypeError, ValueError):
        return None


def _is_review(node: Any) -> bool:
    return any(t.endswith("Review") for t in types_of(node))


def _subject(node: Any) -> bool:
    """A node that can be the thing a review is about: typed, named, and not a review, rating or person."""
    types = types_of(node)
    return bool(types) and not types & NOT_SUBJECTS and not _is_review(node) and "name" in node


def page_subject(markup: Markup) -> dict | None:
    """The thing a page's stand-alone reviews are about: a node with a rating summary, else the first reviewed type."""
    subjects = [_resolve(n, markup) for _, n in markup.nodes]
    subjects = [n for n in subjects if isinstance(n, dict) and _subject(n)]
    rated = [n for n in subjects if "aggregateRating" in n or "review" in n]
    known = [n for n in subjects if types_of(n) & PRODUCT_TYPES]
    return (rated or known or [None])[0]


def find_reviews(markup: Markup) -> list[tuple[str, dict, dict | None]]:
    """``(format, review, reviewed thing or None)`` for every ``Review`` object, however deeply nested.

    The reviewed thing is the review's ``itemReviewed``, else the node whose
    ``review`` list holds it (a Product, a Recipe, a Book, a LocalBusiness...:
    any type), else the page's subject (``page_subject``) for reviews that
    stand alone, as review widgets print them.
    """
    found: list[tuple[str, dict, dict | None]] = []
    visited: set[int] = set()

    def walk(value: Any, fmt: str, product: dict | None) -> None:
        if isinstance(value, list):
            for v in value:
                walk(v, fmt, product)
            return
        value = _resolve(value, markup)
        if not isinstance(value, dict) or id(value) in visited:
            return
        visited.add(id(value))
        if _is_review(value):
            reviewed = _resolve(_first(value.get("itemReviewed")), markup)
            found.append((fmt, value, reviewed if isinstance(reviewed, dict) and _subject(reviewed) else product))
            return
        for key, v in value.items():
            if key.startswith("@"):
                continue
            inner = value if (key in ("review", "reviews") and _subject(value)) or types_of(value) & PRODUCT_TYPES else product
            walk(v, fmt, inner)

    for fmt, node in markup.nodes:
        walk(node, fmt, None)
    subject = page_subject(markup)
    return [(fmt, review, product if product is not None else subject) for fmt, review, product in found]


def find_aggregate(markup: Markup) -> dict[str, Any] | None:
    """The first ``AggregateRating`` (on a product or on its own) as ``value``, ``count``, ``best``."""
    stack = [node for _, node in markup.nodes]
    while stack:
        node = _resolve(stack.pop(0), markup)
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        if "AggregateRating" in types_of(node):
            value = _number(node.get("ratingValue"))
            if value is not None:
                count = _number(node.get("ratingCount") or node.get("reviewCount"))
                return {"value": value, "count": int(count) if count is not None else None,
                        "best": _number(node.get("bestRating")) or 5.0}
        stack.extend(v for k, v in node.items() if not k.startswith("@") and k != "review")
    return None


def _rating(review: dict, markup: Markup) -> tuple[Any, float, dict]:
    """``(rating, scale, meta)``: ratings on a scale not starting at 0 or 1 are mapped onto 1..5."""
    rating = _resolve(_first(review.get("reviewRating")), markup)
    if not isinstance(rating, dict):
        return (_clean(rating), 5.0, {}) if rating is not None else (None, 5.0, {})
    raw = rating.get("ratingValue")
    value = _number(raw)
    best, worst = _number(rating.get("bestRating")) or 5.0, _number(rating.get("worstRating"))
    if value is None:
        return _clean(raw), best, {}  # validation names the unreadable rating
    if worst is not None and worst > 1 and best > worst:
        return round(1 + (value - worst) * 4 / (best - worst), 3), 5.0, {"rating_scale": [worst, best]}
    return value, best, {}


def review_item(fmt: str, review: dict, product: dict | None, markup: Markup, *, page_url: str,
                product_url: str, brand: str | None, product_id: str | None, tz: str,
                aggregate: dict | None, salt: str) -> FeedbackItem:
    """One ``Review`` object as an item; gaps (no text, no date) are left to validation.

    ``salt`` keys the id of a review that has none of its own (see ``fallback_source_id``).
    """
    text = _clean(review.get("reviewBody") or review.get("text") or review.get("description"))
    title = _clean(review.get("name") or review.get("headline"))
    created = _clean(review.get("datePublished") or review.get("dateCreated") or review.get("dateModified"))
    author = _name(review.get("author") or review.get("creator"), markup)
    rating, scale, meta = _rating(review, markup)
    own_id = review.get("@id") if isinstance(review.get("@id"), str) and not review["@id"].startswith("_:") else None
    own_id = own_id or _clean(review.get("url") or review.get("identifier"))
    if own_id:
        source_id = urljoin(product_url, own_id)
    else:
        source_id = fallback_source_id(product_url, author, created, text, salt)
    if len(source_id) > 256:
        source_id = "h:" + hashlib.sha256(source_id.encode()).hexdigest()[:32]
    meta.update({"markup": fmt, "page": page_url})
    if aggregate:
        meta["aggregate_rating"] = aggregate
    product_brand = _name(product.get("brand") or product.get("manufacturer"), markup) if product else None
    pid = product_id or (_clean(next((product.get(k) for k in ("sku", "gtin13", "gtin", "mpn", "productID")
                                      if product.get(k)), None)) if product else None)
    return FeedbackItem(
        source=source_for(product_url), source_id=source_id, text=text, created_at=created,
        scope=f"web:{product_url}", channel="review", url=product_url, brand=brand or product_brand,
        product_id=pid, product_name=_product_name(review, product, markup), author=author,
        title=title if title != text else None, rating=rating, rating_scale=scale, tz=tz, meta=meta,
    )


def _product_name(review: dict, product: dict | None, markup: Markup) -> str | None:
    """The reviewed thing's name; comment-rating plugins give only ``itemReviewed`` as text."""
    reviewed = _first(review.get("itemReviewed"))
    if isinstance(reviewed, str) and reviewed.strip():
        return _clean(reviewed)
    return _name(product.get("name"), markup) if product else None


def fallback_source_id(product_url: str, author: str | None, created: str | None, text: str | None,
                       salt: str) -> str:
    """``h:<keyed hash>`` of a review the page gives no id: stable per installation, unconfirmable outside it.

    The same review on the same product gets the same id on every crawl with
    the same salt, so re-crawls update it. The hash is ``hash_author``'s HMAC
    with the installation's person-id salt, because its input names the
    author: a plain hash of public fields would let anyone confirm who wrote
    a stored review.
    """
    key = json.dumps([product_url, author or "", created or "", text or ""], ensure_ascii=False)
    return "h:" + hash_author(source_for(product_url), key, salt).removeprefix("a_")


def next_page(sel: Selector, url: str, next_selector: str | None) -> str | None:
    """The next page: ``next_selector`` (CSS; an element's ``href`` or the selected text) when given, else ``rel=next``."""
    if next_selector:
        hit = sel.css(next_selector)
        if hit:
            first = hit[0]
            href = first.root.get("href") if hasattr(first.root, "get") else first.get()
            if href and href.strip():
                return urljoin(url, href.strip())
    href = sel.xpath("//link[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href"
                     " | //a[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href").get()
    return urljoin(url, href.strip()) if href and href.strip() else None


def parse_review_page(body: bytes, url: str, *, content_type: str | None = None, product_url: str | None = None,
                      brand: str | None = None, product_id: str | None = None, tz: str = "UTC",
                      next_selector: str | None = None, salt: str) -> ReviewPage:
    """Reviews of one page (JSON-LD and microdata merged) and the next page's URL.

    ``salt`` (the installation's ``author_salt``) keys the ids of reviews
    without one of their own (``fallback_source_id``).

    The body is decoded as a browser would (BOM, then the HTTP charset, then
    ``<meta charset>``), so a GBK page that declares itself only in a meta
    tag reads right. A review present in both markups is kept once.

    Raises:
        PageError: ``malformed-jsonld`` when no review was found and a
            JSON-LD block is not JSON (a truncated page is worth one retry).
    """
    encoding, text = html_to_unicode(content_type, body)
    markup = read_markup(text, url)
    product_url = product_url or url
    aggregate = find_aggregate(markup)
    items: dict[str, FeedbackItem] = {}
    for fmt, review, product in find_reviews(markup):
        item = review_item(fmt, review, product, markup, page_url=url, product_url=product_url, brand=brand,
                           product_id=product_id, tz=tz, aggregate=aggregate, salt=salt)
        items.setdefault(item.source_id, item)
    problems = ["malformed-jsonld"] * len(markup.malformed)
    if not items and markup.malformed:
        raise PageError("malformed-jsonld", "; ".join(markup.malformed))
    return ReviewPage(items=list(items.values()), next_url=next_page(Selector(text=text), url, next_selector),
                      encoding=encoding, aggregate=aggregate, problems=problems)


def _http(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


class SchemaOrgArgs(SpiderArgs):
    urls: list[str] = Field(default_factory=list, description="Product or review page URLs, comma-separated.")
    url_file: Path | None = Field(default=None, description="File of page URLs, one per line (# comments and blank lines skipped).")
    brand: str | None = Field(default=None, max_length=128, description="Brand stored on every item (default: the page's Product.brand).")
    product: str | None = Field(default=None, max_length=256, description="Product id stored on every item (default: the page's sku/gtin/mpn).")
    next_selector: str | None = Field(default=None, description="CSS selector of the next-page link (default: rel=next links).")
    newest_first: bool = Field(default=True, description="Pages list reviews newest first: stop paging at known or too old reviews (false: page to the end, skipping them).")
    tz: str = Field(default="UTC", description="Time zone of review dates written without one.")

    _split = field_validator("urls", mode="before")(split_list)

    @field_validator("urls")
    @classmethod
    def _http_urls(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not _http(v)]
        if bad:
            raise ValueError(f"page URLs must be http(s); got {', '.join(bad)}")
        return value

    @model_validator(mode="after")
    def _read_url_file(self):
        if self.url_file is not None:
            try:
                lines = self.url_file.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise ValueError(f"url_file {self.url_file}: {exc.strerror or exc}") from None
            for n, line in enumerate(lines, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if not _http(line):
                    raise ValueError(f"url_file {self.url_file} line {n}: not an http(s) URL: {line!r}")
                if line not in self.urls:
                    self.urls.append(line)
        if not self.urls:
            raise ValueError("give page URLs with urls or url_file")
        return self


class SchemaOrgSpider(VoclensSpider):
    name = "schemaorg"
    description = ("Any product page with schema.org Review markup (JSON-LD, @graph, microdata): "
                   "text, rating on its scale, author, date, product; rel=next or a CSS selector for paging.")
    Args = SchemaOrgArgs
    args: SchemaOrgArgs
    contract_args = {"urls": "https://shop.example.com/v8"}

    def review_request(self, url: str, product_url: str, page: int):
        return self.page(url, self.parse_page, f"web:{product_url}",
                         cb_kwargs={"product_url": product_url, "page": page})

    async def start(self):
        for url in self.args.urls:
            yield self.review_request(url, url, 1)

    def parse_page(self, response: Response, product_url: str, page: int):
        """Reviews of one page, then the next page while reviews are new.

        @site /shop/v8/reviews.html
        @cb_kwargs {"product_url": "https://shop.example.com/v8", "page": 1}
        @returns items 10 10
        @returns requests 1 1
        @scrapes source source_id text created_at rating scope
        @fills source source_id text created_at rating author product_name
        """
        content_type = response.headers.get(b"Content-Type")
        parsed = yield from self.parsed_or_retry(
                response, parse_review_page, response.body, response.url, content_type=content_type.decode("latin-1") if content_type else None,
                product_url=product_url, brand=self.args.brand, product_id=self.args.product, tz=self.args.tz,
                next_selector=self.args.next_selector, salt=self.salt)
        if parsed is None:
            return
        stats = self.crawler.stats
        for problem in parsed.problems:
            stats.inc_value(f"voclens/page_errors/{problem}")
        if not parsed.items:
            stats.inc_value("voclens/page_errors/no-reviews")
        items, more = self.gate(f"web:{product_url}", parsed.items)
        yield from items
        if (more or not self.args.newest_first) and parsed.items and parsed.next_url and page < self.args.max_pages:
            yield self.review_request(parsed.next_url, product_url, page + 1)

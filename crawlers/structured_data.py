"""schema.org markup of an HTML page as plain dicts: JSON-LD blocks and microdata, one shape for both.

Shops, review widgets and blogs publish reviews as schema.org ``Review``
objects for search engines, in JSON-LD (``<script type="application/ld+json">``,
often a ``@graph`` or a list, reviews nested in ``Product.review``) or in
microdata (``itemscope itemtype=".../Review"`` with ``itemprop`` children).
Turning both into the same nested dicts lets one function read reviews
whatever the markup; the generic spider (``crawlers.spiders.schemaorg``)
builds on it. Pure functions, no Scrapy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from parsel import Selector

_COMMENT_RE = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>)\s*$")
#: Microdata properties whose value is an attribute rather than the element's text.
_ATTR_OF = {"meta": "content", "a": "href", "link": "href", "area": "href", "img": "src", "audio": "src",
            "video": "src", "source": "src", "iframe": "src", "object": "data", "time": "datetime",
            "data": "value", "meter": "value"}


@dataclass
class Markup:
    """The schema.org objects of one page.

    Attributes:
        nodes: ``(format, object)`` per top-level object (JSON-LD blocks,
            ``@graph`` members, microdata items without an enclosing item);
            format is ``json-ld`` or ``microdata``.
        by_id: every JSON-LD object that has an ``@id``, to resolve references
            like ``{"@id": "#product"}``.
        malformed: one message per JSON-LD block that is not JSON.
    """

    nodes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    malformed: list[str] = field(default_factory=list)


def types_of(node: Any) -> set[str]:
    """``{"Review"}`` for ``"Review"``, ``"schema:Review"``, ``"https://schema.org/Review"`` or lists of them."""
    if not isinstance(node, dict):
        return set()
    raw = node.get("@type") or node.get("type") or []
    raw = raw if isinstance(raw, list) else [raw]
    return {re.split(r"[/:#]", str(t))[-1] for t in raw if t}


def _flatten(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        for v in value:
            yield from _flatten(v)
    elif isinstance(value, dict):
        if "@graph" in value and isinstance(value["@graph"], list):
            yield from _flatten(value["@graph"])
        else:
            yield value


def _index_ids(value: Any, by_id: dict[str, dict[str, Any]]) -> None:
    if isinstance(value, list):
        for v in value:
            _index_ids(v, by_id)
    elif isinstance(value, dict):
        if isinstance(value.get("@id"), str) and len(value) > 1:  # a definition, not a bare reference
            by_id.setdefault(value["@id"], value)
        for v in value.values():
            _index_ids(v, by_id)


def json_ld(sel: Selector, markup: Markup) -> None:
    """Add the page's JSON-LD objects to ``markup``; a block that is not JSON is noted, not fatal."""
    for n, block in enumerate(sel.xpath("//script[@type='application/ld+json']/text()").getall(), 1):
        text = "\n".join(line for line in block.strip().splitlines() if not _COMMENT_RE.fullmatch(line))
        if not text.strip():
            continue
        try:
            data = json.loads(text, strict=False)  # strict=False: raw newlines inside review texts
        except ValueError as exc:
            markup.malformed.append(f"JSON-LD block {n}: {exc}")
            continue
        _index_ids(data, markup.by_id)
        markup.nodes.extend(("json-ld", node) for node in _flatten(data))


def _prop_value(el: Selector) -> Any:
    if el.root.get("itemscope") is not None:
        return microdata_item(el)
    tag = el.root.tag if isinstance(el.root.tag, str) else ""
    if el.root.get("content") is not None:
        return el.root.get("content")
    attr = _ATTR_OF.get(tag.lower())
    if attr and el.root.get(attr) is not None:
        return el.root.get(attr)
    return " ".join(t.strip() for t in el.xpath(".//text()").getall() if t.strip())


def microdata_item(scope: Selector) -> dict[str, Any]:
    """One ``itemscope`` element as a dict: ``@type`` from ``itemtype``, one key per ``itemprop``.

    Properties of nested items belong to the nested item only; a property
    given twice becomes a list (several ``review`` of one ``Product``).
    """
    item: dict[str, Any] = {}
    if scope.root.get("itemtype"):
        item["@type"] = scope.root.get("itemtype").split()
    if scope.root.get("itemid"):
        item["@id"] = scope.root.get("itemid")
    for el in scope.xpath(".//*[@itemprop]"):
        owner = el.xpath("ancestor::*[@itemscope][1]")
        if not owner or owner[0].root is not scope.root:
            continue
        value = _prop_value(el)
        for name in el.root.get("itemprop").split():
            if name in item:
                item[name] = item[name] if isinstance(item[name], list) else [item[name]]
                item[name].append(value)
            else:
                item[name] = value
    return item


def microdata(sel: Selector, markup: Markup) -> None:
    """Add the page's top-level microdata items (those not a property of another item)."""
    for scope in sel.xpath("//*[@itemscope and not(@itemprop)]"):
        markup.nodes.append(("microdata", microdata_item(scope)))


def read_markup(html: str) -> Markup:
    """JSON-LD objects first, then microdata items, of one decoded HTML page."""
    sel = Selector(text=html)
    markup = Markup()
    json_ld(sel, markup)
    microdata(sel, markup)
    return markup

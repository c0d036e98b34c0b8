"""schema.org markup of an HTML page as plain dicts: JSON-LD, microdata and RDFa, one shape for all three.

Shops, review widgets and blogs publish reviews as schema.org ``Review``
objects for search engines, in JSON-LD (``<script type="application/ld+json">``,
often a ``@graph`` or a list, reviews nested in ``Product.review``), in
microdata (``itemscope itemtype=".../Review"`` with ``itemprop`` children) or
in RDFa (``typeof="Review"`` with ``property`` children). Turning all three
into the same nested dicts lets one function read reviews whatever the
markup; the generic spider (``crawlers.spiders.schemaorg``) builds on it.
Pure functions, no Scrapy.

Reading is ``extruct``'s (Zyte's extractor, the one Scrapy projects use):
its microdata reader finds every item, including the ``itemprop="review"``
items that Bazaarvoice and comment-rating plugins print without an
enclosing ``itemscope`` (a hand-written reader looking for top-level items
missed them all), and it reads RDFa, which voclens did not read before.
Own code is kept for two things extruct does not do: JSON-LD blocks are
read one at a time, so one broken block (a truncated page, an unescaped
quote) does not lose the others, as ``extruct.extract`` does for the whole
syntax, and a block extruct cannot read is retried without the HTML
comment and CDATA lines that CMSs wrap around it; and RDFa's expanded
triples are folded back into ``{"@type": "Review", "reviewBody": ...}``
dicts with ``@id`` references, the shape the other two markups have.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import extruct
from extruct.jsonld import JsonLdExtractor
from extruct.utils import parse_html

log = logging.getLogger(__name__)

_COMMENT_RE = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>)\s*$")
_SCHEMA_IRI = re.compile(r"^https?://schema\.org/")


@dataclass
class Markup:
    """The schema.org objects of one page.

    Attributes:
        nodes: ``(format, object)`` per top-level object (JSON-LD blocks,
            ``@graph`` members, microdata items that are no other item's
            property, RDFa nodes no other node refers to); format is
            ``json-ld``, ``microdata`` or ``rdfa``.
        by_id: every object that has an ``@id``, to resolve references
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


def _json_ld_block(script: Any) -> list[Any]:
    """One ``<script type="application/ld+json">``: extruct first, then without comment and CDATA lines."""
    try:
        return JsonLdExtractor().extract_items(script)
    except ValueError:
        text = "\n".join(line for line in script.xpath("string()").strip().splitlines()
                         if not _COMMENT_RE.fullmatch(line))
        if not text.strip():
            return []
        return [json.loads(text, strict=False)]  # strict=False: raw newlines inside review texts


def json_ld(tree: Any, markup: Markup) -> None:
    """Add the page's JSON-LD objects to ``markup``; a block that is not JSON is noted, not fatal."""
    for n, script in enumerate(tree.xpath("//script[@type='application/ld+json']"), 1):
        try:
            data = _json_ld_block(script)
        except ValueError as exc:
            markup.malformed.append(f"JSON-LD block {n}: {exc}")
            continue
        _index_ids(data, markup.by_id)
        markup.nodes.extend(("json-ld", node) for node in _flatten(data))


def _local(key: str) -> str:
    return _SCHEMA_IRI.sub("", key)


def _rdfa_value(value: Any) -> Any:
    values = [v.get("@value", v) if isinstance(v, dict) and set(v) - {"@id"} else v for v in value]
    return values[0] if len(values) == 1 else values


def rdfa_nodes(triples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """extruct's expanded RDFa nodes as schema.org dicts (local names, ``{"@id"}`` references kept)."""
    nodes = []
    for node in triples:
        types = [_local(t) for t in node.get("@type", []) if _SCHEMA_IRI.match(t)]
        if not types:
            continue
        out: dict[str, Any] = {"@id": node["@id"], "@type": types}
        for key, value in node.items():
            if _SCHEMA_IRI.match(key) and isinstance(value, list):
                out[_local(key)] = _rdfa_value(value)
        nodes.append(out)
    return nodes


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, list):
        for v in value:
            yield from _references(v)
    elif isinstance(value, dict):
        if set(value) == {"@id"}:
            yield value["@id"]
        for k, v in value.items():
            if k != "@id":
                yield from _references(v)


def read_markup(html: str, base_url: str | None = None) -> Markup:
    """JSON-LD objects first, then microdata items, then RDFa nodes, of one decoded HTML page."""
    markup = Markup()
    tree = parse_html(html.encode("utf-8"), encoding="utf-8")
    json_ld(tree, markup)
    data = extruct.extract(html, base_url=base_url, syntaxes=["microdata", "rdfa"], uniform=True, errors="log")
    for item in data.get("microdata", []):
        _index_ids(item, markup.by_id)
        markup.nodes.append(("microdata", item))
    rdfa = rdfa_nodes(data.get("rdfa", []))
    for node in rdfa:
        markup.by_id.setdefault(node["@id"], node)
    referenced = {ref for node in rdfa for ref in _references({k: v for k, v in node.items() if k != "@id"})}
    markup.nodes.extend(("rdfa", node) for node in rdfa if node["@id"] not in referenced)
    return markup

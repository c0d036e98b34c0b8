"""The user query language, parsed once and translated by every backend.

Syntax (whitespace separates items; different items combine with AND)::

    物流 refund              terms: every term must match (implicit AND)
    "物流太慢"                exact phrase: the words in this order, adjacent
    -客服  -"不退款"          exclusion of a term or a phrase
    物流 OR 快递 OR "slow delivery"
                             alternatives; OR (uppercase) binds tighter than
                             the implicit AND: ``a b OR c`` is ``a AND (b OR c)``
    brand:Acme  brand:"Acme Inc"  product:SKU1  source:jd  channel:review
    lang:zh  sentiment:negative  topic:logistics  topic:logistics:negative
    rating:>=4  rating:<=2  rating:3
    since:2026-01-01  until:2026-02-01T12:00   (UTC; ``until`` is exclusive)
    similar:ID  similar:ID:500
                             the 100 (or the number given, up to 1000) documents
                             nearest document ID by the cosine of their stored
                             vectors, among those the rest of the query matches

Decisions, so every backend behaves alike:

* Field filters become a :class:`~index.base.Filters` (merge it with the
  request's filters via ``Filters.merged``). Repeating a field means "any of"
  (``brand:a brand:b``), as everywhere in ``Filters``.
* An unknown field name is an error, not zero hits: ``brnad:Voltra`` or
  ``color:red`` raise :class:`~index.errors.InvalidQuery` naming the field and
  the known ones (a typo must not look like "no complaints"). Quoting searches
  the text: ``"color:red"``. Things that only look like fields stay words:
  ``12:30`` (no letters before the colon), ``https://x.cn/a`` (a URL).
* Text never reaches a search engine as syntax. Every term and phrase is
  tokenised by the shared analyser (``Analyser.query_tokens``) and the
  backend quotes each token; FTS operators (``NEAR``, ``*``, ``^``, ``(``),
  SQL fragments and stray punctuation are therefore just words or nothing.
* A term that yields no token (``***``, ``--``) is dropped; a query
  left with no text matches every document the filters allow.
* Lenient where intent is clear: an unbalanced quote runs to the end of the
  query; a lone ``-`` and an ``OR`` with nothing to join are ignored; Chinese
  curly quotes and full-width ``：`` / ``－`` work like their ASCII forms.
* ``similar:ID`` is a set of documents, like a filter: it combines with text
  and filters (``similar:ID sentiment:negative`` is the nearest negative
  ones), never includes ID itself, and only compares vectors made by the
  same encoder as ID's. A search with it sorted by relevance ranks by that
  cosine (``Hit.score``). One per query; each backend resolves it into
  ``ParsedQuery.neighbours`` (exactly on SQLite, by kNN on Elasticsearch).
* :class:`~index.errors.InvalidQuery` (``field="q"``) only for what cannot be
  understood: an unknown field, a bad date, a bad rating, an unknown channel /
  language / sentiment / topic / polarity, a field without a value, or an
  excluded field filter (``-brand:x``; filters cannot be negated).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pydantic import ValidationError

from nlp.analyser import Analyser, fold, get_analyser, normalize
from nlp.labels import DEFAULT_TOPICS, Polarity

from .base import Filters
from .document import Channel
from .errors import InvalidQuery
from .vectors import SIMILAR_DEFAULT, SIMILAR_MAX

#: Field names the language understands; ``product`` maps to ``Filters.product_id``.
FIELDS = ("brand", "product", "source", "channel", "lang", "sentiment", "topic", "rating", "since", "until", "similar")

_QUOTES = str.maketrans({c: '"' for c in "“”„‟«»「」『』＂"})
_FIELD_RE = re.compile(r"([A-Za-z_]+):(.*)", re.S)
_RATING_RE = re.compile(r"(>=|<=|=)?(\d+(?:\.\d+)?)")
#: Schemes whose ``scheme:rest`` is a link or an address someone pasted, not a field filter.
_SCHEMES = frozenset({"http", "https", "ftp", "mailto", "tel", "file", "weixin", "data"})
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD_RE = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_SIMILAR_RE = re.compile(r"([0-9a-fA-F]{1,64})(?::(\d{1,7}))?")


@dataclass(frozen=True)
class Term:
    """A word or a phrase as typed, with the analyser's query tokens."""

    text: str
    tokens: tuple[str, ...]
    phrase: bool = False


@dataclass(frozen=True)
class Clause:
    """Alternatives joined by OR (usually just one); ``negated`` excludes them all."""

    terms: tuple[Term, ...]
    negated: bool = False


@dataclass(frozen=True)
class SimilarTo:
    """``similar:ID[:K]``: the ``k`` documents nearest document ``doc_id``."""

    doc_id: str
    k: int = SIMILAR_DEFAULT


@dataclass(frozen=True)
class ParsedQuery:
    """What a query string means: text clauses (ANDed), field filters and an optional ``similar:``.

    ``neighbours`` is None until a backend resolves ``similar`` into the
    ``(id, cosine)`` pairs it stands for, best first; the translators then
    restrict matches to those ids (and rank by the cosine).
    """

    clauses: tuple[Clause, ...] = ()
    filters: Filters = field(default_factory=Filters)
    similar: SimilarTo | None = None
    neighbours: tuple[tuple[str, float], ...] | None = None

    @property
    def required(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if not c.negated)

    @property
    def excluded(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if c.negated)

    @property
    def has_text(self) -> bool:
        return bool(self.clauses)

    def highlight_tokens(self) -> frozenset[str]:
        """Tokens worth marking in a hit: those of required clauses."""
        return frozenset(t for c in self.required for term in c.terms for t in term.tokens)


# -- lexing ----------------------------------------------------------------------
@dataclass(frozen=True)
class _Item:
    kind: str  # "word" | "phrase" | "field" | "or"
    text: str = ""
    name: str = ""
    negated: bool = False


def _lex(q: str) -> list[_Item]:
    # NFKC only: the analyser folds traditional Chinese in text terms, while a field
    # value (brand:臺灣牌) must stay as typed to match the stored one.
    s = unicodedata.normalize("NFKC", q).translate(_QUOTES)
    items: list[_Item] = []
    i, n = 0, len(s)
    while i < n:
        if s[i].isspace():
            i += 1
            continue
        negated = False
        while i < n and s[i] == "-":
            negated, i = True, i + 1
        if i >= n or s[i].isspace():
            continue  # a lone "-"
        if s[i] == '"':
            end = s.find('"', i + 1)
            end = n if end < 0 else end
            items.append(_Item("phrase", s[i + 1 : end], negated=negated))
            i = end + 1
            continue
        j = i
        while j < n and not s[j].isspace() and s[j] != '"':
            j += 1
        word = s[i:j]
        m = _FIELD_RE.fullmatch(word)
        if m and m.group(1).lower() in FIELDS:
            value = m.group(2)
            if not value and j < n and s[j] == '"':
                end = s.find('"', j + 1)
                end = n if end < 0 else end
                value, j = s[j + 1 : end], end + 1
            items.append(_Item("field", value.strip(), name=m.group(1).lower(), negated=negated))
        elif m and m.group(2) and not m.group(2).startswith("/") and m.group(1).lower() not in _SCHEMES:
            raise InvalidQuery(unknown_field_message(m.group(1), word), field="q")
        elif word == "OR" and not negated:
            items.append(_Item("or"))
        else:
            items.append(_Item("word", word, negated=negated))
        i = j
    return items


# -- fields ----------------------------------------------------------------------
def unknown_field_message(name: str, word: str) -> str:
    """The one message for an unknown ``name:value`` (the CLI and the API both show it)."""
    return (f"unknown field {name!r} in {word!r}; the fields are {', '.join(FIELDS)} "
            f"(to search for the text itself, put it in quotes: \"{word}\")")


def _parse_when(name: str, value: str) -> datetime:
    try:
        if len(value) == 10:
            d = date.fromisoformat(value)
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidQuery(f"{name}: expects a date like 2026-01-31 or 2026-01-31T08:00, got {value!r}", field="q") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _choice(name: str, value: str, allowed: Iterable[str]) -> str:
    allowed = tuple(allowed)
    value = value.lower()
    if value not in allowed:
        raise InvalidQuery(f"{name}: expects one of {', '.join(allowed)}, got {value!r}", field="q")
    return value


def _similar(value: str) -> SimilarTo:
    m = _SIMILAR_RE.fullmatch(value)
    k = int(m.group(2)) if m and m.group(2) else SIMILAR_DEFAULT
    if not m or not 1 <= k <= SIMILAR_MAX:
        raise InvalidQuery(f"similar: expects a document id, optionally with how many neighbours "
                           f"(similar:ID or similar:ID:{SIMILAR_DEFAULT}, at most {SIMILAR_MAX}), got {value!r}", field="q")
    return SimilarTo(m.group(1).lower(), k)


def check_topic(topic: str, known: Container[str] | None, field: str = "q") -> str:
    """``topic`` when it is a default topic or among ``known`` (own topics too), else ``InvalidQuery`` listing them."""
    if topic in (DEFAULT_TOPICS if known is None else known):
        return topic
    own = sorted(set(known) - set(DEFAULT_TOPICS)) if isinstance(known, Iterable) else []
    listed = ", ".join([*DEFAULT_TOPICS, *own])
    raise InvalidQuery(f"topic: expects one of {listed}, got {topic!r} (own topics: voclens topics list)", field=field)


def _apply_field(data: dict, name: str, value: str, topics: Container[str] | None = None) -> None:
    if not value:
        raise InvalidQuery(f"{name}: needs a value, for example {name}:x", field="q")
    if name in ("brand", "source"):
        data[name].append(value)
    elif name == "product":
        data["product_id"].append(value)
    elif name == "channel":
        data["channel"].append(_choice(name, value, (c.value for c in Channel)))
    elif name == "lang":
        data["lang"].append(_choice(name, value, ("zh", "en", "other")))
    elif name == "sentiment":
        data["sentiment"].append(_choice(name, value, (p.value for p in Polarity)))
    elif name == "topic":
        topic, _, polarity = value.lower().partition(":")
        check_topic(topic, topics)
        entry = {"topic": topic, "polarity": _choice("topic polarity", polarity, (p.value for p in Polarity)) if polarity else None}
        if entry not in data["topics"]:
            data["topics"].append(entry)
    elif name == "rating":
        m = _RATING_RE.fullmatch(value.replace(" ", ""))
        if not m or float(m.group(2)) > 5:
            raise InvalidQuery(f"rating: expects rating:>=4, rating:<=2 or rating:3 (0-5), got {value!r}", field="q")
        op, number = m.group(1) or "=", float(m.group(2))
        if op in (">=", "="):
            data["rating_min"] = number if data["rating_min"] is None else max(data["rating_min"], number)
        if op in ("<=", "="):
            data["rating_max"] = number if data["rating_max"] is None else min(data["rating_max"], number)
    elif name == "since":
        when = _parse_when(name, value)
        data["since"] = when if data["since"] is None else max(data["since"], when)
    elif name == "until":
        when = _parse_when(name, value)
        data["until"] = when if data["until"] is None else min(data["until"], when)


# -- parsing ---------------------------------------------------------------------
def parse_query(q: str, analyser: Analyser | None = None, topics: Container[str] | None = None) -> ParsedQuery:
    """Parse a query string; see the module docstring for the syntax.

    Args:
        q: the user's query string (may be empty).
        analyser: tokenises terms; defaults to the shared ``get_analyser()``.
        topics: the topic keys ``topic:`` may name (a backend's ``known_topics``:
            default and own topics); the default topics when None.

    Returns:
        The text clauses (each term carrying its tokens) and the field filters.

    Raises:
        InvalidQuery: (``field="q"``) for an invalid field filter value.

    Example:
        >>> p = parse_query('物流 OR 快递 -客服 brand:Acme rating:<=2')
        >>> [[t.text for t in c.terms] for c in p.clauses], p.filters.brand
        ([['物流', '快递'], ['客服']], ['Acme'])
    """
    analyser = analyser or get_analyser()
    data = Filters().model_dump()
    clauses: list[list] = []  # [terms, negated]
    similar: SimilarTo | None = None
    join_next = False
    for item in _lex(q or ""):
        if item.kind == "or":
            join_next = bool(clauses) and not clauses[-1][1]
            continue
        if item.kind == "field":
            if item.negated:
                raise InvalidQuery(f"-{item.name}: filters cannot be excluded; filter on the values you want instead", field="q")
            if item.name == "similar":
                if similar is not None:
                    raise InvalidQuery("similar: only one per query", field="q")
                similar = _similar(item.text)
            else:
                _apply_field(data, item.name, item.text, topics)
            join_next = False
            continue
        tokens = tuple(analyser.query_tokens(item.text))
        if not tokens:
            continue  # punctuation only: nothing to search for (a pending OR still applies)
        term = Term(item.text, tokens, phrase=item.kind == "phrase" and len(tokens) > 1)
        if join_next and not item.negated and clauses and not clauses[-1][1]:
            clauses[-1][0].append(term)
        else:
            clauses.append([[term], item.negated])
        join_next = False
    try:
        filters = Filters.model_validate(data)
    except ValidationError as exc:
        raise InvalidQuery(f"invalid filter in query: {exc.errors()[0]['msg']}", field="q") from None
    return ParsedQuery(tuple(Clause(tuple(dict.fromkeys(ts)), neg) for ts, neg in clauses), filters, similar)


def combine_filters(parsed: ParsedQuery, filters: Filters | None) -> Filters:
    """The request's filters merged with those parsed from the query string.

    Raises:
        InvalidQuery: when the combination is empty by construction (for
            example ``since`` after ``until``).
    """
    if filters is None:
        return parsed.filters
    try:
        return filters.merged(parsed.filters)
    except ValidationError as exc:
        raise InvalidQuery(f"conflicting filters: {exc.errors()[0]['msg']}", field="q") from None


# -- highlighting ----------------------------------------------------------------
def highlight(text: str, tokens: frozenset[str], analyser: Analyser | None = None, max_chars: int = 240) -> str | None:
    """A snippet of raw ``text`` with the words matching ``tokens`` in ``<mark>``.

    Computed on the raw text (not the indexed tokens) so the user sees what
    they wrote, HTML-escaped. Chinese tokens are found as substrings of the
    text folded to simplified (same length, so the offsets are the raw
    text's): a query for 质量 marks 質量. Other words are matched through the
    analyser, so ``refund`` marks "Refunded".

    Returns:
        The snippet, or None when nothing in ``text`` matches.
    """
    if not text or not tokens:
        return None
    analyser = analyser or get_analyser()
    spans: list[tuple[int, int]] = []
    folded = fold(text)
    for tok in tokens:
        if _CJK_RE.search(tok):
            start = folded.find(tok)
            while start >= 0:
                spans.append((start, start + len(tok)))
                start = folded.find(tok, start + len(tok))
    prefixes = {t[:2] for t in tokens if not _CJK_RE.search(t)}
    if prefixes:
        for m in _WORD_RE.finditer(text):
            word = m.group(0)
            if _CJK_RE.search(word) or normalize(word[:2]).lower() not in prefixes:
                continue
            if tokens.intersection(analyser.query_tokens(word)):
                spans.append(m.span())
    if not spans:
        return None
    spans.sort()
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    lo, hi = 0, len(text)
    if len(text) > max_chars:
        lo = max(0, merged[0][0] - max_chars // 5)
        hi = min(len(text), lo + max_chars)
    out, pos = ["…" if lo else ""], lo
    for s, e in merged:
        if s >= hi:
            break
        s = max(s, lo)
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:min(e, hi)])}</mark>")
        pos = min(e, hi)
    out.append(html.escape(text[pos:hi]))
    out.append("…" if hi < len(text) else "")
    return "".join(out)


__all__ = ["FIELDS", "Clause", "ParsedQuery", "SimilarTo", "Term", "check_topic", "combine_filters", "highlight", "parse_query"]

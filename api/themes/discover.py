"""Themes of a window: fetch its documents' vectors and words through the ``Backend``, cluster them with ``nlp.themes``.

The documents of the current window and of the window of equal length
before it are clustered together, so each theme has a size in both and its
growth says whether it is new or rising; a theme is reported only for what it
holds in the current window. Nothing here knows which backend answers.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections import Counter
from datetime import datetime

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from index.base import Backend, Filters
from nlp.analyser import Analyser, detect_lang
from nlp.themes import (ThemeOptions, class_terms, cluster, join_languages, reassign, theme_features, theme_tokens,
                        typical)

from ..bounds import InvalidParameter
from ..windows import emerging_windows

log = logging.getLogger("voclens.themes")

#: Most documents (both windows together) one request clusters: about 30 s on two cores and 1 GB of memory.
MAX_DOCUMENTS = 200_000
#: Characters of an example document's text shown with a theme.
EXAMPLE_CHARS = 280
#: Terms shown per theme.
TERMS = 8
#: Documents whose texts one ``Backend.texts`` call reads (SQLite's 2 s query limit: 100,000 at once passed it on a busy machine).
TEXTS_PER_READ = 5000


class ThemeExample(BaseModel):
    id: str
    text: str = Field(description=f"The document's title and text, cut at {EXAMPLE_CHARS} characters.")


class Theme(BaseModel):
    id: str = Field(description="Stable for the same member documents: asking again for the same window and filters gives the same id.")
    terms: list[str] = Field(description="The words that set the theme apart (c-TF-IDF), best first.")
    size: int = Field(description="Documents of the current window in the theme.")
    previous: int = Field(description="Documents of the previous window (as long, right before) in the theme.")
    growth: float | None = Field(description="(size - previous) / previous: 1.0 is twice as many; null when the previous window had none (a new theme).")
    examples: list[ThemeExample] = Field(description="The current window's documents most typical of the theme, most typical first.")
    #: The current window's documents in the theme, most typical first (kept by ``ThemeStore``, not answered).
    members: list[str] = Field(default_factory=list, exclude=True)


class Span(BaseModel):
    since: datetime
    until: datetime


class ThemesResult(BaseModel):
    current: Span
    previous: Span
    documents: int = Field(description="Documents with a vector in the current window that were clustered.")
    previous_documents: int = Field(description="The same in the previous window.")
    model: str | None = Field(description="The encoder whose vectors were used (documents with vectors of another are left out).")
    min_size: int = Field(description="The fewest current-window documents a theme has.")
    themes: list[Theme]


def theme_windows(window: str = "7d", until: datetime | None = None) -> tuple[datetime, datetime, datetime, datetime]:
    """``(current_since, current_until, previous_since, previous_until)``: two windows of ``window`` ending at ``until``.

    Raises:
        InvalidParameter: ``window`` is not a duration like 12h, 7d or 2w.
    """
    try:
        return emerging_windows(window, window, until)
    except ValueError as exc:
        raise InvalidParameter("window", str(exc)) from None


def theme_id(members: list[str]) -> str:
    """16 hex digits of SHA-256 over the sorted member ids: the same documents, the same theme."""
    return hashlib.sha256("\n".join(sorted(members)).encode()).hexdigest()[:16]


def _scan(backend: Backend, q: str, filters: Filters, since: datetime, until: datetime, periods: int,
          budget: int) -> tuple[list[str], list[str], list[np.ndarray], list[int]]:  # fmt: skip
    """Ids, encoder names, unit vectors and time slice (0 to ``periods - 1``) of the documents matching in [since, until).

    The window is read slice by slice: the slice a document falls in is all
    the burst score needs of its date, and every backend can answer it.
    """
    ids: list[str] = []
    models: list[str] = []
    units: list[np.ndarray] = []
    slices: list[int] = []
    step = (until - since) / periods
    for k in range(periods):
        start, end = since + k * step, (since + (k + 1) * step if k < periods - 1 else until)
        if start >= end:
            continue
        try:
            window = filters.merged(Filters(since=start, until=end))
        except ValidationError:  # the request's own since/until leave no time in this slice
            continue
        for batch in backend.iter_vectors(q, window, batch_size=5000):
            ids += batch.ids
            models += batch.models
            units.append(batch.unit())
            slices += [k] * len(batch)
            if len(ids) > budget:
                raise InvalidParameter("window", f"window: more than {MAX_DOCUMENTS:,} documents with a vector in the window "
                                                 "and the one before it; narrow it with a shorter window, a query or filters")
    return ids, models, units, slices


def discover_themes(
    backend: Backend, analyser: Analyser, *, q: str = "", filters: Filters | None = None, window: str = "7d",
    until: datetime | None = None, limit: int = 10, examples: int = 3, min_size: int | None = None,
    options: ThemeOptions = ThemeOptions(),
) -> ThemesResult:
    """The ``limit`` largest themes of the current window among documents matching ``q`` and ``filters``.

    Args:
        window: length of the current window, ending at ``until`` (default now); the previous window is as long.
        min_size: fewest current-window documents a theme needs; None: 3, or 0.5% of the window's documents.

    Raises:
        InvalidParameter: a bad ``window``, or too many documents (``MAX_DOCUMENTS``).
        InvalidQuery: a bad ``q``.
    """
    started = time.perf_counter()
    cs, cu, ps, pu = theme_windows(window, until)
    filters = filters or Filters()
    p = options.periods
    cur_ids, cur_models, cur_units, cur_slices = _scan(backend, q, filters, cs, cu, p, MAX_DOCUMENTS)
    prev_ids, prev_models, prev_units, prev_slices = _scan(backend, q, filters, ps, pu, p, MAX_DOCUMENTS - len(cur_ids))
    model = Counter(cur_models).most_common(1)[0][0] if cur_models else None
    span = {"current": Span(since=cs, until=cu), "previous": Span(since=ps, until=pu), "model": model}
    keep_cur = [m == model for m in cur_models]
    keep_prev = [m == model for m in prev_models]
    cur_ids = [i for i, k in zip(cur_ids, keep_cur, strict=True) if k]
    prev_ids = [i for i, k in zip(prev_ids, keep_prev, strict=True) if k]
    floor = min_size or max(3, math.ceil(0.005 * len(cur_ids)))
    if not cur_ids:
        return ThemesResult(**span, documents=0, previous_documents=len(prev_ids), min_size=floor, themes=[])
    kept = np.array(keep_cur + keep_prev)
    units = np.vstack(cur_units + prev_units)[kept]
    periods = np.array([p + k for k in cur_slices] + prev_slices, dtype=np.int64)[kept]  # the previous window's first
    ids = cur_ids + prev_ids
    stored: dict[str, str] = {}
    for start in range(0, len(ids), TEXTS_PER_READ):  # each read short: a backend may bound how long one query runs
        stored.update(backend.texts(ids[start:start + TEXTS_PER_READ]))
    texts = [stored.get(i, "") for i in ids]
    fetched = time.perf_counter()
    tokens = theme_tokens(analyser, texts)
    features = theme_features(units, tokens.lists, options, periods)
    labels = cluster(features, options)
    n = len(cur_ids)
    if options.join_languages is not None:
        size = np.bincount(labels[:n], minlength=labels.max() + 1)
        labels = join_languages(labels, units, [detect_lang(t) for t in texts], np.flatnonzero(size >= floor),
                                options.join_languages)  # fmt: skip
    if options.reassign is not None:
        size = np.bincount(labels[:n], minlength=labels.max() + 1)
        labels = reassign(labels, features, np.flatnonzero(size >= floor), options.reassign)
    clustered = time.perf_counter()
    size = np.bincount(labels[:n], minlength=labels.max() + 1)
    before = np.bincount(labels[n:], minlength=labels.max() + 1)
    chosen = sorted((c for c in range(len(size)) if size[c] >= floor), key=lambda c: (-size[c], c))[:limit]
    terms = class_terms(tokens, labels, chosen, k=TERMS)
    themes = []
    for c in chosen:
        ranked = typical(features, np.flatnonzero(labels[:n] == c), int(size[c]))  # most typical first
        prev = int(before[c])
        themes.append(Theme(
            id=theme_id([cur_ids[r] for r in ranked]), terms=[t for t, _ in terms[c]], size=int(size[c]), previous=prev,
            growth=round((int(size[c]) - prev) / prev, 3) if prev else None,
            examples=[ThemeExample(id=ids[r], text=texts[r][:EXAMPLE_CHARS]) for r in ranked[:examples]],
            members=[cur_ids[r] for r in ranked],
        ))
    log.info("themes", extra={"documents": len(ids), "themes": len(themes), "fetch_s": round(fetched - started, 2),
                              "cluster_s": round(clustered - fetched, 2), "total_s": round(time.perf_counter() - started, 2)})
    return ThemesResult(**span, documents=n, previous_documents=len(prev_ids), min_size=floor, themes=themes)


__all__ = ["EXAMPLE_CHARS", "MAX_DOCUMENTS", "Span", "Theme", "ThemeExample", "ThemesResult", "discover_themes",
           "theme_id", "theme_windows"]

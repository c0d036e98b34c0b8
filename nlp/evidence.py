"""Where in a text a topic shows: the clause that weighs most for it in the model.

The topic head reads the mean of the token states, so each token adds an exact, signed share
to a topic's "present with this polarity" logit over "absent" (``VoclensNet.token_evidence``).
Summing those shares per clause and taking the largest gives the part of the text that made
the model say the topic, as character offsets: what ``voclens get`` and the API show as
evidence, and what a reader checks a label against. Pure functions, no model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

#: Clause ends: Chinese and English sentence and clause punctuation, and line breaks. A full
#: stop or comma between two digits ("2.5", "1,299") does not end a clause.
CLAUSE_END = re.compile(r"[，。！？；：、…~～!?;\n\r]+|(?<!\d)[.,](?!\d)|[.,](?=\s)")


def clauses(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause of ``text``, whitespace trimmed, empty ones dropped."""
    spans, start = [], 0
    for m in CLAUSE_END.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
    return out


def evidence_span(text: str, token_starts: Sequence[int], scores: np.ndarray) -> tuple[int, int] | None:
    """The clause whose tokens add most to a topic's score.

    Args:
        text: the classified text.
        token_starts: per token, its first character in ``text`` (-1 for tokens outside it).
        scores: per token, its share of the topic's logit (same length as ``token_starts``).

    Returns:
        (start, end) character offsets, or None when no token of the text was scored.
    """
    spans = clauses(text)
    if not spans:
        return None
    ends = np.array([b for _, b in spans])
    totals = np.zeros(len(spans))
    seen = False
    for start, score in zip(token_starts, scores):
        if start < 0:
            continue
        k = int(np.searchsorted(ends, start, side="right"))
        if k < len(spans) and start >= spans[k][0] - 1:
            totals[k] += float(score)
            seen = True
    if not seen:
        return None
    return spans[int(np.argmax(totals))]


__all__ = ["CLAUSE_END", "clauses", "evidence_span"]

"""The words that set a topic's examples apart, mined from the examples alone.

The encoder's pooled vector of a whole text says what the text is broadly about; a review about
many things dilutes the one clause that names the topic ("love the colour, but it runs small").
The words still hold it: a text about a topic usually names it in a few words (尺码, 偏小, "runs
small"). So an own topic's head also reads a small bag of **terms**, mined per topic from its
examples against the background, with no cue words needed:

* a text's terms are the shared analyser's tokens (precise jieba words for Chinese, stemmed
  English; ``nlp.analyser``), stop words and numbers left out, plus each pair of adjacent English
  tokens ("run small", "too big": a bigram says what its words alone do not);
* the terms kept are those found in at least ``min_count`` of the examples of the topic and
  relatively more often there than in the rest, ranked by scikit-learn's chi² statistic (on the
  annotation set's ``tune`` part, chi² and a smoothed log-odds z-score chose the same terms);
* the head then weighs the presence of each kept term next to the vector (``nlp.own_topics``).

Applying needs the document's words, not an encoder pass: ``voclens topics apply`` reads the
texts of each batch from the index and tokenises them (tens of thousands of texts a second).
The analyser is the default one (no user dictionary), so training and applying split words alike
whatever the index's settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

from ._stopwords import EN_STOPWORDS, ZH_STOPWORDS
from .analyser import get_analyser

_STOP = EN_STOPWORDS | ZH_STOPWORDS
_LATIN = re.compile(r"[A-Za-z]")


def term_sets(texts: Iterable[str]) -> list[frozenset[str]]:
    """The terms of each text: content tokens and adjacent English token pairs (see the module docstring)."""
    analyser = get_analyser()
    out = []
    for text in texts:
        tokens = analyser.analyse(text or "", search_mode=False, stem=True)[0]
        terms = {t for t in set(tokens).difference(_STOP) if not t.isdigit()}
        if _LATIN.search(text or ""):  # most Chinese texts have no English pair to look for
            terms.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:]) if a.isascii() and b.isascii())
        out.append(frozenset(terms))
    return out


class TermCounts:
    """Which texts hold which term, as a sparse 0/1 matrix over every term of the texts given."""

    def __init__(self, sets: Sequence[frozenset[str]]):
        from sklearn.feature_extraction.text import CountVectorizer

        self.matrix = None
        self.vocabulary: np.ndarray = np.array([], dtype=object)
        if any(sets):  # texts without a single term (numbers, stop words) leave the head to the vector
            vectorizer = CountVectorizer(analyzer=_identity, binary=True, dtype=np.float32)
            self.matrix = vectorizer.fit_transform(sets).tocsr()
            self.vocabulary = vectorizer.get_feature_names_out()

    def mine(self, rows: np.ndarray, y: np.ndarray, k: int, min_count: int) -> np.ndarray:
        """Columns of the ``k`` terms that best set apart ``y == 1`` among ``rows`` (see the module docstring)."""
        if self.matrix is None or k <= 0:
            return np.zeros(0, dtype=np.int64)
        from sklearn.feature_selection import chi2

        m = self.matrix[rows]
        pos = np.asarray(m[y == 1].sum(axis=0)).ravel()
        rest = np.asarray(m[y == 0].sum(axis=0)).ravel()
        share_pos, share_rest = pos / max(int((y == 1).sum()), 1), rest / max(int((y == 0).sum()), 1)
        keep = (pos >= min_count) & (share_pos > share_rest)
        if not keep.any():
            return np.zeros(0, dtype=np.int64)
        cols = np.flatnonzero(keep)
        scores = np.nan_to_num(chi2(m[:, cols], y)[0])
        return cols[np.argsort(-scores, kind="stable")[:k]]

    def columns(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Dense (len(rows), len(cols)) 0/1 presence of the chosen terms."""
        if self.matrix is None or not len(cols):
            return np.zeros((len(rows), 0), dtype=np.float32)
        return self.matrix[rows][:, cols].toarray()


def _identity(terms: frozenset[str]) -> frozenset[str]:
    return terms


def presence(sets: Sequence[frozenset[str]], terms: Sequence[str]) -> np.ndarray:
    """(len(sets), len(terms)) 0/1: whether each text holds each term."""
    index = {t: j for j, t in enumerate(terms)}
    out = np.zeros((len(sets), len(terms)), dtype=np.float32)
    for i, found in enumerate(sets):
        for t in found:
            j = index.get(t)
            if j is not None:
                out[i, j] = 1.0
    return out


__all__ = ["TermCounts", "presence", "term_sets"]

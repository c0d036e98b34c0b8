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
texts of each batch from the index and looks for the heads' terms in them (:class:`TermMatcher`),
which finds exactly what :func:`term_sets` would but splits only the parts of a text that can
hold one of the terms. The analyser is the default one (no user dictionary), so training and
applying split words alike whatever the index's settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import chain, islice

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


#: Runs whose tokens a matcher remembers, English words and other runs apart (each memo is cleared when full).
_RUN_MEMO = 100_000
#: Most non-ASCII terms looked for with one regular expression (see ``TermMatcher._holds_wide``).
_REGEX_TERMS = 500
#: Stands for the tokens of a run that holds none of the terms (never equal to a token).
_NONE = (None,)


class TermMatcher:
    """Which of ``terms`` each text holds: ``presence(term_sets(texts), terms)``, for less work.

    Splitting a whole text costs a Python step per word; scoring needs only the few hundred terms
    of the heads. :func:`term_sets` takes the analyser's tokens of the text's runs (a CJK run's
    jieba words, an English word's stems, any other word itself; ``Analyser.precise_runs``), so:

    * a run that is not ASCII and holds none of the non-ASCII terms as a substring cannot give
      one as a token (a jieba word is a substring of its run; another word is its run), and its
      tokens (at least one) are none of them ASCII: it stands as one placeholder, never cut by
      jieba, and still breaks English pairs as its tokens would;
    * an ASCII word's stems are memoised per word form, so an English text costs a few lookups;
    * the terms a text holds are then the terms among its tokens (stop words and numbers are
      never terms) and, where the text has Latin letters, the English pairs of adjacent tokens.

    The result is the same as the full split's (``tests/nlp/test_own_terms.py`` compares the two
    on both languages); the one function every scoring path uses (``HeadStack.scores``).
    """

    def __init__(self, terms: Sequence[str]):
        self.terms = tuple(terms)
        self._column = {t: j for j, t in enumerate(self.terms)}  # a term listed twice: its last column, as ``presence``
        self._single = frozenset(t for t in self.terms if " " not in t and t not in _STOP and not t.isdigit())
        self._pairs: dict[tuple[str, str], str] = {}
        for t in self.terms:
            a, space, b = t.partition(" ")
            if space and " " not in b and a.isascii() and b.isascii():
                self._pairs[(a, b)] = t
        self._pair_keys = frozenset(self._pairs)
        wide = sorted({t for t in self._single if not t.isascii()}, key=lambda t: (-len(t), t))
        by_length: dict[int, set[str]] = {}
        for t in wide:
            by_length.setdefault(len(t), set()).add(t)
        self._wide = tuple(sorted((n, frozenset(ts)) for n, ts in by_length.items()))
        # a few hundred terms: one regular expression finds them fastest; beyond, its time grows with them
        self._wide_re = re.compile("|".join(map(re.escape, wide))) if 0 < len(wide) <= _REGEX_TERMS else None
        self._memo: dict[str, tuple] = {}
        self._clauses: dict[str, tuple] = {}
        self._analyser = get_analyser()

    def found(self, text: str) -> set[str]:
        """The terms ``text`` holds: ``term_sets([text])[0] & set(terms)``."""
        return {self.terms[j] for j in self._columns(text)}

    def _holds_wide(self, run: str) -> bool:
        """Whether one of the non-ASCII terms is a substring of ``run``.

        A regular expression of the terms for a few hundred; for more, set lookups of the run's
        n-grams of each term length (as fast for thousands of terms as for a hundred).
        """
        if self._wide_re is not None:
            return self._wide_re.search(run) is not None
        for n, terms in self._wide:
            if n > len(run):
                return False
            grams = run if n == 1 else map("".join, zip(*(run[k:] for k in range(n))))
            if not terms.isdisjoint(grams):
                return True
        return False

    def presence(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), len(terms)) 0/1: whether each text holds each term."""
        rows: list[int] = []
        cols: list[int] = []
        for i, text in enumerate(texts):
            found = self._columns(text)
            rows += [i] * len(found)
            cols += found
        out = np.zeros((len(texts), len(self.terms)), dtype=np.float32)
        out[rows, cols] = 1.0
        return out

    def _columns(self, text: str) -> list[int]:
        """Columns of the terms ``text`` holds."""
        runs = self._analyser.precise_runs(text or "")
        tokens = list(chain.from_iterable(map(self._run_tokens, runs)))  # each run through its own memo
        found = [self._column[t] for t in self._single.intersection(tokens)]
        if self._pair_keys and _LATIN.search(text or ""):
            found += [self._column[self._pairs[p]] for p in self._pair_keys.intersection(zip(tokens, islice(tokens, 1, None)))]
        return found

    def _run_tokens(self, run: str) -> tuple:
        """The run's tokens, or the placeholder where they cannot hold a term (see the class docstring).

        Memoised: English word forms in one memo, other runs (mostly Chinese clauses, which
        repeat less but still often: 物流很快, 好评) in another, so that clauses seen once do
        not push the words out when it fills.
        """
        ascii_run = run.isascii()
        memo = self._memo if ascii_run else self._clauses
        tokens = memo.get(run)
        if tokens is None:
            if ascii_run or self._holds_wide(run):
                tokens = tuple(self._analyser.run_tokens(run))
            else:
                tokens = _NONE
            if len(memo) >= _RUN_MEMO:
                memo.clear()
            memo[run] = tokens
        return tokens


@lru_cache(maxsize=4)
def matcher(terms: tuple[str, ...]) -> TermMatcher:
    """A matcher per set of terms, kept while its heads are in use (its memo then serves every batch)."""
    return TermMatcher(terms)


__all__ = ["TermCounts", "TermMatcher", "matcher", "presence", "term_sets"]

"""Discovered themes: group documents nobody labelled by what they say, and name each group by its words.

Pure functions over arrays and token lists; fetching the documents is the
caller's (``api.themes``). Each step is a library made for it:

1. **Features** (``theme_features``): the documents' TF-IDF over the shared
   analyser's tokens (jieba words, stemmed English, stop words dropped), each
   term weighted up by how much it bursts (``burst_scores``: Dunning's
   log-likelihood ratio of its documents in the time span where they are most
   over-represented), beside their encoder vectors centred on the corpus
   mean, at a third of the weight. Up to ``micro_clusters`` documents the
   weighted TF-IDF is used whole; above, reduced by LSA (``TruncatedSVD``).
   Measured on the demo corpus (``bench/bench_themes.py``): the shipped
   encoder's vectors place documents by sentiment and broad topic more than
   by wording, so on vectors alone a planted complaint ("漏液", "leaking")
   spreads over several clusters; the words keep it together, and the burst
   weight keeps the words that arrived with it (漏液) above those it shares
   with older complaints (盒子, 包装, 客服).
2. **Clustering** (``cluster``): scikit-learn's ``AgglomerativeClustering``
   (average linkage, a cosine distance threshold, so the number of themes
   follows the data). Above ``micro_clusters`` documents ``MiniBatchKMeans``
   first groups them into that many small clusters, fitted on a sample, and
   the agglomeration merges those: 100,000 documents in seconds on two cores.
3. **Joining languages** (``join_languages``): words never link a Chinese and
   an English text, so step 2 gives a theme one group per language; the
   vectors are bilingual, and two groups of different languages whose mean
   vectors are each other's nearest become one theme.
4. **Outliers** (``reassign``): a document left in a group too small to be a
   theme joins the theme whose centre is nearest when the cosine reaches
   ``ThemeOptions.reassign``, as BERTopic's ``reduce_outliers`` does: average
   linkage keeps out a short text that shares one or two of a theme's words
   with each member but not the same ones ("爽肤水漏了" beside "漏液").
5. **Terms** (``class_terms``): class-based TF-IDF (c-TF-IDF, as BERTopic
   names topics): a term's frequency inside a theme times
   ``log(1 + average words per theme / the term's frequency overall)``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._stopwords import EN_STOPWORDS, ZH_STOPWORDS
from .analyser import Analyser

if TYPE_CHECKING:
    from scipy import sparse

# scikit-learn and SciPy are imported inside the functions that use them: they take about a second
# to import, and every ``voclens`` command and API process imports this module through the themes
# route, while only theme discovery needs them.


def _normalize(rows):
    """Rows scaled to length 1 (scikit-learn's ``normalize``; dense or sparse), imported on first use."""
    from sklearn.preprocessing import normalize

    return normalize(rows)


@dataclass(frozen=True)
class ThemeOptions:
    """How themes are formed; the defaults are the ones measured in ``bench/bench_themes.py``.

    Args:
        vector_weight: weight of the encoder vector beside the words' LSA part (both of length 1);
            0 clusters on words alone.
        word_weight: weight of the words' LSA part; 0 clusters on vectors alone (for comparison).
        join_languages: cosine of the centred mean vectors at or above which two groups written in
            different languages, each the other's nearest in the other language, become one theme
            (``join_languages``); None keeps languages apart.
        distance: average cosine distance under which two groups merge into one theme.
        burst: how much a term's burst score (the square root of ``burst_scores``) adds to its
            TF-IDF weight: ``1 + burst * sqrt(G2)``; 0 weighs terms by TF-IDF alone.
        periods: time slices per window that ``burst_scores`` looks for a burst in.
        reassign: cosine to a theme's centre at or above which a document of a group too small to be
            a theme joins that theme (``reassign``); None leaves such documents out.
        components: LSA dimensions above ``micro_clusters`` documents; None: a tenth of the
            documents, between 10 and 100.
        micro_clusters: up to this many documents, the weighted TF-IDF is clustered whole; above,
            it is reduced by LSA and k-means groups the documents first (the agglomeration
            needs memory in the square of its inputs).
        sample: documents LSA and k-means are fitted on above that many (all of them are then projected and assigned).
        seed: for LSA and k-means, so the same documents give the same themes.
    """

    vector_weight: float = 0.3
    word_weight: float = 1.0
    join_languages: float | None = 0.6
    distance: float = 0.7
    burst: float = 2.0
    periods: int = 8
    reassign: float | None = 0.2
    components: int | None = None
    micro_clusters: int = 1000
    sample: int = 10_000
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("vector_weight", "word_weight"):
            if not 0 <= getattr(self, name) <= 10:
                raise ValueError(f"{name} must lie in [0, 10], got {getattr(self, name)}")
        if not 0 < self.distance < 2:
            raise ValueError(f"distance must lie in (0, 2), got {self.distance}")
        if self.components is not None and self.components < 2:
            raise ValueError(f"components must be at least 2, got {self.components}")
        if self.join_languages is not None and not -1 <= self.join_languages <= 1:
            raise ValueError(f"join_languages must lie in [-1, 1], got {self.join_languages}")
        if self.reassign is not None and not -1 <= self.reassign <= 1:
            raise ValueError(f"reassign must lie in [-1, 1], got {self.reassign}")
        if not 0 <= self.burst <= 100:
            raise ValueError(f"burst must lie in [0, 100], got {self.burst}")
        if not 1 <= self.periods <= 64:
            raise ValueError(f"periods must lie in [1, 64], got {self.periods}")
        if self.micro_clusters < 10 or self.sample < self.micro_clusters:
            raise ValueError("micro_clusters must be at least 10 and sample at least micro_clusters")


@dataclass(frozen=True)
class Tokens:
    """Each document's content tokens, and the word to show for each token (a stem's commonest form)."""

    lists: list[list[str]]
    shown: dict[str, str]


_STOP = ZH_STOPWORDS | EN_STOPWORDS


def _content(token: str, word: str) -> bool:
    # a single Chinese character is often the word that says what went wrong (漏 leaks, 烫 hot, 碎 broken);
    # a single Latin letter is not
    if word in _STOP or token in _STOP or (len(word) < 2 and not "\u4e00" <= word <= "\u9fff"):
        return False
    return not any(c.isdigit() for c in token)


def theme_tokens(analyser: Analyser, texts: Iterable[str]) -> Tokens:
    """Content tokens of each text, from the shared analyser (precise jieba words, stemmed English).

    Stemming makes "leaking" and "leaked" one feature; ``Tokens.shown`` maps
    each stem back to the form written most often ("leak" -> "leaking").
    """
    lists: list[list[str]] = []
    forms: dict[str, Counter] = {}
    content: dict[tuple[str, str], bool] = {}  # the same few thousand words again and again: decide each once
    for text in texts:
        tokens, words = analyser.analyse(text, search_mode=False, stem=True)
        aligned = len(tokens) == len(words)  # a hyphenated word may stem to two tokens: then show the stem
        kept = []
        for i, token in enumerate(tokens):
            word = words[i] if aligned else token
            keep = content.get((token, word))
            if keep is None:
                keep = content[(token, word)] = _content(token, word)
            if keep:
                kept.append(token)
                if aligned and word != token:
                    forms.setdefault(token, Counter())[word] += 1
        if not aligned:  # rare: learn the shown forms word by word
            for word in words:
                stems = analyser.analyse(word, search_mode=False, stem=True)[0] if word.isascii() else []
                if len(stems) == 1 and stems[0] != word:
                    forms.setdefault(stems[0], Counter())[word] += 1
        lists.append(kept)
    shown = {token: counts.most_common(1)[0][0] for token, counts in forms.items()}
    return Tokens(lists, shown)


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def theme_features(unit_vectors: np.ndarray, tokens: Sequence[list[str]], options: ThemeOptions = ThemeOptions(),
                   periods: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """One row per document, length 1: its burst-weighted TF-IDF (LSA of it above ``micro_clusters`` documents)
    beside its centred vector times ``vector_weight``.

    Args:
        periods: each document's time slice (0 the earliest; ``burst_scores``); None weighs terms by TF-IDF alone.

    Centring takes away the direction every vector shares (the encoder's
    vectors are anisotropic), so the cosine compares what sets documents apart.
    """
    n = len(tokens)
    if len(unit_vectors) != n:
        raise ValueError(f"{len(unit_vectors)} vectors for {n} token lists")
    if periods is not None and len(periods) != n:
        raise ValueError(f"{len(periods)} periods for {n} token lists")
    parts = []
    if options.vector_weight > 0:
        centred = unit_vectors.astype(np.float32) - unit_vectors.mean(axis=0, dtype=np.float64).astype(np.float32)
        parts.append(options.vector_weight * _normalize(centred))
    words = _words(tokens, options, periods) if options.word_weight > 0 else None
    if words is not None:
        parts.append(options.word_weight * words)
    if not parts:
        return np.zeros((n, 1), dtype=np.float32)
    return _normalize(np.hstack(parts)).astype(np.float32)


def burst_scores(occurs: sparse.spmatrix, periods: np.ndarray) -> np.ndarray:
    """Per term (column of ``occurs``, documents by terms), how strongly its documents crowd into one span of time.

    The score is Dunning's log-likelihood ratio (G2) of the 2x2 table "has the
    term / lies in the span" for the contiguous span of periods where the
    term is most over-represented against all documents, 0 where it is
    nowhere over-represented. Against all documents, not against clock time:
    a corpus that grows (more documents this month) makes no word burst. A
    term new in the last two days (漏液: seven documents, none before) scores
    far above one spread like the documents are (包装, 盒子), and a term seen
    in one document scores little, so rare words do not pass for news.
    """
    from scipy import sparse

    occurs = sparse.csr_matrix(occurs, dtype=np.float64)
    occurs.data[:] = 1.0
    periods = np.asarray(periods, dtype=np.int64)
    count = int(periods.max()) + 1 if len(periods) else 0
    if count < 2:
        return np.zeros(occurs.shape[1])
    by_period = sparse.csr_matrix((np.ones(len(periods)), (periods, np.arange(len(periods)))), shape=(count, len(periods)))
    per = np.asarray((by_period @ occurs).todense())  # periods x terms
    docs = np.bincount(periods, minlength=count).astype(np.float64)
    total = docs.sum()
    df = per.sum(axis=0)
    cum = np.vstack([np.zeros((1, per.shape[1])), np.cumsum(per, axis=0)])
    cum_docs = np.concatenate([[0.0], np.cumsum(docs)])
    best = np.zeros(per.shape[1])
    for i in range(count):
        for j in range(i + 1, count + 1):
            inside = cum_docs[j] - cum_docs[i]
            if inside in (0, total):
                continue
            hit = cum[j] - cum[i]  # documents with the term inside the span
            expected = df * inside / total  # as many as if the term were spread like the documents
            # the four cells: with the term inside / outside, without it inside / outside
            g2 = 2 * (_xlogx(hit, expected) + _xlogx(df - hit, df - expected) + _xlogx(inside - hit, inside - expected)
                      + _xlogx(total - inside - df + hit, total - inside - df + expected))
            best = np.maximum(best, np.where(hit > expected, g2, 0.0))
    return best


def _xlogx(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """observed * log(observed / expected), 0 where nothing is observed."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(observed > 0, observed * np.log(np.maximum(observed, 1e-300) / np.maximum(expected, 1e-300)), 0.0)


def _words(tokens: Sequence[list[str]], options: ThemeOptions, periods: np.ndarray | None) -> np.ndarray | None:
    from scipy import sparse
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    n = len(tokens)
    vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=2 if n >= 1000 else 1,
                                 max_features=20_000, dtype=np.float32)
    try:
        tfidf = vectorizer.fit_transform(tokens)
    except ValueError:  # no document has a content word
        return None
    if periods is not None and options.burst > 0:
        scores = burst_scores(tfidf, periods)
        scores[np.asarray((tfidf > 0).sum(axis=0)).ravel() < 2] = 0  # one document is no burst
        tfidf = _normalize(tfidf @ sparse.diags((1 + options.burst * np.sqrt(scores)).astype(np.float32)))
    if n <= options.micro_clusters:
        # few enough to compare on every word: LSA's dimensions would set how fine the themes are, and no
        # number of them suits every window (docs/topics.md, "What it finds, measured")
        return tfidf.toarray()
    k = options.components or min(100, max(10, n // 10))
    k = min(k, tfidf.shape[1] - 1, n - 1)
    if k < 2:
        return _normalize(tfidf.toarray()) if tfidf.shape[1] else None
    svd = TruncatedSVD(n_components=k, random_state=options.seed, n_iter=4)
    if n <= options.sample:
        return _normalize(svd.fit_transform(tfidf)).astype(np.float32)
    # the directions of a large sample are the corpus's; projecting the rest costs one sparse product
    rows = np.sort(np.random.default_rng(options.seed).choice(n, options.sample, replace=False))
    svd.fit(tfidf[rows])
    return _normalize(svd.transform(tfidf)).astype(np.float32)


def cluster(features: np.ndarray, options: ThemeOptions = ThemeOptions()) -> np.ndarray:
    """A group label per row of ``theme_features`` (0, 1, ...), by average-linkage agglomeration.

    Every document gets a group; a caller keeps the groups big enough to be
    themes. Labels are numbered by the position of each group's first row,
    so the same input always numbers its groups alike.
    """
    n = len(features)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    if n <= options.micro_clusters:
        return _first_seen(_agglomerate(features, options))
    from sklearn.cluster import MiniBatchKMeans

    rng = np.random.default_rng(options.seed)
    fit_on = features if n <= options.sample else features[np.sort(rng.choice(n, options.sample, replace=False))]
    # random initial centres: k-means++ would compare every candidate with the whole sample for each of
    # the 1,000 centres (minutes on two cores), and small clusters that the agglomeration merges next
    # need no careful start
    kmeans = MiniBatchKMeans(n_clusters=options.micro_clusters, init="random", batch_size=4096, n_init=1,
                             max_iter=10, random_state=options.seed).fit(fit_on)  # fmt: skip
    micro = kmeans.predict(features)
    centres = _normalize(kmeans.cluster_centers_)
    used = np.unique(micro)
    merged = np.full(options.micro_clusters, 0, dtype=np.int64)
    merged[used] = _agglomerate(centres[used], options)
    return _first_seen(merged[micro])


def join_languages(labels: np.ndarray, unit_vectors: np.ndarray, langs: Sequence[str], eligible: Iterable[int],
                   threshold: float) -> np.ndarray:  # fmt: skip
    """``labels`` with pairs of groups in two languages merged where the vectors say they are one theme.

    Words never link a Chinese and an English document, so the words' groups
    split a theme by language ("漏液" beside "leaking"); the encoder's vectors
    are bilingual. Of the ``eligible`` groups (the caller's candidates for
    themes), two whose documents are mostly in different languages merge when
    each is the other's nearest group of another language by the cosine of
    their mean vectors (each centred on its language's mean), and that cosine reaches ``threshold``. Mutual
    nearness keeps a group from being joined to several others.
    """
    groups = sorted(set(int(g) for g in eligible))
    if len(groups) < 2:
        return labels
    langs = np.asarray(langs)
    # centred per language: what every text of a language shares (the language itself, first of all) would
    # otherwise make two groups of one language look alike and two of different languages apart
    centred = unit_vectors.astype(np.float32, copy=True)
    for lang in np.unique(langs):
        rows = langs == lang
        centred[rows] -= centred[rows].mean(axis=0)
    centred = _normalize(centred)
    lang_of = np.array([Counter(langs[labels == g].tolist()).most_common(1)[0][0] for g in groups])
    centres = _normalize(np.vstack([centred[labels == g].mean(axis=0) for g in groups]))
    sims = centres @ centres.T
    sims[lang_of[:, None] == lang_of[None, :]] = -np.inf
    nearest = np.argmax(sims, axis=1)
    joined = labels.copy()
    for i, j in enumerate(nearest):
        if i < j and nearest[j] == i and sims[i, j] >= threshold:
            joined[labels == groups[j]] = groups[i]
    return _first_seen(joined)


def reassign(labels: np.ndarray, features: np.ndarray, themes: Iterable[int], threshold: float) -> np.ndarray:
    """``labels`` with each row outside ``themes`` moved to the nearest theme when its cosine to the centre reaches ``threshold``.

    Average linkage asks a document to be near a group's members on average;
    a short text sharing one word with each member but not the same one
    (爽肤水漏了 beside the 漏液 texts) stays out alone, though no other theme is
    nearer. Its cosine to the theme's mean row says so (BERTopic's
    ``reduce_outliers`` does the same). ``features`` are ``theme_features``'s
    rows; rows already in a theme stay where they are.
    """
    themes = np.array(sorted(set(int(t) for t in themes)), dtype=np.int64)
    if len(themes) == 0:
        return labels
    outside = np.flatnonzero(~np.isin(labels, themes))
    if len(outside) == 0:
        return labels
    centres = _normalize(np.vstack([features[labels == t].mean(axis=0) for t in themes]))
    sims = features[outside] @ centres.T
    nearest = np.argmax(sims, axis=1)
    near = sims[np.arange(len(outside)), nearest] >= threshold
    moved = labels.copy()
    moved[outside[near]] = themes[nearest[near]]
    return moved


def _agglomerate(rows: np.ndarray, options: ThemeOptions) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering

    if len(rows) < 2:
        return np.zeros(len(rows), dtype=np.int64)
    # rows have length 1 (or 0 for a document with neither words nor vector): the euclidean distance is
    # sqrt(2 * cosine distance), and unlike the cosine metric it accepts a zero row
    model = AgglomerativeClustering(n_clusters=None, metric="euclidean", linkage="average",
                                    distance_threshold=math.sqrt(2 * options.distance))  # fmt: skip
    return model.fit_predict(rows).astype(np.int64)


def _first_seen(labels: np.ndarray) -> np.ndarray:
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse.ravel()]


def class_terms(tokens: Tokens, labels: np.ndarray, classes: Sequence[int], k: int = 8) -> dict[int, list[tuple[str, float]]]:
    """The ``k`` terms that set each of ``classes`` apart (c-TF-IDF), best first, with their scores.

    Every document counts for the terms' overall frequency, the ones in no
    class included, so a word common everywhere ranks low in every theme.
    """
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer

    if not classes:
        return {}
    counter = CountVectorizer(analyzer=_identity, dtype=np.float64)
    try:
        counts = counter.fit_transform(tokens.lists)
    except ValueError:  # no content word anywhere
        return {c: [] for c in classes}
    vocabulary = counter.get_feature_names_out()
    labels = np.asarray(labels)
    membership = sparse.csr_matrix((np.ones(len(labels)), (np.searchsorted(np.unique(labels), labels), np.arange(len(labels)))))
    per_class = membership @ counts  # one row per distinct label
    distinct = np.unique(labels)
    overall = np.asarray(per_class.sum(axis=0)).ravel()
    average = per_class.sum() / len(distinct)
    idf = np.log1p(average / np.maximum(overall, 1))
    out = {}
    for c in classes:
        row = per_class.getrow(int(np.searchsorted(distinct, c))).toarray().ravel()
        total = row.sum()
        if total == 0:
            out[c] = []
            continue
        scores = row / total * idf
        top = [i for i in np.lexsort((vocabulary, -scores))[:k] if row[i] > 0]
        out[c] = [(tokens.shown.get(vocabulary[i], vocabulary[i]), round(float(scores[i]), 4)) for i in top]
    return out


def typical(features: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` of ``rows`` nearest their centre (cosine), most typical first: a theme's examples."""
    if len(rows) == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64)
    members = features[rows]
    centre = members.mean(axis=0)
    scores = np.round(members @ (centre / max(float(np.linalg.norm(centre)), 1e-12)), 6)
    order = np.lexsort((rows, -scores))[:k]
    return rows[order]


__all__ = ["ThemeOptions", "Tokens", "burst_scores", "class_terms", "cluster", "join_languages", "reassign", "theme_features",
           "theme_tokens", "typical"]

"""Discovered themes: group documents nobody labelled by what they say, and name each group by its words.

Pure functions over arrays and token lists; fetching the documents is the
caller's (``api.themes``). Each step is a library made for it:

1. **Features** (``theme_features``): the documents' TF-IDF over the shared
   analyser's tokens (jieba words, stemmed English, stop words dropped),
   reduced by LSA (``TruncatedSVD``), beside their encoder vectors centred on
   the corpus mean, at a third of the weight. Measured on the demo corpus
   (``bench/bench_themes.py``): the shipped encoder's vectors place documents
   by sentiment and broad topic more than by wording, so on vectors alone a
   planted complaint ("漏液", "leaking") spreads over several clusters; the
   words keep it together.
2. **Clustering** (``cluster``): scikit-learn's ``AgglomerativeClustering``
   (average linkage, a cosine distance threshold, so the number of themes
   follows the data). Above ``micro_clusters`` documents ``MiniBatchKMeans``
   first groups them into that many small clusters, fitted on a sample, and
   the agglomeration merges those: 100,000 documents in seconds on two cores.
3. **Joining languages** (``join_languages``): words never link a Chinese and
   an English text, so step 2 gives a theme one group per language; the
   vectors are bilingual, and two groups of different languages whose mean
   vectors are each other's nearest become one theme.
4. **Terms** (``class_terms``): class-based TF-IDF (c-TF-IDF, as BERTopic
   names topics): a term's frequency inside a theme times
   ``log(1 + average words per theme / the term's frequency overall)``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.cluster import AgglomerativeClustering, MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.preprocessing import normalize

from ._stopwords import EN_STOPWORDS, ZH_STOPWORDS
from .analyser import Analyser

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
        components: LSA dimensions; None: a tenth of the documents, between 10 and 100.
        micro_clusters: above this many documents, k-means groups them first (the agglomeration
            needs memory in the square of its inputs).
        sample: documents LSA and k-means are fitted on above that many (all of them are then projected and assigned).
        seed: for LSA and k-means, so the same documents give the same themes.
    """

    vector_weight: float = 0.3
    word_weight: float = 1.0
    join_languages: float | None = 0.7
    distance: float = 0.7
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
        if self.micro_clusters < 10 or self.sample < self.micro_clusters:
            raise ValueError("micro_clusters must be at least 10 and sample at least micro_clusters")


@dataclass(frozen=True)
class Tokens:
    """Each document's content tokens, and the word to show for each token (a stem's commonest form)."""

    lists: list[list[str]]
    shown: dict[str, str]


_STOP = ZH_STOPWORDS | EN_STOPWORDS


def _content(token: str, word: str) -> bool:
    if len(word) < 2 or word in _STOP or token in _STOP:
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


def theme_features(unit_vectors: np.ndarray, tokens: Sequence[list[str]], options: ThemeOptions = ThemeOptions()) -> np.ndarray:
    """One row per document, length 1: LSA of its TF-IDF beside its centred vector times ``vector_weight``.

    Centring takes away the direction every vector shares (the encoder's
    vectors are anisotropic), so the cosine compares what sets documents apart.
    """
    n = len(tokens)
    if len(unit_vectors) != n:
        raise ValueError(f"{len(unit_vectors)} vectors for {n} token lists")
    parts = []
    if options.vector_weight > 0:
        centred = unit_vectors.astype(np.float32) - unit_vectors.mean(axis=0, dtype=np.float64).astype(np.float32)
        parts.append(options.vector_weight * normalize(centred))
    words = _lsa(tokens, options) if options.word_weight > 0 else None
    if words is not None:
        parts.append(options.word_weight * words)
    if not parts:
        return np.zeros((n, 1), dtype=np.float32)
    return normalize(np.hstack(parts)).astype(np.float32)


def _lsa(tokens: Sequence[list[str]], options: ThemeOptions) -> np.ndarray | None:
    n = len(tokens)
    vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=2 if n >= 1000 else 1,
                                 max_features=20_000, dtype=np.float32)
    try:
        tfidf = vectorizer.fit_transform(tokens)
    except ValueError:  # no document has a content word
        return None
    k = options.components or min(100, max(10, n // 10))
    k = min(k, tfidf.shape[1] - 1, n - 1)
    if k < 2:
        return normalize(tfidf.toarray()) if tfidf.shape[1] else None
    svd = TruncatedSVD(n_components=k, random_state=options.seed, n_iter=4)
    if n <= options.sample:
        return normalize(svd.fit_transform(tfidf)).astype(np.float32)
    # the directions of a large sample are the corpus's; projecting the rest costs one sparse product
    rows = np.sort(np.random.default_rng(options.seed).choice(n, options.sample, replace=False))
    svd.fit(tfidf[rows])
    return normalize(svd.transform(tfidf)).astype(np.float32)


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
    rng = np.random.default_rng(options.seed)
    fit_on = features if n <= options.sample else features[np.sort(rng.choice(n, options.sample, replace=False))]
    # random initial centres: k-means++ would compare every candidate with the whole sample for each of
    # the 1,000 centres (minutes on two cores), and small clusters that the agglomeration merges next
    # need no careful start
    kmeans = MiniBatchKMeans(n_clusters=options.micro_clusters, init="random", batch_size=4096, n_init=1,
                             max_iter=10, random_state=options.seed).fit(fit_on)  # fmt: skip
    micro = kmeans.predict(features)
    centres = normalize(kmeans.cluster_centers_)
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
    centred = normalize(centred)
    lang_of = np.array([Counter(langs[labels == g].tolist()).most_common(1)[0][0] for g in groups])
    centres = normalize(np.vstack([centred[labels == g].mean(axis=0) for g in groups]))
    sims = centres @ centres.T
    sims[lang_of[:, None] == lang_of[None, :]] = -np.inf
    nearest = np.argmax(sims, axis=1)
    joined = labels.copy()
    for i, j in enumerate(nearest):
        if i < j and nearest[j] == i and sims[i, j] >= threshold:
            joined[labels == groups[j]] = groups[i]
    return _first_seen(joined)


def _agglomerate(rows: np.ndarray, options: ThemeOptions) -> np.ndarray:
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


__all__ = ["ThemeOptions", "Tokens", "class_terms", "cluster", "join_languages", "theme_features", "theme_tokens", "typical"]

"""The one text analyser shared by indexing, querying and classification.

Both backends index the text this module produces and parse queries with the
same functions, so a query matches the same documents whichever backend is
configured. Chinese is segmented with jieba (search mode, so "共和国" is also
findable inside "中华人民共和国"); English is lower-cased and Snowball-stemmed
so "refund" finds "refunds" and "refunded". Traditional Chinese is folded to
simplified first (``normalize``), so 質量 and 质量 are one term.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import snowballstemmer

import jieba
import rjieba

from ._script import fold
from ._stopwords import EN_STOPWORDS, ZH_STOPWORDS

log = logging.getLogger(__name__)

jieba.setLogLevel(logging.WARNING)

#: How many distinct Chinese clauses each analyser remembers the segmentation of.
_CLAUSE_CACHE = 200_000
#: Texts whose tokens wait for the backend after enrichment (a few batches' worth).
_HANDOFF_LIMIT = 20_000

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{_CJK}]")
_LATIN_RE = re.compile(r"[A-Za-z]")
# A run of CJK characters, or a word of letters/digits (with inner ' or -).
_RUN_RE = re.compile(f"[{_CJK}]+|[^\\W_{_CJK}]+(?:['’-][^\\W_{_CJK}]+)*", re.UNICODE)


def normalize(text: str) -> str:
    """The form every comparison uses: NFKC, traditional Chinese folded to simplified.

    NFKC makes full-width letters and digits match their ASCII forms; the
    fold (``nlp._script.fold``) makes 質量 match 质量. Indexing, queries and
    the lexicon classifier all go through here, so a query in either script
    finds both. NFKC may change a text's length; code that maps offsets back
    to the raw text uses ``fold`` alone.
    """
    return fold(unicodedata.normalize("NFKC", text or ""))


def detect_lang(text: str) -> str:
    """Guess ``zh``, ``en`` or ``other`` from the script of the letters used.

    Counting scripts is enough for voclens' two languages and never fails on
    short texts, where statistical detectors are unreliable. A text with a
    fair share of Han characters is Chinese even if it mentions an English
    brand ("iPhone 电池不耐用").
    """
    text = normalize(text)
    cjk = len(_CJK_RE.findall(text))
    latin = len(_LATIN_RE.findall(text))
    if cjk == 0 and latin == 0:
        return "other"
    # A Han character carries about as much as a 3-4 letter English word.
    if cjk * 3 >= latin:
        return "zh"
    if latin >= 2 and _looks_english(text):
        return "en"
    return "other"


_EN_COMMON = frozenset(
    "the a an and or but is are was were be been it this that to of in on for with not no "
    "my i you we they he she have has had do did does very so too at as from by after".split()
)
# Function words of other Latin-script languages voclens may see (de, fr, es, it, pt, nl, id).
_OTHER_COMMON = frozenset(
    "der die das und ist nicht ein eine ich sie mit auf für le la les et est une des pas pour "
    "que el los las y es por una con muy il di che non per sono um uma não com het een niet "
    "yang dan tidak ini itu dengan untuk".split()
)


def _looks_english(text: str) -> bool:
    """Latin-script text is English unless other languages' function words or accents outweigh it."""
    words = re.findall(r"[a-zà-ÿß]+", text.lower())
    if not words:
        return False
    accented = sum(1 for c in text if c in "àâäçéèêëîïôöùûüÿñßãõ")
    en = sum(1 for w in words if w in _EN_COMMON)
    other = sum(1 for w in words if w in _OTHER_COMMON)
    if accented and en == 0:
        return False
    return other <= en and accented <= max(1, len(words) // 10)


class Analyser:
    """Tokenises, stems and extracts keywords in Chinese and English.

    Args:
        user_terms: brand and product terms that jieba must keep whole
            ("戴森", "小米13"); they also become searchable as one token.
        user_dict: optional jieba user-dictionary file (one term per line,
            optionally followed by frequency and POS tag).

    Example:
        >>> a = Analyser(user_terms=["戴森"])
        >>> a.tokenize("物流太慢了, refunds refused")
        ['物流', '太慢', '了', 'refund', 'refus']
    """

    def __init__(self, user_terms: Iterable[str] = (), user_dict: str | Path | None = None):
        self.user_terms = tuple(sorted({t.strip() for t in user_terms if t and t.strip()}))
        self.user_dict = str(user_dict) if user_dict else None
        self._jieba: rjieba.Jieba | None = None
        self._cut_cache: dict[str, tuple[str, ...]] = {}
        self._search_cache: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {}
        self._stems: dict[str, str] = {}
        self._latin_memo: dict[str, list[str]] = {}
        self._handoff: dict[str, tuple[list[str], list[str]]] = {}
        self._lock = threading.Lock()
        self._ready = False
        self._stemmer_local = threading.local()

    # -- setup -----------------------------------------------------------------
    def _ensure_ready(self) -> None:
        # jieba loads its 5 MB dictionary lazily; do it once, under a lock,
        # because the API serves requests from a thread pool.
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            # rjieba is jieba's algorithm and dictionary in Rust (jieba-rs): on
            # Chinese runs it cuts exactly as jieba does, about 15 times faster.
            seg = rjieba.Jieba()
            if self.user_dict:
                for term, freq in _read_user_dict(self.user_dict):
                    seg.add_word(normalize(term).lower(), freq, None)
            for term in self.user_terms:
                seg.add_word(normalize(term).lower(), 200000, None)
            self._jieba = seg
            self._ready = True

    def _stem(self, word: str) -> str:
        # Word frequencies are Zipfian: a small memo answers almost every call,
        # and the stemmer itself (PyStemmer's C build when installed) runs once per word type.
        stem = self._stems.get(word)
        if stem is None:
            stemmer = getattr(self._stemmer_local, "stemmer", None)
            if stemmer is None:
                stemmer = self._stemmer_local.stemmer = snowballstemmer.stemmer("english")
            stem = stemmer.stemWord(word)
            if len(self._stems) >= _CLAUSE_CACHE:
                self._stems.clear()
            self._stems[word] = stem
        return stem

    # -- tokens ----------------------------------------------------------------
    def tokenize(self, text: str) -> list[str]:
        """Index-side tokens: jieba search mode for Chinese, stemmed English.

        Search mode emits a long word and its parts ("手机壳" -> "手机", "手机壳"),
        so both a broad and a narrow query find it.
        """
        return self._tokens(text, search_mode=True)

    def analyse_for_index(self, text: str) -> list[str]:
        """Surface words of ``text``, keeping its index terms for the next ``index_terms(text)``.

        Enrichment (which needs words for keywords) runs just before a
        backend tokenises the same text: handing the tokens over saves a
        second segmentation pass per document. The hand-off is bounded and
        consumed on use, so it never grows with the corpus.
        """
        ordered, grams, words, _ = self._analyse(text, search_mode=True, stem=True)
        if len(self._handoff) >= _HANDOFF_LIMIT:
            self._handoff.clear()
        self._handoff[text] = (ordered, grams)
        return words

    def take_handoff(self, texts: Sequence[str]) -> dict[str, tuple[list[str], list[str]]]:
        """Remove and return the handed-off tokens of ``texts`` (to ship them to another process)."""
        return {t: self._handoff.pop(t) for t in texts if t in self._handoff}

    def give_handoff(self, tokens: dict[str, tuple[list[str], list[str]]]) -> None:
        """Accept tokens analysed elsewhere (a worker process) for the next ``tokenize`` calls."""
        if len(self._handoff) + len(tokens) > _HANDOFF_LIMIT:
            self._handoff.clear()
        self._handoff.update(tokens)

    def query_tokens(self, text: str) -> list[str]:
        """Query-side tokens: precise jieba mode, so a query term becomes the
        fewest tokens that must all be present."""
        return self._tokens(text, search_mode=False)

    def precise_runs(self, text: str) -> list[str]:
        """The runs ``analyse`` cuts ``text`` into: CJK runs and words, normalised and lower-cased.

        ``run_tokens`` of each run, in order, are ``analyse(text, search_mode=False)[0]``: a
        caller that needs only some tokens (``nlp.own_terms.TermMatcher``) can skip the runs
        that cannot hold them instead of segmenting the whole text.
        """
        return _RUN_RE.findall(normalize(text).lower().replace("’", "'"))

    def run_tokens(self, run: str) -> tuple[str, ...] | list[str]:
        """Precise-mode, stemmed tokens of one run of ``precise_runs`` (see ``_analyse``).

        A CJK run gives its jieba words (at least one; together they spell the run), an ASCII word
        its stems, any other word itself.
        """
        self._ensure_ready()
        if _CJK_RE.match(run):
            return self._cut(run)
        if run.isascii():
            return self._latin(run)
        return (run,)

    def _cut(self, run: str) -> tuple[str, ...]:
        """Precise-mode segmentation of one CJK run, memoised.

        Feedback repeats itself ("物流很快", "好评", "质量不错"): caching
        clauses roughly doubles indexing speed on real review streams.
        """
        words = self._cut_cache.get(run)
        if words is None:
            words = tuple(w for w in self._jieba.cut(run, True) if w.strip())
            if len(self._cut_cache) >= _CLAUSE_CACHE:
                self._cut_cache.clear()
            self._cut_cache[run] = words
        return words

    def _cut_search(self, run: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """``(words, sub-words, tokens)`` of one CJK run in search mode, memoised like ``_cut``."""
        hit = self._search_cache.get(run)
        if hit is None:
            words = self._cut(run)
            grams: list[str] = []
            tokens: list[str] = []
            for w in words:
                parts = self._search_parts(w)
                grams.extend(parts)
                tokens.extend(parts)
                tokens.append(w)
            hit = (words, tuple(grams), tuple(tokens))
            if len(self._search_cache) >= _CLAUSE_CACHE:
                self._search_cache.clear()
            self._search_cache[run] = hit
        return hit

    def _search_parts(self, word: str) -> list[str]:
        # jieba's search mode: dictionary 2- and 3-grams inside longer words.
        known = self._jieba.has_word
        parts = []
        if len(word) > 2:
            parts.extend(word[i : i + 2] for i in range(len(word) - 1) if known(word[i : i + 2]))
        if len(word) > 3:
            parts.extend(word[i : i + 3] for i in range(len(word) - 2) if known(word[i : i + 3]))
        return parts

    def _latin(self, run: str) -> list[str]:
        # "seller's" -> "seller", "don't" -> "dont": apostrophes never split a word.
        stems = self._latin_memo.get(run)
        if stems is None:
            word = re.sub(r"'s$", "", run).replace("'", "")
            stems = [self._stem(w) for w in word.split("-") if w] if "-" in word else [self._stem(word)]
            if len(self._latin_memo) >= _CLAUSE_CACHE:
                self._latin_memo.clear()
            self._latin_memo[run] = stems
        return stems

    def _tokens(self, text: str, *, search_mode: bool) -> list[str]:
        return self.analyse(text, search_mode=search_mode)[0]

    def analyse(self, text: str, *, search_mode: bool = True, stem: bool = True) -> tuple[list[str], list[str]]:
        """Index tokens and surface words from one segmentation pass.

        Returns:
            ``(tokens, words)``: tokens are what a backend indexes (search-mode
            sub-words, stemmed English); words are unstemmed, precise-mode
            words for keywords and display.
        """
        ordered, grams, words, tokens = self._analyse(text, search_mode=search_mode, stem=stem)
        return tokens, words

    def index_terms(self, text: str) -> tuple[list[str], list[str]]:
        """``(terms in reading order, extra sub-words)`` for a full-text index.

        Terms (jieba words, stemmed English) keep their order so phrases match
        adjacent terms; the search-mode sub-words ("手机" inside "手机壳") go
        apart so they make a word findable without breaking adjacency.
        """
        memo = self._handoff.pop(text, None)
        if memo is not None:
            return memo
        ordered, grams, _, _ = self._analyse(text, search_mode=True, stem=True)
        return ordered, grams

    def _analyse(self, text: str, *, search_mode: bool, stem: bool):
        self._ensure_ready()
        ordered: list[str] = []
        grams: list[str] = []
        words: list[str] = []
        tokens: list[str] = []
        for run in _RUN_RE.findall(normalize(text).lower().replace("’", "'")):
            if _CJK_RE.match(run):
                if search_mode:
                    cut, run_grams, run_tokens = self._cut_search(run)
                    grams.extend(run_grams)
                    tokens.extend(run_tokens)
                else:
                    cut = self._cut(run)
                    tokens.extend(cut)
                ordered.extend(cut)
                words.extend(cut)
            elif run.isascii():
                if stem:
                    stems = self._latin(run)
                    tokens.extend(stems)
                    ordered.extend(stems)
                words.append(run)
            else:
                tokens.append(run)
                ordered.append(run)
                words.append(run)
        return ordered, grams, words, tokens

    def index_text(self, text: str) -> str:
        """The space-joined token string a backend stores in its full-text field."""
        return " ".join(self.tokenize(text))

    def words(self, text: str) -> list[str]:
        """Surface words (not stemmed), precise jieba mode; for keywords and display."""
        return self.analyse(text, search_mode=False, stem=False)[1]

    # -- keywords --------------------------------------------------------------
    def keywords(self, text: str, k: int = 8) -> list[str]:
        """Up to ``k`` content words of ``text``, most characteristic first.

        TF-IDF with jieba's bundled IDF table for Chinese; for English, term
        frequency weighted by word length as a cheap rarity proxy. Stop words,
        numbers and single characters are dropped: keywords feed "top" and
        "emerging" keyword lists, where function words would only be noise.
        """
        return self.keywords_from_words(self.words(text), k)

    @staticmethod
    def keywords_from_words(words: Sequence[str], k: int = 8) -> list[str]:
        """``keywords`` for words already produced by ``analyse`` (saves a second pass)."""
        weights = _keyword_weights()
        scores: dict[str, float] = {}
        for w in words:
            weight = weights.get(w)
            if weight is None:
                weight = weights[w] = _keyword_weight(w)
            if weight:
                scores[w] = scores.get(w, 0.0) + weight
        if not scores:
            return []
        return [w for w, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]


_WEIGHT_MEMO_LIMIT = 500_000


@lru_cache(maxsize=1)
def _keyword_weights() -> dict[str, float]:
    """Memo of word -> keyword weight (0.0 = not a keyword); bounded by ``_keyword_weight``'s callers."""
    return {}


def _keyword_weight(word: str) -> float:
    """IDF weight of a keyword, 0.0 for stop words, numbers and fragments.

    TF-IDF with jieba's IDF table for Chinese; for English, a length-based
    rarity proxy scaled to the same range.
    """
    memo = _keyword_weights()
    if len(memo) >= _WEIGHT_MEMO_LIMIT:
        memo.clear()
    if not _is_keyword(word):
        return 0.0
    idf = _zh_idf()
    default_idf = idf.get("__median__", 10.0)
    if _CJK_RE.match(word):
        return idf.get(word, default_idf)
    return default_idf * min(1.0, 0.3 + len(word) / 10)


def _is_keyword(word: str) -> bool:
    if len(word) < 2 or word.isdigit():
        return False
    if _CJK_RE.match(word):
        return word not in ZH_STOPWORDS
    return len(word) >= 3 and word not in EN_STOPWORDS and not any(c.isdigit() for c in word)


def _read_user_dict(path: str) -> list[tuple[str, int | None]]:
    """jieba user-dictionary lines: ``word [freq] [tag]``; blank lines and ``#`` comments skipped."""
    terms: list[tuple[str, int | None]] = []
    with open(path, encoding="utf-8-sig") as fh:
        for line_no, line in enumerate(fh, start=1):
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            freq = None
            if len(parts) > 1:
                if not parts[1].isdigit():
                    raise ValueError(f"{path}:{line_no}: frequency {parts[1]!r} is not a whole number")
                freq = int(parts[1])
            terms.append((parts[0], freq))
    return terms


@lru_cache(maxsize=1)
def _zh_idf() -> dict[str, float]:
    path = Path(jieba.__file__).parent / "analyse" / "idf.txt"
    idf: dict[str, float] = {}
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) == 2:
                    idf[parts[0]] = float(parts[1])
    except OSError:  # pragma: no cover - jieba always ships it
        log.warning("jieba IDF table missing at %s; keywords fall back to TF", path)
    if idf:
        values = sorted(idf.values())
        idf["__median__"] = values[len(values) // 2]
    return idf


@lru_cache(maxsize=8)
def get_analyser(user_terms: tuple[str, ...] = (), user_dict: str | None = None) -> Analyser:
    """A shared analyser per configuration: jieba's dictionary is loaded once per process."""
    return Analyser(user_terms=user_terms, user_dict=user_dict)


__all__: Sequence[str] = ["Analyser", "detect_lang", "fold", "get_analyser", "normalize"]

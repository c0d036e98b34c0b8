"""Fold traditional Chinese to simplified, so either script finds and labels the other.

Hong Kong and Taiwan customers write 質量很差 where mainland ones write 质量很差.
Indexing, queries and classifiers see the folded text; the stored and shown
text stays as written. The fold is OpenCC's ``t2s`` (OpenCC standard
traditional to simplified, phrase table first). It is meant for any text,
simplified included, which is why the Hong Kong and Taiwan variant tables
are left out: they read simplified 么 and 著 as Taiwan variants (么 -> 幺) and
would change mainland text. So HK-only variant glyphs that ``t2s`` does not
know (衞, 粧) stay as written, and regional vocabulary is not mapped: 軟體
folds to 软体, not 软件.

Every dictionary used maps a character to one character, so a folded text
has the length of its original and offsets into one (highlights, evidence
quotes) are offsets into the other.

Most feedback is simplified Chinese or English. A text with none of the
characters the fold can change (``resources/traditional_chars.txt``,
written by ``scripts/traditional_chars.py``) is returned as it is after one
regular-expression scan, without calling OpenCC.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

#: OpenCC's dictionaries behind ``t2s`` (without the rare-glyph table): the fold.
FOLD_DICTIONARIES = ("CJK_Compatibility_Ideographs", "TSPhrases", "TSCharacters")
TRADITIONAL_CHARS_FILE = Path(__file__).parent / "resources" / "traditional_chars.txt"

_lock = threading.Lock()
_converter = None


def opencc_data_dir() -> Path:
    """Where the ``opencc`` package keeps its compiled dictionaries."""
    import opencc

    return Path(opencc.__file__).parent / "clib" / "share" / "opencc"


_ASTRAL = "\U00010000-\U0010ffff"


@lru_cache(maxsize=1)
def _triggers() -> tuple[re.Pattern[str], frozenset[str]]:
    """(pattern matching a BMP trigger character or any character beyond the BMP, those beyond it).

    A character class listing characters beyond the BMP is a hundred times
    slower to scan than one without (CPython's ``re`` then gives up its
    bitmap), while a range of them costs nothing: so the class holds the
    BMP triggers and the whole astral range, and the few astral triggers
    (extension B, 600 of 4,200) are looked up apart, only in the rare text
    that has an astral character at all.
    """
    lines = TRADITIONAL_CHARS_FILE.read_text(encoding="utf-8").splitlines()
    chars = "".join(line for line in lines if not line.startswith("#"))
    bmp = "".join(c for c in chars if ord(c) <= 0xFFFF)
    return re.compile("[" + re.escape(bmp) + _ASTRAL + "]"), frozenset(c for c in chars if ord(c) > 0xFFFF)


def _get_converter():
    global _converter
    if _converter is None:
        with _lock:
            if _converter is None:
                import opencc

                # Without the "tofu risk" table, which maps to extension-B glyphs
                # (噁 -> 𫫇) that nobody types in a query.
                _converter = opencc.OpenCC("t2s", include_tofu_risk_dictionaries=False)
    return _converter


def has_traditional(text: str) -> bool:
    """Whether ``text`` holds a character the fold may change."""
    if not text:
        return False
    pattern, astral = _triggers()
    m = pattern.search(text)
    if m is None:
        return False
    if m.group() <= "\uffff":
        return True
    return not astral.isdisjoint(text) or any(c <= "\uffff" for c in (n.group() for n in pattern.finditer(text, m.end())))


def fold(text: str) -> str:
    """``text`` with traditional Chinese characters replaced by their simplified forms.

    Same length as ``text``; anything that is not traditional Chinese is left
    alone. About 0.1 µs for a short simplified or English string, 0.5 µs for
    a 100-character one; a traditional text costs an OpenCC call (~9 µs).

    Example:
        >>> fold("質量很差，物流太慢 refund")
        '质量很差，物流太慢 refund'
    """
    if not text:
        return text
    m = _triggers()[0].search(text)
    if m is None or m.group() > "\uffff" and not has_traditional(text):
        return text
    return _get_converter().convert(text)


__all__ = ["FOLD_DICTIONARIES", "TRADITIONAL_CHARS_FILE", "fold", "has_traditional", "opencc_data_dir"]

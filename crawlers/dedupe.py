"""Near-duplicate detection by 64-bit SimHash over character 3-grams of normalised text.

Copy-pasted spam reviews differ by a word, an emoji or punctuation; exact
hashes miss them. SimHash maps similar texts to fingerprints a few bits
apart. Character n-grams work for Chinese (no word boundaries) and English
alike. Pure functions; ``crawlers.state`` persists fingerprints across crawls.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np

#: Fingerprints at most this many bits apart are near-duplicates.
MAX_DISTANCE = 3
#: Texts shorter than this (after normalisation) are never near-duplicates:
#: "好评！" or "Great product" are said by many customers independently.
MIN_CHARS = 15
#: The 64 bits split into this many bands; with distance <= 3, two
#: near-duplicates share at least one band exactly (pigeonhole), which is
#: what makes the lookup an indexed equality query.
BANDS = 4
_BAND_BITS = 64 // BANDS
_DROP_RE = re.compile(r"[\W_]+", re.UNICODE)


def normalise_text(text: str) -> str:
    """Case-folded NFKC text without punctuation, symbols or spaces."""
    return _DROP_RE.sub("", unicodedata.normalize("NFKC", text).casefold())


def simhash(text: str, n: int = 3) -> int | None:
    """64-bit SimHash of ``text``, or None when the text is too short to compare.

    >>> simhash("物流很快，包装完好，手机用着很流畅，好评推荐！") == simhash("物流很快包装完好!! 手机用着很流畅 好评推荐")
    True
    """
    norm = normalise_text(text)
    if len(norm) < MIN_CHARS:
        return None
    grams = {norm[i:i + n] for i in range(len(norm) - n + 1)}
    digests = b"".join(hashlib.blake2b(g.encode(), digest_size=8).digest() for g in sorted(grams))
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8)).reshape(-1, 64)
    votes = bits.sum(axis=0, dtype=np.int64) * 2 - len(grams)
    out = 0
    for bit in (votes > 0):
        out = (out << 1) | int(bit)
    return out


def distance(a: int, b: int) -> int:
    """Hamming distance between two fingerprints."""
    return (a ^ b).bit_count()


def bands(fingerprint: int) -> tuple[int, ...]:
    """The fingerprint cut into ``BANDS`` integers (the lookup keys)."""
    mask = (1 << _BAND_BITS) - 1
    return tuple((fingerprint >> (i * _BAND_BITS)) & mask for i in range(BANDS))


class FingerprintIndex:
    """In-memory near-duplicate lookup for one crawl (the state file holds earlier crawls)."""

    def __init__(self) -> None:
        self._by_band: list[dict[int, list[tuple[int, str]]]] = [{} for _ in range(BANDS)]

    def add(self, fingerprint: int, doc_id: str) -> None:
        for i, key in enumerate(bands(fingerprint)):
            self._by_band[i].setdefault(key, []).append((fingerprint, doc_id))

    def nearest(self, fingerprint: int, exclude_id: str | None = None) -> tuple[str, int] | None:
        """``(doc_id, distance)`` of the closest stored fingerprint within ``MAX_DISTANCE``."""
        best: tuple[str, int] | None = None
        for i, key in enumerate(bands(fingerprint)):
            for other, doc_id in self._by_band[i].get(key, ()):
                if doc_id == exclude_id:
                    continue
                d = distance(fingerprint, other)
                if d <= MAX_DISTANCE and (best is None or d < best[1]):
                    best = (doc_id, d)
        return best

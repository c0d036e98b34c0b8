"""Which character encoding an import file is in, and what in a decoded row is not text.

Exports from Excel on Chinese Windows are GBK (GB18030) or Big5, not UTF-8;
read as UTF-8 they become garbage that validates. ``detect_encoding`` looks
at a sample: a byte-order mark first, then UTF-8 if the sample reads as
UTF-8, else charset-normalizer's best guess among GB18030, Big5 and UTF-16.

Files are decoded with the ``voclens-mark`` error handler: a byte sequence
that is not valid in the chosen encoding becomes a marker character, so the
row holding it is rejected with its line number (``bad_text``) and the rest
of the file is kept. No decoder produces the marker from valid input (it is
a lone surrogate).
"""

from __future__ import annotations

import codecs
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import ImportFileError

log = logging.getLogger(__name__)

#: Bytes read to decide the encoding (a few thousand rows of a typical export).
SAMPLE_BYTES = 256 * 1024
#: What the decoder puts where bytes cannot be decoded.
MARKER = "\udfff"
#: The error handler name to pass to ``open(..., errors=...)``.
ERRORS = "voclens-mark"
#: charset-normalizer chooses among these when a file is not UTF-8.
CANDIDATES = ("gb18030", "big5", "utf_16")
#: A detected encoding -> the codec that decodes it: GB18030 is GBK's superset; cp950 is Big5 as Windows writes it.
_DECODE_AS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "cp950"}

_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"\x84\x31\x95\x33", "gb18030"),
)

# C0 controls but tab, newline and carriage return; DEL and C1 controls; surrogates (the marker
# and unpaired \\ud800 escapes in JSON).
_BAD_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _mark(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):
        raise err
    return MARKER, err.end


codecs.register_error(ERRORS, _mark)


@dataclass(frozen=True)
class Encoding:
    """The codec a file is decoded with and how it was chosen (``--encoding``, ``BOM``...)."""

    name: str
    how: str

    def __str__(self) -> str:
        return f"{self.name} ({self.how})"


def detect_encoding(path: Path, override: str | None = None) -> Encoding:
    """The encoding to read ``path`` with.

    Args:
        override: the user's ``--encoding``; checked, never second-guessed
            (``utf-8`` still skips a byte-order mark).

    Raises:
        ImportFileError: ``override`` names no codec Python knows.
    """
    if override:
        try:
            name = codecs.lookup(override).name
        except LookupError:
            raise ImportFileError(f"unknown encoding {override!r} (--encoding); try utf-8, gb18030, big5 or utf-16") from None
        return Encoding("utf-8-sig" if name == "utf-8" else name, "--encoding")
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
        whole = not fh.read(1)
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return Encoding(name, "byte-order mark")
    if not whole:  # do not judge a character cut in two at the end of the sample
        sample = sample[: sample.rfind(b"\n") + 1] or sample
    if sample.count(b"\x00") * 8 < len(sample) and _mostly_utf8(sample):
        return Encoding("utf-8", "reads as UTF-8")
    best = _best_guess(sample)
    if best is None:
        log.warning("cannot tell the encoding of %s; reading it as UTF-8 (pass --encoding)", path)
        return Encoding("utf-8", "fallback: not detected")
    return Encoding(_DECODE_AS.get(best, best), "detected")


def _mostly_utf8(sample: bytes) -> bool:
    """Whether the sample's non-ASCII lines are UTF-8, but for a few broken ones.

    A GBK or Big5 line with Chinese in it is almost never valid UTF-8, so a
    file where most such lines decode is UTF-8 with some corrupt rows, which
    are then rejected one by one instead of misreading the whole file.
    """
    good = bad = 0
    for line in sample.split(b"\n"):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            bad += 1
    return good >= bad


def _best_guess(sample: bytes) -> str | None:
    """charset-normalizer's choice among ``CANDIDATES``, tolerating a few undecodable lines.

    charset-normalizer drops an encoding the whole sample does not decode in,
    so one broken row would hide a GBK file; then each candidate is judged
    on the lines it does decode, if those are most of the non-ASCII ones.
    """
    import charset_normalizer

    match = charset_normalizer.from_bytes(sample, cp_isolation=list(CANDIDATES)).best()
    if match is None:
        lines = [line for line in sample.split(b"\n") if not line.isascii()]
        found = []
        for candidate in CANDIDATES:
            readable = [line for line in lines if _decodes(line, candidate)]
            if readable and 2 * len(readable) >= len(lines):
                m = charset_normalizer.from_bytes(b"\n".join(readable), cp_isolation=[candidate]).best()
                if m is not None:
                    found.append(m)
        match = min(found, key=lambda m: (m.chaos, -m.coherence), default=None)
    return codecs.lookup(match.encoding).name if match is not None else None


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def bad_text(text: str, encoding: str) -> tuple[int, str] | None:
    """``(0-based offset, what is wrong)`` for the first character of ``text`` that is not text, else None.

    Tab, newline and carriage return are text; other control characters, and
    bytes the decoder could not read (``MARKER``), are not. The description
    names the encoding or a code point, never the text around it: it goes
    into reports.
    """
    m = _BAD_RE.search(text)
    if m is None:
        return None
    char = m.group()
    if char == MARKER:
        return m.start(), f"invalid {encoding} byte sequence"
    if "\ud800" <= char <= "\udfff":
        return m.start(), "unpaired UTF-16 surrogate"
    return m.start(), f"control character U+{ord(char):04X}"


def printable(text: str) -> str:
    """``text`` with undecodable bytes shown as U+FFFD, as it may be written to a UTF-8 report."""
    return text.replace(MARKER, "\ufffd") if MARKER in text else text


__all__ = ["CANDIDATES", "ERRORS", "MARKER", "SAMPLE_BYTES", "Encoding", "bad_text", "detect_encoding", "printable"]

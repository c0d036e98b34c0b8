"""Texts to token-id batches: e5 prefix, head-and-tail truncation, length buckets.

Shared by training and by both inference runtimes so that a text is cut and
padded the same way everywhere. Reviews are short (a Chinese review averages
about 50 characters), so padding each batch to its own longest text instead of
a fixed length is most of the speed; sorting by length first keeps batches
of similar length together.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: e5 models were trained with this prefix on inputs that are not passages to retrieve.
PREFIX = "query: "
PAD_ID = 1


@dataclass(frozen=True)
class Batch:
    """Padded ids and mask for texts at ``positions`` of the caller's list."""

    positions: np.ndarray
    input_ids: np.ndarray
    attention_mask: np.ndarray


class TextEncoder:
    """Tokenises with the e5 tokenizer and truncates long texts at both ends.

    Complaints often end with the verdict ("...总之不会再买了", "...returning
    it"), so a long text keeps its first ``max_length - tail`` and its last
    ``tail`` tokens rather than only its start.
    """

    def __init__(self, tokenizer_path: str | Path, max_length: int = 128, tail: int = 32):
        from tokenizers import Tokenizer

        if max_length < 8 or not 0 <= tail < max_length - 2:
            raise ValueError(f"bad truncation: max_length={max_length}, tail={tail}")
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.max_length = max_length
        self.tail = tail

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids with ``<s>`` and ``</s>``, at most ``max_length`` long."""
        return self._encode(texts, offsets=False)[0]

    def encode_with_offsets(self, texts: Sequence[str]) -> tuple[list[list[int]], list[list[int]]]:
        """Token ids, and for each token the character offset in the text where it starts.

        The prefix and the special tokens get -1: they are not part of the text, so they
        can never be evidence of a topic.
        """
        return self._encode(texts, offsets=True)

    def _encode(self, texts: Sequence[str], offsets: bool) -> tuple[list[list[int]], list[list[int]]]:
        # offsets cost a Python loop per token: only the inference path, which reports evidence, pays it
        out, starts = [], []
        shift = len(PREFIX)
        full = [PREFIX + (t or "") for t in texts]
        for text, enc in zip(full, self.tokenizer.encode_batch(full)):
            ids = enc.ids
            pos = []
            if offsets:
                for a, b in enc.offsets:  # a SentencePiece word token's span starts at the space before it
                    while a < b and text[a].isspace():
                        a += 1
                    pos.append(a - shift if a >= shift and b > a else -1)
            if len(ids) > self.max_length:
                head = self.max_length - 2 - self.tail
                keep = [0, *range(1, 1 + head), *range(len(ids) - 1 - self.tail, len(ids) - 1), len(ids) - 1]
                ids = [ids[i] for i in keep]
                pos = [pos[i] for i in keep] if offsets else pos
            out.append(ids)
            starts.append(pos)
        return out, starts

def pad(rows: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad id lists to the longest one: (input_ids, attention_mask) int64."""
    width = max(len(r) for r in rows)
    ids = np.full((len(rows), width), PAD_ID, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
    return ids, mask


def length_batches(encoded: Sequence[Sequence[int]], batch_size: int, max_tokens: int = 8192) -> Iterator[Batch]:
    """Batches of similar length, each padded to its own longest text.

    ``max_tokens`` caps batch size x width so a batch of long texts does not
    take the memory of a batch of short ones.
    """
    order = np.argsort([len(e) for e in encoded], kind="stable")
    start = 0
    while start < len(order):
        end = min(start + batch_size, len(order))
        while end - start > 1 and (end - start) * len(encoded[order[end - 1]]) > max_tokens:
            end -= 1
        positions = order[start:end]
        ids, mask = pad([encoded[i] for i in positions])
        yield Batch(positions, ids, mask)
        start = end


__all__ = ["Batch", "PREFIX", "TextEncoder", "length_batches", "pad"]

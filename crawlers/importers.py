"""Read CSV and JSONL exports (support tickets, surveys, review dumps) as records.

Readers never raise on a bad row: they yield a ``BadRow`` for it and carry
on, so one broken line never costs the rest of a file.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ImportFileError

FORMATS = ("csv", "jsonl")


@dataclass(frozen=True)
class Row:
    line: int
    record: dict[str, Any]
    raw: str | None = None


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str
    raw: str


@dataclass(frozen=True)
class RawLine:
    """A JSONL line not parsed yet: what ``voclens ingest --workers`` sends its workers.

    Parsing JSON is a fifth of an import's cost in the process that also
    writes; shipping the text and parsing it in a worker (``parse_jsonl_line``)
    moves that work off the writer, and a string pickles faster than the
    dictionary it becomes.
    """

    line: int
    text: str


def detect_format(path: Path, fmt: str | None = None) -> str:
    """``csv`` or ``jsonl``, from ``fmt`` or the file extension."""
    if fmt:
        if fmt not in FORMATS:
            raise ImportFileError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        return fmt
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    raise ImportFileError(f"{path}: cannot tell the format from the extension {suffix!r}; pass --format csv|jsonl")


def read_records(path: Path, fmt: str | None = None, *, delimiter: str | None = None) -> Iterator[Row | BadRow]:
    """Yield every row of ``path`` with its 1-based line number."""
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    kind = detect_format(path, fmt)
    if kind == "jsonl":
        yield from _read_jsonl(path)
    else:
        yield from _read_csv(path, delimiter or ("\t" if path.suffix.lower() == ".tsv" else ","))


def read_raw_lines(path: Path, fmt: str | None = None) -> Iterator[RawLine] | None:
    """The non-blank lines of a JSONL file, unparsed; None for other formats."""
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    if detect_format(path, fmt) != "jsonl":
        return None
    return _raw_lines(path)


def _raw_lines(path: Path) -> Iterator[RawLine]:
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        for line_no, line in enumerate(fh, start=1):
            if line.strip():
                yield RawLine(line_no, line.rstrip("\n"))


def parse_jsonl_line(item: RawLine) -> Row | BadRow:
    try:
        obj = json.loads(item.text)
    except json.JSONDecodeError as exc:
        return BadRow(item.line, f"malformed JSON: {exc.msg} at column {exc.colno}", item.text)
    if not isinstance(obj, dict):
        return BadRow(item.line, f"expected a JSON object, got {type(obj).__name__}", item.text)
    return Row(item.line, obj, item.text)


def _read_jsonl(path: Path) -> Iterator[Row | BadRow]:
    for item in _raw_lines(path):
        yield parse_jsonl_line(item)


def _read_csv(path: Path, delimiter: str) -> Iterator[Row | BadRow]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise ImportFileError(f"{path}: empty file, expected a header row") from None
        header = [h.strip() for h in header]
        if not any(header):
            raise ImportFileError(f"{path}: the header row is empty")
        dupes = {h for h in header if header.count(h) > 1}
        if dupes:
            raise ImportFileError(f"{path}: duplicate column(s) in header: {', '.join(sorted(dupes))}")
        start = reader.line_num + 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield BadRow(start, f"malformed CSV: {exc}", "")
                start = reader.line_num + 1
                continue
            line, start = start, reader.line_num + 1
            if not any(v.strip() for v in values):
                continue
            raw = delimiter.join(values)
            if len(values) != len(header):
                yield BadRow(line, f"expected {len(header)} columns, found {len(values)}", raw)
                continue
            yield Row(line, dict(zip(header, values, strict=True)), raw)

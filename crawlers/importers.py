"""Read CSV and JSONL exports (support tickets, surveys, review dumps) as records.

Readers never raise on a bad row: they yield a ``BadRow`` for it and carry
on, so one broken line never costs the rest of a file. That includes rows
with bytes the file's encoding cannot decode or with control characters
(other than tab and newline): see ``charsets``.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .charsets import ERRORS, bad_text, detect_encoding, printable
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
    raw: str | dict[str, Any]  # the line, or the row by column when its columns could be told apart


@dataclass(frozen=True)
class RawLine:
    """A JSONL line not parsed yet: what ``voclens ingest --workers`` sends its workers.

    Parsing JSON is a fifth of an import's cost in the process that also
    writes; shipping the text and parsing it in a worker (``parse_jsonl_line``)
    moves that work off the writer, and a string pickles faster than the
    dictionary it becomes. The text is decoded already (in the reading
    process, by the same reader either way), with undecodable bytes marked;
    ``encoding`` names the codec for the reason if the line is rejected.
    """

    line: int
    text: str
    encoding: str = "utf-8"


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


def read_records(
    path: Path, fmt: str | None = None, *, delimiter: str | None = None, encoding: str | None = None
) -> Iterator[Row | BadRow]:
    """Yield every row of ``path`` with its 1-based line number.

    Args:
        encoding: codec to decode the file with; detected when None
            (``charsets.detect_encoding``).
    """
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    kind = detect_format(path, fmt)
    encoding = encoding or detect_encoding(path).name
    if kind == "jsonl":
        yield from _read_jsonl(path, encoding)
    else:
        yield from _read_csv(path, delimiter or ("\t" if path.suffix.lower() == ".tsv" else ","), encoding)


def read_raw_lines(path: Path, fmt: str | None = None, *, encoding: str | None = None) -> Iterator[RawLine] | None:
    """The non-blank lines of a JSONL file, decoded but unparsed; None for other formats."""
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    if detect_format(path, fmt) != "jsonl":
        return None
    return _raw_lines(path, encoding or detect_encoding(path).name)


def _raw_lines(path: Path, encoding: str) -> Iterator[RawLine]:
    with open(path, encoding=encoding, errors=ERRORS) as fh:
        for line_no, line in enumerate(fh, start=1):
            if line_no == 1 and line.startswith("\ufeff"):
                line = line[1:]
            if line.strip():
                yield RawLine(line_no, line.rstrip("\n"), encoding)


def parse_jsonl_line(item: RawLine) -> Row | BadRow:
    problem = bad_text(item.text, item.encoding)
    if problem is not None:
        at, what = problem
        return BadRow(item.line, f"{what} at character {at + 1}", printable(item.text))
    try:
        obj = json.loads(item.text)
    except json.JSONDecodeError as exc:
        return BadRow(item.line, f"malformed JSON: {exc.msg} at column {exc.colno}", item.text)
    if not isinstance(obj, dict):
        return BadRow(item.line, f"expected a JSON object, got {type(obj).__name__}", item.text)
    # JSON escapes can spell what the raw line may not hold ("\u0000", "\ud800"); only
    # escapes below \u0100 or of surrogates can, and few lines have any.
    if "\\u00" in item.text or "\\ud" in item.text or "\\uD" in item.text:
        field = _bad_field(obj, item.encoding)
        if field is not None:
            name, what = field
            return BadRow(item.line, f"{what} in field {name!r}", item.text)
    return Row(item.line, obj, item.text)


def _bad_field(obj: Any, encoding: str, name: str = "") -> tuple[str, str] | None:
    """(field, what is wrong) for the first string value in ``obj`` that ``bad_text`` rejects."""
    if isinstance(obj, str):
        problem = bad_text(obj, encoding)
        return (name, problem[1]) if problem else None
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for key, value in items:
        found = _bad_field(value, encoding, f"{name}.{key}" if name else str(key))
        if found is not None:
            return found
    return None


def _read_jsonl(path: Path, encoding: str) -> Iterator[Row | BadRow]:
    for item in _raw_lines(path, encoding):
        yield parse_jsonl_line(item)


def _read_csv(path: Path, delimiter: str, encoding: str) -> Iterator[Row | BadRow]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with open(path, encoding=encoding, errors=ERRORS, newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise ImportFileError(f"{path}: empty file, expected a header row") from None
        header = [h.strip() for h in header]
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:].strip()
        if not any(header):
            raise ImportFileError(f"{path}: the header row is empty")
        if any(bad_text(h, encoding) for h in header):
            raise ImportFileError(f"{path}: the header row is not text in {encoding}; pass --encoding")
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
                yield BadRow(line, f"expected {len(header)} columns, found {len(values)}", printable(raw))
                continue
            record = dict(zip(header, values, strict=True))
            if bad_text(raw, encoding) is not None:
                name, what = next((h, p[1]) for h, v in record.items() if (p := bad_text(v, encoding)))
                yield BadRow(line, f"{what} in column {name!r}", {h: printable(v) for h, v in record.items()})
                continue
            yield Row(line, record, raw)

"""Structured logging: one JSON object per line (``log_format = "json"``) or readable text.

Fields passed with ``extra={...}`` become JSON keys, so operations can grep
and aggregate logs without parsing prose. Only plain values (text, numbers,
booleans) are written as they are; any other object is written as its type
name, because libraries attach whole objects (Scrapy attaches the crawled item,
with its raw text and author) and a log must never carry them.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_PLAIN = (str, int, float, bool, type(None))


def _plain(value):
    if isinstance(value, _PLAIN):
        return value
    if type(value) is dict:
        return {str(k): _plain(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return [_plain(v) for v in value]
    return f"<{type(value).__name__}>"


def _extras(record: logging.LogRecord) -> dict:
    """The record's ``extra`` fields, objects replaced by their type name (see the module docstring)."""
    return {k: _plain(v) for k, v in record.__dict__.items() if k not in _RESERVED and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        payload.update(_extras(record))
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = _extras(record)
        if extras:
            base += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        return base


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Send logs to stderr (stdout stays clean for command output)."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The Elasticsearch client logs every failed attempt with a traceback; the
    # backend turns the final failure into one clear error, so show those only when debugging.
    logging.getLogger("elastic_transport").setLevel(logging.DEBUG if level == "DEBUG" else logging.CRITICAL)

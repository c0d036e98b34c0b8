"""Getting feedback in: record normalisation, CSV/JSONL importers, resumable ingest, enrichment.

(The Scrapy spiders arrive with their own issue; importers are the first way in.)
"""

from .charsets import Encoding, detect_encoding
from .enrich import enrich, label_text, with_labels
from .errors import CrawlerError, ImportFileError, RecordError
from .ingest import IngestSummary, ingest_file
from .normalize import RecordOptions, parse_datetime, record_to_document

__all__ = [
    "CrawlerError",
    "Encoding",
    "ImportFileError",
    "IngestSummary",
    "RecordError",
    "RecordOptions",
    "detect_encoding",
    "enrich",
    "ingest_file",
    "label_text",
    "parse_datetime",
    "record_to_document",
    "with_labels",
]

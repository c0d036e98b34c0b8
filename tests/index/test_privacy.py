"""Privacy through every backend (issue 23): documents made the way every importer makes them hold
no raw identifier, neither in what the backend returns, nor in what it matches, nor (SQLite) in its files."""

from __future__ import annotations

from crawlers.enrich import enrich
from crawlers.normalize import RecordOptions, record_to_document
from index.base import Backend
from nlp.analyser import get_analyser
from nlp.models import get_classifier

#: Each identifier class, in Chinese and English, as customers write them.
RAW = {
    "13912345678": "手机13912345678",
    "(415) 555-2671": "call (415) 555-2671",
    "jane.roe@example.com": "mail jane.roe@example.com",
    "11010519491231002X": "身份证11010519491231002X",
    "6222021234567890128": "退款到卡 6222021234567890128",
    "4111 1111 1111 1111": "card 4111 1111 1111 1111",
    "lumio_fan88": "加我微信 lumio_fan88",
    "janeroe_2026": "WeChat: janeroe_2026",
    "87654321": "扣扣 87654321",
    "2233445566": "my QQ 2233445566",
}
PEOPLE = ("weibo_handle_77", "7312345600")


def _documents():
    records = []
    for i, (raw, sentence) in enumerate(RAW.items()):
        records.append({"source": "weibo", "source_id": f"p{i}", "text": f"物流太慢，{sentence}，refund please",
                        "title": sentence, "product_name": f"Voltra {sentence}", "author": PEOPLE[0],
                        "author_id": PEOPLE[1], "created_at": "2026-11-18T10:00:00+08:00",
                        "meta": {"note": sentence, "thread": [{"reply": sentence}], "user_id": PEOPLE[1]}})
    docs = [record_to_document(r, RecordOptions(salt="contract-test-salt")) for r in records]
    return enrich(docs, get_analyser(), get_classifier("fast"))


def test_no_raw_identifier_is_stored_or_searchable(backend: Backend, tmp_path):
    docs = _documents()
    backend.upsert(docs)
    stored = "".join(d.model_dump_json() for batch in backend.iter_documents() for d in batch)
    assert backend.count() == len(RAW)
    for needle in [*RAW, *PEOPLE]:
        assert needle not in stored, needle
        words = needle.replace("(", " ").replace(")", " ").split()
        assert backend.count(" ".join(f'"{w}"' for w in words)) == 0, needle
    assert backend.count("refund") == len(RAW)  # the search itself works
    for path in tmp_path.glob("voclens.db*"):  # SQLite: the database, WAL and shared-memory files
        content = path.read_bytes()
        for needle in [*RAW, *PEOPLE]:
            assert needle.encode() not in content, f"{needle} in {path.name}"

"""Privacy by default (issue 23): no raw identifier in documents, the index file, or the rejected-rows file."""

from __future__ import annotations

import json

import pytest

from crawlers.errors import RecordError
from crawlers.ingest import ingest_file
from crawlers.normalize import RecordOptions, record_to_document, redact_record
from index.registry import open_backend
from nlp.analyser import get_analyser
from nlp.models import get_classifier
from nlp.privacy import hash_author, hash_author_id

SALT = "t3st-installation-salt"
BASE = {"source": "jd", "source_id": "42", "created_at": "2026-11-18T10:00:00+08:00"}

#: (the identifier as written, a sentence with it, its mask); each class in both languages.
IDENTIFIERS = [
    ("13912345678", "手机13912345678", "[phone]"),
    ("１３７１２３４５６７８", "电话：１３７１２３４５６７８", "[phone]"),
    ("(415) 555-2671", "call (415) 555-2671 after six", "[phone]"),
    ("jane.roe@example.com", "mail jane.roe@example.com", "[email]"),
    ("zhang＠example.cn", "邮箱 zhang＠example.cn", "[email]"),
    ("11010519491231002X", "身份证11010519491231002X", "[id_number]"),
    ("440308199901011234", "ID number 440308199901011234 on file", "[id_number]"),
    ("6222 0212 3456 7890 128", "银行卡 6222 0212 3456 7890 128", "[bank_card]"),
    ("4111 1111 1111 1111", "card 4111 1111 1111 1111 charged twice", "[bank_card]"),
    ("lumio_fan88", "加我微信 lumio_fan88", "[wechat]"),
    ("janeroe_2026", "WeChat: janeroe_2026", "[wechat]"),
    ("87654321", "扣扣：87654321", "[qq]"),
    ("2233445566", "my QQ 2233445566", "[qq]"),
]


@pytest.mark.parametrize(("raw", "written", "mask"), IDENTIFIERS)
def test_every_identifier_is_masked_in_text_title_product_name_and_meta(raw, written, mask):
    doc = record_to_document({**BASE, "text": f"差评 {written} 退款", "title": written, "product_name": written,
                              "meta": {"follow_up": written, "thread": [{"reply": written}, written]}})
    assert mask in doc.text and mask in doc.title and mask in doc.product_name
    assert mask in doc.meta["follow_up"]
    assert mask in doc.meta["thread"][0]["reply"] and mask in doc.meta["thread"][1]
    assert raw not in doc.model_dump_json()


def test_platform_ids_of_a_person_are_hashed_with_the_salt():
    doc = record_to_document({**BASE, "text": "ok", "author": "zhang_san", "author_id": 5000123,
                              "meta": {"user_id": 5000123, "customer": {"id": "c-77", "name": "Jane Roe"},
                                       "openid": "oAbC123", "votes": 3}},
                             RecordOptions(salt=SALT))
    assert doc.author_hash == hash_author_id("jd", 5000123, SALT)  # the stable id wins over the handle
    assert doc.meta["user_id"] == doc.author_hash
    assert doc.meta["customer"] == {"id": hash_author_id("jd", "c-77", SALT), "name": hash_author("jd", "Jane Roe", SALT)}
    assert doc.meta["openid"] == hash_author_id("jd", "oAbC123", SALT) and doc.meta["votes"] == 3
    dumped = doc.model_dump_json()
    assert not any(v in dumped for v in ("5000123", "zhang_san", "c-77", "Jane Roe", "oAbC123"))


def test_error_messages_do_not_quote_identifiers():
    with pytest.raises(RecordError) as info:
        record_to_document({**BASE, "text": "ok", "created_at": "13912345678 a@b.com"})
    assert "13912345678" not in str(info.value) and "a@b.com" not in str(info.value)
    assert "[phone]" in str(info.value)


def test_redact_record_hashes_the_mapped_author_and_masks_the_rest():
    opts = RecordOptions(source="zendesk", salt=SALT, mapping={"author": "requester", "text": "body"})
    row = {"requester": "Jane Roe", "body": "call 13912345678", "uid": "9988776655", "n": 13912345678}
    assert redact_record(row, opts) == {"requester": hash_author("zendesk", "Jane Roe", SALT), "body": "call [phone]",
                                        "uid": hash_author_id("zendesk", "9988776655", SALT), "n": "[phone]"}
    assert redact_record('{"text": "mail a@b.com", broken', opts) == '{"text": "mail [email]", broken'


def test_nothing_raw_reaches_the_database_file_or_the_rejected_rows_file(tmp_path):
    rows = []
    for i, (_, written, _) in enumerate(IDENTIFIERS):
        rows.append({**BASE, "source_id": f"g{i}", "text": f"物流太慢 {written}", "title": written,
                     "product_name": f"Voltra {written}", "author": f"author_{i}",
                     "meta": {"note": written, "nested": {"list": [written]}, "user_id": f"uid{i}x"}})
        # the same data, rejected for a bad date: the side file must be as clean as the index
        rows.append({**BASE, "source_id": f"b{i}", "text": written, "created_at": f"when {written}",
                     "author": f"author_{i}", "meta": {"note": written, "user_id": f"uid{i}x"}})
    src = tmp_path / "pii.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in rows] + [f'{{"broken": "{IDENTIFIERS[0][1]}"']
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "data" / "v.db"
    db.parent.mkdir()
    with open_backend("sqlite", path=db) as backend:
        summary = ingest_file(src, backend, get_analyser(), get_classifier("fast"),
                              RecordOptions(salt=SALT, extra="reject"), state_dir=tmp_path)
        assert (summary.created, summary.rejected) == (len(IDENTIFIERS), len(IDENTIFIERS) + 1)
    files = [*db.parent.glob("v.db*"), tmp_path / "pii.jsonl.rejected.jsonl"]
    assert files[-1].is_file() and len(files) >= 2
    needles = [raw for raw, _, _ in IDENTIFIERS] + [f"author_{i}" for i in range(len(IDENTIFIERS))]
    needles += [f"uid{i}x" for i in range(len(IDENTIFIERS))]
    for path in files:
        content = path.read_bytes()
        for needle in needles:
            assert needle.encode() not in content, f"{needle} found in {path.name}"
    side = [json.loads(line) for line in files[-1].read_text(encoding="utf-8").splitlines()]
    assert any("[phone]" in json.dumps(s, ensure_ascii=False) for s in side)


def test_scrapy_log_lines_name_items_without_their_content():
    from types import SimpleNamespace

    from scrapy.exceptions import DropItem
    from scrapy.settings import Settings as ScrapySettings

    from crawlers.items import FeedbackItem
    from crawlers.logformatter import PrivateLogFormatter

    settings = ScrapySettings()
    settings.setmodule("crawlers.settings", priority="project")
    assert settings["LOG_FORMATTER"] == "crawlers.logformatter.PrivateLogFormatter"
    spider = SimpleNamespace(crawler=SimpleNamespace(settings=settings))
    item = FeedbackItem(source="weibo", source_id="49001", text="电话13912345678", created_at="刚刚",
                        scope="weibo:x", author="handle_x", author_id="7312345600")
    fmt = PrivateLogFormatter()
    for entry in (fmt.dropped(item, DropItem("invalid"), None, spider), fmt.scraped(item, None, spider),
                  fmt.item_error(item, ValueError("x"), None, spider)):
        line = entry["msg"] % entry["args"]
        assert "weibo:49001" in line or "Error processing" in line
        assert not any(raw in line for raw in ("13912345678", "handle_x", "7312345600"))


def test_an_author_hash_that_is_not_a_hash_is_hashed():
    kept = hash_author("jd", "zhang_san", SALT)
    assert record_to_document({**BASE, "text": "ok", "author_hash": kept}, RecordOptions(salt=SALT)).author_hash == kept
    raw = record_to_document({**BASE, "text": "ok", "author_hash": "zhang_san"}, RecordOptions(salt=SALT))
    assert raw.author_hash == kept


def test_an_item_scrapy_attaches_to_a_log_record_is_written_as_its_label(capsys):
    """Scrapy logs a dropped item with ``extra={"item": item}``; neither log format may print it."""
    import logging

    from api.logs import JsonFormatter, TextFormatter
    from crawlers.items import FeedbackItem
    from crawlers.logformatter import PrivateLogFormatter

    PrivateLogFormatter.from_crawler(None)  # what Scrapy calls when a crawl starts
    item = FeedbackItem(source="weibo", source_id="49001", text="电话13912345678", created_at="刚刚",
                        scope="weibo:x", author="handle_x", author_id="7312345600")
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("scrapy.core.scraper")
    logger.addHandler(handler)
    try:
        logger.warning("Dropped: %(exception)s", {"exception": "invalid"}, extra={"spider": object(), "item": item})
        logging.getLogger("voclens.test").warning("x", extra={"row": {"raw": item}, "n": 3})
    finally:
        logger.removeHandler(handler)
    lines = [f.format(r) for r in records for f in (JsonFormatter(), TextFormatter())]
    assert len(lines) == 2 and all("weibo:49001" in line for line in lines)
    for line in lines:
        assert not any(raw in line for raw in ("13912345678", "handle_x", "7312345600")), line
    other = logging.makeLogRecord({"msg": "x", "row": {"raw": item}, "n": 3})
    assert '"row": {"raw": "<FeedbackItem>"}' in JsonFormatter().format(other)

from datetime import UTC, datetime

import pytest

from crawlers.errors import RecordError
from crawlers.normalize import RecordOptions, parse_datetime, record_to_document
from index.document import document_id
from nlp.privacy import hash_author, mask_pii

BASE = {"source": "jd", "source_id": "42", "text": "物流太慢了", "created_at": "2026-11-18T10:00:00+08:00"}


def test_id_is_stable_and_derived_from_source_and_source_id():
    a = record_to_document(BASE)
    b = record_to_document({**BASE, "text": "updated text"})
    assert a.id == b.id == document_id("jd", "42")
    assert record_to_document({**BASE, "source_id": "43"}).id != a.id


def test_author_is_hashed_never_stored():
    doc = record_to_document({**BASE, "author": "zhang_san"}, RecordOptions(salt="s3cret-salt"))
    assert doc.author_hash == hash_author("jd", "zhang_san", "s3cret-salt")
    assert "zhang_san" not in doc.model_dump_json()
    other_salt = record_to_document({**BASE, "author": "zhang_san"}, RecordOptions(salt="another-salt"))
    assert other_salt.author_hash != doc.author_hash


@pytest.mark.parametrize(
    "text, masked",
    [
        ("联系我13812345678谢谢", "联系我[phone]谢谢"),
        ("call +86 138 1234 5678 now", "call [phone] now"),
        ("mail jane.doe@example.com please", "mail [email] please"),
        ("(555) 123-4567", "[phone]"),
        ("order 2026111812345 cost 299.00 at 12:30", "order 2026111812345 cost 299.00 at 12:30"),
    ],
)
def test_contact_details_are_masked(text, masked):
    assert mask_pii(text) == masked
    assert record_to_document({**BASE, "text": text}).text == masked


def test_dates_naive_use_the_given_zone_and_are_stored_in_utc():
    doc = record_to_document({**BASE, "created_at": "2026-11-18 10:00"}, RecordOptions(tz="Asia/Shanghai"))
    assert doc.created_at == datetime(2026, 11, 18, 2, 0, tzinfo=UTC)
    assert parse_datetime("1763431200") == datetime(2025, 11, 18, 2, 0, tzinfo=UTC)
    assert parse_datetime(1763431200000) == datetime(2025, 11, 18, 2, 0, tzinfo=UTC)
    assert parse_datetime("2026/11/18").date().isoformat() == "2026-11-18"


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-45", "", "1800-01-01", "9999999999999999"])
def test_bad_dates_name_the_field(bad):
    with pytest.raises(RecordError) as info:
        record_to_document({**BASE, "created_at": bad})
    assert "created_at" in [f for f, _ in info.value.problems]


def test_every_problem_of_a_record_is_reported_at_once():
    with pytest.raises(RecordError) as info:
        record_to_document({"source": "jd", "text": "", "created_at": "nope", "colour": "red", "rating": "x"})
    fields = [f for f, _ in info.value.problems]
    assert set(fields) == {"colour", "created_at", "rating", "source_id", "text"}
    assert len(fields) == len(set(fields))


def test_unknown_fields_reject_meta_or_ignore():
    rec = {**BASE, "order_no": "A-1"}
    with pytest.raises(RecordError, match="order_no: unknown field"):
        record_to_document(rec)
    assert record_to_document(rec, RecordOptions(extra="meta")).meta == {"order_no": "A-1"}
    assert record_to_document(rec, RecordOptions(extra="ignore")).meta == {}


def test_mapping_renames_columns_and_defaults_fill_gaps():
    rec = {"ticket": "T-9", "body": "refund never arrived", "opened": "2026-11-01T00:00:00Z"}
    doc = record_to_document(
        rec,
        RecordOptions(source="zendesk", channel="ticket",
                      mapping={"source_id": "ticket", "text": "body", "created_at": "opened"}),
    )
    assert (doc.source, doc.source_id, doc.channel.value, doc.text) == ("zendesk", "T-9", "ticket", "refund never arrived")


def test_rating_scale_and_range():
    assert record_to_document({**BASE, "rating": "8"}, RecordOptions(rating_scale=10)).rating == 4.0
    with pytest.raises(RecordError, match="rating"):
        record_to_document({**BASE, "rating": 6})
    with pytest.raises(RecordError, match="channel"):
        record_to_document({**BASE, "channel": "fax"})


def test_mismatched_explicit_id_is_refused():
    with pytest.raises(RecordError, match="id"):
        record_to_document({**BASE, "id": "deadbeef"})


def test_a_rating_without_words_is_kept_flagged_and_a_title_stands_in_for_a_missing_text():
    stars = record_to_document({**BASE, "text": "  ", "rating": 4})
    assert (stars.text, stars.rating, stars.meta) == ("", 4.0, {"rating_only": True})
    headline = record_to_document({**BASE, "text": None, "title": "Broke after a week", "rating": 1})
    assert (headline.text, headline.title, headline.meta) == ("Broke after a week", None, {"text_from": "title"})
    with pytest.raises(RecordError) as info:
        record_to_document({**BASE, "text": ""})          # neither words nor stars
    assert [f for f, _ in info.value.problems] == ["text"]

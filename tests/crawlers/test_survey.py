"""Survey exports with scores: good rows kept with their scores, bad values reported by line and field."""

import json

from crawlers.ingest import ingest_file
from crawlers.normalize import RecordOptions, record_to_document
from index.document import document_id
from index.registry import open_backend
from index.scoring import ScoreTrendQuery
from nlp.analyser import get_analyser
from nlp.privacy import hash_customer

CSV = """source,source_id,channel,created_at,customer_id,order_id,nps,csat,ces,score_effort,text
qualtrics,r1,survey,2026-11-02T10:00:00+08:00,M-1001,SO-1,10,5,2,1.5,Fast delivery and great support
qualtrics,r2,survey,2026-11-02T11:00:00+08:00,M-1002,SO-2,11,4,,,Packaging was fine
qualtrics,r3,survey,2026-11-02T12:00:00+08:00,M-1003,SO-3,3,0,9,,The courier lost my parcel
qualtrics,r4,survey,2026-11-02T13:00:00+08:00,M-1001,SO-4,6,2,5,4,
qualtrics,r5,survey,2026-11-02T14:00:00+08:00,M-1004,SO-5,7.5,3,,x,Okay I guess
qualtrics,r6,survey,2026-11-02T15:00:00+08:00,M-1005,SO-6,9,,,,物流很快
"""


def test_a_survey_export_keeps_good_rows_and_names_each_bad_field(tmp_path):
    src = tmp_path / "nps-export.csv"
    src.write_text(CSV, encoding="utf-8")
    salt = "a-test-salt-for-surveys"
    with open_backend("sqlite", path=tmp_path / "v.db") as backend:
        summary = ingest_file(src, backend, get_analyser(), None, RecordOptions(salt=salt), state_dir=tmp_path)
        assert (summary.created, summary.rejected) == (3, 3)
        # line numbers count the header as line 1
        assert [(r.line, r.fields) for r in summary.rejections] == [
            (3, ["nps"]), (4, ["csat", "ces"]), (6, ["nps", "score_effort"])]
        reasons = [r.reason for r in summary.rejections]
        assert reasons[0] == "nps: 11 is outside 0-10"
        assert reasons[1] == "csat: 0 is outside 1-5; ces: 9 is outside 1-7"
        assert reasons[2] == "nps: 7.5 is not a whole number (nps is 0-10 in steps of 1); score_effort: 'x' is not a number"
        first = backend.get(document_id("qualtrics", "r1"))
        assert first.scores == {"ces": 2.0, "csat": 5.0, "effort": 1.5, "nps": 10.0}
        assert (first.order_id, first.customer_hash) == ("SO-1", hash_customer("M-1001", salt))
        silent = backend.get(document_id("qualtrics", "r4"))  # a score without a comment is kept
        assert (silent.text, silent.meta, silent.customer_hash) == ("", {"score_only": True}, first.customer_hash)
        nps = backend.score_trends(ScoreTrendQuery(metric="nps")).series[0]
        assert (nps.responses, nps.value) == (3, round(100 * (2 - 1) / 3, 6))
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("v.db*"))
    assert b"M-1001" not in stored and b"M-1003" not in stored
    side = (tmp_path / "nps-export.csv.rejected.jsonl").read_text(encoding="utf-8")
    assert "M-1003" not in side and all(json.loads(line)["line"] for line in side.splitlines())


def test_scores_from_a_jsonl_object_and_the_star_rating_stays_the_rating():
    doc = record_to_document({"source": "app", "source_id": "1", "text": "ok", "created_at": "2026-11-01",
                              "rating": 4, "scores": {"nps": 8, "delivery": 4.5}})
    assert doc.scores == {"delivery": 4.5, "nps": 8.0} and doc.score("rating") == 4.0
    assert doc.all_scores() == {"delivery": 4.5, "nps": 8.0, "rating": 4.0}


def test_a_customer_hash_column_holding_a_raw_id_is_hashed():
    doc = record_to_document({"source": "app", "source_id": "1", "text": "ok", "created_at": "2026-11-01",
                              "customer_hash": "13800138000"}, RecordOptions(salt="another-salt-123"))
    assert doc.customer_hash == hash_customer("13800138000", "another-salt-123")

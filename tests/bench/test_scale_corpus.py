"""The scale bench's generated corpus: exact size, stable ids, time spread, brand mixes, the planted spike."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

from bench.scale_corpus import END, SPIKE_DAYS, day_counts, generate, write_corpus
from crawlers.normalize import RecordOptions, record_to_document


def _pool() -> list[dict]:
    def item(text, lang, topic=None, polarity="negative", **extra):
        topics = [{"topic": topic, "polarity": polarity, "score": 0.9, "evidence": None}] if topic else []
        return {"text": text, "lang": lang, "topics": topics, "model_version": "fast-lexicon-1",
                "sentiment": {"label": polarity if topic else "neutral", "score": 0.8}, **extra}

    pool = [item(f"物流太慢 {i}", "zh", "logistics") for i in range(30)]
    pool += [item(f"质量很好 {i}", "zh", "quality", "positive") for i in range(30)]
    pool += [item(f"refund never came {i}", "en", "returns_refunds") for i in range(20)]
    pool += [item(f"just a note {i}", "en") for i in range(20)]
    pool += [item("爽肤水漏液了", "zh", "packaging", brand="Qinghe", product_id="QH-TN200"),
             item("Kettle is great", "en", "quality", "positive", brand="Lumio", product_id="LM-KT17")]
    return pool


def test_day_counts_sum_exactly_and_festivals_stand_out():
    days = day_counts(100_000)
    assert sum(n for _, n in days) == 100_000 and len(days) == 365
    by_day = dict(days)
    singles = by_day[datetime(2026, 11, 11).date()]
    assert singles > 3 * by_day[datetime(2026, 11, 4).date()]  # 11.11 against the Wednesday a week before
    assert by_day[days[-1][0]] > by_day[days[0][0]]  # volume grows over the year


def test_generated_records_are_stable_valid_and_shaped(tmp_path):
    recs = list(generate(20_000, _pool()))
    assert recs == list(generate(20_000, _pool()))  # same seed, same file: imports resume and overwrite themselves
    assert [r["source_id"] for r in recs[:3]] == ["s0", "s1", "s2"] and len({r["source_id"] for r in recs}) == 20_000
    stamps = [r["created_at"] for r in recs]
    assert stamps == sorted(stamps) and stamps[-1] < END.isoformat()  # time order, as a crawl delivers
    assert 0.55 < Counter(r["lang"] for r in recs)["zh"] / len(recs) < 0.65
    record_to_document(recs[0], RecordOptions())  # what voclens ingest accepts
    # brands draw from topic mixes of their own
    mixes = [Counter(r["topics"][0]["topic"] for r in recs if r["brand"] == b and r["topics"] and r["lang"] == "zh")
             for b in {r["brand"] for r in recs}]
    logistics = [m["logistics"] / (m["logistics"] + m["quality"]) for m in mixes]
    assert max(logistics) - min(logistics) > 0.2
    # the leaking toner appears only on the last days
    leaks = [r for r in recs if "漏液" in r["text"]]
    assert leaks and min(r["created_at"] for r in leaks) >= (END - timedelta(days=SPIKE_DAYS)).isoformat()


def test_write_corpus_reuses_a_complete_file_and_leaves_no_half_one(tmp_path, monkeypatch):
    import bench.scale_corpus as sc

    monkeypatch.setattr(sc, "label_pool", lambda cache, size: _pool())
    path = tmp_path / "c.jsonl"
    write_corpus(path, 500, pool_size=10)
    first = path.read_text(encoding="utf-8")
    assert len(first.splitlines()) == 500 and json.loads(first.splitlines()[0])["source_id"] == "s0"
    assert not (tmp_path / "c.jsonl.part").exists()
    mtime = path.stat().st_mtime_ns
    write_corpus(path, 500, pool_size=10)
    assert path.stat().st_mtime_ns == mtime  # reused, not rewritten
    write_corpus(path, 600, pool_size=10)
    assert len(path.read_text(encoding="utf-8").splitlines()) == 600  # other arguments: rebuilt

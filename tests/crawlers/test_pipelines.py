"""The item pipelines with their real components: voclens settings, a SQLite index file, the crawl state file.

No crawl here: items go straight through DocumentPipeline -> DedupePipeline
-> IndexPipeline of a Scrapy crawler built with the project's settings, and
what lands in the SQLite file is read back through the backend.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawlers.items import FeedbackItem
from crawlers.pipelines import DedupePipeline, DocumentPipeline, IndexPipeline
from api.crawl import open_components
from crawlers.errors import ComponentsError
from crawlers.runtime import components
from nlp.privacy import hash_author
from tests.crawlers.conftest import stored

SPAM = "加微信领红包返现50元，好评截图发给客服立即到账，机会难得，先到先得不要错过"


def item(n: int, text: str | None = "物流很快，包装完好，手机用着很流畅", **kw) -> FeedbackItem:
    fields = {"source": "shop", "source_id": str(n), "text": text, "created_at": f"2026-10-{n % 28 + 1:02d} 10:00:00",
              "scope": "shop:p1", "author": f"buyer{n}", "rating": 4, "tz": "Asia/Shanghai"}
    fields.update(kw)
    return FeedbackItem(**fields)


class Run:
    """One crawl's pipelines over the SQLite data directory ``data``."""

    def __init__(self, data: Path, monkeypatch, **settings):
        monkeypatch.setenv("VOCLENS_DATA_DIR", str(data))
        monkeypatch.setenv("VOCLENS_AUTHOR_SALT", "test-salt-1234")
        self.crawler = get_crawler(settings_dict={"CRAWL_COMPONENTS": open_components,
                                                  "CRAWL_CLASSIFY": False, "CRAWL_BATCH_SIZE": 3, **settings})
        self.stages = [cls.from_crawler(self.crawler) for cls in (DocumentPipeline, DedupePipeline, IndexPipeline)]
        for stage in self.stages:  # as Scrapy does when the spider opens: the first opens the components
            stage.open_spider()
        self.dropped: list[str] = []

    def feed(self, *items: FeedbackItem) -> None:
        for it in items:
            try:
                for stage in self.stages:
                    it = stage.process_item(it)
            except DropItem as exc:
                self.dropped.append(str(exc))

    def close(self) -> dict:
        self.stages[-1].close_spider()
        components(self.crawler).close()
        return {k: v for k, v in self.crawler.stats.get_stats().items() if k.startswith("voclens/")}


def test_invalid_items_are_counted_by_reason_and_the_rest_written(tmp_path: Path, monkeypatch):
    run = Run(tmp_path, monkeypatch)
    run.feed(item(1), item(2, text="  "), item(3, created_at="昨天"), item(4, rating=9), item(5, text=None, rating="x"),
             item(6, text="屏幕显示效果非常细腻，客服态度耐心"), {"source": "shop", "source_id": "7", "scope": "shop:p1",
                                                     "text": "a plain dict item works too", "created_at": "2026-10-07"})
    stats = run.close()
    # item 2 has stars but no words: kept as a rating (empty text, flagged); item 5 has neither: rejected
    assert stats["voclens/items_seen"] == 7 and stats["voclens/invalid"] == 3
    assert {k: v for k, v in stats.items() if k.startswith("voclens/invalid/")} == {
        "voclens/invalid/text": 1, "voclens/invalid/created_at": 1, "voclens/invalid/rating": 2}
    assert len(run.dropped) == 3 and any("shop:3" in d and "created_at" in d and "昨天" in d for d in run.dropped)
    docs = stored(tmp_path)
    assert sorted(docs) == ["1", "2", "6", "7"] and stats["voclens/new"] == 4
    assert (docs["2"].text, docs["2"].rating, docs["2"].meta["rating_only"]) == ("", 4.0, True)
    assert docs["2"].sentiment is None and docs["2"].keywords == []
    assert docs["1"].created_at.isoformat() == "2026-10-02T02:00:00+00:00"   # Beijing time to UTC


def test_authors_are_hashed_and_contacts_masked_before_writing(tmp_path: Path, monkeypatch):
    run = Run(tmp_path, monkeypatch)
    run.feed(item(1, text="有问题打我电话13812345678或者发邮件到 shop.owner@example.com 咨询", author="张三"),
             item(2, author="张三"), item(3, author="李四"))
    run.close()
    docs = stored(tmp_path)
    raw = (tmp_path / "voclens.db").read_bytes()
    assert "13812345678".encode() not in raw and b"shop.owner@example.com" not in raw and "张三".encode() not in raw
    assert "13812345678" not in docs["1"].text and "example.com" not in docs["1"].text
    assert docs["1"].author_hash == docs["2"].author_hash == hash_author("shop", "张三", "test-salt-1234")
    assert docs["3"].author_hash != docs["1"].author_hash
    assert hash_author("shop", "张三", "another-salt-99") != docs["1"].author_hash


def test_near_duplicates_keep_a_link_to_the_original(tmp_path: Path, monkeypatch):
    run = Run(tmp_path, monkeypatch)
    run.feed(item(1, text=SPAM), item(2, text=SPAM + "！！👍"), item(1, text=SPAM), item(3))
    stats = run.close()
    assert (stats["voclens/duplicates/near"], stats["voclens/duplicates/exact"], stats["voclens/new"]) == (1, 1, 3)
    assert any("shop:1 was already crawled" in d for d in run.dropped)
    docs = stored(tmp_path)
    assert docs["2"].meta["duplicate_of"] == docs["1"].id and docs["2"].meta["duplicate_distance"] <= 3
    assert "duplicate_of" not in docs["1"].meta and "duplicate_of" not in docs["3"].meta

    # next crawl, new process state: the copy is recognised from the fingerprints in crawl-state.sqlite
    later = Run(tmp_path, monkeypatch)
    later.feed(item(9, text="【" + SPAM + "】"))
    assert later.close()["voclens/duplicates/near"] == 1
    assert stored(tmp_path)["9"].meta["duplicate_of"] == docs["1"].id


def test_drop_mode_skips_near_duplicates(tmp_path: Path, monkeypatch):
    run = Run(tmp_path, monkeypatch, CRAWL_NEAR_DUPLICATES="drop")
    run.feed(item(1, text=SPAM), item(2, text=SPAM + "!!"))
    stats = run.close()
    assert stats["voclens/duplicates/near"] == 1 and stats["voclens/new"] == 1
    assert sorted(stored(tmp_path)) == ["1"] and "near-duplicate of" in run.dropped[0]
    with pytest.raises(ValueError, match="CRAWL_NEAR_DUPLICATES must be 'mark' or 'drop'"):
        Run(tmp_path, monkeypatch, CRAWL_NEAR_DUPLICATES="keep")


def test_a_re_crawl_cannot_bring_erased_reviews_back(tmp_path: Path, monkeypatch):
    from api.erasure import erase
    from index.base import ErasureKind
    from index.document import document_id
    from index.registry import open_backend

    run = Run(tmp_path, monkeypatch)
    run.feed(item(1, author="张三"), item(2, author="李四"), item(3, author="王五"))
    run.close()
    with open_backend("sqlite", path=tmp_path / "voclens.db") as backend:
        erase(backend, ErasureKind.document, document_id("shop", "2"), actor="cli")
        erase(backend, ErasureKind.author, hash_author("shop", "张三", "test-salt-1234"), actor="cli")
    again = Run(tmp_path, monkeypatch)
    again.feed(item(1, author="张三"), item(2, author="李四"), item(3, author="王五"), item(4, author="张三"))
    stats = again.close()
    assert stats["voclens/erased"] == 3 and stats.get("voclens/new", 0) == 0 and stats["voclens/updated"] == 1
    assert sorted(stored(tmp_path)) == ["3"]


def test_a_crawl_without_a_components_factory_stops_with_a_clear_error(tmp_path: Path, monkeypatch):
    from scrapy.settings import Settings as ScrapySettings

    project = ScrapySettings()
    project.setmodule("crawlers.settings", priority="project")
    assert project.get("CRAWL_COMPONENTS") is None          # crawlers/ names no factory of its own
    crawler = get_crawler(settings_dict={"CRAWL_CLASSIFY": False})
    with pytest.raises(ComponentsError, match=r"CRAWL_COMPONENTS is not set.*voclens crawl"):
        DocumentPipeline.from_crawler(crawler)
    with pytest.raises(ComponentsError, match="components are not open"):
        components(crawler)
    with pytest.raises(ComponentsError, match="'api.crawl.no_such_factory' cannot be loaded"):
        IndexPipeline.from_crawler(get_crawler(settings_dict={"CRAWL_COMPONENTS": "api.crawl.no_such_factory"}))


def test_a_dotted_path_from_the_command_line_opens_the_same_components(tmp_path: Path, monkeypatch):
    """``scrapy crawl -s CRAWL_COMPONENTS=api.crawl.open_components``: a string is loaded, then used like a callable."""
    monkeypatch.setenv("VOCLENS_DATA_DIR", str(tmp_path))
    crawler = get_crawler(settings_dict={"CRAWL_COMPONENTS": "api.crawl.open_components", "CRAWL_CLASSIFY": False})
    stages = [cls.from_crawler(crawler) for cls in (DocumentPipeline, IndexPipeline)]
    for stage in stages:
        stage.open_spider()
    assert stages[0].comp is stages[1].comp is components(crawler)   # opened once, shared
    assert stages[0].comp.classifier is None and (tmp_path / "crawl-state.sqlite").exists()
    stages[0].comp.close()


def test_a_rating_without_words_counts_in_trends_and_matches_no_search(tmp_path: Path, monkeypatch):
    from index.base import SearchQuery, TrendQuery
    from index.sqlite import SQLiteBackend
    from nlp.analyser import get_analyser

    run = Run(tmp_path, monkeypatch)
    run.feed(item(1, text="屏幕显示效果非常细腻", rating=5), item(2, text=None, rating=1))
    run.close()
    with SQLiteBackend(tmp_path / "voclens.db", analyser=get_analyser()) as backend:
        assert backend.count() == 2
        assert [h.document.source_id for h in backend.search(SearchQuery(q="屏幕")).hits] == ["1"]
        assert backend.count(q="屏幕") == 1
        buckets = [b for s in backend.trends(TrendQuery(interval="day", tz="Asia/Shanghai")).series for b in s.buckets]
        rated = {b.start.date().isoformat(): (b.volume, b.avg_rating) for b in buckets if b.volume}
        assert rated == {"2026-10-02": (1, 5.0), "2026-10-03": (1, 1.0)}  # the stars-only review is in the trend

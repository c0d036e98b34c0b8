"""Benchmark corpora: real review and post texts from ../shared/data, with synthetic metadata.

Texts are sampled (with replacement once the pool runs out) from Chinese and
English labelled sets so lengths and vocabulary are realistic; brands,
sources, dates and ratings are drawn at random with a fixed seed.
"""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"

BRANDS = ["Lumio", "Qinghe", "Voltra", "Acme", "北辰", "南山", "Orbit", "Kestrel", "云朵", "Tidal"]
SOURCES = [("jd", "review"), ("tmall", "review"), ("amazon", "review"), ("weibo", "social"),
           ("xiaohongshu", "social"), ("reddit", "social"), ("appstore", "review"), ("zendesk", "ticket"),
           ("survey", "survey")]


def _zh_texts(data_dir: Path) -> list[str]:
    texts: list[str] = []
    shop = data_dir / "online_shopping_10_cats" / "online_shopping_10_cats.csv"
    if shop.is_file():
        with open(shop, encoding="utf-8-sig", newline="") as fh:
            texts += [r["review"] for r in csv.DictReader(fh) if r.get("review", "").strip()]
    waimai = data_dir / "waimai_10k"
    for f in sorted(waimai.glob("*.csv")) if waimai.is_dir() else []:
        with open(f, encoding="utf-8-sig", newline="") as fh:
            texts += [r.get("review", "") for r in csv.DictReader(fh) if r.get("review", "").strip()]
    return texts


def _en_texts(data_dir: Path) -> list[str]:
    texts: list[str] = []
    uci = data_dir / "uci_sentiment_labelled_sentences"
    for f in sorted(uci.glob("*_labelled.txt")) if uci.is_dir() else []:
        texts += [line.rsplit("\t", 1)[0] for line in f.read_text(encoding="utf-8", errors="replace").splitlines() if "\t" in line]
    tweets = data_dir / "tweeteval_sentiment"
    for f in sorted(tweets.glob("*text*.txt")) if tweets.is_dir() else []:
        texts += [t for t in f.read_text(encoding="utf-8", errors="replace").splitlines() if t.strip()]
    return texts


def _synthetic(rng: random.Random, lang: str) -> str:
    zh = ["物流", "太慢", "质量", "很好", "包装", "破损", "客服", "不回复", "退款", "价格", "便宜", "漏液", "尺码", "偏大"]
    en = ["shipping", "slow", "quality", "great", "box", "crushed", "support", "refund", "price", "cheap", "size", "app"]
    words = zh if lang == "zh" else en
    return ("，" if lang == "zh" else " ").join(rng.choice(words) for _ in range(rng.randint(4, 30)))


def records(n: int, seed: int = 7, zh_share: float = 0.6, days: int = 180, data_dir: Path = DATA_DIR) -> list[dict]:
    """``n`` import records (the shape ``voclens ingest`` reads)."""
    rng = random.Random(seed)
    zh, en = _zh_texts(data_dir), _en_texts(data_dir)
    end = datetime(2026, 11, 20, tzinfo=UTC)
    out = []
    for i in range(n):
        lang = "zh" if rng.random() < zh_share else "en"
        pool = zh if lang == "zh" else en
        text = rng.choice(pool) if pool else _synthetic(rng, lang)
        source, channel = rng.choice(SOURCES)
        out.append({
            "source": source, "source_id": f"b{i}", "channel": channel, "brand": rng.choice(BRANDS),
            "product_id": f"p{rng.randint(1, 200)}", "text": text[:2000],
            "rating": rng.randint(1, 5) if channel == "review" else None,
            "created_at": (end - timedelta(seconds=rng.randint(0, days * 86400))).isoformat(),
            "author": f"user{rng.randint(1, 30000)}",
        })
    return out

"""A large labelled corpus for the scale bench, written as JSONL one day at a time (never held in memory).

Why it looks the way it does:

* **Texts** are real reviews and posts (``bench.corpus``: shared/data) and the
  demo corpus (``api/demo/corpus.jsonl``), so lengths and vocabulary are those
  of real feedback. A pool of them is labelled **once** with the fast model and
  cached next to the output: the generated documents arrive pre-labelled
  (``voclens ingest --no-classify``), so the scale bench measures the index,
  not the classifier.
* **Topic mixes** differ by brand: each brand draws its texts from the pool's
  topic groups with weights of its own (the group's share times a seeded
  log-normal factor), as one brand's complaints lean to logistics and
  another's to quality; 60% of the texts are Chinese, 40% English.
* **Time spread**: a year ending ``END``, volume growing from 0.6x to 1.4x,
  weekends 15% busier, evening peaks, shopping festivals (6.18, 11.11, 12.12)
  several times a normal day, and a planted emerging complaint (the demo's
  leaking Qinghe toner) on the last two days. Each day's documents are written
  in time order, as a crawl delivers them.
* **Stable ids** (``s<n>``) and a fixed seed: the same arguments write the
  same file, so an interrupted import resumes and a rerun overwrites nothing
  but itself.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.corpus import BRANDS, DATA_DIR, _en_texts, _zh_texts

END = datetime(2026, 11, 20, tzinfo=UTC)
DEMO_CORPUS = Path(__file__).resolve().parents[1] / "api" / "demo" / "corpus.jsonl"
#: Bump when the generator changes what it writes (the cached file is then rebuilt).
GENERATOR_VERSION = 2

ZH_SOURCES = [("jd", "review", 4), ("tmall", "review", 3), ("weibo", "social", 2), ("xiaohongshu", "social", 2)]
EN_SOURCES = [("amazon", "review", 4), ("reddit", "social", 2), ("appstore", "review", 1), ("zendesk", "ticket", 2),
              ("survey", "survey", 1)]  # fmt: skip
FESTIVALS = {(6, 18): 3.0, (11, 10): 2.0, (11, 11): 4.0, (11, 12): 2.0, (12, 12): 2.0}
#: Share of each hour of the (UTC) day in a day's volume: quiet nights, evening peak.
HOURS = [2, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 6, 7, 6, 6, 6, 6, 7, 8, 9, 9, 8, 6, 4]
SPIKE_DAYS, SPIKE_SHARE = 2, 0.03


def _log(msg: str) -> None:
    print(f"scale-corpus: {msg}", file=sys.stderr, flush=True)


def label_pool(cache: Path, size: int, seed: int = 11) -> list[dict]:
    """``size`` texts from shared/data plus the demo corpus, labelled once by the fast model (cached in ``cache``)."""
    if cache.is_file():
        return [json.loads(line) for line in cache.read_text(encoding="utf-8").splitlines()]
    from nlp.models import get_classifier

    rng = random.Random(seed)
    zh, en = _zh_texts(DATA_DIR), _en_texts(DATA_DIR)
    texts = rng.sample(zh, min(len(zh), int(size * 0.6))) + rng.sample(en, min(len(en), int(size * 0.4)))
    demo = [json.loads(line) for line in DEMO_CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [{"text": t[:2000]} for t in texts if t.strip()]
    items += [{"text": r["text"], "brand": r["brand"], "product_id": r["product_id"]} for r in demo if r.get("text")]
    classifier = get_classifier("fast")
    _log(f"labelling a pool of {len(items):,} texts with the fast model (once; cached in {cache})")
    for i in range(0, len(items), 1000):
        chunk = items[i : i + 1000]
        for item, res in zip(chunk, classifier.classify_batch([x["text"] for x in chunk]), strict=True):
            item.update(sentiment=res.sentiment.model_dump(mode="json"),
                        topics=[t.model_dump(mode="json") for t in res.topics],
                        model_version=res.model_version, lang=res.lang)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".part")
    tmp.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in items), encoding="utf-8")
    tmp.replace(cache)
    return items


def day_counts(n: int, days: int = 365, end: datetime = END) -> list[tuple[date, int]]:
    """Documents per day summing exactly to ``n``: growth, weekends, festivals."""
    first = (end - timedelta(days=days)).date()
    weights = []
    for k in range(days):
        day = first + timedelta(days=k)
        w = (0.6 + 0.8 * k / max(days - 1, 1)) * (1.15 if day.weekday() >= 5 else 1.0)
        weights.append(w * FESTIVALS.get((day.month, day.day), 1.0))
    total, cum, out, done = sum(weights), 0.0, [], 0
    for k, w in enumerate(weights):
        cum += w
        upto = n if k == days - 1 else math.floor(n * cum / total)
        out.append((first + timedelta(days=k), upto - done))
        done = upto
    return out


class _Sampler:
    """Draws a labelled pool item for a brand from the brand's own topic mix."""

    def __init__(self, pool: list[dict], rng: random.Random, zh_share: float):
        self.rng, self.zh_share = rng, zh_share
        groups: dict[tuple[str, str], list[dict]] = {}
        for item in pool:
            if item.get("brand"):
                continue  # demo texts name their brand: used for that brand only
            key = item["topics"][0]["topic"] if item["topics"] else ""
            groups.setdefault((item["lang"], key), []).append(item)
        self.groups = {lang: [items for (lg, _), items in sorted(groups.items()) if lg == lang] for lang in ("zh", "en")}
        self.spike = [x for x in pool if x.get("product_id") == "QH-TN200" and ("漏" in x["text"] or "leak" in x["text"].lower())]
        self.demo: dict[str, list[dict]] = {}
        for item in pool:
            if item.get("brand") and item not in self.spike:  # the leak is new: only in the last days
                self.demo.setdefault(item["brand"], []).append(item)
        # per brand and language: cumulative weights over the topic groups
        self.mix: dict[tuple[str, str], list[float]] = {}
        for brand in BRANDS:
            for lang, lang_groups in self.groups.items():
                acc, cum = 0.0, []
                for items in lang_groups:
                    acc += len(items) * math.exp(rng.gauss(0, 0.6))
                    cum.append(acc)
                self.mix[brand, lang] = cum

    def draw(self, brand: str) -> dict:
        rng = self.rng
        if brand in self.demo and rng.random() < 0.05:
            return rng.choice(self.demo[brand])
        lang = "zh" if rng.random() < self.zh_share else "en"
        cum = self.mix[brand, lang]
        k = min(_bisect(cum, rng.random() * cum[-1]), len(cum) - 1)
        return rng.choice(self.groups[lang][k])


def _bisect(cum: list[float], x: float) -> int:
    lo, hi = 0, len(cum)
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] <= x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _pick(rng: random.Random, choices: list[tuple[str, str, int]]) -> tuple[str, str]:
    source, channel, _ = rng.choices(choices, weights=[w for *_, w in choices])[0]
    return source, channel


def _rating(rng: random.Random, sentiment: str) -> int:
    return rng.choice({"negative": (1, 1, 2, 2, 3), "neutral": (2, 3, 3, 4), "positive": (4, 5, 5, 5)}.get(sentiment, (3,)))


def generate(n: int, pool: list[dict], seed: int = 21, days: int = 365, end: datetime = END,
             zh_share: float = 0.6) -> Iterator[dict]:  # fmt: skip
    """``n`` labelled import records, day by day in time order (see the module docstring).

    ``zh_share`` of the texts are Chinese (the English pool is smaller, so its texts repeat more).
    """
    rng = random.Random(seed)
    sampler = _Sampler(pool, rng, zh_share)
    brand_weights = [1 / (k + 1) ** 0.8 for k in range(len(BRANDS))]
    products = {b: sorted({x["product_id"] for x in items}) for b, items in sampler.demo.items()}
    spike_from = (end - timedelta(days=SPIKE_DAYS)).date()
    i = 0
    for day, count in day_counts(n, days, end):
        start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        seconds = sorted(rng.choices(range(24), weights=HOURS)[0] * 3600 + rng.randrange(3600) for _ in range(count))
        for sec in seconds:
            if day >= spike_from and sampler.spike and rng.random() < SPIKE_SHARE:
                brand, item = "Qinghe", rng.choice(sampler.spike)
            else:
                brand = rng.choices(BRANDS, weights=brand_weights)[0]
                item = sampler.draw(brand)
            source, channel = _pick(rng, ZH_SOURCES if item["lang"] == "zh" else EN_SOURCES)
            product = item.get("product_id") or rng.choice(products.get(brand) or [f"{brand[:2].upper()}-{rng.randint(1, 40)}"])
            rec = {"source": source, "source_id": f"s{i}", "channel": channel, "brand": brand, "product_id": product,
                   "text": item["text"], "created_at": (start + timedelta(seconds=sec)).isoformat(),
                   "author": f"u{int(rng.paretovariate(1.1)) * 7919 % 400_000}",
                   "sentiment": item["sentiment"], "topics": item["topics"], "model_version": item["model_version"],
                   "lang": item["lang"]}  # fmt: skip
            if channel in ("review", "survey"):
                rec["rating"] = _rating(rng, item["sentiment"]["label"])
            i += 1
            yield rec


def write_corpus(path: Path, n: int, pool_size: int = 60_000, seed: int = 21,
                 progress: Callable[[int], None] | None = None) -> Path:  # fmt: skip
    """Write ``n`` records to ``path`` unless the same file (same arguments) is already there.

    Written to ``<path>.part`` and renamed when complete, so a killed run
    leaves no half file that looks finished; the labelled pool is cached in
    the same folder.
    """
    stamp = hashlib.sha1(f"{GENERATOR_VERSION}:{n}:{pool_size}:{seed}".encode()).hexdigest()[:12]
    meta = path.with_name(path.name + ".meta")
    if path.is_file() and meta.is_file() and meta.read_text().strip() == stamp:
        _log(f"{path} already holds these {n:,} records; reusing it")
        return path
    pool = label_pool(path.parent / f"pool-{pool_size}.jsonl", pool_size)
    part = path.with_name(path.name + ".part")
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    with open(part, "w", encoding="utf-8") as fh:
        for k, rec in enumerate(generate(n, pool, seed), 1):
            fh.write(dumps(rec) + "\n")
            if progress and k % 100_000 == 0:
                progress(k)
    part.replace(path)
    meta.write_text(stamp + "\n")
    return path

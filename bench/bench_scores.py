"""Score trends and key drivers: latency on 100k scored documents, and the drivers of low ratings on real reviews.

    python bench/bench_scores.py [--docs 100000] [--repeat 9] [--db FILE] [--data /work/shared/data] [--no-latency] [--no-datasets]

**Latency** (SQLite, target < 200 ms): a file of ``--docs`` survey answers and reviews over a
year (NPS on 60%, a star rating on the rest, CSAT on a third; brands, channels, sources and
0-3 topics each, drawn so that complaints go with lower scores). Reported: the median of
``--repeat`` runs of NPS per week, NPS per week split by topic and by brand, CSAT per month,
and the drivers of NPS and of ratings. ``--db FILE`` keeps the scored file and reuses it on the
next run (a file written by an older voclens is migrated on opening, so the same documents can
be timed before and after a change: build the file with the old code, copy it, open the copy
with the new).

**Drivers of low ratings** on ``womens_clothing_reviews_en`` and ``amazon_alexa_reviews_en``
(read from ``--data``, never copied): every review with its text (Alexa's de-duplicated by
text, as its SOURCE.md asks) labelled by the shipped model (``lite``), its star rating as the
score; the drivers of ``rating`` ranked with their intervals. ``tests/api/data/drivers-reading.md``
compares the ranking with a reading of 100 low-rated reviews.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index.base import Filters  # noqa: E402
from index.document import Document  # noqa: E402
from index.registry import open_backend  # noqa: E402
from index.scoring import DriverQuery, DriverResult, ScoreTrendQuery  # noqa: E402
from nlp.labels import Polarity, TopicLabel  # noqa: E402

TOPICS = ["logistics", "quality", "customer_service", "price", "size_fit", "usability", "packaging", "returns_refunds"]
START = datetime(2025, 11, 1, tzinfo=UTC)


def scored_documents(n: int, seed: int = 26) -> list[Document]:
    """``n`` synthetic survey answers and reviews whose complaints lower their scores."""
    rng = np.random.default_rng(seed)
    docs = []
    for i in range(n):
        k = int(rng.integers(0, 4))
        picked = rng.choice(len(TOPICS), size=k, replace=False)
        polarities = rng.random(k) < 0.55
        topics = [TopicLabel(topic=TOPICS[j], polarity=Polarity.negative if neg else Polarity.positive, score=0.9)
                  for j, neg in zip(picked, polarities, strict=True)]
        pull = sum((-1.4 - 0.3 * j if neg else 0.6) for j, neg in zip(picked, polarities, strict=True))
        survey = rng.random() < 0.6
        scores = {}
        rating = None
        if survey:
            scores["nps"] = int(np.clip(round(8 + pull + rng.normal(0, 1.6)), 0, 10))
            if rng.random() < 0.33:
                scores["csat"] = int(np.clip(round(4 + pull / 2 + rng.normal(0, 0.8)), 1, 5))
        else:
            rating = float(np.clip(round(4.2 + pull / 2 + rng.normal(0, 0.8)), 1, 5))
        docs.append(Document(
            source="qualtrics" if survey else ["jd", "tmall", "amazon"][i % 3], source_id=str(i),
            channel="survey" if survey else "review", brand=["Lumio", "Qinghe", "Voltra"][i % 3],
            text="answer" if survey else "review", rating=rating, scores=scores, topics=topics,
            created_at=START + timedelta(seconds=int(rng.integers(0, 365 * 86400)))))
    return docs


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm: caches, statement preparation
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def latency(n: int, repeat: int, db: Path | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        backend = open_backend("sqlite", path=db or Path(tmp) / "scores.db")
        if backend.count():
            print(f"{backend.count():,} documents in {db} (opened and migrated in {time.perf_counter() - t:.1f} s)")
        else:
            docs = scored_documents(n)
            for i in range(0, n, 10_000):
                backend.upsert(docs[i : i + 10_000])
            print(f"{n:,} documents written in {time.perf_counter() - t:.1f} s "
                  f"({sum('nps' in d.scores for d in docs):,} with NPS, {sum(d.rating is not None for d in docs):,} rated)")
        cases = {
            "NPS per week": lambda: backend.score_trends(ScoreTrendQuery(metric="nps", interval="week")),
            "NPS per week, split by topic": lambda: backend.score_trends(ScoreTrendQuery(metric="nps", interval="week", split="topic")),
            "NPS per week, split by brand": lambda: backend.score_trends(ScoreTrendQuery(metric="nps", interval="week", split="brand")),
            "CSAT per month, one brand": lambda: backend.score_trends(ScoreTrendQuery(metric="csat", interval="month", filters=Filters(brand=["Lumio"]))),
            "drivers of NPS": lambda: backend.drivers(DriverQuery(metric="nps")),
            "drivers of ratings": lambda: backend.drivers(DriverQuery(metric="rating")),
            "drivers of NPS, last 90 days": lambda: backend.drivers(DriverQuery(metric="nps", filters=Filters(since=START + timedelta(days=275)))),
        }
        print(f"\nSQLite, median of {repeat} runs (target < 200 ms):")
        for name, fn in cases.items():
            print(f"  {name:<32} {_median_ms(fn, repeat):7.1f} ms")
        backend.close()


# -- real reviews ------------------------------------------------------------------------------
def womens_clothing(data: Path) -> list[dict]:
    path = data / "womens_clothing_reviews_en" / "womens_clothing_reviews.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [{"id": r["row"], "text": " ".join(x for x in (r["Title"], r["ReviewText"]) if x).strip(),
             "rating": float(r["Rating"])} for r in rows if r["ReviewText"].strip()]


def alexa(data: Path) -> list[dict]:
    path = data / "amazon_alexa_reviews_en" / "amazon_alexa.tsv"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    seen: dict[str, dict] = {}
    for i, r in enumerate(rows):
        text = r["verified_reviews"].replace("&#39;", "'").strip()
        if len(text) > 3 and text not in seen:  # about 1,270 repeated rating-2 rows: one of each text
            seen[text] = {"id": str(i), "text": text, "rating": float(r["rating"])}
    return list(seen.values())


def drivers_of(name: str, records: list[dict], model: str) -> DriverResult:
    from crawlers.enrich import classify_documents
    from nlp.models import get_classifier

    classifier = get_classifier(model)
    docs = [Document(source=name.replace("_", "-"), source_id=r["id"], channel="review", text=r["text"], lang="en",
                     rating=r["rating"], created_at=datetime(2018, 7, 1, tzinfo=UTC)) for r in records]
    t = time.perf_counter()
    labelled = []
    for i in range(0, len(docs), 64):
        labelled += classify_documents(docs[i : i + 64], classifier)
    seconds = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        backend = open_backend("sqlite", path=Path(tmp) / "real.db")
        backend.upsert([d.model_copy(update={"vector": None}) for d in labelled])
        result = backend.drivers(DriverQuery(metric="rating", min_count=10, limit=12))
        backend.close()
    low = [d for d in labelled if d.rating <= 2]
    print(f"\n{name}: {len(docs):,} reviews ({len(low)} rated 1-2) labelled by {classifier.version} in {seconds:.0f} s; "
          f"mean rating {result.overall.value:.2f} [{result.overall.low:.2f}, {result.overall.high:.2f}], R² {result.r_squared:.3f}")
    print(f"  {'topic:polarity':<28}{'share':>7}{'with':>7}{'without':>9}{'impact':>9}  {'95% interval':<18}"
          f"{'coef.':>7}{'import.':>8}{'in low':>8}")
    for d in result.drivers:
        in_low = sum(any(t.topic == d.topic and t.polarity == d.polarity for t in x.topics) for x in low) / max(len(low), 1)
        print(f"  {d.topic + ':' + d.polarity.value:<28}{d.share:>7.1%}{d.with_topic.value:>7.2f}{d.without_topic.value:>9.2f}"
              f"{d.impact:>+9.3f}  [{d.impact_low:+.3f}, {d.impact_high:+.3f}]  {d.coefficient:>+6.2f}"
              f"{(d.importance or 0):>8.1%}{in_low:>8.0%}")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--db", type=Path, help="Keep the scored index in this SQLite file and reuse it when it exists.")
    ap.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    ap.add_argument("--model", default="lite", help="classifier for the real reviews (default: the shipped lite model)")
    ap.add_argument("--no-latency", action="store_true")
    ap.add_argument("--no-datasets", action="store_true")
    args = ap.parse_args(argv)
    if not args.no_latency:
        latency(args.docs, args.repeat, args.db)
    if not args.no_datasets:
        drivers_of("womens_clothing_reviews_en", womens_clothing(args.data), args.model)
        drivers_of("amazon_alexa_reviews_en", alexa(args.data), args.model)
    return 0


if __name__ == "__main__":
    sys.exit(main())

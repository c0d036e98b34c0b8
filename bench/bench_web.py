"""The web app's requests on the bench index: server time of each view's first render and of each interaction.

    python bench/bench_web.py [--docs 100000] [--repeat 9] [--tz Asia/Shanghai] [--db FILE] [--only TEXT]

``--db FILE`` keeps the labelled index in FILE and reuses it on the next
run (labelling and ingesting 100k documents takes minutes; a file written
by an older voclens is migrated on opening, as a server would); ``--only``
times just the views whose name contains TEXT.

The page is a client of the JSON API, so its speed is the speed of the
requests it makes. This script makes the same requests the page's modules
make (``api/web/static/js/views/*.js``: same paths, same parameters) through
the whole application (middleware, validation, backend, serialisation) on the
bench corpus (``bench/corpus.py``: real review texts, synthetic metadata,
180 days ending 2026-11-20), with ``now`` taken as the corpus's end so the
"last 30 days" and "emerging" windows hold data. Network time is not
included: it is the server's share.

A view's figure is the sum of its requests (the page sends some in
parallel, so the sum is an upper bound), median and p95 over ``--repeat``
runs after one warm-up. Targets (issue 18): first render under 1 s, every
interaction under 200 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_backends import END, ingest, labelled_records  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from api.settings import Settings  # noqa: E402
from index.registry import open_backend  # noqa: E402
from nlp.analyser import Analyser  # noqa: E402

FIRST_RENDER_TARGET_MS = 1000
INTERACTION_TARGET_MS = 200
#: Files a first visit loads besides the API answers (index.html names them; the modules import each other).
STATIC = ["/", "/static/app.css", "/static/favicon.svg", "/static/vendor/echarts.min.js",
          *(f"/static/js/{m}.js" for m in ("app", "api", "export", "filters", "format", "i18n", "topics")),
          *(f"/static/js/views/{v}.js" for v in ("search", "trends", "emerging", "document", "digests"))]


def iso(dt) -> str:
    return dt.isoformat()


def views(tz: str, doc_id: str, sub_id: str, cursor: str) -> dict[str, list[tuple[str, str, dict]]]:
    """name -> the requests (method, path, params or body) the page makes for it."""
    page = {"limit": 50}
    tomorrow = END.replace(hour=0, minute=0, second=0) + timedelta(days=1)
    periods = [(tomorrow - timedelta(days=30), tomorrow), (tomorrow - timedelta(days=60), tomorrow - timedelta(days=30))]
    brand_split = [("GET", "/trends", {"split": "brand", "interval": "month", "split_limit": 50, "tz": tz,
                                       "since": iso(a), "until": iso(b)}) for a, b in periods]
    week = {"since": iso(END - timedelta(days=7)), "until": iso(END)}
    emerging = [("GET", "/topics/emerging", {"window": "2d", "baseline": "28d", "limit": 10, "polarity": "negative", "until": iso(END)}),
                ("GET", "/keywords/emerging", {"window": "2d", "baseline": "28d", "limit": 10, "until": iso(END)})]
    examples = [("GET", "/search", {"topic": f"{t}:negative", "since": iso(END - timedelta(days=2)), "until": iso(END),
                                    "sort": "newest", "limit": 3})
                for t in ("logistics", "quality", "packaging", "price", "customer_service")]
    examples += [("GET", "/search", {"q": f'"{k}"', "since": iso(END - timedelta(days=2)), "until": iso(END), "sort": "newest", "limit": 3})
                 for k in ("物流", "质量", "refund", "包装", "客服")]
    shell = [("GET", "/access", {}), ("GET", "/own-topics", {})]  # the key check, the own topics' names
    return {
        # first renders: the shell's requests plus what the view asks for
        "first render: search": [*shell, ("GET", "/search", {"sort": "newest", **page})],
        "first render: trends": [*shell, ("GET", "/trends", {"interval": "week", "metric": "volume", "split": "topic",
                                                             "tz": tz, "split_limit": 12}), *brand_split],
        "first render: emerging": [*shell, *emerging, *examples],
        "first render: document": [*shell, ("GET", f"/documents/{doc_id}", {})],
        "first render: digests": [*shell, ("GET", "/subscriptions", {})],
        # interactions
        "search: query 物流, relevance": [("GET", "/search", {"q": "物流", "sort": "relevance", **page})],
        "search: two filters (brand, sentiment)": [("GET", "/search", {"brand": "Voltra", "sentiment": "negative", "sort": "newest", **page})],
        "search: query + topic:negative + last week": [("GET", "/search", {"q": "质量", "topic": "quality:negative", **week, "sort": "relevance", **page})],
        "search: more results (cursor)": [("GET", "/search", {"sort": "newest", "cursor": cursor, **page})],
        # with keys, Export CSV first asks for a signed link (parameters in the query string, checked by a 1-row search)
        "search: export link (keyed)": [("POST", "/search/export/links?brand=Voltra&sentiment=negative&sort=newest", {})],
        "search: brand suggestions (focus)": [("GET", "/trends", {"split": "brand", "interval": "month", "split_limit": 50,
                                                                  "since": iso(tomorrow - timedelta(days=90))})],
        "trends: split by brand, per day": [("GET", "/trends", {"interval": "day", "metric": "volume", "split": "brand", "tz": tz, "split_limit": 12})],
        "trends: negative share, per month": [("GET", "/trends", {"interval": "month", "metric": "negative_share", "split": "topic", "tz": tz, "split_limit": 12})],
        "trends: filtered (q=物流, brand)": [("GET", "/trends", {"q": "物流", "brand": "Voltra", "interval": "week", "metric": "volume", "split": "topic", "tz": tz, "split_limit": 12})],
        "trends: click a bar (bucket search)": [("GET", "/search", {"brand": "Voltra", **week, "sort": "newest", **page})],
        "trends: brand comparison period": brand_split,
        "emerging: change window (2 lists + 10 examples)": [*emerging, *examples],
        "document: open": [("GET", f"/documents/{doc_id}", {})],
        "digests: create": [("POST", "/subscriptions", {"name": "bench", "owner": "bench", "channel": "email",
                                                         "email_to": ["b@example.com"], "filters": {"brand": ["Voltra"]}})],
        "digests: pause + list": [("POST", f"/subscriptions/{sub_id}/pause", {}), ("GET", "/subscriptions", {})],
        "digests: preview next digest": [("GET", f"/subscriptions/{sub_id}/preview", {"format": "html", "send_day": iso(END)})],
    }


def call(client, method: str, path: str, params: dict):
    r = client.post(path, json=params) if method == "POST" and params else client.request(method, path, params=params)
    assert r.status_code < 300, (path, r.status_code, r.text[:300])
    return r


def timed(client, requests, repeat: int) -> tuple[float, float, float]:
    """(median, p95, slowest request's median) in ms of running ``requests`` one after the other."""
    totals, per = [], [[] for _ in requests]
    for run in range(repeat + 1):
        total = 0.0
        for i, (method, path, params) in enumerate(requests):
            t0 = time.perf_counter()
            call(client, method, path, params)
            ms = (time.perf_counter() - t0) * 1000
            total += ms
            if run:
                per[i].append(ms)
        if run:  # the first run warms caches, as a running server's are
            totals.append(total)
    totals.sort()
    p95 = totals[min(len(totals) - 1, int(round(0.95 * (len(totals) - 1))))]
    return statistics.median(totals), p95, max(statistics.median(p) for p in per)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--tz", default="Asia/Shanghai", help="The viewer's time zone (the page sends its own).")
    ap.add_argument("--db", type=Path, help="Keep the bench index in this SQLite file and reuse it when it exists.")
    ap.add_argument("--only", default="", help="Time only the views whose name contains this text.")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(args, Path(tmp))


def run(args: argparse.Namespace, tmp: Path) -> None:
    """Open (or build) the bench index and print the table."""

    db = args.db or tmp / "bench.db"
    analyser = Analyser()
    with open_backend("sqlite", analyser=analyser, path=db) as backend:
        if backend.count() == 0:
            print(f"labelling {args.docs:,} records with the fast model (not timed)...", file=sys.stderr)
            recs = labelled_records(args.docs)
            print("ingesting (not timed)...", file=sys.stderr)
            ingest(backend, recs, analyser)
        settings = Settings(data_dir=tmp, rate_limit=None, model="fast")
        with TestClient(create_app(settings, backend=backend)) as client:
            first = call(client, "GET", "/search", {"sort": "newest", "limit": 50}).json()
            doc_id = first["results"][0]["document"]["id"]
            sub = call(client, "POST", "/subscriptions", {"name": "weekly", "owner": "bench", "channel": "email",
                                                          "email_to": ["b@example.com"]}).json()
            static = [("GET", path, {}) for path in STATIC]
            print(f"documents: {backend.count():,} (SQLite FTS5); server time in ms, {args.repeat} runs; "
                  f"viewer time zone {args.tz}")
            print(f"\n{'view or interaction':52} {'requests':>8} {'median':>8} {'p95':>8} {'slowest':>8}  target")
            static_med, static_p95, slow = timed(client, static, args.repeat)
            print(f"{'static files (shell, modules, ECharts 1.1 MB)':52} {len(static):8} {static_med:8.1f} "
                  f"{static_p95:8.1f} {slow:8.1f}")
            for name, requests in views(args.tz, doc_id, sub["id"], first["next_cursor"]).items():
                if args.only not in name:
                    continue
                med, p95, slow = timed(client, requests, args.repeat)
                target = INTERACTION_TARGET_MS
                if name.startswith("first render"):  # a first visit also loads the files above
                    med, p95, target = med + static_med, p95 + static_p95, FIRST_RENDER_TARGET_MS
                    name += " + static"
                verdict = "ok" if med < target else f"OVER {target}"
                print(f"{name:52} {len(requests):8} {med:8.1f} {p95:8.1f} {slow:8.1f}  {verdict}")
            if args.only:  # the export is timed only in a full run
                return
            t0 = time.perf_counter()
            r = client.get("/search/export", params={"brand": "Voltra"})
            secs = time.perf_counter() - t0
            rows = int(r.headers["x-total-count"])
            print(f"\nCSV export brand=Voltra: {rows:,} rows, {len(r.content) / 1e6:.1f} MB in {secs:.2f} s "
                  f"({rows / secs:,.0f} rows/s; streamed, not an interaction)")


if __name__ == "__main__":
    main()

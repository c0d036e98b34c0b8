"""The fixture site: a real HTTP server on a loopback port serving a catalog of sources.

Run as ``python -m tests.crawlers.site.server CATALOG.json`` (it prints
``PORT <n>`` once listening). The catalog (written by ``tests.crawlers.site.catalog``)
holds JD products, Amazon products, schema.org pages and feeds; it is re-read
when the file changes, so a test can add reviews between two crawls.

Per-page behaviours make the faults real: a ``behaviour`` entry maps a page
to a list of answers for its first hits (``429``, ``503``, ``"slow"``,
``"malformed"``, ``"blocked"``); later hits get the real page. Every request
is logged; ``GET /_requests`` returns the log, ``POST /_reset`` clears it.

Real captured responses (``catalog["captures"]``, built with
``tests.crawlers.site.replay.served``) are served for their path, with or
without the query string, before any generated page, with the ``Date``
header of the day they were captured.
"""

from __future__ import annotations

import html
import json
import math
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.crawlers.site import social
from tests.crawlers.site.replay import capture_path

ROBOTS = "User-agent: *\nDisallow: /private/\n"
SLOW_SECONDS = 6.0


class Catalog:
    def __init__(self, path: Path):
        self.path = path
        self._mtime = None
        self.data: dict = {}
        self.lock = threading.Lock()
        self.hits: dict[str, int] = {}
        self.log: list[str] = []

    def get(self) -> dict:
        with self.lock:
            mtime = self.path.stat().st_mtime_ns
            if mtime != self._mtime:
                self.data = json.loads(self.path.read_text(encoding="utf-8"))
                self._mtime = mtime
            return self.data

    def hit(self, key: str) -> int:
        """Number of earlier hits of ``key`` (0 on the first)."""
        with self.lock:
            n = self.hits.get(key, 0)
            self.hits[key] = n + 1
            return n


def fault_for(behaviour: dict, page: str, n: int):
    answers = behaviour.get(page) or []
    return answers[n] if n < len(answers) else None


def jd_body(product: dict, page: int, size: int) -> dict:
    comments = sorted(product["comments"], key=lambda c: str(c.get("creationTime", "")), reverse=True)
    return {
        "productCommentSummary": {"commentCount": len(comments)},
        "comments": comments[page * size:(page + 1) * size],
        "maxPage": max(1, math.ceil(len(comments) / size)),
    }


def amazon_html(asin: str, product: dict, page: int, size: int) -> str:
    reviews = sorted(product["reviews"], key=lambda r: r["sort_key"], reverse=True)
    pages = max(1, math.ceil(len(reviews) / size))
    parts = [f"<html><head><meta charset='utf-8'><title>Amazon.com: Customer reviews: {html.escape(product['name'])}</title></head><body>",
             f"<div id='cm_cr-product_info'><a data-hook='product-link' href='/dp/{asin}'>{html.escape(product['name'])}</a></div>",
             "<div id='cm_cr-review_list'>"]
    for r in reviews[(page - 1) * size: page * size]:
        parts.append(f"<div id='{r['id']}' data-hook='review' class='a-section review aok-relative'>")
        parts.append(f"<div class='a-profile-content'><span class='a-profile-name'>{html.escape(r.get('author', ''))}</span></div>")
        if r.get("stars") is not None:
            parts.append(f"<i data-hook='review-star-rating' class='a-icon a-icon-star'><span class='a-icon-alt'>{r['stars']} out of 5 stars</span></i>")
        if r.get("title") is not None:
            parts.append(f"<a data-hook='review-title' class='review-title' href='/gp/customer-reviews/{r['id']}'><span>{html.escape(r['title'])}</span></a>")
        parts.append(f"<span data-hook='review-date' class='review-date'>{html.escape(r.get('date', ''))}</span>")
        if r.get("verified"):
            parts.append("<span data-hook='avp-badge' class='a-size-mini'>Verified Purchase</span>")
        if r.get("variant"):
            parts.append(f"<a data-hook='format-strip' class='a-link-normal'>{html.escape(r['variant'])}</a>")
        if r.get("body") is not None:
            parts.append(f"<span data-hook='review-body' class='review-text'><span>{r['body']}</span></span>")
        if r.get("helpful"):
            parts.append(f"<span data-hook='helpful-vote-statement'>{html.escape(r['helpful'])}</span>")
        parts.append("</div>")
    parts.append("</div><ul class='a-pagination'>")
    if page < pages:
        parts.append(f"<li class='a-last'><a href='/product-reviews/{asin}/?sortBy=recent&amp;pageNumber={page + 1}'>Next page</a></li>")
    else:
        parts.append("<li class='a-disabled a-last'>Next page</li>")
    parts.append("</ul></body></html>")
    return "".join(parts)


#: Amazon's sign-in form, where review pages redirect visitors not signed in (later pages since 2024, the first too
#: since late 2024; its shape, not a capture).
SIGN_IN_HTML = ("<html><head><title>Amazon Sign-In</title></head><body><form name='signIn' method='post' "
                "action='https://www.amazon.com/ap/signin'><input type='email' name='email'></form></body></html>")

BLOCKED_HTML = ("<html><head><title>Robot Check</title></head><body><p>Enter the characters you see below</p>"
                "<form action='/errors/validateCaptcha'></form></body></html>")


class Handler(BaseHTTPRequestHandler):
    catalog: Catalog
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet; the request log is /_requests
        pass

    def send(self, status: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        if self.path == "/_reset":
            with self.catalog.lock:
                self.catalog.log.clear()
                self.catalog.hits.clear()
            self.send(200, b"{}", "application/json")
        else:
            self.send(404, b"not found", "text/plain")

    def do_GET(self):
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/_requests":
            with self.catalog.lock:
                body = json.dumps(self.catalog.log).encode()
            return self.send(200, body, "application/json")
        with self.catalog.lock:
            self.catalog.log.append(self.path)
        data = self.catalog.get()
        if url.path == "/robots.txt":
            return self.robots(data.get("robots", {}))
        captures = data.get("captures", {})
        capture = captures.get(self.path) or captures.get(url.path)
        if capture is not None:
            return self.capture(capture, self.path)
        try:
            answer = social.route(url.path, url.query, data)  # Weibo, Reddit, App Store
            if answer is not None:
                return self.social(answer)
            if url.path == "/comment/productPageComments.action":
                return self.jd(data, q)
            if url.path.startswith("/product-reviews/"):
                return self.amazon(data, url.path.split("/")[2], q)
            if url.path.startswith("/dp/"):  # a product page: its first reviews, in the review page's markup
                return self.amazon(data, url.path.split("/")[2], {})
            if url.path in data.get("pages", {}):
                return self.static(data["pages"][url.path], url.path)
        except (KeyError, ValueError):
            pass
        self.send(404, b"<html><body>Not found</body></html>", "text/html; charset=utf-8")

    def fault(self, behaviour: dict, key: str, page: str) -> bool:
        """Serve the configured fault for this hit, if any; True when one was served."""
        answer = fault_for(behaviour, page, self.catalog.hit(key))
        if answer is None:
            return False
        if answer == "slow":
            time.sleep(SLOW_SECONDS)
            return False  # then answer normally, too late for a short DOWNLOAD_TIMEOUT
        if answer == "malformed":
            self.send(200, b'{"comments": [{"id": 1, "content": "trunc', "application/json;charset=utf-8")
        elif answer == "blocked":
            self.send(200, BLOCKED_HTML.encode(), "text/html; charset=utf-8")
        elif answer == 429:
            self.send(429, b"Too Many Requests", "text/plain", {"Retry-After": "1"})
        else:
            self.send(int(answer), b"<html><body>Service Unavailable</body></html>", "text/html")
        return True

    def robots(self, spec: dict):
        """``catalog["robots"]``: ``body`` (default ``ROBOTS``) and ``behaviour`` (faults of its hits, key "0")."""
        if self.fault(spec.get("behaviour", {}), "robots", "0"):
            return
        self.send(200, spec.get("body", ROBOTS).encode(), "text/plain")

    def social(self, answer: dict):
        if answer["key"] and self.fault(answer["behaviour"], answer["key"], answer["page"]):
            return
        self.send(answer.get("status", 200), answer["body"], answer["ctype"])

    def jd(self, data: dict, q: dict):
        product = data["jd"][q["productId"]]
        page, size = int(q.get("page", 0)), int(q.get("pageSize", 10))
        if self.fault(product.get("behaviour", {}), f"jd:{q['productId']}:{page}", str(page)):
            return
        payload = json.dumps(jd_body(product, page, size), ensure_ascii=False)
        encoding = product.get("encoding", "utf-8")
        if product.get("jsonp"):
            payload = f"fetchJSON_comment98({payload});"
        self.send(200, payload.encode(encoding), f"application/json;charset={encoding}")

    def amazon(self, data: dict, asin: str, q: dict):
        product = data["amazon"][asin]
        page = int(q.get("pageNumber", 1))
        if self.fault(product.get("behaviour", {}), f"amazon:{asin}:{page}", str(page)):
            return
        self.send(200, amazon_html(asin, product, page, product.get("page_size", 10)).encode(),
                  "text/html; charset=utf-8")

    def capture(self, spec: dict, path: str):
        """A real captured response: its bytes, its content type, the Date it was served on."""
        if self.fault(spec.get("behaviour", {}), f"capture:{path}", "0"):
            return
        if spec.get("redirect"):  # the site sends this path elsewhere (a review page to its sign-in form)
            return self.send(302, b"", "text/html", {"Location": spec["redirect"]})
        body = capture_path(spec["file"]).read_bytes()
        self.send_response_only(spec.get("status", 200))  # no automatic Date: the capture's own is sent
        self.send_header("Date", spec.get("date") or self.date_time_string())
        self.send_header("Content-Type", spec["content_type"])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def static(self, page: dict, path: str):
        if self.fault(page.get("behaviour", {}), f"page:{path}", "0"):
            return
        encoding = page.get("encoding", "utf-8")
        ctype = page.get("content_type", "text/html")
        if page.get("declare_charset", True):
            ctype += f"; charset={encoding}"
        self.send(page.get("status", 200), page["body"].encode(encoding), ctype)


def main() -> None:
    Handler.catalog = Catalog(Path(sys.argv[1]))
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

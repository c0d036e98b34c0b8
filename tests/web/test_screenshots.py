"""Every view renders on the demo corpus in both languages, photographed for docs/web.md and the README.

Screenshots go to a temporary folder, or to ``$VOCLENS_SCREENSHOTS`` when set:
``VOCLENS_SCREENSHOTS=docs/images pytest tests/web/test_screenshots.py``
refreshes the ones in the docs (install ``fonts-noto-cjk`` first, or Chinese
text shows as boxes).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

#: file name -> (language, view, height in CSS pixels at most)
SHOTS = {
    "web-search": ("en", "#search?q=%E7%89%A9%E6%B5%81%20OR%20shipping&sentiment=negative&channel=review&channel=social", 1000),
    "web-search-zh": ("zh", "#search?brand=Qinghe&topic=packaging%3Anegative", 1000),
    "web-trends": ("en", "#trends?split=topic&interval=week", 1500),
    "web-trends-zh": ("zh", "#trends?split=brand&interval=week&metric=negative_share", 1500),
    "web-emerging": ("en", "#emerging?window=2d&baseline=28d", 1100),
    "web-document": ("en", "#doc/{doc}", 1100),
    "web-digests": ("en", "#digests", 1500),
}


def save(driver, path: Path, height: int) -> None:
    """The page from the top, as tall as its content up to ``height`` (Chrome's full-page capture)."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], height), "scale": 1}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})
    path.write_bytes(base64.b64decode(shot["data"]))


def test_every_view_renders_and_is_photographed(page, api, tmp_path):
    folder = Path(os.environ.get("VOCLENS_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    doc = next(h["document"]["id"] for h in api.get("/search", params={"q": "漏液", "limit": 5}).json()["results"])
    sub = api.post("/subscriptions", json={
        "name": "Qinghe packaging complaints", "owner": "qinghe-brand@example.com", "channel": "email",
        "email_to": ["qinghe-brand@example.com"], "filters": {"brand": ["Qinghe"], "topics": [{"topic": "packaging", "polarity": "negative"}]},
        "frequency": "weekly", "weekday": "mon", "hour": 9, "tz": "Asia/Shanghai",
        "alert": {"kind": "emerging", "threshold": 10, "window": "1d", "baseline": "28d"}}).json()
    try:
        for name, (lang, view, height) in SHOTS.items():
            page.driver.execute_script("localStorage.setItem('voclens.lang', arguments[0])", lang)
            page.open(view.format(doc=doc))
            if name == "web-digests":
                page.find(f'#subs tr[data-id="{sub["id"]}"] button[data-act=preview]').click()
                page.until(lambda: page.find("#preview iframe").get_attribute("srcdoc"))
                page.driver.switch_to.frame(page.find("#preview iframe"))  # wait until the frame has drawn it
                page.until(lambda: "[voclens]" in page.text("body"))
                page.driver.switch_to.default_content()
            page.driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
            save(page.driver, folder / f"{name}.png", height)
            assert (folder / f"{name}.png").stat().st_size > 20_000, name  # a page, not a blank
            assert not page.errors(), name
        page.driver.execute_script("sessionStorage.clear(); localStorage.setItem('voclens.lang', 'en')")
    finally:
        api.delete(f"/subscriptions/{sub['id']}")


def test_access_prompt_is_photographed(chrome, keyed_server, tmp_path):
    from tests.web.conftest import Page

    folder = Path(os.environ.get("VOCLENS_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    keyed = Page(chrome, keyed_server.url)
    keyed.open("#search", wait=False)
    keyed.until(lambda: keyed.find_all("#key-form"))
    save(chrome, folder / "web-access.png", 420)


def test_cases_view_is_photographed(chrome, demo_data, tmp_path_factory, tmp_path):
    """The Cases view with cases a rule opened, one in progress and one resolved, and one case's history open.

    On a server of its own: the cases and their changes must not reach the other tests' server.
    """
    import httpx

    from tests.web.conftest import Page, _server

    folder = Path(os.environ.get("VOCLENS_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    srv = _server(demo_data, tmp_path_factory, "web-cases-shot", {})
    try:
        with httpx.Client(base_url=srv.url, timeout=60) as api:
            rule = api.post("/cases/rules", json={
                "name": "Detractors", "owner": "cx-team", "conditions": {"detractor": True}, "lookback_days": 3650,
                "first_response_h": 24, "resolve_h": 72}).json()
            assert "id" in rule, rule
            api.post("/cases/run")
            cases = api.get("/cases", params={"limit": 500}).json()
            assert len(cases) >= 3, "the demo corpus has detractors"
            shown = cases[0]["id"]
            changes = [(shown, {"state": "in_progress", "owner": "li.wei", "note": "called the customer back; replacement sent",
                                "actor": "li.wei"}),
                       (cases[1]["id"], {"state": "in_progress", "note": "asked the courier for the tracking record",
                                         "actor": "zhang.min"}),
                       (cases[2]["id"], {"state": "resolved", "note": "refund issued", "actor": "zhang.min"})]
            for case_id, change in changes:
                assert api.patch(f"/cases/{case_id}", json=change).status_code == 200
        page = Page(chrome, srv.url)
        page.open("#cases")
        page.find(f'#cases tr[data-id="{shown}"] button[data-act=open]').click()
        page.until(lambda: "called the customer back" in page.text("#case-detail .history"))
        page.driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
        save(page.driver, folder / "web-cases.png", 1400)
        assert (folder / "web-cases.png").stat().st_size > 20_000
        assert not page.errors()
    finally:
        srv.stop()

"""With API keys configured the page shows nothing without one, and a read key cannot change subscriptions."""

from __future__ import annotations

import pytest

from tests.web.conftest import READ_KEY, WRITE_KEY, Page

pytestmark = pytest.mark.slow


@pytest.fixture
def keyed(chrome, keyed_server):
    return Page(chrome, keyed_server.url)


def enter_key(keyed: Page, key: str) -> None:
    keyed.until(lambda: keyed.find_all("#key-form input[name=key]"))  # the prompt comes after GET /access
    keyed.find("#key-form input[name=key]").send_keys(key)
    keyed.find("#key-form button").click()


def test_no_key_no_data(keyed):
    for view in ("#search", "#trends", "#emerging", "#digests"):
        keyed.open(view, wait=False)
        keyed.until(lambda: keyed.find_all("#key-form"))
        assert not keyed.find_all("li.hit, #trend-chart, #subs")
        assert "needs an API key" in keyed.text("#view")
    enter_key(keyed, "vl_not_a_key")
    keyed.until(lambda: keyed.text("#key-error"))
    assert keyed.text("#key-error") == "This key is not valid."
    assert not keyed.find_all("li.hit")


def test_read_key_reads_but_cannot_change_subscriptions(keyed, keyed_server):
    import httpx

    headers = {"X-API-Key": WRITE_KEY}
    sub = httpx.post(keyed_server.url + "/subscriptions", headers=headers, json={
        "name": "ops digest", "owner": "ops", "channel": "email", "email_to": ["ops@example.com"]}).json()
    try:
        keyed.open("#search", wait=False)
        enter_key(keyed, READ_KEY)
        keyed.ready()
        assert keyed.find_all("li.hit")
        assert "dashboard" in keyed.text("#who") and "read-only" in keyed.text("#who")
        keyed.open("#digests")
        assert "ops digest" in keyed.text("#subs")
        assert keyed.find_all("#readonly-note") and not keyed.find_all("#sub-form")
        assert not keyed.find_all("#subs button[data-act=pause], #subs button[data-act=delete]")
        keyed.find("#subs button[data-act=preview]").click()  # reading a preview is allowed
        keyed.until(lambda: keyed.find("#preview iframe").get_attribute("srcdoc"))
        # the key stays for the session (sessionStorage), not beyond it
        assert keyed.driver.execute_script("return sessionStorage.getItem('voclens.apiKey')") == READ_KEY
        assert keyed.driver.execute_script("return localStorage.getItem('voclens.apiKey')") is None
        keyed.find("#signout").click()
        keyed.until(lambda: keyed.find_all("#key-form"))
        assert keyed.driver.execute_script("return sessionStorage.getItem('voclens.apiKey')") is None
    finally:
        httpx.delete(f"{keyed_server.url}/subscriptions/{sub['id']}", headers=headers)


def export_with_key(keyed: Page, api_url: str, downloads, fragment: str, params: dict) -> list[dict]:
    """Enter the read key, press Export CSV, and check the download against the API's paging; its rows."""
    import csv
    import io

    import httpx

    from tests.web.test_views import all_ids

    (downloads / "voclens-export.csv").unlink(missing_ok=True)
    keyed.open(fragment, wait=False)
    enter_key(keyed, READ_KEY)
    keyed.ready()
    keyed.find("#export").click()
    path = keyed.wait_downloads(downloads, "voclens-export.csv")
    with httpx.Client(base_url=api_url, headers={"X-API-Key": READ_KEY}) as api:
        expected = all_ids(api, **params, sort="newest")
    keyed.until(lambda: "downloads" in keyed.text("#export"))
    assert keyed.text("#export") == f"{len(expected)} rows to your downloads"  # the count the link's answer gave
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert [r["id"] for r in rows] == expected
    # the page asked for the link; the export itself was the browser's download, never read by the page
    fetched = keyed.driver.execute_script(
        "return performance.getEntriesByType('resource').filter(e => e.name.includes('search/export'))"
        ".map(e => [new URL(e.name).pathname, e.initiatorType])")
    assert fetched == [["/search/export/links", "fetch"]]
    assert not keyed.errors()
    return rows


def test_csv_export_with_a_key_downloads_a_signed_link(keyed, keyed_server, downloads):
    """A download cannot send X-API-Key: the page gets a single-use signed link with the key, the browser downloads it."""
    rows = export_with_key(keyed, keyed_server.url, downloads, "#search?channel=review&channel=ticket",
                           {"channel": ["review", "ticket"]})
    assert len(rows) > 200  # more than one backend page
    scopes = keyed.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "navigator.serviceWorker.getRegistrations().then((rs) => done(rs.map((r) => r.scope)));")
    assert scopes == []  # no service worker any more


@pytest.fixture(scope="module")
def plain_http(keyed_server, tmp_path_factory):
    """Another Chromium that reaches the keyed server by a host name (not loopback): a plain-http origin, not a
    secure context, where browsers give no service worker (as for a server on the LAN)."""
    from tests.web import browser

    folder = tmp_path_factory.mktemp("plain-http-downloads")
    driver = browser.start(folder, extra_args=("--host-resolver-rules=MAP voclens-web.test 127.0.0.1",))
    try:
        yield Page(driver, keyed_server.url.replace("127.0.0.1", "voclens-web.test")), folder
    finally:
        driver.quit()


def test_csv_export_with_a_key_from_a_plain_http_host_streams_to_the_downloads(plain_http, keyed_server):
    page, folder = plain_http
    page.open("#search", wait=False)
    assert page.driver.execute_script("return [location.hostname, window.isSecureContext]") == ["voclens-web.test", False]
    rows = export_with_key(page, keyed_server.url, folder, "#search?channel=ticket", {"channel": ["ticket"]})
    assert rows and {r["channel"] for r in rows} == {"ticket"}


def test_write_key_gets_the_subscription_form(keyed):
    keyed.open("#digests", wait=False)
    enter_key(keyed, WRITE_KEY)
    keyed.ready()
    assert keyed.find_all("#sub-form") and not keyed.find_all("#readonly-note")
    assert "read-only" not in keyed.text("#who")

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


def test_csv_export_with_a_key_streams_through_the_export_worker(keyed, keyed_server, downloads):
    """A download link cannot send X-API-Key: the page's service worker adds it to that one download."""
    import csv
    import io

    import httpx

    from tests.web.test_views import all_ids

    (downloads / "voclens-export.csv").unlink(missing_ok=True)
    keyed.open("#search?channel=review&channel=ticket", wait=False)
    enter_key(keyed, READ_KEY)
    keyed.ready()
    keyed.find("#export").click()
    path = keyed.wait_downloads(downloads, "voclens-export.csv")
    with httpx.Client(base_url=keyed_server.url, headers={"X-API-Key": READ_KEY}) as api:
        expected = all_ids(api, channel=["review", "ticket"], sort="newest")
    keyed.until(lambda: "downloads" in keyed.text("#export"))
    assert keyed.text("#export") == f"{len(expected)} rows to your downloads"  # the count the server sent
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert [r["id"] for r in rows] == expected
    scopes = keyed.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "navigator.serviceWorker.getRegistrations().then((rs) => done(rs.map((r) => r.scope)));")
    assert scopes == [keyed_server.url + "/search/export"]
    assert not keyed.errors()


def test_csv_export_with_a_key_and_no_service_worker_falls_back(keyed, keyed_server, downloads):
    """Where the browser has no service worker for the page, the export is read with the key and saved."""
    import csv
    import io

    (downloads / "voclens-export.csv").unlink(missing_ok=True)
    keyed.open("#search?channel=ticket", wait=False)
    enter_key(keyed, READ_KEY)
    keyed.ready()
    keyed.driver.execute_script("delete Navigator.prototype.serviceWorker")  # as on a plain-http page of another host
    keyed.find("#export").click()
    path = keyed.wait_downloads(downloads, "voclens-export.csv")
    keyed.until(lambda: "downloads" in keyed.text("#export"))
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    total = int(keyed.text("#total").split()[0])
    assert len(rows) == total > 0 and {r["channel"] for r in rows} == {"ticket"}
    assert keyed.text("#export") == f"{total} rows to your downloads"
    fetched = keyed.driver.execute_script(
        "return performance.getEntriesByType('resource').filter(e => e.name.includes('search/export')).map(e => e.initiatorType)")
    assert fetched == ["fetch"]  # read by the page, the only way left to send the key


def test_write_key_gets_the_subscription_form(keyed):
    keyed.open("#digests", wait=False)
    enter_key(keyed, WRITE_KEY)
    keyed.ready()
    assert keyed.find_all("#sub-form") and not keyed.find_all("#readonly-note")
    assert "read-only" not in keyed.text("#who")

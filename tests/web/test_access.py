"""With API keys configured the page shows nothing without one, and a read key cannot change subscriptions."""

from __future__ import annotations

import pytest

from tests.web.conftest import READ_KEY, WRITE_KEY, Page

pytestmark = pytest.mark.slow


@pytest.fixture
def keyed(chrome, keyed_server):
    return Page(chrome, keyed_server.url)


def enter_key(keyed: Page, key: str) -> None:
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


def test_write_key_gets_the_subscription_form(keyed):
    keyed.open("#digests", wait=False)
    enter_key(keyed, WRITE_KEY)
    keyed.ready()
    assert keyed.find_all("#sub-form") and not keyed.find_all("#readonly-note")
    assert "read-only" not in keyed.text("#who")

"""The web app in a real Chromium on the demo corpus, checked by what a person sees.

Expected results come from the JSON API (the page must show what the API
answers), never from hard-coded ids.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.slow


def all_ids(api, path: str = "/search", **params) -> list[str]:
    """Every id the API's search pages through, in order."""
    ids, cursor = [], None
    while True:
        body = api.get(path, params={**params, "limit": 100, **({"cursor": cursor} if cursor else {})}).json()
        ids += [h["document"]["id"] for h in body["results"]]
        cursor = body["next_cursor"]
        if not cursor:
            return ids


def shown_ids(page) -> list[str]:
    """Ids of the listed results after pressing "More results" until there are no more."""
    while True:
        more = page.find("#more")
        if not more.is_displayed():
            break
        count = len(page.find_all("li.hit"))
        more.click()
        page.until(lambda: len(page.find_all("li.hit")) > count)
    return [li.get_attribute("data-id") for li in page.find_all("li.hit")]


def tick(page, name: str, values: list[str]) -> None:
    """Open a filter menu, tick ``values``, close it (which applies the filters)."""
    summary = page.find(f'details.multi[data-name="{name}"] > summary')
    summary.click()
    for value in values:
        page.find(f'details.multi[data-name="{name}"] input[value="{value}"]').click()
    summary.click()


def test_search_with_two_filters_lists_exactly_the_matching_documents(page, api):
    page.open("#search")
    page.find("input[name=brand]").send_keys("Qinghe")
    tick(page, "lang", ["zh"])  # closing the menu submits the form
    page.navigated("#search?")
    page.until(lambda: page.hash_params().get("brand") == ["Qinghe"])
    page.ready()
    assert page.hash_params()["lang"] == ["zh"]  # the filters live in the URL
    expected = all_ids(api, brand="Qinghe", lang="zh", sort="newest")
    assert len(expected) > 50, "the demo must need more than one page here"
    assert f"{len(expected)} matches" in page.text("#total")
    assert shown_ids(page) == expected
    # a shared link opens the same view
    page.open(page.driver.execute_script("return location.hash"))
    assert f"{len(expected)} matches" in page.text("#total")
    assert page.find("input[name=brand]").get_attribute("value") == "Qinghe"


def test_filters_take_several_values_each_kept_in_the_url(page, api):
    from selenium.webdriver.support.ui import Select

    page.open("#search")
    tick(page, "channel", ["review", "social"])
    page.navigated("#search?")
    page.until(lambda: page.hash_params().get("channel") == ["review", "social"])
    page.ready()
    tick(page, "topic", ["logistics", "packaging"])
    page.until(lambda: page.hash_params().get("topic") == ["logistics", "packaging"])
    page.ready()
    Select(page.find("select[name=topic_polarity]")).select_by_value("negative")  # one polarity for every chosen topic
    page.until(lambda: page.hash_params().get("topic") == ["logistics:negative", "packaging:negative"])
    page.ready()
    params = {"channel": ["review", "social"], "topic": ["logistics:negative", "packaging:negative"]}
    assert page.hash_params() == params
    expected = all_ids(api, **params, sort="newest")
    narrower = [all_ids(api, **(params | {name: [value]}), sort="newest") for name in params for value in params[name]]
    assert all(0 < len(n) < len(expected) for n in narrower)  # several values: any of them
    assert page.text("#total") == f"{len(expected)} matches" and shown_ids(page) == expected
    page.open(page.driver.execute_script("return location.hash"))  # a shared link opens the same choices
    checked = lambda name: [b.get_attribute("value") for b in page.find_all(f'details.multi[data-name="{name}"] input:checked')]  # noqa: E731
    assert checked("channel") == ["review", "social"] and checked("topic") == ["logistics", "packaging"]
    assert page.find('details.multi[data-name="channel"] .chosen').text == "review, social"
    assert page.text("#total") == f"{len(expected)} matches"


def test_a_second_brand_is_picked_from_the_suggestions(page, api):
    page.open("#search")
    box = page.find("input[name=brand]")
    box.send_keys("Qinghe, ")
    options = lambda: page.driver.execute_script(  # noqa: E731
        "return [...document.querySelectorAll('#dl-brand option')].map((o) => o.value)")
    page.until(lambda: options())
    assert "Qinghe, Voltra" in options() and "Qinghe, Lumio" in options()
    assert not any(o.endswith("Qinghe") for o in options())  # what is typed is not offered again
    box.clear()
    box.send_keys("Qinghe, Voltra")  # what picking the suggestion puts in the box
    page.find("#filters button[type=submit]").click()
    page.until(lambda: page.hash_params().get("brand") == ["Qinghe", "Voltra"])
    page.ready()
    total = api.get("/search", params={"brand": ["Qinghe", "Voltra"], "limit": 1}).json()["total"]
    alone = [api.get("/search", params={"brand": b, "limit": 1}).json()["total"] for b in ("Qinghe", "Voltra")]
    assert total == sum(alone) and page.text("#total") == f"{total} matches"


def test_a_link_with_mixed_topic_polarities_keeps_them(page, api):
    page.open("#search?topic=logistics%3Anegative&topic=quality")
    page.find("input[name=q]").send_keys("物流")
    page.find("#filters button[type=submit]").click()
    page.until(lambda: page.hash_params().get("q") == ["物流"])
    page.ready()
    assert page.hash_params()["topic"] == ["logistics:negative", "quality"]
    total = api.get("/search", params={"q": "物流", "topic": ["logistics:negative", "quality"], "limit": 1}).json()["total"]
    assert page.text("#total") == f"{total} matches"


def test_results_show_highlights_chips_rating_and_local_time(page, api):
    page.open("#search?q=%E7%89%A9%E6%B5%81&sentiment=negative")  # 物流
    first = page.find("li.hit")
    hit = api.get("/search", params={"q": "物流", "sentiment": "negative", "sort": "relevance", "limit": 1}).json()["results"][0]
    assert first.get_attribute("data-id") == hit["document"]["id"]
    assert first.find_element("css selector", "mark").text == "物流"
    chips = first.find_elements("css selector", ".chip.negative")
    assert len(chips) >= 1 + sum(t["polarity"] == "negative" for t in hit["document"]["topics"])
    when = page.driver.execute_script(
        "return new Intl.DateTimeFormat('en-GB', {dateStyle: 'medium', timeStyle: 'short'}).format(new Date(arguments[0]))",
        hit["document"]["created_at"])
    assert first.find_element("css selector", "time").text == when


def test_trend_chart_draws_one_series_per_topic(page, api):
    page.open("#trends?split=topic&interval=week")
    series = page.driver.execute_script(
        "return echarts.getInstanceByDom(document.getElementById('trend-chart')).getOption().series.map(s => s.name)")
    tz = page.driver.execute_script("return Intl.DateTimeFormat().resolvedOptions().timeZone")
    expected = api.get("/trends", params={"split": "topic", "interval": "week", "split_limit": 12, "tz": tz}).json()["series"]
    assert len(series) == len(expected) == 12
    assert series == [s["key"].replace("_", " ") for s in expected]


def _bar_offset(page, series_index: int, point_index: int) -> tuple[int, int]:
    """Where the middle of one bar is, as an offset from the chart's centre (Selenium's origin)."""
    return tuple(page.driver.execute_script("""
        const el = document.getElementById('trend-chart');
        const chart = echarts.getInstanceByDom(el);
        const [x, y] = chart.getOption().series[arguments[0]].data[arguments[1]];
        const [px, py] = chart.convertToPixel({seriesIndex: arguments[0]}, [x, y / 2]);
        return [Math.round(px - el.clientWidth / 2), Math.round(py - el.clientHeight / 2)];
    """, series_index, point_index))


def test_a_click_on_a_bar_opens_the_search_for_that_bucket(page, api):
    from selenium.webdriver.common.action_chains import ActionChains

    page.open("#trends?split=brand&interval=week&metric=volume")
    tz = page.driver.execute_script("return Intl.DateTimeFormat().resolvedOptions().timeZone")
    trend = api.get("/trends", params={"split": "brand", "interval": "week", "tz": tz, "split_limit": 12}).json()
    bottom = trend["series"][0]  # the first series is drawn at the bottom of each stack
    index = max(range(len(bottom["buckets"])), key=lambda i: bottom["buckets"][i]["volume"])
    bucket = bottom["buckets"][index]
    dx, dy = _bar_offset(page, 0, index)
    ActionChains(page.driver).move_to_element_with_offset(page.find("#trend-chart"), dx, dy).click().perform()
    page.navigated("#search?")
    params = page.hash_params()
    assert params["brand"] == [bottom["key"]] and params["since"][0][:19] == bucket["start"][:19]
    assert page.text("#total") == f"{bucket['volume']} matches"
    expected = all_ids(api, brand=bottom["key"], since=params["since"][0], until=params["until"][0], sort="newest")
    assert len(expected) == bucket["volume"] and shown_ids(page) == expected


def test_a_bucket_search_stays_inside_the_trend_dates(page):
    page.open("#trends")
    drill = page.driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        import('./static/js/views/trends.js').then((m) => done([
          m.drillParams({since: '2026-11-04T00:00:00+00:00', brand: ['Lumio']}, 'brand', 'Lumio',
                        '2026-11-02T00:00:00+00:00', 'week', 'volume'),
          m.drillParams({until: '2026-11-03T00:00:00+00:00'}, 'topic', 'logistics', '2026-11-02T00:00:00+00:00',
                        'week', 'negative_share'),
        ]));""")
    assert drill[0]["since"] == "2026-11-04T00:00:00+00:00" and drill[0]["brand"] == ["Lumio"] and "sentiment" not in drill[0]
    assert drill[1]["since"] == "2026-11-02T00:00:00+00:00" and drill[1]["until"] == "2026-11-03T00:00:00+00:00"
    assert drill[1]["topic"] == ["logistics:negative"] and "sentiment" not in drill[1]


def test_csv_export_streams_every_match_to_the_downloads(page, api, downloads):
    (downloads / "voclens-export.csv").unlink(missing_ok=True)
    page.open("#search?channel=review&channel=ticket")
    expected = all_ids(api, channel=["review", "ticket"], sort="newest")
    assert len(expected) > 200, "more than one backend page (api.export.EXPORT_PAGE)"
    page.find("#export").click()
    path = page.wait_downloads(downloads, "voclens-export.csv")
    page.until(lambda: "downloads" in page.text("#export"))
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert [r["id"] for r in rows] == expected
    assert {r["channel"] for r in rows} == {"review", "ticket"}
    assert page.text("#export") == f"{len(expected)} rows to your downloads"
    # the browser downloaded the server's stream: the page never read the export itself
    fetched = page.driver.execute_script(
        "return performance.getEntriesByType('resource').filter(e => e.name.includes('search/export')).map(e => e.initiatorType)")
    assert "fetch" not in fetched


def test_document_view_shows_labels_with_polarity_model_and_metadata(page, api):
    doc = next(h["document"] for h in api.get("/search", params={"topic": "packaging:negative", "limit": 20}).json()["results"]
               if len(h["document"]["topics"]) >= 2)
    page.open("#search?topic=packaging%3Anegative")
    page.find(f'li.hit[data-id="{doc["id"]}"] a.title').click()
    page.navigated("#doc/")
    assert page.text(".fulltext") == doc["text"]
    assert page.text("#model-version") == doc["model_version"]
    rows = page.find_all("#topic-labels tbody tr")
    assert len(rows) == len(doc["topics"])
    for row, topic in zip(rows, doc["topics"], strict=True):
        assert topic["topic"] in row.text
        assert row.find_element("css selector", ".chip").get_attribute("class").split()[-1] == topic["polarity"]
    assert doc["source_id"] in page.text(".meta-list")


def test_emerging_lists_rising_items_with_examples_and_a_search_link(page, api):
    page.open("#emerging?window=2d&baseline=28d")
    expected = api.get("/keywords/emerging", params={"window": "2d", "baseline": "28d", "limit": 10}).json()["items"]
    shown = [li.get_attribute("data-key") for li in page.find_all("#rising-keywords li.rising")]
    assert shown == [i["key"] for i in expected] and "漏液" in shown
    item = page.find('#rising-keywords li.rising[data-key="漏液"]')
    assert item.find_elements("css selector", ".examples li"), "examples of 漏液"
    item.find_element("css selector", "a[href^='#search']").click()
    page.navigated("#search?")
    assert "漏液" in page.find("input[name=q]").get_attribute("value")
    assert int(page.text("#total").split()[0]) >= 1


def test_subscriptions_field_error_create_pause_resume_preview_delete(page, api):
    page.open("#digests")
    form = page.find("#sub-form")
    form.find_element("css selector", "input[name=name]").send_keys("Qinghe packaging")
    form.find_element("css selector", "input[name=owner]").send_keys("pm@example.com")
    form.find_element("css selector", "input[name=brand]").send_keys("Qinghe")
    form.find_element("css selector", "input[name=email_to]").send_keys("pm-at-example.com")
    form.find_element("css selector", "button[type=submit]").click()
    error = page.find('.field-error[data-for="email_to"]')
    page.until(lambda: error.text)
    assert "not an e-mail address" in error.text
    assert not api.get("/subscriptions").json()

    box = form.find_element("css selector", "input[name=email_to]")
    box.clear()
    box.send_keys("pm@example.com")
    form.find_element("css selector", "button[type=submit]").click()
    page.until(lambda: page.find_all("#subs tbody tr[data-id]"))
    assert error.text == ""
    [sub] = api.get("/subscriptions").json()
    row = page.find(f'#subs tr[data-id="{sub["id"]}"]')
    assert "Qinghe packaging" in row.text and "pm@example.com" in row.text

    row.find_element("css selector", "button[data-act=pause]").click()
    page.until(lambda: "paused" in page.find(f'#subs tr[data-id="{sub["id"]}"] .status').text)
    assert api.get(f"/subscriptions/{sub['id']}").json()["enabled"] is False
    page.find(f'#subs tr[data-id="{sub["id"]}"] button[data-act=resume]').click()
    page.until(lambda: page.find(f'#subs tr[data-id="{sub["id"]}"] .status').text == "active")

    page.find(f'#subs tr[data-id="{sub["id"]}"] button[data-act=preview]').click()
    page.until(lambda: page.find("#preview iframe").get_attribute("srcdoc"))
    srcdoc = page.find("#preview iframe").get_attribute("srcdoc")
    sub = api.get(f"/subscriptions/{sub['id']}").json()
    send_day = datetime.fromisoformat(sub["next_send_at"]).astimezone(ZoneInfo(sub["tz"])).date().isoformat()
    upcoming = api.get(f"/subscriptions/{sub['id']}/preview", params={"send_day": send_day}).json()
    latest = api.get(f"/subscriptions/{sub['id']}/preview").json()
    assert upcoming["period_label"] != latest["period_label"]
    assert f"Qinghe packaging: {upcoming['period_label']}" in srcdoc  # the next digest, not the last one sent

    page.find(f'#subs tr[data-id="{sub["id"]}"] button[data-act=delete]').click()
    page.driver.switch_to.alert.accept()
    page.until(lambda: not page.find_all("#subs tbody tr[data-id]"))
    assert api.get("/subscriptions").json() == []


def test_an_alert_only_webhook_with_its_own_secret(page, api):
    from selenium.webdriver.support.ui import Select

    page.open("#digests")
    form = page.find("#sub-form")
    field = lambda name: form.find_element("css selector", f'[name="{name}"]')  # noqa: E731
    error = lambda name: page.find(f'.field-error[data-for="{name}"]').text  # noqa: E731
    field("name").send_keys("Voltra spikes")
    field("owner").send_keys("ops")
    field("brand").send_keys("Voltra")
    field("digest").click()  # no scheduled digest: alerts only
    assert not form.find_element("css selector", '.field[data-field="frequency"]').is_displayed()
    Select(field("channel")).select_by_value("webhook")
    field("webhook_url").send_keys("https://hooks.example.com/voc")
    field("webhook_secret").send_keys("s3cret-for-this-hook")
    form.find_element("css selector", "button[type=submit]").click()
    page.until(lambda: error("alert"))  # the API: an alert-only subscription needs a rule
    assert "needs an alert rule" in error("alert")

    Select(field("alert_kind")).select_by_value("emerging")
    assert field("alert_baseline").is_displayed() and field("alert_min_count").is_displayed()
    field("alert_threshold").send_keys("0")
    field("alert_window").clear()
    field("alert_window").send_keys("2 days")
    form.find_element("css selector", "button[type=submit]").click()
    page.until(lambda: error("alert.threshold") and error("alert.window"))
    assert "greater than 0" in error("alert.threshold") and "2 days" in error("alert.window")
    assert error("alert") == "" and not api.get("/subscriptions").json()

    field("alert_threshold").clear()
    field("alert_threshold").send_keys("12.5")
    field("alert_window").clear()
    field("alert_window").send_keys("2d")
    form.find_element("css selector", "button[type=submit]").click()
    page.until(lambda: page.find_all("#subs tbody tr[data-id]"))
    [sub] = api.get("/subscriptions").json()
    try:
        assert sub["digest"] is False and sub["channel"] == "webhook" and sub["has_webhook_secret"] is True
        assert sub["alert"] == {"kind": "emerging", "threshold": 12.5, "window": "2d", "baseline": "28d", "min_count": 3}
        assert "s3cret" not in str(sub)
        row = page.text(f'#subs tr[data-id="{sub["id"]}"]')
        assert "alerts only" in row and "G² ≥ 12.5 over 2d against 28d" in row and "(signed)" in row
        assert error("alert.threshold") == "" and field("digest").is_selected()  # the form is reset for the next one
    finally:
        api.delete(f"/subscriptions/{sub['id']}")


def test_language_follows_the_browser_and_switches(page):
    page.driver.execute_script("localStorage.removeItem('voclens.lang')")
    page.open("#search")
    assert page.text("#nav a[data-view=search]") == "Search"  # the browser says en-US
    page.driver.execute_cdp_cmd("Emulation.setLocaleOverride", {"locale": "zh-CN"})
    page.driver.execute_cdp_cmd("Network.setUserAgentOverride", {
        "userAgent": page.driver.execute_script("return navigator.userAgent"), "acceptLanguage": "zh-CN"})
    try:
        page.open("#trends")
        assert page.driver.execute_script("return navigator.language") == "zh-CN"
        assert page.text("#nav a[data-view=trends]") == "趋势"
        assert "品牌对比" in page.text("#view")
        page.find("#lang").click()  # switch to English
        page.ready()
        assert page.text("#nav a[data-view=trends]") == "Trends" and "Brand comparison" in page.text("#view")
        page.open("#trends")  # the choice is kept
        assert page.text("#nav a[data-view=trends]") == "Trends"
        page.find("#lang").click()
        page.ready()
        assert page.text("#nav a[data-view=search]") == "搜索"
        assert page.find("html").get_attribute("lang") == "zh-CN"
    finally:
        page.driver.execute_cdp_cmd("Emulation.setLocaleOverride", {"locale": ""})
        page.driver.execute_cdp_cmd("Network.setUserAgentOverride", {
            "userAgent": page.driver.execute_script("return navigator.userAgent"), "acceptLanguage": "en-US"})


def test_no_console_errors_on_any_view(page, api):
    doc_id = api.get("/search", params={"limit": 1}).json()["results"][0]["document"]["id"]
    sub = api.post("/subscriptions", json={"name": "console check", "owner": "qa", "channel": "email",
                                           "email_to": ["qa@example.com"]}).json()
    try:
        views = ["#search", "#search?q=%E6%BC%8F%E6%B6%B2&sort=relevance", "#trends", "#trends?split=none&metric=negative_share",
                 "#trends?split=source&metric=avg_rating&interval=month", "#emerging", f"#doc/{doc_id}", "#digests"]
        for lang in ("en", "zh"):
            page.driver.execute_script("localStorage.setItem('voclens.lang', arguments[0])", lang)
            for view in views:
                page.open(view)
                assert not page.errors(), (lang, view)
            page.find(f'#subs tr[data-id="{sub["id"]}"] button[data-act=preview]').click()
            page.until(lambda: page.find("#preview iframe").get_attribute("srcdoc"))
            assert not page.errors(), (lang, "digest preview")
    finally:
        api.delete(f"/subscriptions/{sub['id']}")

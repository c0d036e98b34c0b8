"""Own topics (issue 19) in the web app: offered in the topic menu, marked as own, and filtered,
shown as chips and split in trends like a default topic.

The server holds the demo corpus with one own topic taught, trained and applied through the API,
so the index holds real own-topic labels; every expected result comes from the API. The tests
run the lexicon model, which stores no vectors: the demo's documents get planted ones first (those
about charging around one direction, the rest random), as tests/api/test_own_topics.py does, and
the examples are stored documents, so the head is trained on those vectors without an encoder.
"""

from __future__ import annotations

import shutil

import httpx
import numpy as np
import pytest

from api.export import EXPORT_PAGE, search_pages
from index.base import SearchQuery
from index.sqlite import SQLiteBackend
from index.vectors import DIMS, DocumentVector
from tests.api.conftest import Server
from tests.web.conftest import UNLIMITED, Page
from tests.web.test_views import _bar_offset, all_ids, shown_ids, tick

pytestmark = pytest.mark.slow

KEY, NAME_EN, NAME_ZH = "charging_fault", "Charging fault", "充电故障"


def plant_vectors(db) -> None:
    """Give every document a vector: near one axis when its text is about charging (充电), random otherwise."""
    rng = np.random.default_rng(18)
    axis = rng.standard_normal(DIMS).astype(np.float32)
    backend = SQLiteBackend(db)
    try:
        docs = [d for page in search_pages(backend, SearchQuery(limit=EXPORT_PAGE)) for d in page]
        planted = [d.model_copy(update={"vector": DocumentVector.from_array(
            "enc-test", rng.standard_normal(DIMS).astype(np.float32) + (2 * axis if "充电" in d.text else 0))}) for d in docs]
        backend.upsert(planted)
    finally:
        backend.close()


@pytest.fixture(scope="module")
def own_server(demo_data, tmp_path_factory):
    data = tmp_path_factory.mktemp("web-own-topics") / "data"
    shutil.copytree(demo_data, data, ignore=shutil.ignore_patterns("state.db*"))
    plant_vectors(data / "voclens.db")
    srv = Server(data, env=UNLIMITED)
    try:
        with httpx.Client(base_url=srv.url, timeout=120) as api:
            r = api.post("/own-topics", json={"key": KEY, "name_zh": NAME_ZH, "name_en": NAME_EN})
            assert r.status_code == 201, r.text
            positives = all_ids(api, q="充电")[:20]
            negatives = [i for i in all_ids(api, q="物流") if i not in positives][:20]
            assert len(positives) >= 10 and len(negatives) >= 10
            examples = [{"id": i, "label": 1} for i in positives] + [{"id": i, "label": 0} for i in negatives]
            assert api.post(f"/own-topics/{KEY}/examples", json={"examples": examples}).status_code == 200
            trained = api.post("/own-topics/actions/train", json={}).json()
            assert trained[0]["error"] is None, trained
            applied = api.post("/own-topics/actions/apply").json()
            assert applied["labelled"][KEY] > 0, applied
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def own_api(own_server):
    with httpx.Client(base_url=own_server.url, timeout=30) as client:
        yield client


@pytest.fixture
def own_page(chrome, own_server):
    return Page(chrome, own_server.url)


def test_the_topic_menu_lists_own_topics_marked_and_filters_by_them(own_page, own_api):
    page = own_page
    page.open("#search")
    page.find('details.multi[data-name="topic"] > summary').click()
    heading = page.find('details.multi[data-name="topic"] .menu-group')
    assert heading.text == "Own topics"
    own = page.find(f'details.multi[data-name="topic"] input[value="{KEY}"]').find_element("xpath", "..")
    assert own.text == NAME_EN and own.get_attribute("data-group") == "own"
    defaults = page.find_all('details.multi[data-name="topic"] label:not(.own) input')
    assert "logistics" in [d.get_attribute("value") for d in defaults]  # the taxonomy's topics are still there
    page.find('details.multi[data-name="topic"] > summary').click()

    tick(page, "topic", [KEY])
    page.until(lambda: page.hash_params().get("topic") == [KEY])
    page.ready()
    expected = all_ids(own_api, topic=KEY, sort="newest")
    assert expected and shown_ids(page) == expected
    for hit in page.find_all("li.hit"):
        chip = hit.find_element("css selector", ".chip.own")
        assert chip.text == NAME_EN and "own topic" in chip.get_attribute("title")
    assert NAME_EN in page.text('details.multi[data-name="topic"] .chosen')

    page.find("select[name=topic_polarity] option[value=negative]").click()  # applies at once
    page.until(lambda: page.hash_params().get("topic") == [f"{KEY}:negative"])
    page.ready()
    negative = own_api.get("/search", params={"topic": f"{KEY}:negative", "limit": 1}).json()["total"]
    assert 0 < negative < len(expected) and page.text("#total") == f"{negative} matches"
    assert not page.errors()


def test_a_trend_split_by_topic_draws_the_own_topic_and_a_click_opens_its_search(own_page, own_api):
    from selenium.webdriver.common.action_chains import ActionChains

    page = own_page
    page.open(f"#trends?split=topic&interval=week&topic={KEY}")
    tz = page.driver.execute_script("return Intl.DateTimeFormat().resolvedOptions().timeZone")
    trend = own_api.get("/trends", params={"split": "topic", "interval": "week", "split_limit": 12, "tz": tz,
                                           "topic": KEY}).json()
    names = page.driver.execute_script(
        "return echarts.getInstanceByDom(document.getElementById('trend-chart')).getOption().series.map(s => s.name)")
    assert trend["series"][0]["key"] == KEY  # every document of the filter carries it: the largest series
    assert names == [NAME_EN if s["key"] == KEY else s["key"].replace("_", " ") for s in trend["series"]]
    own = trend["series"][0]
    index = max(range(len(own["buckets"])), key=lambda i: own["buckets"][i]["volume"])
    bucket = own["buckets"][index]
    dx, dy = _bar_offset(page, 0, index)
    ActionChains(page.driver).move_to_element_with_offset(page.find("#trend-chart"), dx, dy).click().perform()
    page.navigated("#search?")
    params = page.hash_params()
    assert params["topic"] == [KEY] and params["since"][0][:19] == bucket["start"][:19]
    assert page.text("#total") == f"{bucket['volume']} matches"
    assert all_ids(own_api, topic=KEY, since=params["since"][0], until=params["until"][0], sort="newest") == shown_ids(page)
    assert not page.errors()


def test_own_topic_names_follow_the_language_in_menu_chips_and_document(own_page, own_api):
    page = own_page
    page.driver.execute_script("localStorage.setItem('voclens.lang', 'zh')")
    page.open(f"#search?topic={KEY}")
    page.find('details.multi[data-name="topic"] > summary').click()
    assert page.text('details.multi[data-name="topic"] .menu-group') == "自定义主题"
    assert page.find(f'details.multi[data-name="topic"] input[value="{KEY}"]').find_element("xpath", "..").text == NAME_ZH
    page.find('details.multi[data-name="topic"] > summary').click()
    assert page.find("li.hit .chip.own").text == NAME_ZH
    doc_id = page.find("li.hit").get_attribute("data-id")
    page.open(f"#doc/{doc_id}")
    labels = own_api.get(f"/documents/{doc_id}").json()["topics"]
    assert KEY in [t["topic"] for t in labels]
    assert NAME_ZH in page.text("#topic-labels")
    page.open("#digests")  # a subscription can watch an own topic too
    assert KEY in [o.get_attribute("value") for o in page.find_all("#sub-form select[name=topic] option")]
    assert not page.errors()

"""The Cases view in a real Chromium on the demo corpus: the list, metrics, history and a change by a person.

Expected results come from the JSON API (the page must show what it answers).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture
def detractor_rule(api):
    rule = api.post("/cases/rules", json={"name": "detractors", "owner": "cx-team", "conditions": {"detractor": True},
                                          "lookback_days": 3650, "first_response_h": 24}).json()
    api.post("/cases/run")
    yield rule
    api.delete(f"/cases/rules/{rule['id']}")


def test_cases_list_metrics_history_and_a_change(page, api, detractor_rule):
    cases = api.get("/cases", params={"limit": 500}).json()
    assert cases, "the demo corpus has detractors"
    page.open("#cases")
    shown = [tr.get_attribute("data-id") for tr in page.find_all("#cases tbody tr[data-id]")]
    assert shown == [str(c["id"]) for c in cases[:200]]
    assert f"{len(cases)} ({len(cases)} open)" in page.text("#case-metrics")

    first = cases[0]
    page.find(f'#cases tr[data-id="{first["id"]}"] button[data-act=open]').click()
    page.until(lambda: page.find_all("#case-detail .history li"))
    assert "opened" in page.text("#case-detail .history")
    form = page.find("#case-form")
    from selenium.webdriver.support.ui import Select

    Select(form.find_element("css selector", "select[name=state]")).select_by_value("in_progress")
    form.find_element("css selector", "textarea[name=note]").send_keys("called the customer back")
    form.find_element("css selector", "button[type=submit]").click()
    page.until(lambda: "called the customer back" in page.text("#case-detail .history"))
    stored = api.get(f"/cases/{first['id']}").json()
    assert stored["state"] == "in_progress" and stored["first_response_at"]
    assert [e["action"] for e in stored["history"]] == ["opened", "state", "note"]
    assert "in progress" in page.text(f'#cases tr[data-id="{first["id"]}"]')

    page.open("#cases?state=open")
    still_open = api.get("/cases", params={"state": "open", "limit": 500}).json()
    assert len(page.find_all("#cases tbody tr[data-id]")) == min(len(still_open), 200) == len(cases) - 1


def test_cases_view_in_chinese_without_console_errors(page, detractor_rule):
    page.driver.execute_script("localStorage.setItem('voclens.lang', 'zh')")
    page.open("#cases")
    assert "工单" in page.text("#nav") and "按时首次响应" in page.text("#case-metrics")
    assert not page.errors()

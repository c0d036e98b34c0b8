"""Fixtures of the browser tests: the demo corpus behind a real ``voclens serve``, and a real Chromium.

The demo corpus is loaded once (``voclens demo --no-serve`` into a temporary
data folder) and copied for each server, so the open and the keyed server
start from the same documents and each has its own subscriptions.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.settings import hash_api_key
from tests.api.conftest import Server
from tests.web import browser

ROOT = Path(__file__).resolve().parents[2]
READ_KEY, WRITE_KEY = "vl_web_read_key_for_tests", "vl_web_write_key_for_tests"
#: The page makes a few requests per view; the tests open many views from one address.
UNLIMITED = {"VOCLENS_RATE_LIMIT": "100000/minute"}


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> Path:
    browser.executables()  # no browser: skip (or fail in CI) before loading anything
    data = tmp_path_factory.mktemp("web-demo") / "data"
    env = {**os.environ, "VOCLENS_DATA_DIR": str(data)}
    subprocess.run([sys.executable, "-m", "api.cli", "demo", "--no-serve"], env=env, check=True, cwd=ROOT,
                   capture_output=True)
    return data


def _server(demo_data: Path, tmp_path_factory, name: str, env: dict) -> Server:
    data = tmp_path_factory.mktemp(name) / "data"
    shutil.copytree(demo_data, data, ignore=shutil.ignore_patterns("state.db*"))
    return Server(data, env={**UNLIMITED, **env})


@pytest.fixture(scope="session")
def server(demo_data, tmp_path_factory):
    srv = _server(demo_data, tmp_path_factory, "web-open", {})
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def keyed_server(demo_data, tmp_path_factory):
    keys = [{"name": "dashboard", "hash": hash_api_key(READ_KEY), "scopes": ["read"]},
            {"name": "team-lead", "hash": hash_api_key(WRITE_KEY), "scopes": ["read", "write"]}]
    srv = _server(demo_data, tmp_path_factory, "web-keyed", {"VOCLENS_API_KEYS": json.dumps(keys)})
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def api(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="session")
def chrome(downloads):
    driver = browser.start(downloads)
    yield driver
    driver.quit()


@pytest.fixture
def page(chrome, server):
    """The browser on the open server, with an empty session, English, and a clean console log."""
    return Page(chrome, server.url)


class Page:
    """What a person does with the app: open a view, wait for it, read it; plus its console log."""

    def __init__(self, driver, base: str):
        self.driver, self.base = driver, base
        driver.get(base + "/static/favicon.svg")  # same origin: storage can be cleared before the app runs
        driver.execute_script("sessionStorage.clear(); localStorage.clear(); localStorage.setItem('voclens.lang', 'en');")
        self.console()  # drop what earlier tests left

    def open(self, fragment: str = "#search", wait: bool = True):
        self.driver.get(f"{self.base}/{fragment}")
        if wait:
            self.ready()
        return self

    def ready(self, timeout: float = 30) -> None:
        """Wait until the current view has rendered (its requests answered)."""
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, timeout).until(
            lambda d: d.execute_script("const v = document.querySelector('#view .view');"
                                       "return v && v.dataset.hash === location.hash && v.dataset.ready"))
        state = self.driver.execute_script("return document.querySelector('#view .view').dataset.ready")
        assert state == "ok", self.text("#view")

    def navigated(self, fragment_start: str, timeout: float = 30) -> None:
        """Wait for the URL to change to a view (a click navigated) and for that view to render."""
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, timeout).until(lambda d: d.execute_script("return location.hash").startswith(fragment_start))
        self.ready(timeout)

    def find(self, css: str):
        return self.driver.find_element("css selector", css)

    def find_all(self, css: str):
        return self.driver.find_elements("css selector", css)

    def text(self, css: str) -> str:
        """The element's text; looked up again when the view re-rendered it between the lookup and the read."""
        from selenium.common.exceptions import StaleElementReferenceException

        for _ in range(5):
            try:
                return self.find(css).text
            except StaleElementReferenceException:
                time.sleep(0.1)
        return self.find(css).text

    def until(self, condition, timeout: float = 30):
        """Wait for ``condition()``; an element replaced meanwhile (the list re-rendered) is just looked up again."""
        from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        ignored = (NoSuchElementException, StaleElementReferenceException)
        return WebDriverWait(self.driver, timeout, ignored_exceptions=ignored).until(lambda d: condition())

    def console(self) -> list[dict]:
        return self.driver.get_log("browser")

    def errors(self) -> list[str]:
        """SEVERE console entries: JavaScript errors, CSP refusals, failed loads."""
        return [e["message"] for e in self.console() if e["level"] == "SEVERE"]

    def hash_params(self) -> dict[str, list[str]]:
        from urllib.parse import parse_qs

        frag = self.driver.execute_script("return location.hash")
        return parse_qs(frag.partition("?")[2])

    def wait_downloads(self, folder: Path, name: str, timeout: float = 30) -> Path:
        path = folder / name
        deadline = time.time() + timeout
        while time.time() < deadline:
            if path.exists() and not (folder / f"{name}.crdownload").exists():
                return path
            time.sleep(0.1)
        raise AssertionError(f"{name} was not downloaded into {folder}: {sorted(p.name for p in folder.iterdir())}")

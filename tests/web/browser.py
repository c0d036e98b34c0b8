"""A real Chromium for the web app's tests, driven by Selenium through chromedriver.

Debian's ``chromium`` and ``chromium-driver`` packages (``.ci/run`` installs
them). When either, or the ``selenium`` package, is missing, the browser tests
are skipped locally with the reason, but fail in CI (``CI`` set): there a
missing browser is a failure, not a skip (as a missing Elasticsearch node is,
see ``tests/es_node.py``). ``VOCLENS_CHROMIUM`` and ``VOCLENS_CHROMEDRIVER``
name other executables.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def executables() -> tuple[str, str]:
    """(browser, chromedriver) paths; skips, or fails in CI, when one is missing."""
    browser = os.environ.get("VOCLENS_CHROMIUM") or next(filter(None, map(shutil.which, BROWSERS)), None)
    driver = os.environ.get("VOCLENS_CHROMEDRIVER") or shutil.which("chromedriver")
    missing = [f"{name} (apt-get install {package})" for name, package, path in (
        ("chromium", "chromium", browser), ("chromedriver", "chromium-driver", driver)) if not path]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package (pip install -e '.[dev]')")
    if missing:
        reason = f"browser tests need {' and '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the browser tests and {reason}", pytrace=False)
        pytest.skip(reason)
    return browser, driver


def start(download_dir: Path, lang: str = "en-US", extra_args: tuple[str, ...] = ()):
    """A headless Chromium with its console log kept, downloads going to ``download_dir``.

    ``extra_args`` go to Chromium as they are (``--host-resolver-rules=...`` gives the test server
    another host name, which Chromium treats as a plain-http origin, not a secure context).
    """
    browser, driver = executables()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1360,1000",
                "--disable-gpu", f"--lang={lang}", "--no-first-run", "--disable-extensions", *extra_args):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": lang,
                                              "download.default_directory": str(download_dir),
                                              "download.prompt_for_download": False})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(options=options, service=Service(driver))
    chrome.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
    chrome.set_script_timeout(30)
    return chrome

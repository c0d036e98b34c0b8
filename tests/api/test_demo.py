"""`voclens demo` loads the bundled corpus and answers search and trend queries over HTTP."""

import os
import re
import subprocess
import sys
import time

import httpx

from tests.api.conftest import free_port


def test_demo_serves_search_and_trends(tmp_path):
    port = free_port()
    env = {**os.environ, "VOCLENS_DATA_DIR": str(tmp_path / "data")}
    log = open(tmp_path / "demo.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "demo", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            assert proc.poll() is None, (tmp_path / "demo.log").read_text()
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        health = httpx.get(url + "/health").json()
        assert health["documents"] > 300

        found = httpx.get(url + "/search", params={"q": "物流", "sentiment": "negative"}).json()
        assert found["total"] >= 3
        assert all(h["document"]["sentiment"]["label"] == "negative" for h in found["results"])
        assert all("物流" in h["document"]["text"] + (h["document"]["title"] or "") or "<mark>" in str(h["highlights"])
                   for h in found["results"])

        trend = httpx.get(url + "/trends", params={"interval": "week", "split": "brand"}).json()
        assert {s["key"] for s in trend["series"]} == {"Lumio", "Qinghe", "Voltra"}
        assert sum(b["volume"] for s in trend["series"] for b in s["buckets"]) == health["documents"]

        # The planted spike: leaking toner bottles in the last two days.
        rising = httpx.get(url + "/keywords/emerging", params={"window": "3d", "baseline": "28d"}).json()
        assert "漏液" in [i["key"] for i in rising["items"][:3]]

        masked = httpx.get(url + "/search", params={"q": "phone OR email", "limit": 50}).json()["results"]
        texts = [h["document"]["text"] for h in masked]
        assert any("[phone]" in t for t in texts) and any("[email]" in t for t in texts)
        assert not any(re.search(r"1[3-9]\d{9}|@\w+\.\w+", t) for t in texts)
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()

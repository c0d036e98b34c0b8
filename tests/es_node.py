"""The real Elasticsearch node the tests run against, started once per session.

``scripts/es-node`` fetches Elasticsearch from Maven Central (cached in
``~/.cache/voclens``) and starts a single node on a free loopback port. Set
``VOCLENS_TEST_ES_URL`` to use a node you run yourself instead. When no node
can be started, Elasticsearch tests are skipped locally but fail in CI
(``CI`` set): there a missing node is a failure, not a skip.
"""

from __future__ import annotations

import os
import uuid
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_script():
    loader = SourceFileLoader("es_node_script", str(ROOT / "scripts" / "es-node"))
    spec = spec_from_loader("es_node_script", loader)
    module = module_from_spec(spec)
    loader.exec_module(module)
    return module


script = _load_script()


class Node:
    """A node started by this test session (or an external one, which is never stopped)."""

    def __init__(self, url: str, node_dir: Path | None):
        self.url = url
        self.node_dir = node_dir

    @property
    def managed(self) -> bool:
        return self.node_dir is not None

    def stop(self) -> None:
        if self.node_dir is not None:
            script.stop(self.node_dir)

    def start(self) -> str:
        """(Re)start on the same port and data; returns the URL."""
        port = int(self.url.rsplit(":", 1)[1])
        self.url = script.start(self.node_dir, port)
        return self.url


def start_node(base: Path) -> Node:
    external = os.environ.get("VOCLENS_TEST_ES_URL")
    if external:
        return Node(external.rstrip("/"), None)
    try:
        url = script.start(base / "es-node")
    except (SystemExit, OSError) as exc:
        if os.environ.get("CI"):
            raise RuntimeError(f"CI needs a real Elasticsearch node and none started: {exc}") from exc
        pytest.skip(f"no Elasticsearch node: {exc}")
    return Node(url, base / "es-node")


def unique_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"

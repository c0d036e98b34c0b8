"""The ``backend`` fixture every contract test runs against, once per backend kind.

Add a kind to ``FACTORIES`` (with its marker in ``MARKS``) and the whole
contract suite runs against it too. Elasticsearch tests use the session's
real node (``tests/es_node.py``), each test under its own index prefix,
whose indices and templates are deleted afterwards.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from index.base import Backend
from index.registry import open_backend
from tests.es_node import unique_prefix

from .corpus import corpus

FACTORIES: dict[str, Callable[[pytest.FixtureRequest], Backend]] = {
    "sqlite": lambda request: open_backend("sqlite", path=request.getfixturevalue("tmp_path") / "voclens.db"),
    "elasticsearch": lambda request: open_backend(
        "elasticsearch", hosts=[request.getfixturevalue("es_node").url], index_prefix=unique_prefix()
    ),
}
MARKS = {"elasticsearch": [pytest.mark.elasticsearch]}


@pytest.fixture(params=[pytest.param(kind, marks=MARKS.get(kind, [])) for kind in FACTORIES])
def backend(request) -> Backend:
    b = FACTORIES[request.param](request)
    yield b
    drop = getattr(b, "drop_all", None)
    if drop is not None:
        drop()
    b.close()


@pytest.fixture
def loaded(backend) -> Backend:
    """The backend holding the shared corpus."""
    backend.upsert(corpus())
    return backend

"""The ``backend`` fixture every contract test runs against, once per backend kind.

Add a kind to ``FACTORIES`` (with its marker) and the whole contract suite
runs against it too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from index.base import Backend
from index.registry import open_backend

from .corpus import corpus

FACTORIES: dict[str, Callable[[Path], Backend]] = {
    "sqlite": lambda tmp: open_backend("sqlite", path=tmp / "voclens.db"),
}


@pytest.fixture(params=list(FACTORIES))
def backend(request, tmp_path) -> Backend:
    b = FACTORIES[request.param](tmp_path)
    yield b
    b.close()


@pytest.fixture
def loaded(backend) -> Backend:
    """The backend holding the shared corpus."""
    backend.upsert(corpus())
    return backend

"""Cases tests use the digest tests' real receivers (aiosmtpd, an HTTP webhook receiver) and state databases."""

from __future__ import annotations

import pytest

from api.cases import CaseStore
from tests.api.digests.conftest import SECRET, receiver, smtp  # noqa: F401  (fixtures)

__all__ = ["SECRET"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def state_url(request, tmp_path) -> str:
    """The state database, once on SQLite and once on a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return request.getfixturevalue("pg_server").new_database()


@pytest.fixture
def cases_store(state_url) -> CaseStore:
    s = CaseStore(state_url)
    yield s
    s.close()

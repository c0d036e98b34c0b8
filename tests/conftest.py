"""Session-wide test settings.

Most tests exercise ingest, search and the API, not the model, so they run
with the fast lexicon baseline (``VOCLENS_MODEL=fast``); the transformer has
its own tests (``tests/nlp/test_transformer.py``, marker ``model``) that ask
for it by name. Server and CLI subprocesses inherit this environment.
"""

import os

os.environ.setdefault("VOCLENS_MODEL", "fast")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def es_node(tmp_path_factory):
    """A real Elasticsearch node for the session (see ``tests/es_node.py``); stopped at the end."""
    from tests.es_node import start_node

    node = start_node(tmp_path_factory.mktemp("elasticsearch"))
    yield node
    node.stop()


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL server for the session (see ``tests/pg_server.py``); stopped at the end."""
    from tests.pg_server import start_server

    server = start_server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real Redis server for the session (see ``tests/redis_server.py``); stopped at the end."""
    from tests.redis_server import start_redis

    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()

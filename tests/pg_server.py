"""A real PostgreSQL server for the test session, from the Debian ``postgresql`` package.

``initdb`` a throw-away cluster in a temporary directory, start it on a free
loopback port with trust authentication, and stop and delete it at the end.
PostgreSQL refuses to run as root, so as root the server runs as the
``postgres`` user that the Debian package creates. Set
``VOCLENS_TEST_PG_URL`` (a SQLAlchemy URL) to use a server you run yourself.
When no server can be started, PostgreSQL tests are skipped locally but fail
in CI (``CI`` set).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """A cluster started by this session (or an external server, never stopped)."""

    def __init__(self, url: str, data_dir: Path | None = None, bin_dir: Path | None = None, as_user: list[str] | None = None):
        self.url, self.data_dir, self.bin_dir, self.as_user = url, data_dir, bin_dir, as_user or []

    def stop(self) -> None:
        if self.data_dir is None:
            return
        subprocess.run([*self.as_user, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir / "data"), "-m", "fast",
                        "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def new_database(self) -> str:
        """A fresh empty database on this server; returns its URL (each test gets its own)."""
        import sqlalchemy

        name = f"t{uuid.uuid4().hex[:12]}"
        engine = sqlalchemy.create_engine(self.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url.rsplit("/", 1)[0] + "/" + name


def _start() -> PgServer:
    bin_dir = _bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install -y postgresql)")
    as_user: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="voclens-pg-"))
    if os.geteuid() == 0:
        # /tmp/pytest-of-root is private to root; the postgres user needs its own directory.
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres", "postgres")
    port = _free_port()
    data = base / "data"
    run = lambda *cmd: subprocess.run([*as_user, *cmd], capture_output=True, text=True, timeout=120)  # noqa: E731
    r = run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-instructions")
    if r.returncode != 0:
        raise RuntimeError(f"initdb failed: {r.stderr.strip()[-500:]}")
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    r = run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(base / "server.log"), "-w", "-t", "60", "start")
    if r.returncode != 0:
        log = (base / "server.log").read_text() if (base / "server.log").exists() else ""
        raise RuntimeError(f"pg_ctl start failed: {r.stderr.strip()[-300:]} {log[-500:]}")
    return PgServer(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", base, bin_dir, as_user)


def start_server() -> PgServer:
    external = os.environ.get("VOCLENS_TEST_PG_URL")
    if external:
        return PgServer(external)
    try:
        return _start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        if os.environ.get("CI"):
            raise RuntimeError(f"CI needs a real PostgreSQL server and none started: {exc}") from exc
        pytest.skip(f"no PostgreSQL server: {exc}")

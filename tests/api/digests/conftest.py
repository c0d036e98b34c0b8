"""Real receivers for digest tests: an SMTP server (aiosmtpd) and an HTTP webhook receiver on loopback,
plus the state store on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from api.digests.delivery import verify
from api.digests.store import DigestStore
from api.settings import Settings
from index.registry import open_backend
from tests.index.corpus import corpus

SECRET = "test-signing-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- SMTP ---------------------------------------------------------------------------------------
class SmtpSink:
    """Collects every message a real aiosmtpd server on loopback accepts.

    ``hold`` makes the server keep the client waiting after it has the whole
    message and before it answers 250: the window in which a sender can
    crash after the receiver got the mail but before the sender knows.
    """

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.hold = False
        self.received = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.received.set()
        if self.hold:
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    yield sink
    sink.release.set()
    controller.stop()


# -- webhooks -------------------------------------------------------------------------------------
@dataclass
class Receiver:
    """A local HTTP receiver that records requests, can fail, and de-duplicates by Idempotency-Key."""

    url: str = ""
    requests: list[dict] = field(default_factory=list)
    logical: dict[str, dict] = field(default_factory=dict)
    fail_next: int = 0
    fail_status: int = 500
    hold: bool = False
    delay: float = 0.0
    received: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keys(self) -> list[str]:
        return [r["headers"].get("Idempotency-Key") for r in self.requests]


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k: v for k, v in self.headers.items()}
            signature_ok = verify(SECRET, headers.get("X-Voclens-Timestamp", ""), body,
                                  headers.get("X-Voclens-Signature", ""))
            with state.lock:
                record = {"path": self.path, "headers": headers, "body": body, "json": json.loads(body),
                          "signature_ok": signature_ok}
                state.requests.append(record)
                failing = state.fail_next > 0
                if failing:
                    state.fail_next -= 1
                elif headers.get("Idempotency-Key") not in state.logical:
                    state.logical[headers.get("Idempotency-Key")] = record  # what a deduping receiver processes
            state.received.set()
            if state.hold:
                state.release.wait(30)
            if state.delay:
                time.sleep(state.delay)
            status = state.fail_status if failing else 200
            payload = b'{"ok": false}' if failing else b'{"ok": true}'
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender was killed while we held the answer (the crash tests)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


# -- store, backend, settings ------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path) -> DigestStore:
    """The state store, once on SQLite and once on a real PostgreSQL server."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'state.db'}"
    else:
        url = request.getfixturevalue("pg_server").new_database()
    s = DigestStore(url)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path) -> DigestStore:
    s = DigestStore(f"sqlite:///{tmp_path / 'state.db'}")
    yield s
    s.close()


@pytest.fixture
def backend(tmp_path):
    """A real SQLite index holding the shared test corpus (dated the week before ``NOW``)."""
    b = open_backend("sqlite", path=tmp_path / "voclens.db")
    b.upsert(corpus())
    yield b
    b.close()


@pytest.fixture
def settings(tmp_path, smtp) -> Settings:
    return Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_from="digests@voclens.test",
                    webhook_signing_secret=SECRET, digest_retry_base_s=60, digest_failure_threshold=3,
                    public_base_url="https://voc.example.com", webhook_allow_private=True)  # the receiver is on loopback

"""A digest queued before an erasure and sent after it carries none of the erased text."""

from __future__ import annotations

from api.digests.runner import Runner, RunReport
from api.erasure import erase
from index.base import ErasureKind
from tests.index.corpus import corpus

from .helpers import DUE, make_sub

ERASED = "物流太慢了，等了一个星期才到"  # zh1: a representative logistics complaint of Acme that week


def test_a_pending_delivery_is_sent_without_the_erased_document(backend, sqlite_store, settings, smtp):
    sub = make_sub(sqlite_store, filters={"brand": ["Acme"]})
    runner = Runner(sqlite_store, backend, settings)
    report = RunReport()
    runner.queue_due(DUE, report)  # the delivery row exists, not yet sent
    (pending,) = sqlite_store.deliveries(sub.id)
    assert report.queued == 1 and pending.state == "pending"
    zh1 = next(d for d in corpus() if d.source_id == "zh1")
    erase(backend, ErasureKind.document, zh1.id, actor="cli")
    assert ERASED not in str(sqlite_store.context(pending.id))  # the row never held text anyway
    sent = runner.run_once(DUE)
    assert sent.sent == [pending.id] and not sent.failed
    (msg,) = smtp.messages
    text, html = msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()
    assert ERASED not in text and ERASED not in html and zh1.id not in text + html
    assert "太慢的物流，包装也破了" in text  # the other complaints are still there
    assert "Volume: 5" in text  # and the counts no longer include it

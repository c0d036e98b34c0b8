"""The churn scan: every customer's documents read through the Backend, signals computed, flags saved.

It reads the whole index once (``Backend.iter_documents``, documents with a
``customer_hash`` written in the last ``history`` days kept), so it runs on
a schedule (``voclens churn scan`` from cron, or a case run when a rule asks
for churn risk), not on every request.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from index.base import Backend

from .intent_model import IntentReader
from .signals import CustomerRisk, customer_risk
from .store import ChurnStore


def customer_risks(backend: Backend, *, now: datetime | None = None, history: timedelta = timedelta(days=365),
                   window: timedelta = timedelta(days=90), complaints: int = 3,
                   intent: IntentReader | None = None) -> list[CustomerRisk]:
    """The signals of every customer with documents in the last ``history``.

    ``intent``: how a stated intent to leave is read; None loads the shipped
    head (``IntentReader.shipped``), which reads each document's stored vector.
    """
    since = (now or datetime.now(UTC)) - history
    by_customer = defaultdict(list)
    for batch in backend.iter_documents():
        for doc in batch:
            if doc.customer_hash and doc.created_at >= since:
                by_customer[doc.customer_hash].append(doc)
    intent = intent or IntentReader.shipped()
    return [customer_risk(c, docs, window=window, complaints=complaints, intent=intent)
            for c, docs in sorted(by_customer.items())]


def scan(store: ChurnStore, backend: Backend, *, now: datetime | None = None, **kw) -> tuple[int, list[CustomerRisk]]:
    """Compute and save the flags; (customers seen, customers newly flagged)."""
    risks = customer_risks(backend, now=now, **kw)
    return len(risks), store.save(risks, now=now)


__all__ = ["customer_risks", "scan"]

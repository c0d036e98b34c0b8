"""Churn signals of one customer from their feedback (pure functions; the scan feeds them).

A customer is a ``customer_hash`` (surveys, tickets and reviews that carry
one link up across sources). Three signals, each with the documents behind it:

* **promoter turned detractor**: an NPS answer of 9-10, later one of 0-6,
  and the detractor answer is their latest;
* **repeated complaints**: at least ``complaints`` unhappy documents
  (negative, or NPS 0-6, or 2 stars or less) in the ``window`` before
  their newest document;
* **intent to leave**: a document in that window that says so, as read
  by ``intent`` (the scan passes ``intent_model.IntentReader``: the trained
  head on the document's stored vector; without one, ``intent.intent_to_leave``:
  a cue in an unhappy document).

Any one puts the customer at risk; the flag goes on their newest document.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from pydantic import BaseModel, Field

from index.document import Document

from .intent import intent_to_leave, unhappy

PROMOTER_MIN, DETRACTOR_MAX = 9, 6


class Signal(BaseModel):
    kind: str = Field(description="promoter_to_detractor, repeated_complaints or intent_to_leave.")
    documents: list[str] = Field(description="The documents behind it, oldest first.")
    detail: str = ""


class CustomerRisk(BaseModel):
    customer_hash: str
    document_id: str = Field(description="The customer's newest document: where the flag goes.")
    signals: list[Signal]

    @property
    def at_risk(self) -> bool:
        return bool(self.signals)


def customer_risk(customer_hash: str, docs: list[Document], *, window: timedelta = timedelta(days=90),
                  complaints: int = 3, intent: Callable[[Document], str | None] = intent_to_leave) -> CustomerRisk:
    """The signals of one customer's documents (any order); ``intent`` reads a stated intent to leave."""
    docs = sorted(docs, key=lambda d: (d.created_at, d.id))
    newest = docs[-1]
    recent = [d for d in docs if d.created_at >= newest.created_at - window]
    signals: list[Signal] = []
    answers = [d for d in docs if "nps" in d.scores]
    if answers and answers[-1].scores["nps"] <= DETRACTOR_MAX:
        promoters = [d for d in answers[:-1] if d.scores["nps"] >= PROMOTER_MIN]
        if promoters:
            signals.append(Signal(kind="promoter_to_detractor", documents=[promoters[-1].id, answers[-1].id],
                                  detail=f"NPS {promoters[-1].scores['nps']:g} -> {answers[-1].scores['nps']:g}"))
    unhappy_docs = [d for d in recent if unhappy(d)]
    if len(unhappy_docs) >= complaints:
        signals.append(Signal(kind="repeated_complaints", documents=[d.id for d in unhappy_docs],
                              detail=f"{len(unhappy_docs)} in {window.days} days"))
    for d in recent:
        found = intent(d)
        if found:
            signals.append(Signal(kind="intent_to_leave", documents=[d.id], detail=found))
            break
    return CustomerRisk(customer_hash=customer_hash, document_id=newest.id, signals=signals)


__all__ = ["CustomerRisk", "Signal", "customer_risk"]

"""Rules to cases, and deadlines to breach alerts: the code behind ``voclens cases run`` and ingest.

When rules run: after every ``voclens ingest`` and ``POST /documents`` (so
a complaint gets its case while it is fresh), and on a schedule: ``voclens
cases run`` from cron, or every poll of the digest scheduler inside
``voclens serve``. Each run looks at the documents written in each rule's
last ``lookback_days`` that match its query and filters, checks the
conditions, and opens the missing cases; the database's unique constraint
makes opening idempotent, so a run may look at a document as often as it
likes. Then it alerts every deadline breached and not yet alerted, once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from index.base import Backend, SearchQuery, SortOrder
from index.document import Document

from ..digests.delivery import send_email, send_webhook
from ..digests.errors import DeliveryFailed
from ..settings import Settings
from .schemas import Case, Conditions, Rule
from .store import CaseStore

log = logging.getLogger("voclens.cases")
PAGE = 200
DETRACTOR_MAX = 6


def matches(conditions: Conditions, doc: Document, flagged: frozenset[str] | set[str] = frozenset()) -> bool:
    """Whether ``doc`` meets the conditions (all set ones, or any one with ``match='any'``).

    ``flagged``: the documents that carry a churn flag (``api.churn``), for ``churn_risk``.
    """
    checks: list[bool] = []
    if conditions.churn_risk:
        checks.append(doc.id in flagged)
    nps = doc.scores.get("nps")
    if conditions.detractor:
        checks.append(nps is not None and nps <= DETRACTOR_MAX)
    if conditions.nps_max is not None:
        checks.append(nps is not None and nps <= conditions.nps_max)
    if conditions.rating_max is not None:
        checks.append(doc.rating is not None and doc.rating <= conditions.rating_max)
    if conditions.negative_topics:
        wanted = set(conditions.negative_topics)
        checks.append(any(t.polarity == "negative" and ("*" in wanted or t.topic in wanted) for t in doc.topics))
    if conditions.brands:
        checks.append(doc.brand in conditions.brands)
    if not checks:
        return True
    return all(checks) if conditions.match == "all" else any(checks)


def matching_documents(backend: Backend, rule: Rule, now: datetime, flagged: frozenset[str] | set[str] = frozenset()):
    """The documents of the rule's lookback window that match its query, filters and conditions."""
    filters = rule.filters.model_copy(update={"since": now - timedelta(days=rule.lookback_days), "until": None})
    cursor = None
    while True:
        result = backend.search(SearchQuery(q=rule.q, filters=filters, sort=SortOrder.newest, limit=PAGE,
                                            cursor=cursor, highlight=False))
        for hit in result.hits:
            if matches(rule.conditions, hit.document, flagged):
                yield hit.document
        cursor = result.next_cursor
        if not cursor or not result.hits:
            return


def open_cases(store: CaseStore, backend: Backend, *, now: datetime | None = None) -> list[int]:
    """Open the missing case of every enabled rule's matching documents; the ids of the cases opened."""
    now = now or datetime.now(UTC)
    opened = []
    rules = store.rules(enabled=True)
    flagged = _churn_flags(store, backend, now) if any(r.conditions.churn_risk for r in rules) else set()
    for rule in rules:
        for doc in matching_documents(backend, rule, now, flagged):
            case_id = store.open_case(rule, doc.id, now=now)
            if case_id is not None:
                opened.append(case_id)
                if rule.conditions.churn_risk and doc.id in flagged:
                    store.queue_alert(case_id, "churn_risk", now)  # sent with the breach alerts, once
    return opened


def _churn_flags(store: CaseStore, backend: Backend, now: datetime) -> set[str]:
    """Scan the customers (a rule asks for churn risk) and answer the flagged documents."""
    from ..churn import ChurnStore, scan

    churn = ChurnStore(store.engine)
    scan(churn, backend, now=now)
    return churn.flagged_documents()


@dataclass
class CaseRunReport:
    opened: list[int] = field(default_factory=list)
    breaches: int = 0
    alerts_sent: list[dict] = field(default_factory=list)
    alerts_failed: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"opened": self.opened, "breaches": self.breaches, "alerts_sent": self.alerts_sent,
                "alerts_failed": self.alerts_failed}


_WHAT = {"first_response": "first response", "resolution": "resolution"}


def breach_message(case: Case, rule: Rule, kind: str, base_url: str | None,
                   signals: list[dict] | None = None) -> tuple[str, list[str]]:
    """Subject and lines of a breach (or churn risk) alert; the same words by e-mail and in the webhook."""
    if kind == "churn_risk":
        subject = f"[voclens] churn risk: case {case.id} ({rule.name})"
        lines = [f"A customer's newest feedback is flagged at churn risk; case {case.id} is open for {case.owner}.",
                 *(f"- {s['kind'].replace('_', ' ')}: {s['detail']}" for s in signals or []),
                 f"Document: {case.document_id}"]
        if base_url:
            lines.append(f"{base_url.rstrip('/')}/documents/{case.document_id}")
        return subject, lines
    due = case.due_first_response if kind == "first_response" else case.due_resolution
    subject = f"[voclens] case {case.id} missed its {_WHAT[kind]} deadline ({rule.name})"
    lines = [f"Case {case.id} of rule {rule.name!r}, owned by {case.owner}, is {case.state.replace('_', ' ')}.",
             f"The {_WHAT[kind]} was due {due:%Y-%m-%d %H:%M} UTC; the case was opened "
             f"{case.opened_at:%Y-%m-%d %H:%M} UTC.",
             f"Document: {case.document_id}"]
    if base_url:
        lines.append(f"{base_url.rstrip('/')}/documents/{case.document_id}")
    return subject, lines


def _signals(store: CaseStore, document_id: str) -> list[dict]:
    from ..churn import ChurnStore

    rows = [r for r in ChurnStore(store.engine).list(limit=None) if r["document_id"] == document_id]
    return rows[0]["signals"] if rows else []


def _send(store: CaseStore, settings: Settings, rule: Rule, case: Case, kind: str) -> list[str]:
    from ..digests.runner import smtp_config

    key = f"voclens-case-{case.id}-{kind}"
    signals = _signals(store, case.document_id) if kind == "churn_risk" else None
    subject, lines = breach_message(case, rule, kind, settings.public_base_url, signals)
    channels = []
    if rule.email_to:
        message = EmailMessage()
        message["Subject"], message["From"], message["To"] = subject, settings.smtp_from, ", ".join(rule.email_to)
        message["Date"], message["Message-ID"] = format_datetime(datetime.now(UTC)), f"<{key}@voclens>"
        message.set_content("\n".join(lines) + "\n")
        send_email(smtp_config(settings), message, rule.email_to)
        channels.append("email")
    if rule.webhook_url:
        secret = rule.webhook_secret or settings.webhook_signing_secret
        body = {"type": "voclens.churn_risk" if kind == "churn_risk" else "voclens.case_breach", "version": 1,
                "idempotency_key": key, "deadline": None if kind == "churn_risk" else kind, "signals": signals,
                "rule": {"id": rule.id, "name": rule.name}, "case": case.model_dump(mode="json", exclude={"history"}),
                "text": "\n".join([subject, *lines])}
        send_webhook(rule.webhook_url, body, idempotency_key=key,
                     secret=secret.get_secret_value() if secret else None, allowed_hosts=settings.webhook_allowed_hosts,
                     timeout_s=settings.webhook_timeout_s, allow_private=settings.webhook_allow_private)
        channels.append("webhook")
    return channels


def alert_breaches(store: CaseStore, settings: Settings, report: CaseRunReport, now: datetime) -> None:
    """Queue one alert per breached deadline and send every claimable one (a failed one again at the next run).

    A deadline is alerted once: the alert row is unique on (case, deadline)
    and one runner claims it. A rule with no channel still records the
    breach (it shows in the metrics) but sends nothing.
    """
    for case, kind in store.breached(now):
        store.queue_alert(case.id, kind, now)
        report.breaches += 1
    for alert in store.claim_alerts(now, timedelta(seconds=settings.digest_lease_s)):
        case = store.get_case(alert["case_id"], history=False)
        rule = store.get_rule(case.rule_id)
        try:
            channels = _send(store, settings, rule, case, alert["kind"])
        except DeliveryFailed as exc:
            store.finish_alert(alert["id"], ok=False, error=str(exc), now=now)
            report.alerts_failed.append({"case": case.id, "deadline": alert["kind"], "error": str(exc)})
            continue
        store.finish_alert(alert["id"], ok=True, error=None, now=now, channels=channels)
        if channels:  # a rule without a channel records the alert in the history and sends nothing
            report.alerts_sent.append({"case": case.id, "deadline": alert["kind"], "channels": channels})


def run_once(store: CaseStore, backend: Backend, settings: Settings, *, now: datetime | None = None) -> CaseRunReport:
    """Open the missing cases, then alert the breached deadlines."""
    now = now or datetime.now(UTC)
    report = CaseRunReport(opened=open_cases(store, backend, now=now))
    alert_breaches(store, settings, report, now)
    return report




def after_ingest(settings: Settings, backend: Backend) -> CaseRunReport | None:
    """Run the rules after an ingest; None when no rule exists (a default SQLite state file not made yet stays so).

    Only opens cases: breach alerts wait for the scheduled run, so an ingest
    never waits on an SMTP server.
    """
    url = settings.state_url
    if url.startswith("sqlite:///") and not settings.state_db_url and not (settings.data_dir / "state.db").exists():
        return None
    store = CaseStore(url)
    try:
        if not store.rules(enabled=True):
            return None
        return CaseRunReport(opened=open_cases(store, backend))
    finally:
        store.close()


__all__ = ["CaseRunReport", "after_ingest", "alert_breaches", "breach_message", "matches", "matching_documents", "open_cases",
           "run_once"]

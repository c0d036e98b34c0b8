"""Cases (the closed loop): rules that open them, the cases themselves, their changes and metrics.

Reads need the ``read`` scope; changes need ``write`` (and ``read`` too
where the answer shows what is stored: creating a rule, running the rules, changing a case). A rule's
webhook secret can be set, never read back.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel

from ..bounds import IsoDateTime
from ..cases import (
    Case,
    CaseChange,
    CaseMetrics,
    CaseNotFound,
    CaseStore,
    InvalidRule,
    RuleCreate,
    RulePublic,
    StateConflict,
    check_rule_target,
    metrics,
    metrics_trend,
    run_once,
)
from ..cases.metrics import MetricsBucket
from ..deps import BackendDep, ReadAccess, ReadWriteAccess, SettingsDep, WriteAccess, key_name
from ..digests.scheduler import get_store
from ..errors import ApiError
from ..openapi import problems

router = APIRouter(tags=["cases"])
log = logging.getLogger("voclens.cases")


def _store_of(app) -> CaseStore:
    store = getattr(app.state, "case_store", None)
    if store is None:
        store = app.state.case_store = CaseStore(get_store(app, app.state.settings).engine)
    return store


def case_store(request: Request) -> CaseStore:
    """The cases' tables in the state database, on the engine the subscriptions already use."""
    return _store_of(request.app)


StoreDep = Annotated[CaseStore, Depends(case_store)]
RuleId = Annotated[str, Path(min_length=1, max_length=64, description="The rule's id.")]
CaseId = Annotated[int, Path(ge=1, le=2_147_483_647, description="The case's id.")]
States = Annotated[list[Literal["open", "in_progress", "resolved", "closed"]], Query(description="Any of these states.")]


def _not_found(exc: CaseNotFound) -> ApiError:
    return ApiError(404, "Not found", str(exc))


@router.post("/cases/rules", response_model=RulePublic, status_code=201, dependencies=[ReadWriteAccess],
             responses=problems(422))
def create_rule(body: RuleCreate, store: StoreDep, settings: SettingsDep) -> RulePublic:
    """Save a rule: a query, filters and conditions that open a case (once) for every matching document."""
    try:
        check_rule_target(body, settings.webhook_allowed_hosts, settings.webhook_allow_private)
    except InvalidRule as exc:
        raise ApiError(422, "Invalid rule", str(exc), field=exc.field) from None
    return store.create_rule(body).public()


@router.get("/cases/rules", response_model=list[RulePublic], dependencies=[ReadAccess])
def list_rules(store: StoreDep) -> list[RulePublic]:
    """Every case rule (secrets omitted)."""
    return [r.public() for r in store.rules()]


@router.get("/cases/rules/{rule_id}", response_model=RulePublic, dependencies=[ReadAccess], responses=problems(404))
def get_rule(rule_id: RuleId, store: StoreDep) -> RulePublic:
    try:
        return store.get_rule(rule_id).public()
    except CaseNotFound as exc:
        raise _not_found(exc) from None


@router.delete("/cases/rules/{rule_id}", status_code=204, dependencies=[WriteAccess], responses=problems(404))
def delete_rule(rule_id: RuleId, store: StoreDep) -> Response:
    """Delete a rule with its cases and their history."""
    try:
        store.delete_rule(rule_id)
    except CaseNotFound as exc:
        raise _not_found(exc) from None
    return Response(status_code=204)


class RunOut(BaseModel):
    opened: list[int]
    breaches: int
    alerts_sent: list[dict]
    alerts_failed: list[dict]


@router.post("/cases/run", response_model=RunOut, dependencies=[ReadWriteAccess])
def run_rules(store: StoreDep, backend: BackendDep, settings: SettingsDep) -> RunOut:
    """Run every enabled rule now and alert breached deadlines (what the schedule does)."""
    return RunOut(**run_once(store, backend, settings).as_dict())


@router.get("/cases", response_model=list[Case], dependencies=[ReadAccess])
def list_cases(
    store: StoreDep, state: States = [],  # noqa: B006
    owner: Annotated[str | None, Query(max_length=200)] = None,
    rule_id: Annotated[str | None, Query(max_length=64)] = None,
    document_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[IsoDateTime | None, Query(description="Opened at or after (ISO 8601).")] = None,
    until: Annotated[IsoDateTime | None, Query(description="Opened before (ISO 8601).")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[Case]:
    """Cases, newest first."""
    return store.cases(state=list(state), owner=owner, rule_id=rule_id, document_id=document_id, since=since,
                       until=until, limit=limit, offset=offset)


class MetricsOut(BaseModel):
    overall: CaseMetrics
    interval: Literal["day", "week"] | None
    buckets: list[MetricsBucket]


@router.get("/cases/metrics", response_model=MetricsOut, dependencies=[ReadAccess])
def case_metrics(
    store: StoreDep,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    rule_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[IsoDateTime | None, Query(description="Cases opened at or after (ISO 8601).")] = None,
    until: Annotated[IsoDateTime | None, Query(description="Cases opened before (ISO 8601).")] = None,
    interval: Annotated[Literal["day", "week"] | None, Query(description="Also per day or week of opening.")] = None,
) -> MetricsOut:
    """Time to first response and to resolve (hours), share within deadline, reopen rate; optionally per period."""
    cases = store.cases(owner=owner, rule_id=rule_id, since=since, until=until, limit=None)
    return MetricsOut(overall=metrics(cases), interval=interval,
                      buckets=metrics_trend(cases, interval) if interval else [])


@router.get("/cases/{case_id:int}", response_model=Case, dependencies=[ReadAccess], responses=problems(404))
def get_case(case_id: CaseId, store: StoreDep) -> Case:
    """One case with its history (who did what, when)."""
    try:
        return store.get_case(case_id)
    except CaseNotFound as exc:
        raise _not_found(exc) from None


@router.patch("/cases/{case_id:int}", response_model=Case, dependencies=[ReadWriteAccess], responses=problems(404, 409))
def change_case(case_id: CaseId, body: CaseChange, request: Request, store: StoreDep) -> Case:
    """Move a case (open, in_progress, resolved, closed), add a note or give it to another owner."""
    try:
        return store.change(case_id, body, body.actor or key_name(request))
    except CaseNotFound as exc:
        raise _not_found(exc) from None
    except StateConflict as exc:
        raise ApiError(409, "Conflict", str(exc), field="state") from None


class ChurnFlag(BaseModel):
    customer_hash: str
    document_id: str
    signals: list[dict]
    flagged_at: datetime
    updated_at: datetime


class ChurnScanOut(BaseModel):
    customers: int
    newly_flagged: list[ChurnFlag]


def _churn_store(request: Request):
    from ..churn import ChurnStore

    store = getattr(request.app.state, "churn_store", None)
    if store is None:
        store = request.app.state.churn_store = ChurnStore(_store_of(request.app).engine)
    return store


@router.get("/churn", response_model=list[ChurnFlag], dependencies=[ReadAccess], tags=["churn"])
def churn_flags(request: Request, limit: Annotated[int, Query(ge=1, le=10_000)] = 100) -> list[ChurnFlag]:
    """Customers at churn risk (hashed), each with the newest document that carries the flag and the signals."""
    return [ChurnFlag(**row) for row in _churn_store(request).list(limit=limit)]


@router.post("/churn/scan", response_model=ChurnScanOut, dependencies=[ReadWriteAccess], tags=["churn"])
def churn_scan(request: Request, backend: BackendDep) -> ChurnScanOut:
    """Read every customer's feedback, flag the ones at risk and clear the others (reads the whole index)."""
    from ..churn import scan

    store = _churn_store(request)
    customers, changed = scan(store, backend)
    ids = {r.customer_hash for r in changed}
    return ChurnScanOut(customers=customers, newly_flagged=[ChurnFlag(**row) for row in store.list(limit=None)
                                                             if row["customer_hash"] in ids])


def after_ingest(app) -> None:
    """Open the cases of freshly ingested documents: a background task of ``POST /documents``, after the answer.

    Nothing happens (and no state database is made) where no state database exists yet.
    """
    settings = app.state.settings
    if (getattr(app.state, "digest_store", None) is None and not settings.state_db_url
            and not (settings.data_dir / "state.db").exists()):
        return
    from ..cases import open_cases

    try:
        store = _store_of(app)
        if store.rules(enabled=True):
            open_cases(store, app.state.backend)
    except Exception:  # the documents are stored; the scheduled run opens the cases this one missed
        log.exception("opening cases after ingest failed; the next scheduled run will open them")

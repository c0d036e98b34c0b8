"""Subscriptions to saved queries: create, list, update, delete, pause, preview and their deliveries.

Reads need the ``read`` scope and changes the ``write`` scope (when API keys
are configured). Secrets (a webhook's signing key) can be set but are never
returned: responses say ``has_webhook_secret`` instead.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse

from ..bounds import IsoDateTime
from ..deps import BackendDep, ReadAccess, ReadWriteAccess, SettingsDep, WriteAccess
from ..digests import payloads, render
from ..digests.content import build_digest
from ..digests.scheduler import get_store
from ..digests.schedule import due_period, idempotency_key, next_send_of, period_ending
from ..digests.schemas import (
    DeliveryPublic,
    SubscriptionCreate,
    SubscriptionPublic,
    SubscriptionUpdate,
    check_target,
)
from ..digests.store import DigestStore
from ..errors import ApiError
from ..openapi import problems
from ..settings import Settings

router = APIRouter(tags=["subscriptions"])


def store_dep(request: Request) -> DigestStore:
    return get_store(request.app, request.app.state.settings)


StoreDep = Annotated[DigestStore, Depends(store_dep)]
SubId = Annotated[str, Path(min_length=1, max_length=64, description="The subscription's id.")]
_NOT_FOUND = problems(404)
PreviewFormat = Literal["json", "text", "html", "slack", "feishu", "dingtalk", "wecom", "webhook-json"]


_FIRST_DAY, _LAST_DAY = datetime(2, 1, 1), datetime(9998, 12, 31)


class SubscriptionOut(SubscriptionPublic):
    next_send_at: datetime | None = None


def _out(sub) -> SubscriptionOut:
    nxt = next_send_of(sub, datetime.now(UTC)) if sub.digest and sub.enabled else None
    return SubscriptionOut(**sub.public().model_dump(), next_send_at=nxt)


def _checked(sub: SubscriptionCreate, settings: Settings) -> SubscriptionCreate:
    check_target(sub, settings.webhook_allowed_hosts, settings.webhook_allow_private)
    return sub


@router.post("/subscriptions", response_model=SubscriptionOut, status_code=201, dependencies=[WriteAccess])
def create_subscription(body: SubscriptionCreate, store: StoreDep, settings: SettingsDep) -> SubscriptionOut:
    """Subscribe to a saved query: a digest on a schedule and/or a spike alert, by e-mail or webhook."""
    return _out(store.create(_checked(body, settings)))


@router.get("/subscriptions", response_model=list[SubscriptionOut], dependencies=[ReadAccess])
def list_subscriptions(store: StoreDep, owner: Annotated[str | None, Query(max_length=200)] = None) -> list[SubscriptionOut]:
    """All subscriptions, or one owner's."""
    return [_out(s) for s in store.list(owner=owner)]


@router.get("/subscriptions/{sub_id}", response_model=SubscriptionOut, dependencies=[ReadAccess], responses=_NOT_FOUND)
def get_subscription(sub_id: SubId, store: StoreDep) -> SubscriptionOut:
    """One subscription (secrets omitted)."""
    return _out(store.get(sub_id))


@router.patch("/subscriptions/{sub_id}", response_model=SubscriptionOut, dependencies=[ReadWriteAccess],
              responses=_NOT_FOUND)
def update_subscription(sub_id: SubId, body: SubscriptionUpdate, store: StoreDep, settings: SettingsDep) -> SubscriptionOut:
    """Change some fields; the result is validated as a whole."""
    from pydantic import ValidationError

    try:
        updated = body.apply(store.get(sub_id))
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        message = err["msg"].removeprefix("Value error, ")
        if field is None and ":" in message:
            field = message.split(":", 1)[0]
        raise ApiError(422, "Invalid request", message, field=field) from None
    return _out(store.replace(sub_id, _checked(updated, settings)))


@router.delete("/subscriptions/{sub_id}", status_code=204, dependencies=[WriteAccess], responses=_NOT_FOUND)
def delete_subscription(sub_id: SubId, store: StoreDep) -> Response:
    """Delete a subscription and its delivery log."""
    store.delete(sub_id)
    return Response(status_code=204)


@router.post("/subscriptions/{sub_id}/pause", response_model=SubscriptionOut, dependencies=[ReadWriteAccess],
             responses=_NOT_FOUND)
def pause_subscription(sub_id: SubId, store: StoreDep) -> SubscriptionOut:
    """Stop sending until resumed."""
    return _out(store.set_enabled(sub_id, False, reason="paused by a user"))


@router.post("/subscriptions/{sub_id}/resume", response_model=SubscriptionOut, dependencies=[ReadWriteAccess],
             responses=_NOT_FOUND)
def resume_subscription(sub_id: SubId, store: StoreDep) -> SubscriptionOut:
    """Send again; failed deliveries are retried at the next run."""
    return _out(store.set_enabled(sub_id, True))


@router.get("/subscriptions/{sub_id}/preview", dependencies=[ReadAccess], responses=problems(400, 404, 503, 504))
def preview_subscription(
    sub_id: SubId, store: StoreDep, backend: BackendDep, settings: SettingsDep,
    format: Annotated[PreviewFormat, Query(description="json (the digest data), text, html, or a webhook body.")] = "json",
    send_day: Annotated[IsoDateTime | None, Query(description="Preview the digest sent on this local day (cron: the latest fire before this time); default: the latest due.")] = None,
):
    """Build the digest the subscription would get, without sending it."""
    sub = store.get(sub_id)
    if send_day is not None and send_day.tzinfo is None:
        send_day = send_day.replace(tzinfo=UTC)  # a date alone: midnight UTC, as everywhere in the API
    if send_day is not None and not _FIRST_DAY <= send_day.replace(tzinfo=None) <= _LAST_DAY:
        # A digest period reaches back up to a year (cron); keep it inside the calendar.
        send_day = (_FIRST_DAY if send_day.year < 5000 else _LAST_DAY).replace(tzinfo=UTC)
    try:
        if send_day is not None and sub.frequency != "cron":
            period = period_ending(sub.frequency, sub.tz, send_day.date(), sub.hour)
        else:
            period = due_period(sub, send_day or datetime.now(UTC))
    except OverflowError:  # a cron whose previous fire lies before year 1
        period = None
    if period is None:
        raise ApiError(422, "Invalid request", "the cron expression never fired before that time", field="cron")
    digest = build_digest(backend, sub, period, public_base_url=settings.public_base_url)
    if format == "text":
        return PlainTextResponse(render.render_text(digest))
    if format == "html":
        data_uri = "data:image/png;base64," + base64.b64encode(render.chart_bytes(digest)).decode()
        return HTMLResponse(render.render_html(digest, chart_src=data_uri))
    if format == "json":
        return digest.model_dump(mode="json")
    fmt = "json" if format == "webhook-json" else format
    return payloads.payload(fmt, digest, idempotency_key(sub.id, period.key))


@router.get("/subscriptions/{sub_id}/deliveries", response_model=list[DeliveryPublic], dependencies=[ReadAccess],
            responses=_NOT_FOUND)
def subscription_deliveries(sub_id: SubId, store: StoreDep,
                            limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[DeliveryPublic]:
    """The delivery log of one subscription, newest first: state, attempts, last error."""
    store.get(sub_id)
    return store.deliveries(sub_id, limit=limit)


@router.get("/deliveries", response_model=list[DeliveryPublic], dependencies=[ReadAccess])
def list_deliveries(
    store: StoreDep,
    state: Annotated[Literal["pending", "sending", "sent", "failed"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryPublic]:
    """Recent deliveries of every subscription (state=failed for the ones to look at)."""
    return store.deliveries(state=state, limit=limit)

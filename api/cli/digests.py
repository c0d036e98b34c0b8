"""``voclens digests ...``: subscribe to a saved query and get it as a digest or an alert.

A subscription is a saved query (text plus filters), a schedule (daily or
weekly, at a local hour in a time zone), a target (e-mail addresses, or a
webhook in JSON, Slack, Feishu/Lark, DingTalk or WeCom format) and an
optional spike alert. ``run`` sends what is due, exactly once per period;
put it in cron, or set VOCLENS_DIGEST_SCHEDULER=true and ``voclens serve``
runs it every minute.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from ..components import open_configured_backend
from ..digests import payloads, render
from ..digests.content import build_digest, describe_query
from ..digests.errors import InvalidSubscription, SubscriptionNotFound
from ..digests.runner import Runner
from ..digests.schedule import due_period, idempotency_key, next_send_of
from ..digests.schemas import SubscriptionCreate, SubscriptionUpdate, check_target
from ..digests.store import DigestStore
from ._common import err, load_settings, out, query_filters

digests_app = typer.Typer(
    help="Digests and alerts: subscribe to a saved query and receive it by e-mail or webhook on a schedule.\n\n"
    'Example: voclens digests create --name "Voltra logistics" --owner pm@example.com --brand Voltra '
    "--topic logistics:negative --weekly --hour 9 --tz Asia/Shanghai --email pm@example.com",
    no_args_is_help=True,
)
FormatOpt = Annotated[str | None, typer.Option("--format", help="Webhook body: json, slack, feishu, dingtalk or wecom.")]


def _store() -> DigestStore:
    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        return DigestStore(settings.state_url)
    except Exception as exc:  # a wrong URL or a database that is down: one line, not a traceback
        _die(f"cannot open the state database {settings.state_url.split('@')[-1]}: {exc}", 1)


def _die(message: str, code: int = 2):
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def _validation_message(exc) -> str:
    e = exc.errors()[0]
    field = ".".join(str(p) for p in e["loc"])
    msg = e["msg"].removeprefix("Value error, ")
    return f"{field}: {msg}" if field else msg


def _checked(data: dict):
    try:
        sub = SubscriptionCreate.model_validate(data)
        settings = load_settings()
        check_target(sub, settings.webhook_allowed_hosts, settings.webhook_allow_private)
    except ValidationError as exc:
        _die(_validation_message(exc))
    except InvalidSubscription as exc:
        _die(f"{exc.field}: {exc}")
    return sub


def _get(store, sub_id: str):
    try:
        return store.get(sub_id)
    except SubscriptionNotFound as exc:
        _die(str(exc), 1)


def _alert(kind: str | None, threshold: float | None, window: str, baseline: str) -> dict | None:
    if kind is None:
        return None
    if threshold is None:
        _die("--threshold is required with --alert (e.g. 10 for an emerging score, 50 for a volume)")
    return {"kind": kind, "threshold": threshold, "window": window, "baseline": baseline}


def _show(sub) -> None:
    p = sub.public()
    target = ", ".join(p.email_to) if p.channel == "email" else f"{p.webhook_url} ({p.webhook_format})"
    state = "on" if p.enabled else f"paused ({p.paused_reason or 'by a user'})"
    out.print(f"{p.id}  {p.name}  [{state}]", markup=False, highlight=False)
    out.print(f"  owner: {p.owner}\n  query: {describe_query(sub)}", markup=False, highlight=False)
    if p.digest:
        if p.frequency == "cron":
            when = f"cron '{p.cron}'"
        else:
            when = f"{p.frequency} at {p.hour:02d}:00" + (f" on {p.weekday}" if p.frequency == "weekly" else "")
        nxt = next_send_of(sub, datetime.now(UTC))  # None: a cron day that no month has (30 February)
        out.print(f"  digest: {when} {p.tz}; next " + (f"{nxt:%Y-%m-%d %H:%M} UTC" if nxt else "never"),
                  markup=False, highlight=False)
    if p.alert:
        out.print(f"  alert: {p.alert.kind} >= {p.alert.threshold:g} per {p.alert.window}", markup=False, highlight=False)
    out.print(f"  to: {p.channel} {target}" + ("  (signed with its own secret)" if p.has_webhook_secret else ""),
              markup=False, highlight=False)


@digests_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="Title of the digest, e.g. 'Voltra logistics complaints'.")],
    owner: Annotated[str, typer.Option(help="Who it belongs to (person or team).")],
    query: Annotated[str, typer.Option("--q", help="Saved text query (search language), e.g. '物流 OR delivery'.")] = "",
    brand: Annotated[list[str], typer.Option("--brand", help="Only this brand (repeatable).")] = [],  # noqa: B006
    product: Annotated[list[str], typer.Option("--product", help="Only this product id (repeatable).")] = [],  # noqa: B006
    source: Annotated[list[str], typer.Option("--source", help="Only this source (repeatable).")] = [],  # noqa: B006
    channel: Annotated[list[str], typer.Option("--channel", help="review, social, ticket, survey, other (repeatable).")] = [],  # noqa: B006
    lang: Annotated[list[str], typer.Option("--lang", help="zh, en or other (repeatable).")] = [],  # noqa: B006
    sentiment: Annotated[list[str], typer.Option("--sentiment", help="Overall polarity: negative, neutral, positive.")] = [],  # noqa: B006
    topic: Annotated[list[str], typer.Option("--topic", help="Topic, optionally with polarity: logistics:negative.")] = [],  # noqa: B006
    weekly: Annotated[bool, typer.Option("--weekly/--daily", help="Weekly (default) or daily digest.")] = True,
    hour: Annotated[int, typer.Option(help="Local hour it is sent (0-23).")] = 9,
    weekday: Annotated[str, typer.Option(help="Weekly: mon, tue, wed, thu, fri, sat or sun.")] = "mon",
    cron: Annotated[str | None, typer.Option(help="Instead of --daily/--weekly: a cron expression in --tz, e.g. '0 9 * * 1-5'; each digest covers the time since the previous one.")] = None,
    tz: Annotated[str, typer.Option(help="IANA time zone, e.g. Asia/Shanghai.")] = "UTC",
    email: Annotated[list[str], typer.Option("--email", help="Send by e-mail to this address (repeatable).")] = [],  # noqa: B006
    webhook: Annotated[str | None, typer.Option(help="Send to this http(s) webhook URL instead.")] = None,
    fmt: FormatOpt = None,
    secret: Annotated[str | None, typer.Option(help="HMAC key for this webhook (default: webhook_signing_secret).")] = None,
    alert: Annotated[str | None, typer.Option(help="Also alert on spikes: 'emerging' (G² score) or 'volume'.")] = None,
    threshold: Annotated[float | None, typer.Option(help="Alert threshold: G² score (10 = clear rise) or item count.")] = None,
    window: Annotated[str, typer.Option(help="Alert window, at most one alert per window: 12h, 1d, 7d.")] = "1d",
    baseline: Annotated[str, typer.Option(help="Emerging alerts: baseline before the window, e.g. 28d.")] = "28d",
    no_digest: Annotated[bool, typer.Option("--alert-only", help="Only alerts, no scheduled digest.")] = False,
) -> None:
    """Subscribe to a saved query.

    Example (negative logistics complaints about Voltra, weekly on Monday 09:00 Shanghai time):

      voclens digests create --name "Voltra logistics" --owner pm@example.com --brand Voltra
      --topic logistics:negative --weekly --hour 9 --tz Asia/Shanghai --email pm@example.com
    """
    if not email and not webhook:
        _die("say where to send it: --email ADDRESS or --webhook URL")
    data = {
        "name": name, "owner": owner, "q": query,
        "filters": query_filters(brand, product, source, channel, lang, sentiment, topic).model_dump(mode="json"),
        "frequency": "cron" if cron else "weekly" if weekly else "daily", "cron": cron, "hour": hour,
        "weekday": weekday, "tz": tz,
        "channel": "webhook" if webhook else "email", "email_to": email, "webhook_url": webhook,
        "webhook_format": fmt or "json", "webhook_secret": secret, "digest": not no_digest,
        "alert": _alert(alert, threshold, window, baseline),
    }
    sub = _checked(data)
    _show(_store().create(sub))


@digests_app.command("list")
def list_(
    owner: Annotated[str | None, typer.Option(help="Only this owner's subscriptions.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List subscriptions (secrets are never shown)."""
    subs = _store().list(owner=owner)
    if as_json:
        out.print_json(json.dumps([s.public().model_dump(mode="json") for s in subs], ensure_ascii=False))
        return
    table = Table(title=f"{len(subs)} subscription(s)")
    table.add_column("id", no_wrap=True)
    for col in ("name", "owner", "schedule", "to", "state"):
        table.add_column(col, overflow="fold")
    for s in subs:
        when = f"cron '{s.cron}'" if s.frequency == "cron" else f"{s.frequency} {s.hour:02d}:00"
        schedule = (f"{when} {s.tz}" if s.digest else "alert only") + (" + alert" if s.alert and s.digest else "")
        to = ", ".join(s.email_to) if s.channel == "email" else f"{s.webhook_format} webhook"
        table.add_row(*(escape(v) for v in (s.id, s.name, s.owner, schedule, to)), "on" if s.enabled else "paused")
    out.print(table)


@digests_app.command("show")
def show(sub_id: Annotated[str, typer.Argument(help="Subscription id.")]) -> None:
    """Show one subscription and when it is next sent."""
    _show(_get(_store(), sub_id))


@digests_app.command("update")
def update(
    sub_id: Annotated[str, typer.Argument(help="Subscription id.")],
    name: Annotated[str | None, typer.Option()] = None,
    query: Annotated[str | None, typer.Option("--q", help="New saved text query.")] = None,
    hour: Annotated[int | None, typer.Option(help="New local hour (0-23).")] = None,
    weekday: Annotated[str | None, typer.Option(help="New weekday (weekly).")] = None,
    tz: Annotated[str | None, typer.Option(help="New time zone.")] = None,
    frequency: Annotated[str | None, typer.Option(help="daily, weekly or cron (with --cron).")] = None,
    cron: Annotated[str | None, typer.Option(help="New cron expression (sets frequency cron).")] = None,
    email: Annotated[list[str], typer.Option("--email", help="Replace the addresses (repeatable).")] = [],  # noqa: B006
    webhook: Annotated[str | None, typer.Option(help="New webhook URL.")] = None,
    fmt: FormatOpt = None,
) -> None:
    """Change a subscription; options not given keep their value."""
    store = _store()
    current = _get(store, sub_id)
    patch = {k: v for k, v in {"name": name, "q": query, "hour": hour, "weekday": weekday, "tz": tz,
                               "frequency": frequency, "cron": cron, "webhook_url": webhook,
                               "webhook_format": fmt}.items()
             if v is not None}
    if email:
        patch["email_to"] = email
    if cron:
        patch["frequency"] = "cron"
    if webhook:
        patch["channel"] = "webhook"
    try:
        merged = SubscriptionUpdate.model_validate(patch).apply(current)
    except ValidationError as exc:
        _die(_validation_message(exc))
    data = merged.model_dump(mode="json")
    data["webhook_secret"] = merged.webhook_secret.get_secret_value() if merged.webhook_secret else None
    _show(store.replace(sub_id, _checked(data)))


@digests_app.command("delete")
def delete(sub_id: Annotated[str, typer.Argument(help="Subscription id.")]) -> None:
    """Delete a subscription and its delivery log."""
    try:
        _store().delete(sub_id)
    except SubscriptionNotFound as exc:
        _die(str(exc), 1)
    out.print(f"deleted {sub_id}", highlight=False)


@digests_app.command("pause")
def pause(sub_id: Annotated[str, typer.Argument(help="Subscription id.")]) -> None:
    """Stop sending a subscription until `resume`."""
    store = _store()
    _get(store, sub_id)
    _show(store.set_enabled(sub_id, False, reason="paused by a user"))


@digests_app.command("resume")
def resume(sub_id: Annotated[str, typer.Argument(help="Subscription id.")]) -> None:
    """Send a paused subscription again (also after an automatic pause); failed deliveries are retried."""
    store = _store()
    _get(store, sub_id)
    _show(store.set_enabled(sub_id, True))


@digests_app.command("preview")
def preview(
    sub_id: Annotated[str, typer.Argument(help="Subscription id.")],
    fmt: Annotated[str, typer.Option("--format", help="text, html, json, or a webhook body: slack, feishu, dingtalk, wecom.")] = "text",
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write to this file (html: the chart is embedded).")] = None,
) -> None:
    """Build the latest due digest of a subscription and print it, without sending anything."""
    settings = load_settings()
    sub = _get(_store(), sub_id)
    period = due_period(sub, datetime.now(UTC))
    if period is None:
        _die(f"the cron expression {sub.cron!r} has never fired yet", 1)
    with open_configured_backend(settings) as backend:
        digest = build_digest(backend, sub, period, public_base_url=settings.public_base_url)
    if fmt == "text":
        text = render.render_text(digest)
    elif fmt == "html":
        uri = "data:image/png;base64," + base64.b64encode(render.chart_bytes(digest)).decode()
        text = render.render_html(digest, chart_src=uri)
    elif fmt in ("json", "slack", "feishu", "dingtalk", "wecom"):
        body = digest.model_dump(mode="json") if fmt == "json" else payloads.payload(fmt, digest, idempotency_key(sub.id, period.key))
        text = json.dumps(body, ensure_ascii=False, indent=2)
    else:
        _die(f"--format {fmt!r}: use text, html, json, slack, feishu, dingtalk or wecom")
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
        err.print(f"wrote {output}", highlight=False)
    else:
        out.print(text, markup=False, highlight=False)


@digests_app.command("run")
def run(as_json: Annotated[bool, typer.Option("--json", help="Print the run report as JSON.")] = False) -> None:
    """Send every due digest and fired alert once, retry failed ones whose backoff has passed, then exit.

    Safe to run from cron every few minutes and from several machines at once:
    each (subscription, period) is delivered once. Exits 1 when a delivery
    failed or a subscription was paused.

    Cron example: */5 * * * * voclens digests run
    """
    settings = load_settings()
    store = _store()
    with open_configured_backend(settings) as backend:
        report = Runner(store, backend, settings).run_once()
    store.close()
    if as_json:
        out.print_json(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        out.print(f"queued {report.queued}, alerts fired {report.alerts_fired}, sent {len(report.sent)}, "
                  f"failed {len(report.failed)}, paused {len(report.paused)}", highlight=False)
        for f in report.failed:
            out.print(f"  failed: subscription {f['subscription']}: {f['error']} (retry after {f['retry_at']})",
                      markup=False, highlight=False)
        for p in report.paused:
            out.print(f"  PAUSED: {p['name']} ({p['subscription']}, owner {p['owner']}): {p['error']}",
                      markup=False, highlight=False)
    if report.failed or report.paused:
        raise typer.Exit(1)


@digests_app.command("deliveries")
def deliveries(
    sub_id: Annotated[str | None, typer.Argument(help="Only this subscription.")] = None,
    state: Annotated[str | None, typer.Option(help="pending, sending, sent or failed.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The delivery log: each (subscription, period) with its state, attempts and last error."""
    rows = _store().deliveries(sub_id, state=state, limit=limit)
    if as_json:
        out.print_json(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False))
        return
    table = Table(title=f"{len(rows)} deliver(ies)")
    for col in ("id", "subscription", "kind", "period", "state", "attempts", "sent / next try", "last error"):
        table.add_column(col, overflow="fold")
    for r in rows:
        when = r.sent_at or r.next_attempt_at
        table.add_row(str(r.id), r.subscription_id, r.kind, r.period_key, r.state, str(r.attempts),
                      f"{when:%Y-%m-%d %H:%M}" if when else "", (r.last_error or "")[:120])
    out.print(table)

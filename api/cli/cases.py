"""``voclens cases ...``: case rules, the cases they open, changes by people, metrics and the scheduled run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from ..cases import CaseChange, CaseNotFound, CaseStore, InvalidRule, RuleCreate, StateConflict, check_rule_target
from ..cases import metrics as case_metrics
from ..cases import metrics_trend, run_once
from ..components import open_configured_backend
from ._common import BrandOpt, ChannelOpt, JsonOpt, SourceOpt, TopicOpt, err, load_settings, out, query_filters

cases_app = typer.Typer(help="Cases: rules open one per matching document; owners move them to resolved.",
                        no_args_is_help=True)


def _store() -> CaseStore:
    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return CaseStore(settings.state_url)


def _json(data) -> None:
    out.print_json(json.dumps(data, ensure_ascii=False, default=str))


def _bad(exc: Exception, hint: str | None = None) -> typer.Exit:
    err.print(f"error: {exc}", markup=False, highlight=False)
    return typer.Exit(2 if hint == "usage" else 1)


@cases_app.command("rule-add")
def rule_add(
    name: Annotated[str, typer.Argument(help="The rule's name, shown in alerts.")],
    owner: Annotated[str, typer.Option(help="Who the rule's cases go to.")],
    query: Annotated[str, typer.Option("--query", "-q", help="Saved text query (the search language).")] = "",
    brand: BrandOpt = [], source: SourceOpt = [], channel: ChannelOpt = [], topic: TopicOpt = [],  # noqa: B006
    detractor: Annotated[bool, typer.Option(help="Condition: an NPS answer of 0-6.")] = False,
    rating_max: Annotated[float | None, typer.Option(help="Condition: a star rating at most this.")] = None,
    negative_topic: Annotated[list[str], typer.Option(help="Condition: this topic with negative polarity (repeat; '*' any).")] = [],  # noqa: B006
    churn_risk: Annotated[bool, typer.Option(help="Condition: a customer's newest document flagged at churn risk (voclens churn).")] = False,
    match: Annotated[str, typer.Option(help="all: every condition holds; any: one does.")] = "all",
    first_response_h: Annotated[float, typer.Option(help="Hours to a first response.")] = 24,
    resolve_h: Annotated[float, typer.Option(help="Hours to resolution.")] = 72,
    lookback_days: Annotated[int, typer.Option(help="Documents written this many days back or less open cases.")] = 30,
    email: Annotated[list[str], typer.Option(help="Breach alerts by e-mail to (repeat).")] = [],  # noqa: B006
    webhook_url: Annotated[str | None, typer.Option(help="Breach alerts POSTed here (signed).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Save a rule. Example: voclens cases rule-add detractors --owner cx-team --detractor --email cx@shop.example"""
    settings = load_settings()
    try:
        rule = RuleCreate(name=name, owner=owner, q=query, filters=query_filters(brand, [], source, channel, [], [], topic),
                          conditions={"detractor": detractor, "rating_max": rating_max,
                                      "negative_topics": negative_topic, "churn_risk": churn_risk, "match": match},
                          first_response_h=first_response_h, resolve_h=resolve_h, lookback_days=lookback_days,
                          email_to=email, webhook_url=webhook_url)
        check_rule_target(rule, settings.webhook_allowed_hosts, settings.webhook_allow_private)
    except (ValidationError, InvalidRule) as exc:
        raise _bad(exc, "usage") from None
    store = _store()
    saved = store.create_rule(rule)
    store.close()
    if as_json:
        _json(saved.public().model_dump(mode="json"))
    else:
        out.print(f"rule {saved.id} saved: {saved.name} (owner {saved.owner})", markup=False, highlight=False)


@cases_app.command("rules")
def rules(as_json: JsonOpt = False) -> None:
    """List the case rules."""
    store = _store()
    found = store.rules()
    store.close()
    if as_json:
        _json([r.public().model_dump(mode="json") for r in found])
        return
    table = Table("id", "name", "owner", "query", "conditions", "first response", "resolve", "on")
    for r in found:
        conds = r.conditions.model_dump(exclude_defaults=True)
        table.add_row(r.id, r.name, r.owner, r.q, json.dumps(conds, ensure_ascii=False), f"{r.first_response_h:g} h",
                      f"{r.resolve_h:g} h", "yes" if r.enabled else "no")
    out.print(table)


@cases_app.command("rule-delete")
def rule_delete(rule_id: Annotated[str, typer.Argument(help="The rule's id.")]) -> None:
    """Delete a rule with its cases and their history."""
    store = _store()
    try:
        store.delete_rule(rule_id)
    except CaseNotFound as exc:
        raise _bad(exc) from None
    finally:
        store.close()
    out.print(f"rule {rule_id} deleted", markup=False, highlight=False)


@cases_app.command("run")
def run(as_json: JsonOpt = False) -> None:
    """Open the missing cases of every rule and alert breached deadlines once; exits 1 when an alert failed.

    Cron example: */5 * * * * voclens cases run
    """
    settings = load_settings()
    store = _store()
    with open_configured_backend(settings) as backend:
        report = run_once(store, backend, settings)
    store.close()
    if as_json:
        _json(report.as_dict())
    else:
        out.print(f"opened {len(report.opened)}, breaches {report.breaches}, alerts sent {len(report.alerts_sent)}, "
                  f"failed {len(report.alerts_failed)}", highlight=False)
        for f in report.alerts_failed:
            out.print(f"  failed: case {f['case']} {f['deadline']}: {f['error']}", markup=False, highlight=False)
    if report.alerts_failed:
        raise typer.Exit(1)


@cases_app.command("list")
def list_cases(
    state: Annotated[list[str], typer.Option(help="open, in_progress, resolved or closed (repeat).")] = [],  # noqa: B006
    owner: Annotated[str | None, typer.Option()] = None,
    rule: Annotated[str | None, typer.Option(help="A rule's id.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Cases, newest first."""
    store = _store()
    found = store.cases(state=state or None, owner=owner, rule_id=rule, limit=limit)
    store.close()
    if as_json:
        _json([c.model_dump(mode="json", exclude={"history"}) for c in found])
        return
    table = Table("id", "state", "owner", "document", "opened", "first response due", "resolution due", "reopened")
    for c in found:
        table.add_row(str(c.id), c.state, c.owner, c.document_id, f"{c.opened_at:%Y-%m-%d %H:%M}",
                      f"{c.due_first_response:%Y-%m-%d %H:%M}", f"{c.due_resolution:%Y-%m-%d %H:%M}", str(c.reopen_count))
    out.print(table)


@cases_app.command("show")
def show(case_id: Annotated[int, typer.Argument()], as_json: JsonOpt = False) -> None:
    """One case with its history."""
    store = _store()
    try:
        case = store.get_case(case_id)
    except CaseNotFound as exc:
        raise _bad(exc) from None
    finally:
        store.close()
    if as_json:
        _json(case.model_dump(mode="json"))
        return
    out.print(f"case {case.id}: {case.state}, owner {case.owner}, document {case.document_id}", markup=False,
              highlight=False)
    for e in case.history or []:
        what = {"state": f"{e.from_state} -> {e.to_state}", "opened": f"({e.note})"}.get(e.action, e.note or "")
        out.print(f"  {e.at:%Y-%m-%d %H:%M} {e.actor}: {e.action} {what}".rstrip(), markup=False, highlight=False)


@cases_app.command("update")
def update(
    case_id: Annotated[int, typer.Argument()],
    state: Annotated[str | None, typer.Option(help="open, in_progress, resolved or closed.")] = None,
    note: Annotated[str | None, typer.Option(help="A note for the history.")] = None,
    owner: Annotated[str | None, typer.Option(help="Give the case to another owner.")] = None,
    actor: Annotated[str, typer.Option(help="Who makes the change.")] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Move a case, add a note or give it to another owner. Example: voclens cases update 3 --state in_progress --note 'called back'"""
    try:
        change = CaseChange(state=state, note=note, owner=owner, actor=actor)
    except ValidationError as exc:
        raise _bad(exc, "usage") from None
    store = _store()
    try:
        case = store.change(case_id, change, actor)
    except (CaseNotFound, StateConflict) as exc:
        raise _bad(exc) from None
    finally:
        store.close()
    if as_json:
        _json(case.model_dump(mode="json"))
    else:
        out.print(f"case {case.id}: {case.state}, owner {case.owner}", markup=False, highlight=False)


@cases_app.command("metrics")
def metrics(
    interval: Annotated[str | None, typer.Option(help="Also per day or week of opening.")] = None,
    owner: Annotated[str | None, typer.Option()] = None,
    rule: Annotated[str | None, typer.Option(help="A rule's id.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Time to first response and to resolve, share within deadline, reopen rate."""
    if interval not in (None, "day", "week"):
        raise typer.BadParameter("use day or week", param_hint="--interval")
    store = _store()
    found = store.cases(owner=owner, rule_id=rule, limit=None)
    store.close()
    overall = case_metrics(found)
    buckets = metrics_trend(found, interval) if interval else []
    if as_json:
        _json({"overall": overall.model_dump(mode="json"), "interval": interval,
               "buckets": [b.model_dump(mode="json") for b in buckets]})
        return
    rows = [("all", overall)] + [(f"{b.start:%Y-%m-%d}", b) for b in buckets]
    table = Table("period", "cases", "open", "first response h (median)", "resolve h (median)",
                  "first response in time", "resolved in time", "reopen rate")

    def pct(v):
        return "-" if v is None else f"{v:.0%}"

    def hours(v):
        return "-" if v is None else f"{v:.1f}"

    for label, m in rows:
        table.add_row(label, str(m.cases), str(m.open), hours(m.first_response_h_median), hours(m.resolve_h_median),
                      pct(m.first_response_within_deadline), pct(m.resolution_within_deadline), pct(m.reopen_rate))
    out.print(table)


churn_app = typer.Typer(help="Churn risk: customers whose feedback turns, flagged on their newest document.",
                        no_args_is_help=True)


@churn_app.command("scan")
def churn_scan(as_json: JsonOpt = False) -> None:
    """Read every customer's feedback, flag the ones at risk, clear the others. Cron example: 0 * * * * voclens churn scan"""
    from ..churn import ChurnStore, scan

    settings = load_settings()
    store = ChurnStore(_store().engine)
    with open_configured_backend(settings) as backend:
        customers, changed = scan(store, backend)
    flagged = store.list(limit=None)
    store.engine.dispose()
    if as_json:
        _json({"customers": customers, "flagged": len(flagged), "newly_flagged": [r.customer_hash for r in changed]})
        return
    out.print(f"{customers} customers read, {len(flagged)} at risk, {len(changed)} newly flagged", highlight=False)


@churn_app.command("list")
def churn_list(limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50, as_json: JsonOpt = False) -> None:
    """Customers at churn risk (hashed), the newest document that carries the flag, and why."""
    from ..churn import ChurnStore

    store = ChurnStore(_store().engine)
    rows = store.list(limit=limit)
    store.engine.dispose()
    if as_json:
        _json(rows)
        return
    table = Table("customer", "newest document", "signals")
    for r in rows:
        table.add_row(r["customer_hash"], r["document_id"],
                      "; ".join(f"{s['kind'].replace('_', ' ')} ({s['detail']})" for s in r["signals"]))
    out.print(table)


@churn_app.command("train-intent")
def churn_train_intent(
    model: Annotated[str | None, typer.Option(help="The classifier whose vectors the index holds (default: settings' model, lite).")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Where the labelled pointers lead (default ../shared/data).")] = None,
    output: Annotated[Path | None, typer.Option(help="Where the head is written (default: the shipped api/churn/intent_weights.json).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Train the intent-to-leave head on the default model's vectors and write it with its held-out figures.

    Run it again after a new default model: the head reads vectors of the encoder it was trained on
    and refuses others (documents are then read by the cue rule, with a warning).
    """
    from nlp.training.evaluation import DEFAULT_DATA_DIR

    from ..churn.intent_model import WEIGHTS_PATH, IntentModelError
    from ..churn.intent_training import format_report, train
    from ..components import load_classifier

    settings = load_settings()
    data_dir = data_dir or DEFAULT_DATA_DIR
    if not data_dir.is_dir():
        raise _bad(ValueError(f"labelled data folder {data_dir} is missing: the labels are pointers into "
                              "../shared/data (or pass --data-dir)"))
    try:
        head = train(load_classifier(settings, model), data_dir)
    except IntentModelError as exc:
        raise _bad(exc) from None
    head.save(output or WEIGHTS_PATH)
    if as_json:
        _json({"written": str(output or WEIGHTS_PATH), "encoder": head.encoder, "evaluation": head.evaluation})
        return
    out.print(format_report(head), markup=False, highlight=False)
    out.print(f"written to {output or WEIGHTS_PATH}", markup=False, highlight=False)

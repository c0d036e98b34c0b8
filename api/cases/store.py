"""Case rules, cases, their history and breach alerts in the state database (SQLite or PostgreSQL).

Opening is one ``INSERT ... ON CONFLICT DO NOTHING`` on the
``(rule_id, document_id)`` constraint, so of two processes that match the
same document exactly one opens the case (and writes its ``opened`` event).
A state change is a conditional UPDATE on the state the caller read, so two
people moving the same case at once do not both win.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.engine import Engine

from ..state_store import StateStore, aware_utc, naive_utc
from . import models as m
from .schemas import STATES, TRANSITIONS, Case, CaseChange, Event, Rule, RuleCreate


class CaseNotFound(LookupError):
    def __init__(self, what: str, key: Any):
        super().__init__(f"no {what} with id {key!r}")
        self.key = key


class StateConflict(ValueError):
    """The change is not allowed from the case's state (or the state moved meanwhile)."""


def _insert(engine: Engine, table):
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(table)


class CaseStore(StateStore):
    """Rules, cases, events and alerts; safe to share between threads.

    Args:
        target: a SQLAlchemy URL, or the state database's engine already open (the API's).
    """

    metadata = m.metadata

    # -- rules ------------------------------------------------------------------------------------
    def create_rule(self, rule: RuleCreate, *, now: datetime | None = None) -> Rule:
        now = naive_utc(now or datetime.now(UTC))
        row = self._rule_row(rule)
        row.update(id=uuid.uuid4().hex[:16], created_at=now, updated_at=now)
        with self.engine.begin() as conn:
            conn.execute(insert(m.rules).values(**row))
        return self.get_rule(row["id"])

    def replace_rule(self, rule_id: str, rule: RuleCreate, *, now: datetime | None = None) -> Rule:
        row = self._rule_row(rule)
        row["updated_at"] = naive_utc(now or datetime.now(UTC))
        with self.engine.begin() as conn:
            if conn.execute(update(m.rules).where(m.rules.c.id == rule_id).values(**row)).rowcount != 1:
                raise CaseNotFound("case rule", rule_id)
        return self.get_rule(rule_id)

    def get_rule(self, rule_id: str) -> Rule:
        with self.engine.connect() as conn:
            row = conn.execute(select(m.rules).where(m.rules.c.id == rule_id)).mappings().first()
        if row is None:
            raise CaseNotFound("case rule", rule_id)
        return self._rule(row)

    def rules(self, *, enabled: bool | None = None) -> list[Rule]:
        stmt = select(m.rules).order_by(m.rules.c.created_at, m.rules.c.id)
        if enabled is not None:
            stmt = stmt.where(m.rules.c.enabled == enabled)
        with self.engine.connect() as conn:
            return [self._rule(r) for r in conn.execute(stmt).mappings()]

    def delete_rule(self, rule_id: str) -> None:
        """Delete a rule with its cases, their history and alerts."""
        from sqlalchemy import delete

        with self.engine.begin() as conn:
            ids = select(m.cases.c.id).where(m.cases.c.rule_id == rule_id)
            conn.execute(delete(m.events).where(m.events.c.case_id.in_(ids)))
            conn.execute(delete(m.alerts).where(m.alerts.c.case_id.in_(ids)))
            conn.execute(delete(m.cases).where(m.cases.c.rule_id == rule_id))
            if conn.execute(delete(m.rules).where(m.rules.c.id == rule_id)).rowcount != 1:
                raise CaseNotFound("case rule", rule_id)

    # -- cases ------------------------------------------------------------------------------------
    def open_case(self, rule: Rule, document_id: str, *, now: datetime | None = None) -> int | None:
        """Open the rule's case for the document unless one exists; the new case's id, or None."""
        now = naive_utc(now or datetime.now(UTC))
        values = dict(rule_id=rule.id, document_id=document_id, owner=rule.owner, state="open", opened_at=now,
                      due_first_response=now + timedelta(hours=rule.first_response_h),
                      due_resolution=now + timedelta(hours=rule.resolve_h), reopen_count=0, updated_at=now)
        stmt = _insert(self.engine, m.cases).values(**values).on_conflict_do_nothing(
            index_elements=["rule_id", "document_id"]).returning(m.cases.c.id)
        with self.engine.begin() as conn:
            # RETURNING, not rowcount: PostgreSQL reports no reliable rowcount for a skipped conflict.
            row = conn.execute(stmt).first()
            if row is None:
                return None
            conn.execute(insert(m.events).values(case_id=row[0], at=now, actor=f"rule:{rule.id}", action="opened",
                                                 to_state="open", note=f"rule {rule.name!r}"))
            return row[0]

    def get_case(self, case_id: int, *, history: bool = True) -> Case:
        with self.engine.connect() as conn:
            row = conn.execute(select(m.cases).where(m.cases.c.id == case_id)).mappings().first()
            if row is None:
                raise CaseNotFound("case", case_id)
            events = None
            if history:
                e = m.events.c
                events = [Event(**{**r, "at": aware_utc(r["at"])}) for r in conn.execute(
                    select(e.at, e.actor, e.action, e.from_state, e.to_state, e.note)
                    .where(e.case_id == case_id).order_by(e.id)).mappings()]
        return self._case(row, events)

    def cases(self, *, state: list[str] | None = None, owner: str | None = None, rule_id: str | None = None,
              document_id: str | None = None, since: datetime | None = None, until: datetime | None = None,
              limit: int | None = 100, offset: int = 0) -> list[Case]:
        """Cases, newest first; ``since``/``until`` bound ``opened_at``."""
        c = m.cases.c
        stmt = select(m.cases).order_by(c.opened_at.desc(), c.id.desc()).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        for column, value in ((c.owner, owner), (c.rule_id, rule_id), (c.document_id, document_id)):
            if value is not None:
                stmt = stmt.where(column == value)
        if state:
            stmt = stmt.where(c.state.in_(state))
        if since is not None:
            stmt = stmt.where(c.opened_at >= naive_utc(since))
        if until is not None:
            stmt = stmt.where(c.opened_at < naive_utc(until))
        with self.engine.connect() as conn:
            return [self._case(r) for r in conn.execute(stmt).mappings()]

    def change(self, case_id: int, change: CaseChange, actor: str, *, now: datetime | None = None) -> Case:
        """Apply a person's change (state, note, owner) and log it; the first one is the first response.

        Raises:
            CaseNotFound: no such case.
            StateConflict: the state may not follow the current one, or another change moved it meanwhile.
        """
        now = naive_utc(now or datetime.now(UTC))
        c = m.cases.c
        with self.engine.begin() as conn:
            row = conn.execute(select(m.cases).where(c.id == case_id)).mappings().first()
            if row is None:
                raise CaseNotFound("case", case_id)
            current = row["state"]
            values: dict[str, Any] = {"updated_at": now}
            log: list[dict] = []
            if change.state is not None and change.state != current:
                if change.state not in TRANSITIONS[current]:
                    raise StateConflict(f"a case {current!r} cannot become {change.state!r} "
                                        f"(it can become {', '.join(TRANSITIONS[current])})")
                values["state"] = change.state
                values.update(self._stamps(current, change.state, now))
                if current in ("resolved", "closed") and change.state in ("open", "in_progress"):
                    values["reopen_count"] = c.reopen_count + 1
                log.append({"action": "state", "from_state": current, "to_state": change.state})
            if change.owner is not None and change.owner != row["owner"]:
                values["owner"] = change.owner
                log.append({"action": "assign", "note": f"{row['owner']} -> {change.owner}"})
            if change.note is not None:
                log.append({"action": "note", "note": change.note})
            if log and row["first_response_at"] is None and any(e["action"] != "assign" for e in log):
                values["first_response_at"] = now
            won = conn.execute(update(m.cases).where(c.id == case_id, c.state == current).values(**values)).rowcount
            if won != 1:
                raise StateConflict(f"case {case_id} changed meanwhile; read it again")
            for entry in log:
                conn.execute(insert(m.events).values(case_id=case_id, at=now, actor=actor, **entry))
        return self.get_case(case_id)

    @staticmethod
    def _stamps(current: str, new: str, now: datetime) -> dict[str, Any]:
        if new == "resolved":
            return {"resolved_at": now, "closed_at": None}
        if new == "closed":
            return {"closed_at": now} if current == "resolved" else {"closed_at": now, "resolved_at": now}
        return {"resolved_at": None, "closed_at": None}  # back to open / in progress

    # -- breaches and their alerts ----------------------------------------------------------------
    def breached(self, now: datetime) -> list[tuple[Case, str]]:
        """Cases past a deadline that have no alert row for it yet: (case, "first_response" | "resolution")."""
        naive, c, a = naive_utc(now), m.cases.c, m.alerts.c
        out: list[tuple[Case, str]] = []
        kinds = (("first_response", and_(c.first_response_at.is_(None), c.due_first_response < naive)),
                 ("resolution", and_(c.resolved_at.is_(None), c.closed_at.is_(None), c.due_resolution < naive)))
        with self.engine.connect() as conn:
            for kind, late in kinds:
                alerted = select(a.case_id).where(a.kind == kind)
                stmt = select(m.cases).where(late, c.id.not_in(alerted)).order_by(c.id)
                out += [(self._case(r), kind) for r in conn.execute(stmt).mappings()]
        return out

    def queue_alert(self, case_id: int, kind: str, now: datetime) -> None:
        stmt = _insert(self.engine, m.alerts).values(case_id=case_id, kind=kind, state="pending", attempts=0,
                                                     created_at=naive_utc(now)).on_conflict_do_nothing(
            index_elements=["case_id", "kind"])
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def claim_alerts(self, now: datetime, lease: timedelta) -> list[dict]:
        """Take every pending or failed alert, and one left ``sending`` past ``lease`` (its runner died).

        Each is claimed by exactly one runner: a conditional UPDATE on the state
        and attempt count it was read with.
        """
        a, naive = m.alerts.c, naive_utc(now)
        stmt = select(m.alerts).where(or_(a.state.in_(("pending", "failed")),
                                          and_(a.state == "sending", a.claimed_at < naive - lease))).order_by(a.id)
        with self.engine.connect() as conn:
            candidates = list(conn.execute(stmt).mappings())
        claimed = []
        for row in candidates:
            with self.engine.begin() as conn:
                won = conn.execute(update(m.alerts).where(a.id == row["id"], a.state == row["state"],
                                                          a.attempts == row["attempts"])
                                   .values(state="sending", attempts=a.attempts + 1, claimed_at=naive)).rowcount
            if won == 1:
                claimed.append(dict(row))
        return claimed

    def finish_alert(self, alert_id: int, *, ok: bool, error: str | None, now: datetime,
                     channels: list[str] | None = None) -> None:
        a = m.alerts.c
        values = {"state": "sent", "sent_at": naive_utc(now), "last_error": None} if ok else {
            "state": "failed", "last_error": (error or "")[:2000]}
        with self.engine.begin() as conn:
            conn.execute(update(m.alerts).where(a.id == alert_id).values(**values))
            if ok:
                row = conn.execute(select(m.alerts).where(a.id == alert_id)).mappings().one()
                conn.execute(insert(m.events).values(case_id=row["case_id"], at=naive_utc(now), actor="voclens",
                                                     action="alert", note=("churn risk" if row["kind"] == "churn_risk" else
                                                           f"{row['kind']} deadline breached")
                                                     + (f": alerted by {', '.join(channels)}" if channels
                                                        else ": the rule has no alert channel")))

    def alerts(self, case_id: int | None = None) -> list[dict]:
        a = m.alerts.c
        stmt = select(m.alerts).order_by(a.id)
        if case_id is not None:
            stmt = stmt.where(a.case_id == case_id)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    # -- row <-> model ----------------------------------------------------------------------------
    @staticmethod
    def _rule_row(rule: RuleCreate) -> dict:
        data = rule.model_dump(mode="json", exclude={"webhook_secret"})
        data["webhook_secret"] = rule.webhook_secret.get_secret_value() if rule.webhook_secret else None
        return data

    @staticmethod
    def _rule(row) -> Rule:
        data = dict(row)
        data["created_at"], data["updated_at"] = aware_utc(data["created_at"]), aware_utc(data["updated_at"])
        return Rule.model_validate(data)

    @staticmethod
    def _case(row, history: list[Event] | None = None) -> Case:
        data = dict(row)
        for key in ("opened_at", "due_first_response", "due_resolution", "first_response_at", "resolved_at",
                    "closed_at", "updated_at"):
            data[key] = aware_utc(data[key])
        return Case.model_validate({**data, "history": history})


assert set(TRANSITIONS) == set(STATES)

__all__ = ["CaseNotFound", "CaseStore", "StateConflict"]

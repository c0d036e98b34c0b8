"""Case rules and cases as the API and CLI see them (Pydantic models), with the rules' own checks.

A rule is a saved query (``q`` and ``filters``, as in a subscription) plus
conditions on the document that the search language does not say: a
detractor (NPS 0-6), a rating at most N, a topic with negative polarity, a
brand. ``match`` says whether every condition set must hold or any one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from index.base import MAX_QUERY_CHARS, Filters

from ..targets import clean_emails, clean_webhook_url, webhook_refusal

State = Literal["open", "in_progress", "resolved", "closed"]
STATES: tuple[str, ...] = ("open", "in_progress", "resolved", "closed")
#: Which state may follow which. Leaving ``resolved`` or ``closed`` for ``open`` or ``in_progress`` is a reopen.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("in_progress", "resolved", "closed"),
    "in_progress": ("open", "resolved", "closed"),
    "resolved": ("open", "in_progress", "closed"),
    "closed": ("open", "in_progress"),
}


class InvalidRule(ValueError):
    """A rule that cannot be saved; ``field`` names the offending field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Conditions(_Model):
    """Conditions on a matching document; unset ones are not checked."""

    detractor: bool = Field(default=False, description="An NPS answer of 0-6.")
    nps_max: int | None = Field(default=None, ge=0, le=10, description="An NPS answer at most this.")
    rating_max: float | None = Field(default=None, ge=0, le=5, description="A star rating at most this.")
    negative_topics: list[str] = Field(default_factory=list, max_length=50,
                                       description="Any of these topics with negative polarity; ['*'] for any topic.")
    brands: list[str] = Field(default_factory=list, max_length=100, description="Any of these brands.")
    churn_risk: bool = Field(default=False, description="The customer's newest document, flagged at churn risk "
                                                         "(api.churn; the rule's run scans the customers first).")
    match: Literal["all", "any"] = Field(default="all", description="All set conditions must hold, or any one.")

    def is_empty(self) -> bool:
        return not (self.detractor or self.nps_max is not None or self.rating_max is not None
                    or self.negative_topics or self.brands or self.churn_risk)


class RuleCreate(_Model):
    name: str = Field(min_length=1, max_length=200)
    enabled: bool = True
    q: str = Field(default="", max_length=MAX_QUERY_CHARS, description="Saved text query (the search language).")
    filters: Filters = Field(default_factory=Filters, description="Saved filters (no since/until: see lookback_days).")
    conditions: Conditions = Field(default_factory=Conditions)
    owner: str = Field(min_length=1, max_length=200, description="Who the rule's cases go to.")
    first_response_h: float = Field(default=24, gt=0, le=24 * 365, description="Hours to a first response.")
    resolve_h: float = Field(default=72, gt=0, le=24 * 365, description="Hours to resolution.")
    lookback_days: int = Field(default=30, ge=1, le=3650,
                               description="Documents written this many days back or less can open a case.")
    email_to: list[str] = Field(default_factory=list, max_length=50, description="Who gets breach alerts by e-mail.")
    webhook_url: str | None = Field(default=None, max_length=2048, description="Where breach alerts are POSTed.")
    webhook_secret: SecretStr | None = Field(default=None, description="Signing key (default: webhook_signing_secret).")

    @field_validator("filters")
    @classmethod
    def _no_dates(cls, value: Filters) -> Filters:
        if value.since or value.until:
            raise ValueError("a rule's filters have no since/until: lookback_days says how far back it looks")
        return value

    @field_validator("email_to")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        return clean_emails(value)

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return clean_webhook_url(value)

    @model_validator(mode="after")
    def _something_to_match(self) -> RuleCreate:
        if self.conditions.is_empty() and not self.q and self.filters == Filters():
            raise ValueError("a rule needs a query, a filter or a condition: as it is it would open a case for "
                             "every document")
        return self


class Rule(RuleCreate):
    id: str
    created_at: datetime
    updated_at: datetime

    def public(self) -> RulePublic:
        data = self.model_dump(exclude={"webhook_secret"})
        return RulePublic(**data, has_webhook_secret=self.webhook_secret is not None)


class RulePublic(_Model):
    id: str
    name: str
    enabled: bool
    q: str
    filters: Filters
    conditions: Conditions
    owner: str
    first_response_h: float
    resolve_h: float
    lookback_days: int
    email_to: list[str]
    webhook_url: str | None
    has_webhook_secret: bool
    created_at: datetime
    updated_at: datetime


class Event(_Model):
    """One line of a case's history: who did what when."""

    at: datetime
    actor: str
    action: Literal["opened", "state", "note", "assign", "alert"]
    from_state: str | None = None
    to_state: str | None = None
    note: str | None = None


class Case(_Model):
    id: int
    rule_id: str
    document_id: str
    owner: str
    state: State
    opened_at: datetime
    due_first_response: datetime
    due_resolution: datetime
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopen_count: int = 0
    updated_at: datetime
    history: list[Event] | None = Field(default=None, description="Present when one case is asked for.")


class CaseChange(_Model):
    """A change by a person: a new state, a note, a new owner (any of them, at least one)."""

    state: State | None = None
    note: str | None = Field(default=None, min_length=1, max_length=10_000)
    owner: str | None = Field(default=None, min_length=1, max_length=200)
    actor: str | None = Field(default=None, min_length=1, max_length=200,
                              description="Who makes the change (default: the API key's name).")

    @model_validator(mode="after")
    def _something(self) -> CaseChange:
        if self.state is None and self.note is None and self.owner is None:
            raise ValueError("give a state, a note or an owner")
        return self


def check_rule_target(rule: RuleCreate, allowed_hosts: list[str], allow_private: bool = False) -> None:
    """Raise :class:`InvalidRule` for a webhook host outside the allow-list or written as a private address."""
    why = webhook_refusal(rule.webhook_url, allowed_hosts, allow_private) if rule.webhook_url else None
    if why:
        raise InvalidRule(why, field="webhook_url")


__all__ = ["STATES", "TRANSITIONS", "Case", "CaseChange", "Conditions", "Event", "InvalidRule", "Rule",
           "RuleCreate", "RulePublic", "State", "check_rule_target"]

"""Own topics over HTTP: define, give examples, train, apply, remove, install the journey (``api.own_topics``).

Reads need the ``read`` scope and changes the ``write`` scope (when API keys
are configured); a change that answers with what is stored (the topic, its
scores, what was labelled) needs both, so a write-only key reads nothing
through it, as for subscriptions. Deleting answers nothing and needs ``write``. Training and applying run within the
request: training takes seconds, applying about a second per 10,000-20,000
documents on SQLite (``voclens topics apply`` shows a progress bar and
resumes after an interruption; prefer it for a large index). The steps on
the whole collection live under ``/own-topics/actions/``, a path no topic key
can shadow (``/own-topics/{key}`` is one segment).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from index.own_topics import OwnTopic, Taxonomy
from nlp.own_topics import KEY_PATTERN, MAX_EXAMPLES, TopicExample, TopicHead

from ..deps import BackendDep, ClassifierDep, ReadAccess, ReadWriteAccess, SettingsDep, WriteAccess
from ..openapi import problems
from ..own_topics import (
    add_examples,
    add_topic,
    apply_topics,
    checkpoint_file,
    get_topic,
    install_journey,
    remove_topic,
    train_topics,
    trained_heads,
)

router = APIRouter(tags=["own topics"], responses=problems(503, 504))

TopicKey = Annotated[str, Path(min_length=1, max_length=64, pattern=KEY_PATTERN, description="The own topic's key.")]
_NOT_FOUND = problems(404)
_BAD_EXAMPLES = problems(404, 422)


class HeadPublic(BaseModel):
    """A trained head's cross-validated scores (its weights stay on the server)."""

    model: str = Field(description="The encoder whose stored vectors it reads.")
    cue_weight: float = Field(description="How much a cue word in the text adds (0 without cues).")
    terms: dict[str, float] = Field(default_factory=dict, description="Words mined from the examples and what each "
                                    "adds to the score, strongest first (empty for a head trained before terms).")
    threshold: float
    positives: int
    negatives: int
    background: int = Field(description="Documents of the index taken as 'not the topic' while training.")
    precision: float = Field(description="Cross-validated; a lower bound where the background holds documents of the topic.")
    recall: float
    f1: float
    seconds: float


class OwnTopicPublic(BaseModel):
    key: str
    name_zh: str
    name_en: str
    cues: list[str]
    taxonomy: Taxonomy
    parent: str | None = None
    examples: int = Field(description="Examples of the topic (label 1).")
    counter_examples: int = Field(description="Counter-examples (label 0).")
    head: HeadPublic | None = Field(description="Null until trained.")
    updated_at: datetime


class OwnTopicCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=64, pattern=KEY_PATTERN, description="topic:KEY in queries; not a default topic's key.")
    name_zh: str = Field(min_length=1, max_length=64)
    name_en: str = Field(min_length=1, max_length=64)
    cues: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(default_factory=list, max_length=50)


class ExamplesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    examples: list[TopicExample] = Field(min_length=1, max_length=MAX_EXAMPLES,
                                         description="Each a `text` or the `id` of a stored document, `label` 1 for the topic or 0 against it.")
    replace: bool = Field(default=False, description="Drop the topic's earlier examples first.")


class TrainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keys: list[Annotated[str, Field(min_length=1, max_length=64, pattern=KEY_PATTERN)]] = Field(
        default_factory=list, max_length=100, description="Topics to train; empty: all.")


class TrainResult(BaseModel):
    key: str
    head: HeadPublic | None = Field(description="The new head's cross-validated scores; null when it could not be trained.")
    error: str | None = Field(description="Why it was not trained (its previous head, if any, is kept).")


class ApplyResult(BaseModel):
    topics: list[str]
    seen: int = Field(description="Documents with a vector scored.")
    changed: int = Field(description="Documents whose own-topic labels changed.")
    labelled: dict[str, int] = Field(description="Topic -> documents now carrying it.")
    seconds: float


def _head(head: TopicHead | None) -> HeadPublic | None:
    return HeadPublic(**head.model_dump(exclude={"weights", "bias"})) if head else None


def _public(t: OwnTopic) -> OwnTopicPublic:
    pos = sum(e.label for e in t.examples)
    return OwnTopicPublic(key=t.key, name_zh=t.name_zh, name_en=t.name_en, cues=t.cues, taxonomy=t.taxonomy,
                          parent=t.parent, examples=pos, counter_examples=len(t.examples) - pos, head=_head(t.head),
                          updated_at=t.updated_at)


@router.get("/own-topics", response_model=list[OwnTopicPublic], dependencies=[ReadAccess])
def list_own_topics(backend: BackendDep) -> list[OwnTopicPublic]:
    """Own topics and journey steps, with their examples counted and, once trained, their cross-validated scores."""
    return [_public(t) for t in backend.own_topics()]


@router.post("/own-topics", response_model=OwnTopicPublic, status_code=201, dependencies=[ReadWriteAccess], responses=problems(422))
def create_own_topic(body: OwnTopicCreate, backend: BackendDep) -> OwnTopicPublic:
    """Define an own topic (or rename one: its examples and head are kept)."""
    return _public(add_topic(backend, body.key, body.name_zh, body.name_en, body.cues))


@router.get("/own-topics/{key}", response_model=OwnTopicPublic, dependencies=[ReadAccess], responses=_NOT_FOUND)
def get_own_topic(key: TopicKey, backend: BackendDep) -> OwnTopicPublic:
    """One own topic."""
    return _public(get_topic(backend, key))


@router.delete("/own-topics/{key}", status_code=204, dependencies=[WriteAccess], responses=_NOT_FOUND)
def delete_own_topic(key: TopicKey, backend: BackendDep) -> None:
    """Remove an own topic and take its label off every document (default topics are not affected)."""
    remove_topic(backend, key)


@router.post("/own-topics/{key}/examples", response_model=OwnTopicPublic, dependencies=[ReadWriteAccess], responses=_BAD_EXAMPLES)
def post_examples(key: TopicKey, body: ExamplesRequest, backend: BackendDep) -> OwnTopicPublic:
    """Add labelled examples (texts or document ids); the same text or id again keeps the later label."""
    return _public(add_examples(backend, key, body.examples, replace=body.replace))


@router.post("/own-topics/actions/train", response_model=list[TrainResult], dependencies=[ReadWriteAccess], responses=_BAD_EXAMPLES)
def train(body: TrainRequest, backend: BackendDep, classifier: ClassifierDep) -> list[TrainResult]:
    """Train heads and answer their cross-validated precision and recall; nothing is labelled until apply."""
    return [TrainResult(key=r.key, head=_head(r.head), error=r.error)
            for r in train_topics(backend, classifier, body.keys or None)]


@router.post("/own-topics/actions/apply", response_model=ApplyResult, dependencies=[ReadWriteAccess])
def apply(backend: BackendDep, settings: SettingsDep, classifier: ClassifierDep) -> ApplyResult:
    """Label every document with a stored vector from the trained heads; own labels are replaced."""
    heads = trained_heads(backend)
    report = apply_topics(backend, checkpoint=checkpoint_file(settings.data_dir, heads) if heads else None,
                          classifier=classifier)
    return ApplyResult(topics=report.topics, seen=report.seen, changed=report.changed, labelled=report.labelled,
                       seconds=round(report.seconds, 3))


@router.post("/own-topics/actions/journey", response_model=list[OwnTopicPublic], dependencies=[ReadWriteAccess])
def journey(backend: BackendDep) -> list[OwnTopicPublic]:
    """Install the customer journey (5 stages, 13 touchpoints, shipped examples) as own topics to train and apply."""
    return [_public(t) for t in install_journey(backend)]

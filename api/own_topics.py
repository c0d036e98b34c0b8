"""Own topics end to end: define, give examples, train, apply, remove (``voclens topics``, ``/own-topics``).

The CLI and the HTTP API call these functions; the pure parts live in
``nlp.own_topics`` (heads) and ``nlp.journey`` (the shipped journey), the
storage in the backend (``Backend.own_topics``, ``relabel_topics``).

* **Examples** are texts or ids of stored documents. An id reads the
  document's stored vector; a text is encoded once by the configured
  classifier (the same encoder that made the stored vectors), at training.
* **Training** fits one head per topic and cross-validates it
  (``nlp.own_topics.train_head``); nothing is labelled until ``apply``.
* **Applying** scores every stored vector of the heads' encoder with all
  heads at once and relabels only documents whose own labels change
  (``Backend.relabel_topics``). A checkpoint file in the data folder records
  the last id done, so an interrupted run continues there; default topics are
  never touched. Given the encoder, each label gets the polarity of the part
  of the text that shows the topic, and that part as evidence (``nlp.own_evidence``):
  an encoder pass over the parts, done once per head and model. A complete apply
  records on each topic what made its labels (``OwnTopic.labelled_by``), and the next
  one keeps a label the document already carries while that record matches.
* **Writing**: ``with_own_topics`` wraps the model that classifies documents
  for a write (ingest, crawls, the worker, ``POST /documents``), so they get
  their own labels then, not at the next apply (``nlp.own_classifier``).
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from index.base import Backend
from index.own_topics import OwnTopic, Taxonomy
from index.vectors import DIMS, DocumentVector
from nlp.classifier import Classifier
from nlp.journey import STAGES, TOUCHPOINTS, journey_examples
from nlp.own_classifier import Heads, OwnTopicsClassifier
from nlp.own_evidence import locate, located_by
from nlp.own_topics import (
    MAX_EXAMPLES,
    HeadStack,
    TopicExample,
    TopicHead,
    TopicTrainingError,
    TrainingArgs,
    check_key,
    has_cue,
    merge_examples,
    train_head,
)

log = logging.getLogger(__name__)

#: Documents of the index a head contrasts its examples with (a seeded sample).
BACKGROUND_SIZE = 2000
#: Allocations between collections of young objects while applying (``_fewer_collections``).
_GC_YOUNG = 50_000


class UnknownOwnTopic(LookupError):
    """No own topic has this key (404 in the API)."""

    def __init__(self, key: str):
        super().__init__(f"no own topic {key!r} (voclens topics list shows them)")
        self.key = key


class InvalidOwnTopic(ValueError):
    """A definition that cannot be stored (a default topic's key, a bad name); 422 in the API."""


def get_topic(backend: Backend, key: str) -> OwnTopic:
    for topic in backend.own_topics():
        if topic.key == key:
            return topic
    raise UnknownOwnTopic(key)


def add_topic(backend: Backend, key: str, name_zh: str, name_en: str, cues: Sequence[str] = ()) -> OwnTopic:
    """Define ``key``, or rename an existing one (its examples and head are kept)."""
    from pydantic import ValidationError

    try:
        check_key(key)
        try:
            topic = get_topic(backend, key).model_dump()
        except UnknownOwnTopic:
            topic = {"key": key}
        topic = OwnTopic.model_validate({**topic, "name_zh": name_zh, "name_en": name_en, "cues": list(cues),
                                         "updated_at": datetime.now(UTC)})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InvalidOwnTopic(f"{'.'.join(map(str, err['loc'])) or 'topic'}: {err['msg'].removeprefix('Value error, ')}") from None
    except ValueError as exc:
        raise InvalidOwnTopic(str(exc)) from None
    backend.save_own_topic(topic)
    return topic


def add_examples(backend: Backend, key: str, examples: Sequence[TopicExample], *, replace: bool = False) -> OwnTopic:
    """Add labelled examples to ``key`` (a text or a document id, 1 for the topic, 0 against it).

    The same text or id given again keeps one example, the later label
    winning; ``replace`` drops the earlier examples first. The head is not
    retrained until ``train_topics``. Ids must name stored documents.

    Raises:
        UnknownOwnTopic: ``key`` is not defined.
        TopicTrainingError: an id is not stored, or more than ``MAX_EXAMPLES`` examples.
    """
    topic = get_topic(backend, key)
    ids = [e.id for e in examples if e.id is not None]
    if ids:
        missing = _missing_ids(backend, ids)
        if missing:
            raise TopicTrainingError(f"{len(missing)} example id(s) name no stored document: {', '.join(missing[:5])}")
    merged = merge_examples([] if replace else topic.examples, examples)
    if len(merged) > MAX_EXAMPLES:
        raise TopicTrainingError(f"{len(merged)} examples; a topic keeps at most {MAX_EXAMPLES}")
    topic = topic.model_copy(update={"examples": merged, "updated_at": datetime.now(UTC)})
    backend.save_own_topic(topic)
    return topic


#: Most typical members of a theme taken as a new topic's examples (``seed_from_theme``).
THEME_SEED = 50


def seed_from_theme(backend: Backend, key: str, theme_id: str, store=None, limit: int = THEME_SEED) -> OwnTopic:
    """Give ``key`` the most typical documents of a discovered theme as examples (label 1).

    A theme names what nobody named yet (``voclens themes``); turning it into an own topic keeps
    labelling what it found as new documents come. Members since deleted are skipped. Counter-
    examples are the user's to add: the theme says what the topic is, not what it is not.

    Raises:
        ThemeNotFound: no stored theme has this id (``store``: the state database; None opens
            the configured one).
        TopicTrainingError: none of the theme's documents is still stored.
    """
    from .themes.store import theme_examples

    members = theme_examples(theme_id, store)
    gone = set(_missing_ids(backend, members))
    kept = [i for i in members if i not in gone][:limit]
    if not kept:
        raise TopicTrainingError(f"theme {theme_id}: none of its {len(members)} documents is stored any more")
    return add_examples(backend, key, [TopicExample(id=i, label=1) for i in kept])


def _missing_ids(backend: Backend, ids: Sequence[str]) -> list[str]:
    """Ids that name no stored document (those with a vector are found in one read)."""
    from index.errors import DocumentNotFound

    with_vector = backend.vectors(ids)
    missing = []
    for doc_id in dict.fromkeys(ids):
        if doc_id in with_vector:
            continue
        try:
            backend.get(doc_id)
        except DocumentNotFound:
            missing.append(doc_id)
    return missing


def remove_topic(backend: Backend, key: str) -> int:
    """Take ``key``'s labels off every document, then forget it; returns documents changed.

    Its head goes first, so writers (``with_own_topics``, which read the heads for every
    batch) stop giving the label; the labels are stripped while the topic is still defined
    (a removal stopped half-way can be run again), then the definition is deleted and the
    labels stripped once more. That last strip finds every write made before the deletion,
    and a writer whose batch was classified with the head and written after it drops the
    label itself (``Backend.drop_removed_labels``, checked after each write that carries own
    labels): no document keeps the label.
    """
    topic = get_topic(backend, key)
    if topic.head is not None:
        backend.save_own_topic(topic.model_copy(update={"head": None, "updated_at": datetime.now(UTC)}))
    changed = backend.strip_topics([key])
    backend.delete_own_topic(key)
    changed += backend.strip_topics([key])
    return changed


def install_journey(backend: Backend) -> list[OwnTopic]:
    """Store the customer journey's 5 stages and 13 touchpoints with the shipped examples (untrained)."""
    examples = journey_examples()
    stored = []
    for step, taxonomy in [*((s, Taxonomy.stage) for s in STAGES), *((t, Taxonomy.touchpoint) for t in TOUCHPOINTS)]:
        topic = OwnTopic(key=step.key, name_zh=step.name_zh, name_en=step.name_en, taxonomy=taxonomy,
                         parent=step.stage, examples=examples[step.key])
        backend.save_own_topic(topic)
        stored.append(topic)
    return stored


#: The trend splits the journey adds (``split=stage``, ``split=touchpoint``) and the topic keys each one charts.
JOURNEY_SPLITS: dict[str, tuple[str, ...]] = {"stage": tuple(s.key for s in STAGES),
                                              "touchpoint": tuple(t.key for t in TOUCHPOINTS)}


class JourneyMissing(LookupError):
    """A trend split by journey stage or touchpoint on an index where the journey was never installed."""


def journey_split(backend: Backend, split: str) -> list[str]:
    """The topic keys ``split`` (stage or touchpoint) charts; JourneyMissing when none of them is stored."""
    wanted = JOURNEY_SPLITS[split]
    if not any(t.key in wanted for t in backend.own_topics()):
        raise JourneyMissing(f"split={split} needs the customer journey: run voclens topics journey, "
                             "then voclens topics train and voclens topics apply")
    return list(wanted)


# -- training ----------------------------------------------------------------------------
@dataclass
class TrainReport:
    """One topic's training: the cross-validated scores shown before anything is applied."""

    key: str
    head: TopicHead | None = None
    error: str | None = None
    missing_ids: int = 0

    def as_dict(self) -> dict:
        head = self.head.model_dump(exclude={"weights", "bias"}) if self.head else None
        return {"key": self.key, "head": head, "error": self.error, "missing_ids": self.missing_ids}


def _background(backend: Backend, model: str, exclude: set[str], size: int, seed: int) -> tuple[list[str], np.ndarray]:
    """A seeded uniform sample of the index's vectors of ``model``, with their ids (reservoir sampling, one scan)."""
    rng = np.random.default_rng(seed)
    chosen: list[tuple[str, np.ndarray]] = []
    seen = 0
    for batch in backend.iter_vectors(model=model, batch_size=5000):
        floats = batch.floats()
        for i, doc_id in enumerate(batch.ids):
            if doc_id in exclude:
                continue
            seen += 1
            if len(chosen) < size:
                chosen.append((doc_id, floats[i]))
            else:
                j = int(rng.integers(seen))
                if j < size:
                    chosen[j] = (doc_id, floats[i])
    if not chosen:
        return [], np.zeros((0, DIMS), dtype=np.float32)
    return [c[0] for c in chosen], np.array([c[1] for c in chosen], dtype=np.float32)


def cue_query(cues: Sequence[str]) -> str:
    """The search for any of ``cues``: each a quoted phrase, so a cue is words, never syntax."""
    return " OR ".join(f'"{c.replace(chr(34), " ").strip()}"' for c in cues if c.replace('"', "").strip())


def cue_ids(backend: Backend, model: str, cues: Sequence[str]) -> set[str]:
    """Ids of the documents with a vector of ``model`` whose text holds one of ``cues`` (one search)."""
    q = cue_query(cues)
    if not q:
        return set()
    return {i for batch in backend.iter_vectors(q, model=model, batch_size=5000) for i in batch.ids}


def train_topics(backend: Backend, classifier: Classifier | None, keys: Sequence[str] | None = None, *,
                 args: TrainingArgs | None = None, background: int = BACKGROUND_SIZE) -> list[TrainReport]:  # fmt: skip
    """Train the heads of ``keys`` (every own topic when None) and store them; report each one's scores.

    A topic that cannot be trained (too few examples) keeps its previous head
    and says why in its report. ``classifier`` encodes text examples; without
    an encoder only id examples can teach.
    """
    topics = backend.own_topics()
    if keys:
        known = {t.key for t in topics}
        for key in keys:
            if key not in known:
                raise UnknownOwnTopic(key)
        topics = [t for t in topics if t.key in set(keys)]
    model = getattr(classifier, "vector_model", None) if classifier is not None else None
    id_vectors = backend.vectors([e.id for t in topics for e in t.examples if e.id])
    model = model or next((v.model for v in id_vectors.values()), None)
    if model is None:
        return [TrainReport(t.key, error="no encoder: configure the transformer model (lite) to train on vectors")
                for t in topics]
    texts = sorted({e.text for t in topics for e in t.examples if e.text})
    text_vectors: dict[str, np.ndarray] = {}
    if texts:
        if getattr(classifier, "vector_model", None) != model:
            raise TopicTrainingError("text examples need the transformer model that made the stored vectors")
        _, pooled = classifier.classify_with_vectors(texts)
        text_vectors = dict(zip(texts, pooled))
    exclude = {e.id for t in topics for e in t.examples if e.id}
    bg = _background(backend, model, exclude, background, seed=0)
    # the heads weigh the examples' and the background's words too (nlp.own_terms): one read of their texts
    words = backend.texts([*id_vectors, *bg[0]])
    reports = []
    for topic in topics:
        reports.append(_train_one(backend, topic, model, id_vectors, text_vectors, bg, args, words))
    return reports


def _train_one(backend: Backend, topic: OwnTopic, model: str, id_vectors: dict, text_vectors: dict,
               bg: tuple[list[str], np.ndarray], args: TrainingArgs | None, words: dict[str, str]) -> TrainReport:  # fmt: skip
    matching = cue_ids(backend, model, topic.cues) if topic.cues else set()
    vecs: dict[int, list] = {1: [], 0: []}
    flags: dict[int, list[bool]] = {1: [], 0: []}
    texts: dict[int, list[str]] = {1: [], 0: []}
    missing = 0
    for e in topic.examples:
        if e.text is not None:
            vecs[e.label].append(text_vectors[e.text])
            flags[e.label].append(has_cue(e.text, topic.cues))
            texts[e.label].append(e.text)
        elif e.id in id_vectors and id_vectors[e.id].model == model:
            vecs[e.label].append(id_vectors[e.id].array())
            flags[e.label].append(e.id in matching)
            texts[e.label].append(words.get(e.id, ""))
        else:
            missing += 1
    bg_ids, bg_x = bg
    if matching:  # documents holding a cue word are likely the topic: none of them is taken as "not the topic"
        keep = np.array([i not in matching for i in bg_ids], dtype=bool)
        bg_ids, bg_x = [i for i, k in zip(bg_ids, keep) if k], bg_x[keep]
    dims = bg_x.shape[1] if bg_x.size else (len(vecs[1][0]) if vecs[1] else 384)
    pos, neg = (np.array(vecs[k], dtype=np.float32).reshape(-1, dims) for k in (1, 0))
    cues = np.array(flags[1] + flags[0] + [i in matching for i in bg_ids], dtype=bool) if topic.cues else None
    try:
        head = train_head(model, pos, neg, bg_x, args, cues=cues,
                          texts=texts[1] + texts[0] + [words.get(i, "") for i in bg_ids])
    except TopicTrainingError as exc:
        hint = f" ({missing} example id(s) have no vector of {model}: voclens reclassify gives them one)" if missing else ""
        if not len(bg_x) and not matching:
            hint += f" (no indexed document has a vector of {model}: voclens reclassify with this model gives them one)"
        return TrainReport(topic.key, error=f"{exc}{hint}", missing_ids=missing)
    backend.save_own_topic(topic.model_copy(update={"head": head, "updated_at": datetime.now(UTC)}))
    return TrainReport(topic.key, head=head, missing_ids=missing)


# -- applying ------------------------------------------------------------------------------
@dataclass
class ApplyReport:
    """What ``apply_topics`` did: vectors scored, documents whose own labels changed, labels now given."""

    topics: list[str]
    seen: int = 0
    changed: int = 0
    labelled: dict[str, int] = field(default_factory=dict)
    resumed_after: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"topics": self.topics, "seen": self.seen, "changed": self.changed, "labelled": self.labelled,
                "resumed_after_id": self.resumed_after, "seconds": round(self.seconds, 3),
                "docs_per_second": round(self.seen / self.seconds) if self.seconds else None}


def trained_heads(backend: Backend) -> dict[str, dict[str, TopicHead]]:
    """Encoder name -> {key: head} of every trained own topic."""
    out: dict[str, dict[str, TopicHead]] = {}
    for t in backend.own_topics():
        if t.head is not None:
            out.setdefault(t.head.model, {})[t.key] = t.head
    return out


def write_heads(backend: Backend) -> Heads:
    """The trained own topics as ``nlp.own_classifier`` reads them: key -> (head, cue words); one read."""
    return {t.key: (t.head, tuple(t.cues)) for t in backend.own_topics() if t.head is not None}


def with_own_topics(classifier: Classifier | None, backend: Backend) -> Classifier | None:
    """``classifier``, giving the documents it classifies for a write into ``backend`` their own topics' labels too.

    Only a model with vectors can (the heads read them); others are returned as they are.
    """
    if classifier is None or classifier.vector_model is None or isinstance(classifier, OwnTopicsClassifier):
        return classifier
    return OwnTopicsClassifier(classifier, lambda: write_heads(backend), stored=_as_stored)


def _as_stored(vectors: np.ndarray) -> np.ndarray:
    """Float vectors as the index keeps them (int8 and a scale, ``index.vectors``) and gives them back."""
    out = np.zeros_like(vectors, dtype=np.float32)
    for i, row in enumerate(vectors):
        stored = DocumentVector.from_array("-", row)
        if stored is not None:
            out[i] = stored.array()
    return out


def _cue_sets(backend: Backend, model: str, keys: Sequence[str]) -> dict[str, set[str]]:
    """For each head that weighs cue words, the ids of the documents holding one (one search each)."""
    cues = {t.key: t.cues for t in backend.own_topics() if t.key in keys and t.cues and t.head and t.head.cue_weight}
    return {key: cue_ids(backend, model, words) for key, words in cues.items()}


def checkpoint_file(data_dir: Path, heads: dict[str, dict[str, TopicHead]]) -> Path:
    """One checkpoint per set of heads: retraining any head starts the next apply from the beginning."""
    raw = json.dumps({m: {k: h.model_dump() for k, h in sorted(hs.items())} for m, hs in sorted(heads.items())})
    return Path(data_dir) / f"topics-apply-{hashlib.sha256(raw.encode()).hexdigest()[:16]}.json"


def apply_topics(backend: Backend, *, checkpoint: Path | None = None, batch_size: int = 5000,
                 progress: Callable[[int], None] | None = None, classifier: Classifier | None = None) -> ApplyReport:  # fmt: skip
    """Label every document with a vector from the trained heads; see the module docstring.

    ``classifier``: the encoder of the heads' vectors, to find each label's evidence and its
    polarity (an encoder pass over the parts of the labelled documents whose labels were not
    written by the same head and model, ``_located``); without it (or for heads of another
    encoder) a label takes the document's sentiment and has no evidence.
    """
    import time

    started = time.perf_counter()
    heads = trained_heads(backend)
    keys = sorted(k for hs in heads.values() for k in hs)
    report = ApplyReport(topics=keys)
    state = _resume(checkpoint)
    if state:
        report.seen, report.changed, report.labelled = state["seen"], state["changed"], state["labelled"]
        report.resumed_after = state["after"]
    with _fewer_collections():
        for model in sorted(heads):
            if state and state["model"] > model:
                continue  # a model finished before the interruption
            after = state["after"] if state and state["model"] == model else None
            stack = HeadStack.of(heads[model])
            cue_sets = _cue_sets(backend, model, stack.keys)
            locator = classifier if classifier is not None and classifier.vector_model == model else None
            topics = {t.key: t for t in backend.own_topics() if t.key in stack.keys}
            cue_words = {k: t.cues for k, t in topics.items() if k in cue_sets}
            made = _fingerprints(backend, topics, locator)
            settled = frozenset(k for k, fp in made.items() if topics[k].labelled_by == fp)
            # resumed: the documents before ``after`` count as made with ``made`` only if the stopped run's were
            whole = after is None or state.get("made") == made
            for batch in backend.iter_vectors(model=model, batch_size=batch_size, after_id=after):
                cues = np.array([[i in cue_sets.get(k, ()) for k in stack.keys] for i in batch.ids]) if cue_sets else None
                texts = backend.texts(batch.ids) if stack.reads_words else {}  # heads that weigh terms read the words
                labels = stack.labels(batch.floats(), cues, [texts.get(i, "") for i in batch.ids] if stack.reads_words else None)
                values = _located(backend, locator, stack, cue_words, batch.ids, labels, settled, texts) if locator else labels
                report.changed += backend.relabel_topics(dict(zip(batch.ids, values)), stack.keys)
                report.seen += len(batch)
                for found in labels:
                    for key in found:
                        report.labelled[key] = report.labelled.get(key, 0) + 1
                if checkpoint:
                    _save(checkpoint, {"model": model, "after": batch.ids[-1], "seen": report.seen,
                                       "changed": report.changed, "labelled": report.labelled,
                                       "made": made if whole else None})
                if progress:
                    progress(len(batch))
            if whole:
                _settle(backend, made, locator)
    if checkpoint:
        checkpoint.unlink(missing_ok=True)
    report.seconds = time.perf_counter() - started
    return report


def _fingerprints(backend: Backend, topics: dict[str, OwnTopic], locator: Classifier | None) -> dict[str, str]:
    """key -> what this apply's labels of it are made with (``nlp.own_evidence.located_by``); empty without a locator.

    Without one, labels take their document's sentiment and no evidence: before the first is written,
    a topic's ``labelled_by`` is cleared, so that a later apply with the model (even one resuming this
    run, stopped half-way) locates every label again rather than keep these.
    """
    if locator is None:
        for t in topics.values():
            if t.labelled_by is not None:
                backend.save_own_topic(t.model_copy(update={"labelled_by": None}))
        return {}
    return {k: located_by(t.head, t.cues, locator) for k, t in topics.items() if t.head is not None}


def _settle(backend: Backend, made: dict[str, str], locator: Classifier | None) -> None:
    """After every document was labelled: record on each topic what its labels are now made with.

    A topic retrained (or given other cue words) meanwhile is left as it is: its labels are not its new head's.
    """
    for t in backend.own_topics():
        fp = made.get(t.key)
        if fp and t.labelled_by != fp and t.head is not None and located_by(t.head, t.cues, locator) == fp:
            backend.save_own_topic(t.model_copy(update={"labelled_by": fp}))


def _located(backend: Backend, classifier: Classifier, stack: HeadStack, cues: dict[str, list[str]],
             ids: Sequence[str], labels: list[dict[str, float]], settled: frozenset[str] = frozenset(),
             texts: dict[str, str] | None = None) -> list:  # fmt: skip
    """``labels`` with each found label located in its document's text (``nlp.own_evidence.locate``).

    A label of a ``settled`` topic (whose stored labels this very head, cue words and model wrote:
    ``OwnTopic.labelled_by``) that the document already carries with the score the head gives now
    is kept as stored: locating it again would give the same evidence and polarity, for an encoder
    pass over its parts. The score is checked too: it changes with the document's vector (its text
    written again) or when a writer labelled it with a head read before a retraining.
    ``texts``: those already read (by heads that weigh terms).
    """
    hit = [n for n, found in enumerate(labels) if found]
    if not hit:
        return labels
    stored = backend.topic_labels([ids[n] for n in hit if settled.intersection(labels[n])], settled) if settled else {}
    out: list = list(labels)
    todo: list[tuple[int, dict[str, float]]] = []  # (document, its labels to locate)
    for n in hit:
        have = stored.get(ids[n], {})
        kept = {k: have[k] for k, score in labels[n].items() if k in have and have[k].score == round(float(score), 4)}
        out[n] = kept
        if len(kept) < len(labels[n]):
            todo.append((n, {k: score for k, score in labels[n].items() if k not in kept}))
    if todo:
        texts = texts or {}
        missing = [ids[n] for n, _ in todo if ids[n] not in texts]
        texts = {**texts, **backend.texts(missing)} if missing else texts
        located = locate(classifier, stack, cues, [texts.get(ids[n], "") for n, _ in todo], [rest for _, rest in todo])
        for (n, _), found in zip(todo, located, strict=True):
            out[n] = {k: out[n][k] if k in out[n] else found[k] for k in labels[n]}  # in the head's order, as before
    return out


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect garbage less often while applying, as ``voclens ingest`` does (``crawlers.ingest``).

    Applying allocates millions of short-lived, acyclic objects (rows, tokens, labels). With the
    default thresholds the collector runs every 700 of them and walks again everything the process
    holds (the analyser's and the term matcher's memos, the batch in hand): in ``bench/bench_topics.py``
    a run that changes nothing took a third less time without that. Reference counting frees them anyway.
    """
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(_GC_YOUNG, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def _resume(checkpoint: Path | None) -> dict | None:
    if checkpoint is None or not checkpoint.is_file():
        return None
    try:
        state = json.loads(checkpoint.read_text(encoding="utf-8"))
        return state if {"model", "after", "seen", "changed", "labelled"} <= set(state) else None
    except (OSError, ValueError):
        log.warning("unreadable checkpoint; applying from the first document", extra={"path": str(checkpoint)})
        return None


def _save(path: Path, state: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state), encoding="utf-8")
    tmp.replace(path)


__all__ = [
    "JOURNEY_SPLITS", "ApplyReport", "InvalidOwnTopic", "JourneyMissing", "TrainReport", "UnknownOwnTopic", "journey_split", "add_examples", "add_topic", "apply_topics", "checkpoint_file", "seed_from_theme",
    "cue_ids", "cue_query", "get_topic", "install_journey", "remove_topic", "train_topics", "trained_heads",
    "with_own_topics", "write_heads",
]  # fmt: skip

"""Re-label indexed documents with another model (``voclens reclassify``).

After a new model (or a new version of one) is deployed, documents indexed
earlier still carry the old model's labels, and trends would mix the two.
This job scans the index in id order, classifies each batch with the new
model and writes the documents back with only ``sentiment``, ``topics`` and
``model_version`` changed, and, with a model that has an encoder (the
transformer), the document's vector (``index.vectors``). Such a model also
takes documents already at its version but without a vector of its own
(indexed before vectors were stored, or labelled by the lexicon model since),
so a run gives every document its vector.

Crash safety works as in ``crawlers.ingest``: ids are stable, so writing a
batch twice is harmless, and a checkpoint file records the last id whose batch
was written. A run started again with the same model continues after that id;
a crash between a write and its checkpoint only redoes one batch.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crawlers.enrich import classify_documents, label_text
from index.base import Backend
from index.document import Document
from nlp.classifier import Classifier

log = logging.getLogger(__name__)

#: Ids of failed documents kept in a report; the count is always exact.
MAX_FAILED_IDS = 1000


@dataclass
class ReclassifyReport:
    """What a run did, counted over the whole job when it resumed an interrupted one.

    ``skipped_current`` counts documents already labelled by ``model_version``;
    ``failed`` counts documents the model could not classify (they keep their
    old labels, and the next run tries them again).
    """

    model_version: str
    seen: int = 0
    updated: int = 0
    skipped_current: int = 0
    failed: int = 0
    resumed_after: str | None = None
    failed_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "model_version": self.model_version,
            "seen": self.seen,
            "updated": self.updated,
            "skipped_current": self.skipped_current,
            "failed": self.failed,
            "resumed_after_id": self.resumed_after,
            "failed_ids": self.failed_ids,
        }


def checkpoint_file(data_dir: Path, model_version: str) -> Path:
    """Where the checkpoint of a run towards ``model_version`` lives in ``data_dir``.

    One file per target version, so runs with different models never resume
    each other's scans. The version is hashed because it may hold any character.
    """
    digest = hashlib.sha256(model_version.encode()).hexdigest()[:16]
    return Path(data_dir) / f"reclassify-{digest}.json"


def reclassify(
    backend: Backend,
    classifier: Classifier,
    *,
    batch_size: int = 256,
    force: bool = False,
    checkpoint_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReclassifyReport:
    """Label every document in ``backend`` with ``classifier``, batch by batch.

    Args:
        batch_size: documents read, classified and written together; the
            checkpoint advances once per batch.
        force: also re-label documents already at ``classifier.version``.
        checkpoint_path: JSON file recording progress (see ``checkpoint_file``);
            None disables resuming. It is removed when the scan completes.
        progress: called with the number of documents scanned since the last
            call; a resumed run first reports the documents scanned before.

    Returns:
        The counts for the whole job.

    Raises:
        ValueError: ``batch_size`` is below 1.
        SearchBackendError: the backend failed; what was written stays written
            and a re-run resumes after the last checkpoint.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    version = classifier.version
    report = ReclassifyReport(model_version=version)
    checkpoint = Path(checkpoint_path) if checkpoint_path else None
    after_id = _resume(checkpoint, report, force) if checkpoint else None
    if report.seen and progress:
        progress(report.seen)
    for batch in backend.iter_documents(batch_size=batch_size, after_id=after_id):
        todo = [d for d in batch if force or d.model_version != version or _lacks_vector(d, classifier)]
        report.skipped_current += len(batch) - len(todo)
        relabelled = _classify(todo, classifier, report) if todo else []
        if relabelled:
            backend.upsert(relabelled)
            report.updated += len(relabelled)
        report.seen += len(batch)
        if checkpoint:
            _write_json_atomic(checkpoint, {**report.as_dict(), "force": force, "after_id": batch[-1].id})
        if progress:
            progress(len(batch))
    if checkpoint:
        checkpoint.unlink(missing_ok=True)  # complete: the next run scans from the start
    log.info("reclassify finished", extra={k: v for k, v in report.as_dict().items() if k != "failed_ids"})
    return report


def _resume(checkpoint: Path, report: ReclassifyReport, force: bool) -> str | None:
    """Restore ``report`` from a matching checkpoint; the id to continue after, or None."""
    if not checkpoint.is_file():
        return None
    try:
        state = json.loads(checkpoint.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("unreadable checkpoint; starting from the first document", extra={"path": str(checkpoint)})
        return None
    # A checkpoint of another model, or of a run with the other --force, describes a
    # different job: starting over is always correct, resuming it might not be.
    if state.get("model_version") != report.model_version or bool(state.get("force")) != force:
        log.info("checkpoint is for another run; starting from the first document", extra={"path": str(checkpoint)})
        return None
    report.seen, report.updated = state.get("seen", 0), state.get("updated", 0)
    report.skipped_current, report.failed = state.get("skipped_current", 0), state.get("failed", 0)
    report.failed_ids = list(state.get("failed_ids", []))
    report.resumed_after = state.get("after_id")
    log.info("resuming reclassify", extra={"after_id": report.resumed_after, "model_version": report.model_version})
    return report.resumed_after


def _lacks_vector(doc: Document, classifier: Classifier) -> bool:
    """True when ``classifier`` makes vectors and ``doc``, having words, has none of its model."""
    model = classifier.vector_model
    return model is not None and (doc.vector is None or doc.vector.model != model) and bool(label_text(doc).strip())


def _keep_own(labelled: Sequence[Document], docs: Sequence[Document], classifier: Classifier) -> list[Document]:
    """``labelled`` with the labels of topics the model does not know (own topics) kept from ``docs``.

    Own topics are labelled by ``voclens topics apply``, not by the model: re-labelling the
    default topics must not drop them.
    """
    known = set(classifier.topics)
    before = {d.id: [t for t in d.topics if t.topic not in known] for d in docs}
    return [d.model_copy(update={"topics": [*d.topics, *before.get(d.id, [])]}) if before.get(d.id) else d
            for d in labelled]


def _classify(docs: Sequence[Document], classifier: Classifier, report: ReclassifyReport) -> list[Document]:
    """Relabelled copies of ``docs`` (own-topic labels kept); documents the model cannot classify are counted and left out."""
    return _keep_own(_classify_all(docs, classifier, report), docs, classifier)


def _classify_all(docs: Sequence[Document], classifier: Classifier, report: ReclassifyReport) -> list[Document]:
    try:
        return classify_documents(docs, classifier)
    except Exception:  # noqa: BLE001 - one bad text must not stop a job over the whole index
        log.warning("batch failed; classifying its documents one at a time", exc_info=True)
    relabelled = []
    for doc in docs:
        try:
            [labelled] = classify_documents([doc], classifier)
        except Exception as exc:  # noqa: BLE001 - the document keeps its old labels and is retried next run
            report.failed += 1
            if len(report.failed_ids) < MAX_FAILED_IDS:
                report.failed_ids.append(doc.id)
            log.warning("could not classify document", extra={"id": doc.id, "error": repr(exc)})
            continue
        relabelled.append(labelled)
    return relabelled


def _write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


__all__ = ["ReclassifyReport", "checkpoint_file", "reclassify"]

"""Erasure (takedown requests under PIPL / GDPR): the one path every erasure takes.

``DELETE /documents/{id}``, ``DELETE /authors/{hash}`` and ``voclens erase``
all call ``erase`` here, so whatever else comes to hold personal data must
hook in here, once. Today that is:

* the search backend (``Backend.erase``): the documents with their full-text,
  topic, keyword and rollup rows; a tombstone that every later write refuses
  (so a re-crawl or re-import cannot bring them back); the erasure log.
* pending digests and alerts: nothing to do. A delivery row stores its
  period and, for alerts, the numbers that fired it, never document text;
  the digest is rendered from the backend when it is sent, so a delivery
  not yet sent (pending, or failed and waiting to retry) renders without
  the erased documents (pinned by ``tests/api/test_erasure.py``).
* stored vectors: voclens stores no embeddings yet (the classifier's
  vectors live only in memory while it labels a batch). A future vector
  store must delete the same ids here, before the log line is written.
"""

from __future__ import annotations

import logging

from index.base import Backend, ErasureKind, ErasureRecord
from nlp.privacy import hash_author, hash_author_id

log = logging.getLogger("voclens.erasure")

#: An author hash as ``nlp.privacy.hash_author`` makes it.
AUTHOR_HASH_PATTERN = r"^a_[0-9a-f]{24}$"
#: A stable document id (``index.document.document_id``).
DOCUMENT_ID_PATTERN = r"^[0-9a-f]{32}$"


def erase(backend: Backend, kind: ErasureKind, key: str, *, actor: str, must_exist: bool = True) -> ErasureRecord:
    """Erase one document (``key`` = its id) or one author (``key`` = the author hash) everywhere.

    Args:
        actor: who asked, for the log: the API key's name, or ``cli``.
        must_exist: refuse (``DocumentNotFound``) a document id that is neither stored nor
            erased; false tombstones it anyway (see ``Backend.erase``).

    Returns:
        The erasure log entry (what, when, who, how many documents).

    Raises:
        DocumentNotFound: an unknown document id that was never erased either.
    """
    record = backend.erase(kind, key, actor=actor, must_exist=must_exist)
    # The log line names ids and hashes only: never text, never a handle.
    log.info("erased", extra={"kind": record.kind.value, "key": record.key, "actor": actor,
                              "documents": record.documents})
    return record


def author_hash_for(source: str, *, handle: str | None = None, author_id: str | None = None, salt: str) -> str:
    """The author hash ingest stores for ``handle`` (or the platform's ``author_id``) on ``source``."""
    if author_id is not None:
        return hash_author_id(source, author_id, salt)
    if handle is None:
        raise ValueError("give a handle or an author id")
    return hash_author(source, handle, salt)


__all__ = ["AUTHOR_HASH_PATTERN", "DOCUMENT_ID_PATTERN", "author_hash_for", "erase"]

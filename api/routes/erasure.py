"""Erasure endpoints (takedown requests): write scope only; see ``api.erasure`` and docs/operations.md."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from index.base import ErasureKind, ErasureRecord

from ..deps import BackendDep, WriteAccess, key_name
from ..erasure import AUTHOR_HASH_PATTERN, DOCUMENT_ID_PATTERN, erase

router = APIRouter(tags=["erasure"])

_PROBLEM = {"content": {"application/problem+json": {}}}
_RESPONSES = {
    401: {"description": "No API key, or an unknown one (when keys are configured).", **_PROBLEM},
    403: {"description": "The API key lacks the write scope.", **_PROBLEM},
}


@router.delete("/documents/{doc_id}", response_model=ErasureRecord, dependencies=[WriteAccess],
               responses={**_RESPONSES, 404: {"description": "No such document, and none erased with this id.", **_PROBLEM}})
def erase_document(request: Request, backend: BackendDep,
                   doc_id: Annotated[str, Path(pattern=DOCUMENT_ID_PATTERN, description="The stable document id.")]) -> ErasureRecord:
    """Erase one document for good: removed from the index, refused on re-ingest, logged without its text."""
    return erase(backend, ErasureKind.document, doc_id, actor=key_name(request))


@router.delete("/authors/{author_hash}", response_model=ErasureRecord, dependencies=[WriteAccess], responses=_RESPONSES)
def erase_author(request: Request, backend: BackendDep,
                 author_hash: Annotated[str, Path(pattern=AUTHOR_HASH_PATTERN, description="The author hash (a_ and 24 hex digits) as documents carry it.")]) -> ErasureRecord:
    """Erase every document of one author and refuse the author's documents from now on; logged without text."""
    return erase(backend, ErasureKind.author, author_hash, actor=key_name(request))


@router.get("/erasures", response_model=list[ErasureRecord], dependencies=[WriteAccess], responses=_RESPONSES)
def erasure_log(backend: BackendDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[ErasureRecord]:
    """The erasure log, newest first: what was erased, when, by which key and how many documents; never content."""
    return backend.erasures(limit)

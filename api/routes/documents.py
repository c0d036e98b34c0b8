from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request

from crawlers.enrich import enrich
from crawlers.errors import RecordError
from crawlers.normalize import RecordOptions, record_to_document
from index.base import MAX_PAGE_SIZE
from index.document import Channel, Document
from index.errors import NoVector

from ..bounds import check_page_size
from ..deps import (
    AnalyserDep,
    BackendDep,
    ClassifierDep,
    FiltersDep,
    QueryDep,
    ReadAccess,
    SettingsDep,
    WriteAccess,
    has_scope,
)
from ..errors import ApiError
from ..own_topics import with_own_topics
from ..openapi import problems
from .cases import after_ingest as cases_after_ingest
from ..schemas import Health, IngestRequest, IngestResponse, ItemError, SearchResponse

router = APIRouter(tags=["documents"])


@router.get("/documents/{doc_id}", response_model=Document, dependencies=[ReadAccess], responses=problems(404, 503, 504))
def get_document(backend: BackendDep, doc_id: Annotated[str, Path(max_length=64, pattern=r"^[0-9a-f]+$")]) -> Document:
    """One document by its stable id."""
    return backend.get(doc_id)


@router.get("/documents/{doc_id}/similar", response_model=SearchResponse, dependencies=[ReadAccess],
            responses=problems(400, 404, 409, 503, 504))
def similar_documents(
    backend: BackendDep,
    settings: SettingsDep,
    filters: FiltersDep,
    q: QueryDep,
    doc_id: Annotated[str, Path(max_length=64, pattern=r"^[0-9a-f]+$")],
    limit: Annotated[int, Query(ge=1, json_schema_extra={"maximum": MAX_PAGE_SIZE},
                                description="How many (at most max_page_size).")] = 10,
) -> SearchResponse:
    """The documents most like this one (cosine of the stored vectors), best first; `q` and filters narrow them."""
    check_page_size(limit, settings)
    try:
        result = backend.similar(doc_id, limit=limit, q=q, filters=filters)
    except NoVector as exc:
        raise ApiError(409, "Document has no vector", str(exc)) from None
    return SearchResponse(total=result.total, results=result.hits, next_cursor=result.next_cursor)


@router.post("/documents", response_model=IngestResponse, dependencies=[WriteAccess], responses=problems(502, 503, 504))
def ingest_documents(
    body: IngestRequest,
    request: Request,
    tasks: BackgroundTasks,
    backend: BackendDep,
    classifier: ClassifierDep,
    analyser: AnalyserDep,
    settings: SettingsDep,
    source: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$", description="Default source for records without one.")] = None,
    channel: Annotated[Channel | None, Query(description="Default channel for records without one.")] = None,
    reclassify: Annotated[bool, Query(description="Re-label records that come with a sentiment.")] = False,
) -> IngestResponse:
    """Batch ingest: valid records are classified and stored; invalid ones are reported, erased ones counted, both skipped."""
    if len(body.documents) > settings.max_batch_size:
        raise ApiError(413, "Batch too large",
                       f"{len(body.documents)} documents; the most per request is {settings.max_batch_size}",
                       field="documents")
    options = RecordOptions(source=source, channel=channel.value if channel else None, salt=settings.author_salt, extra="reject")
    docs: list[Document] = []
    errors: list[ItemError] = []
    for i, record in enumerate(body.documents):
        try:
            docs.append(record_to_document(record, options))
        except RecordError as exc:
            errors.append(ItemError(index=i, fields=[f for f, _ in exc.problems], message=str(exc)))
    created = updated = 0
    refused: set[str] = set()
    if docs:
        unique = list({d.id: d for d in docs}.values())
        result = backend.upsert(enrich(unique, analyser, with_own_topics(classifier, backend), reclassify=reclassify))
        created, updated, refused = result.created, result.updated, set(result.erased_ids)
        tasks.add_task(cases_after_ingest, request.app)  # case rules (api.cases) see the new documents
    ids = [d.id for d in docs if d.id not in refused]
    if errors and not docs:
        raise ApiError(422, "Invalid documents", f"all {len(errors)} documents were rejected: {errors[0].message}",
                       field=f"documents.{errors[0].index}")
    return IngestResponse(created=created, updated=updated, rejected=len(errors), erased=len(refused), ids=ids,
                          errors=errors)


@router.get("/health", response_model=Health, response_model_exclude_none=True)
def health(request: Request, backend: BackendDep, classifier: ClassifierDep) -> Health:
    """Liveness and readiness; counts and details only for callers allowed to read."""
    try:
        info = backend.health()
        status = "ok"
    except Exception as exc:  # health must answer even when the backend is sick
        info, status = {"error": str(exc)}, "degraded"
    if not has_scope(request, "read"):
        return Health(status=status, backend=backend.name)
    return Health(status=status, backend=backend.name, model=classifier.version,
                  documents=info.get("documents"), details=info)

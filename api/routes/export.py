"""CSV export of a search: every match, streamed (see ``api.export``); and its signed links (``api.export_links``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

import redis
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from index.base import SortOrder

from ..deps import BackendDep, FiltersDep, QueryDep, ReadAccess, SettingsDep, _presented_key, presented_read_key
from ..errors import ApiError
from ..export import COLUMNS, export_csv, export_query, search_pages
from ..export_links import OPEN, TOKEN_PARAM, ExportLinkError, check_token, make_token, signing_key
from ..openapi import problems

router = APIRouter(tags=["search"])

_CSV_RESPONSE = {
    200: {
        "description": f"CSV (UTF-8 with a byte-order mark), one row per document; columns: {', '.join(COLUMNS)}. "
                       "`X-Total-Count` says how many rows follow the header.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "headers": {"X-Total-Count": {"description": "Documents in the export.", "schema": {"type": "integer"}}},
    },
    **problems(400, 503, 504),
}


def export_access(
    request: Request,
    token: Annotated[str | None, Query(max_length=200, description=(
        "A signed export link's token (POST /search/export/links): stands for a read key, for this exact query, "
        "once, until it expires. Ignored where no API keys are configured or a key is sent."))] = None,
) -> None:
    """A read key, or else a valid unspent token of a link made for exactly this URL's parameters."""
    settings = request.app.state.settings
    if token is None or not settings.api_keys or _presented_key(request):
        ReadAccess.dependency(request)  # a key presented decides, as on every route: the token is for requests without one
        return
    try:
        nonce, expires = check_token(signing_key(settings), token, request.query_params.multi_items(), settings.api_keys)
    except ExportLinkError as error:
        raise ApiError(401, "Unauthorized", str(error), headers={"WWW-Authenticate": "Bearer"}) from None
    try:
        fresh = request.app.state.spent_export_tokens.spend(nonce, expires)  # opened by the lifespan (api.app)
    except redis.RedisError as error:
        raise ApiError(503, "Service Unavailable", f"the store of spent export links (rate_limit_storage_url) "
                       f"did not answer: {error}") from None
    if not fresh:
        raise ApiError(401, "Unauthorized", "the export link was already used (one download per link); "
                       "ask for a new link (POST /search/export/links)", headers={"WWW-Authenticate": "Bearer"})


@router.get("/search/export", response_class=StreamingResponse, responses=_CSV_RESPONSE,
            dependencies=[Depends(export_access)])
def export_search(backend: BackendDep, filters: FiltersDep, q: QueryDep, sort: SortOrder = SortOrder.newest) -> StreamingResponse:
    """Every document matching the query and filters as CSV, streamed page by page (no cap)."""
    query = export_query(q, filters, sort)
    first = backend.search(query)  # a bad query or a down backend answers as a problem, before the stream starts
    return StreamingResponse(
        export_csv(search_pages(backend, query, first)), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="voclens-export.csv"', "X-Total-Count": str(first.total)},
    )


class ExportLink(BaseModel):
    url: str = Field(description="GET /search/export with the same parameters and the token, from the API's root; "
                                 "needs no key, downloads once, until expires_at.")
    token: str = Field(description="The token alone, for a client that builds the URL from the parameters it sent.")
    expires_at: datetime
    total: int = Field(description="Documents the export holds now (its X-Total-Count).")


@router.post("/search/export/links", response_model=ExportLink, dependencies=[ReadAccess], responses=problems(503, 504))
def export_link(request: Request, settings: SettingsDep, backend: BackendDep, filters: FiltersDep, q: QueryDep,
                sort: SortOrder = SortOrder.newest) -> ExportLink:
    """A short-lived, single-use signed link of this export that a browser downloads without the key header."""
    total = backend.search(export_query(q, filters, sort).model_copy(update={"limit": 1})).total  # a bad query fails here
    params = [(name, value) for name, value in request.query_params.multi_items() if name != TOKEN_PARAM]
    key = presented_read_key(request)
    token, expires = make_token(signing_key(settings), key.hash if key else OPEN, params, settings.export_link_ttl_s)
    url = f"{request.scope.get('root_path', '')}/search/export?{urlencode([*params, (TOKEN_PARAM, token)])}"
    return ExportLink(url=url, token=token, expires_at=datetime.fromtimestamp(expires, UTC), total=total)

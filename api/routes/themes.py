"""``GET /themes``: themes nobody named, found in a window's documents (issue 19 part 4)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from ..bounds import IsoDateTime
from ..deps import AnalyserDep, BackendDep, FiltersDep, QueryDep, ReadAccess
from ..digests.scheduler import get_store
from ..openapi import problems
from ..themes import ThemesResult, ThemeStore, discover_themes
from ..windows import DURATION_PATTERN

router = APIRouter(tags=["analytics"], dependencies=[ReadAccess], responses=problems(400, 422, 503, 504))


def _theme_store(request: Request) -> ThemeStore:
    """The themes table in the state database, on the engine the subscriptions already use."""
    store = getattr(request.app.state, "theme_store", None)
    if store is None:
        store = request.app.state.theme_store = ThemeStore(get_store(request.app, request.app.state.settings).engine)
    return store


@router.get("/themes", response_model=ThemesResult)
def themes(
    request: Request, backend: BackendDep, analyser: AnalyserDep, filters: FiltersDep, q: QueryDep,
    window: Annotated[str, Query(json_schema_extra={"pattern": DURATION_PATTERN},
                                 description="Current window ending at `until`: 12h, 1d, 7d, 2w...; growth compares it with the window as long before it.")] = "7d",
    until: Annotated[IsoDateTime | None, Query(description="End of the current window (default: now).")] = None,
    limit: Annotated[int, Query(ge=1, le=50, description="Most themes, the largest first.")] = 10,
    examples: Annotated[int, Query(ge=0, le=20, description="Example documents per theme.")] = 3,
    min_size: Annotated[int | None, Query(ge=2, le=1_000_000, description="Fewest current-window documents a theme has (default: 3, or 0.5% of the window's documents).")] = None,
) -> ThemesResult:
    """Cluster the window's documents (with the query and filters) into themes: terms, size, growth and examples."""
    result = discover_themes(backend, analyser, q=q, filters=filters, window=window, until=until, limit=limit,
                             examples=examples, min_size=min_size)
    _theme_store(request).save(result)
    return result

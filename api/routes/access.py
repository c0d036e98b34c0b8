"""What the caller may do: lets a client (the web app, a script) show or hide changes before trying them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from ..deps import _presented_key
from ..errors import ApiError
from ..settings import Scope

router = APIRouter(tags=["access"])


class Access(BaseModel):
    keys_required: bool = Field(description="True when API keys are configured: data endpoints then need one.")
    key: str | None = Field(description="Name of the key presented (null without one, or without keys configured).")
    scopes: list[Scope] = Field(description="What this caller may do: read, write; empty without a key where one is required.")


@router.get("/access", response_model=Access)
def access(request: Request) -> Access:
    """The presented API key's name and scopes (401 for a key that is not valid); open without a key."""
    settings = request.app.state.settings
    if not settings.api_keys:
        return Access(keys_required=False, key=None, scopes=["read", "write"])
    key = _presented_key(request)
    if not key:
        return Access(keys_required=True, key=None, scopes=[])
    matching = [k for k in settings.api_keys if k.matches(key)]
    if not matching:
        raise ApiError(401, "Unauthorized", "the API key is not valid", headers={"WWW-Authenticate": "Bearer"})
    scopes = [s for s in ("read", "write") if any(s in k.scopes for k in matching)]
    return Access(keys_required=True, key=matching[0].name, scopes=scopes)

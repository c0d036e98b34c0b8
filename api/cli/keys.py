"""``voclens keys create``: make an API key; only its hash goes into the settings."""

from __future__ import annotations

import json
import secrets
from typing import Annotated

import typer

from ..settings import ApiKey, hash_api_key
from ._common import out

keys_app = typer.Typer(help="Create API keys (only their hashes go into the settings).", no_args_is_help=True)


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
    scope: Annotated[list[str], typer.Option("--scope", help="read and/or write (repeatable).")] = ["read"],  # noqa: B006
) -> None:
    """Make a new random API key; prints the key once and the settings entry that stores its hash."""
    bad = [s for s in scope if s not in ("read", "write")]
    if bad:
        raise typer.BadParameter(f"unknown scope(s): {', '.join(bad)} (use read, write)")
    key = "vl_" + secrets.token_urlsafe(24)
    entry = ApiKey(name=name, hash=hash_api_key(key), scopes=tuple(dict.fromkeys(scope)))
    out.print(f"API key (shown once): {key}", highlight=False)
    out.print("add to voclens.toml:", highlight=False)
    out.print(f'[[api_keys]]\nname = "{entry.name}"\nhash = "{entry.hash}"\nscopes = {json.dumps(list(entry.scopes))}',
              markup=False, highlight=False)
    out.print(f"or set VOCLENS_API_KEYS='{json.dumps([entry.model_dump(mode='json')])}'", markup=False, highlight=False)

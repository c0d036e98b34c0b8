"""The OpenAPI schema is the contract: schemathesis runs every operation of a real server against it.

``--checks all`` on a fixed seed, once open and once with API keys: every
status answered is declared, every error is the one problem+json shape,
schema-valid requests are accepted (except the semantic rules listed in
``schemathesis_hooks``), schema-invalid ones refused, 405 carries ``Allow``,
and nothing answers 500.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.app import create_app
from api.settings import Settings, hash_api_key
from tests.api.conftest import Server

ROOT = Path(__file__).resolve().parents[2]
KEY = "vl_contract_test_key"


def _demo_data(tmp: Path) -> Path:
    data = tmp / "data"
    env = {**os.environ, "VOCLENS_DATA_DIR": str(data)}
    subprocess.run([sys.executable, "-m", "api.cli", "demo", "--no-serve"], env=env, check=True, cwd=ROOT,
                   capture_output=True)
    return data


def _schemathesis(server: Server, *headers: str) -> subprocess.CompletedProcess:
    st = Path(sys.executable).with_name("st")
    args = [str(st) if st.exists() else "st", "run", f"{server.url}/openapi.json", "--checks", "all", "--seed", "20261206",
            "--max-examples", "25", "--no-color", "--generation-database", "none", "--workers", "2",
            "--request-timeout", "30"]
    for header in headers:
        args += ["-H", header]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks", "PYTHONPATH": str(ROOT)}
    return subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=240)


@pytest.mark.parametrize("keyed", [False, True], ids=["open", "with-keys"])
def test_every_operation_keeps_the_schema(tmp_path, keyed):
    env = {"VOCLENS_RATE_LIMIT": "100000/minute"}
    headers = []
    if keyed:
        env["VOCLENS_API_KEYS"] = json.dumps([{"name": "contract", "hash": hash_api_key(KEY), "scopes": ["read", "write"]}])
        headers.append(f"X-API-Key: {KEY}")
    server = Server(_demo_data(tmp_path), env=env)
    try:
        result = _schemathesis(server, *headers)
    finally:
        server.stop()
    summary = result.stdout[-6000:]
    assert result.returncode == 0, summary
    operations = sum(len(ops) for ops in create_app(Settings()).openapi()["paths"].values())
    assert f"Tested: {operations}" in result.stdout, summary  # every operation reached

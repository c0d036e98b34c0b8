"""compose.yaml cannot be run here (no Docker): keep it honest by parsing it.

Every voclens command it runs must parse with the CLI as it is (command,
subcommands and options), every ``VOCLENS_*`` variable must be a setting,
the health check must name a route the API has, and Elasticsearch must be
the version ``scripts/es-node`` runs the tests on.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from typer.main import get_command

from api.app import create_app
from api.cli import app as cli_app
from api.settings import Settings
from tests.es_node import script

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]


def _voclens_invocations(service: dict) -> list[list[str]]:
    """The argument lists after ``voclens`` in a service's command (directly, or inside ``sh -c``)."""
    command = list(service.get("entrypoint") or []) + list(service.get("command") or [])
    if command[:2] == ["sh", "-c"]:
        return [shlex.split(part)[1:] for part in re.findall(r"voclens [^;&|]+", command[2])]
    if command and command[0] == "voclens":
        return [command[1:]]
    return []


def _parses(args: list[str]) -> None:
    """Resolve the (sub)commands and parse the options as the CLI would, without running anything."""
    command = get_command(cli_app)  # Typer's own (vendored) click: duck-typed here
    while hasattr(command, "list_commands") and args and not args[0].startswith("-"):
        sub = command.get_command(command.context_class(command), args[0])
        assert sub is not None, f"no command {args[0]!r}"
        command, args = sub, args[1:]
    if args != ["--help"]:
        ctx = command.make_context(command.name, list(args))
        ctx.close()


def test_the_services_a_deployment_needs():
    assert {"elasticsearch", "redis", "api", "worker", "scheduler"} <= set(SERVICES)


@pytest.mark.parametrize("name", [n for n, s in SERVICES.items() if s.get("image") == "voclens:local"])
def test_every_voclens_command_exists_in_the_cli(name):
    invocations = _voclens_invocations(SERVICES[name])
    assert invocations, f"{name} runs no voclens command"
    for args in invocations:
        _parses(args)


def test_the_expected_commands_run():
    firsts = {n: [a[0] for a in _voclens_invocations(s)] for n, s in SERVICES.items()}
    assert firsts["api"] == ["serve"] and firsts["worker"] == ["worker"] and firsts["scheduler"] == ["digests"]


def test_every_variable_is_a_setting_and_the_health_check_a_route():
    env = SERVICES["api"]["environment"]
    unknown = [k for k in env if k.startswith("VOCLENS_") and k[8:].lower() not in Settings.model_fields]
    assert unknown == []
    check = " ".join(SERVICES["api"]["healthcheck"]["test"])
    path = re.search(r"http://127\.0\.0\.1:8000(/[a-z/]+)", check).group(1)
    routes = set(create_app(Settings(data_dir="/nonexistent-unused")).openapi()["paths"])
    assert path in routes


def test_elasticsearch_is_the_version_the_tests_run():
    assert SERVICES["elasticsearch"]["image"].endswith(f":{script.VERSION}")


def test_a_wrong_command_would_be_caught():
    with pytest.raises(AssertionError):
        _parses(["no-such-command"])
    with pytest.raises(Exception, match="No such option") as exc:
        _parses(["worker", "--no-such-option"])
    assert "UsageError" in [c.__name__ for c in type(exc.value).__mro__]

"""Docs stay honest: every setting and every CLI command is documented."""

from pathlib import Path

import pytest

from api.cli import app
from api.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_every_setting_is_documented(name):
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert f"`{name}`" in doc and f"`VOCLENS_{name.upper()}`" in doc


@pytest.mark.parametrize("command", [c.name or c.callback.__name__ for c in app.registered_commands])
def test_every_command_appears_in_the_readme(command):
    assert f"voclens {command}" in (ROOT / "README.md").read_text(encoding="utf-8")

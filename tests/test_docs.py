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


@pytest.mark.parametrize("page", ["configuration.md", "setup.md"])
def test_the_pages_that_name_the_default_model_name_the_shipped_one(page):
    """A new default model must reach the pages a newcomer reads first (configuration.md named
    e5s-lite-5 three models after it was replaced)."""
    from nlp.transformer import LITE_MODEL_DIR

    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    assert LITE_MODEL_DIR.name in text

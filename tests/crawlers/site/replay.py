"""Real captured responses (``tests/crawlers/site/captures``) served by the fixture site.

Each capture ``<spider>/<name>.<ext>`` has ``<name>.origin.json`` beside it:
where it was found (repository, path, commit), when it was served
(``now``, an ISO time with the page's offset) and what was trimmed. The
fixture site serves a capture with that time as its ``Date`` header, so
relative dates (``15小时前``, ``昨天 12:25``) resolve as they did on the day.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

CAPTURES = Path(__file__).resolve().parent / "captures"


def capture_path(name: str) -> Path:
    """The capture file ``name`` (``weibo/timeline-...json``)."""
    return CAPTURES / name


def origin(name: str) -> dict:
    """The origin record beside capture ``name``."""
    path = capture_path(name)
    return json.loads(path.with_name(path.name.rsplit(".", 1)[0] + ".origin.json").read_text(encoding="utf-8"))


def served_at(name: str) -> datetime:
    """When the capture's page was served (its origin's ``now``)."""
    return datetime.fromisoformat(origin(name)["now"])


def served(name: str, content_type: str, **extra) -> dict:
    """A catalog entry (``catalog["captures"][path]``) serving capture ``name`` as it was served."""
    return {"file": name, "content_type": content_type,
            "date": format_datetime(served_at(name).astimezone(UTC), usegmt=True), **extra}


def body(name: str) -> bytes:
    return capture_path(name).read_bytes()

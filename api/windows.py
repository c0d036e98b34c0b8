"""Time windows for "emerging" queries, from friendly durations ("1d", "28d", "12h", "2w")."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_DURATION_RE = re.compile(r"^\s*(\d{1,4})\s*([hdw])\s*$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: str, field: str) -> timedelta:
    """``"7d"`` -> 7 days. Raises ``ValueError`` naming ``field``."""
    m = _DURATION_RE.match(value or "")
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"{field}: {value!r} is not a duration like 12h, 1d, 28d or 2w")
    delta = timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    if delta > timedelta(days=3660):
        raise ValueError(f"{field}: {value!r} is longer than ten years")
    return delta


def emerging_windows(
    window: str = "1d", baseline: str = "28d", until: datetime | None = None
) -> tuple[datetime, datetime, datetime, datetime]:
    """``(current_since, current_until, baseline_since, baseline_until)``.

    The baseline is the period right before the current window, so "what
    rose today" is compared with the four weeks before today.
    """
    end = (until or datetime.now(UTC)).astimezone(UTC)
    current = parse_duration(window, "window")
    base = parse_duration(baseline, "baseline")
    start = end - current
    return start, end, start - base, start

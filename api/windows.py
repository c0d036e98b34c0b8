"""Time windows for "emerging" queries, from friendly durations ("1d", "28d", "12h", "2w")."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from index.document import EARLIEST, clamp_utc

#: A duration: 1 to 9999 hours, days or weeks. The API states it as the parameters' pattern.
DURATION_PATTERN = r"^[1-9][0-9]{0,3}[hdw]$"
_DURATION_RE = re.compile(DURATION_PATTERN)
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: str, field: str) -> timedelta:
    """``"7d"`` -> 7 days. Raises ``ValueError`` naming ``field``."""
    if not isinstance(value, str) or not _DURATION_RE.match(value.strip()):
        raise ValueError(f"{field}: {value!r} is not a duration like 12h, 1d, 28d or 2w (1 to 9999 of h, d or w)")
    value = value.strip()
    return timedelta(**{_UNITS[value[-1]]: int(value[:-1])})


def _before(end: datetime, delta: timedelta) -> datetime:
    try:
        return max(end - delta, EARLIEST)
    except OverflowError:  # reaches before year 1: nothing can be older than the calendar
        return EARLIEST


def emerging_windows(
    window: str = "1d", baseline: str = "28d", until: datetime | None = None
) -> tuple[datetime, datetime, datetime, datetime]:
    """``(current_since, current_until, baseline_since, baseline_until)``.

    The baseline is the period right before the current window, so "what
    rose today" is compared with the four weeks before today. Windows that
    would reach before year 1 stop there (they may then be empty: see
    :func:`windows_empty`).
    """
    end = clamp_utc(until or datetime.now(UTC))
    current = parse_duration(window, "window")
    base = parse_duration(baseline, "baseline")
    start = _before(end, current)
    return start, end, _before(start, base), start


def windows_empty(windows: tuple[datetime, datetime, datetime, datetime]) -> bool:
    """True when a window has no time in it (``until`` at the start of the calendar): nothing can rise."""
    cs, cu, bs, bu = windows
    return cs >= cu or bs >= bu

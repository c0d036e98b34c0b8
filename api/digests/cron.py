"""Five-field cron expressions in a subscription's time zone, evaluated by cronsim.

For schedules that daily/weekly cannot say: ``0 9 * * 1-5`` (weekdays at
09:00), ``0 8,17 * * *`` (twice a day), ``30 9 1 * *`` (monthly), ``0 9 L * *``
(the last day of the month). cronsim follows Debian's cron: ``*``, numbers,
ranges, lists and steps, month and weekday names, 0 or 7 for Sunday; when
day of month and day of week are both restricted (neither starts with ``*``)
a day matching either fires; a fire time skipped by the spring DST change
fires at the first minute after the gap, and one repeated in autumn fires
once. It adds ``L``/``LW`` (last day / weekday of the month), ``5L`` (last
Friday) and ``mon#2`` (second Monday).

This module keeps what cronsim leaves to us: exactly five fields (cronsim
would read a sixth as seconds), errors that quote the bad field and what it
allows, fire times in UTC for a time-zone name, and a day that none of the
named months has (``0 9 30 2 *``) accepted as before, never firing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

#: cronsim's field names (in its "Bad <field>" errors) -> ours, and what each field allows.
_FIELDS = {
    "minute": ("minute", "0-59"),
    "hour": ("hour", "0-23"),
    "day-of-month": ("day of month", "1-31, L (last day), LW (last weekday)"),
    "month": ("month", "1-12, jan-dec"),
    "day-of-week": ("day of week", "0-7 (0 and 7 = Sunday), sun-sat, 5L (last Friday), mon#2 (second Monday)"),
}
_ANY_TIME = datetime(2000, 1, 1)  # validation needs a start time; any will do


class CronError(ValueError):
    """A cron expression that cannot be used; the message names the field."""


def validate(expr: str) -> str:
    """Check a five-field expression; returns it with single spaces.

    Raises:
        CronError: naming the bad field, e.g. ``hour field: '25' is not valid: use 0-23, *, a-b, a,b or */n``.

    Example:
        >>> validate("0  9 * *  mon-fri")
        '0 9 * * mon-fri'
    """
    parts = expr.split()
    if len(parts) != 5:
        raise CronError(f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}")
    try:
        CronSim(expr, _ANY_TIME)
    except CronSimError as exc:
        field = str(exc).removeprefix("Bad ")
        if not (field == "day-of-month" and _never_fires(parts)):
            raise CronError(_explain(field, parts, str(exc))) from None
    return " ".join(parts)


def _never_fires(parts: list[str]) -> bool:
    """A day that none of the months has (``30 2``): cronsim refuses it; stored subscriptions may hold one.

    Such an expression was valid before cronsim and must still load: it just never fires.
    """
    try:
        CronSim(" ".join(parts[:3] + ["*"] + parts[4:]), _ANY_TIME)
    except CronSimError:
        return False
    return True


def _explain(field: str, parts: list[str], message: str) -> str:
    """cronsim's ``Bad hour`` as ``hour field: '25' is not valid: use 0-23, ...``."""
    if field not in _FIELDS:
        return message
    name, allowed = _FIELDS[field]
    token = parts[list(_FIELDS).index(field)]
    return f"{name} field: {token!r} is not valid: use {allowed}, *, a-b, a,b or */n"


def previous_fire(expr: str, tz: str, now: datetime) -> datetime | None:
    """The latest fire time at or before ``now`` (UTC); None when there is none in 50 years or in the calendar."""
    try:
        # cronsim looks strictly before its start, in whole seconds: start one second after now's second
        start = (now.replace(microsecond=0) + timedelta(seconds=1)).astimezone(ZoneInfo(tz))
        return next(CronSim(expr, start, reverse=True)).astimezone(UTC)
    # StopIteration: none in 50 years; OverflowError: off the calendar; CronSimError: a day no month has
    except (StopIteration, OverflowError, CronSimError):
        return None


def next_fire(expr: str, tz: str, now: datetime) -> datetime | None:
    """The first fire time strictly after ``now`` (UTC); None when there is none in 50 years or in the calendar."""
    try:
        return next(CronSim(expr, now.astimezone(ZoneInfo(tz)))).astimezone(UTC)
    except (StopIteration, OverflowError, CronSimError):
        return None


__all__ = ["CronError", "next_fire", "previous_fire", "validate"]

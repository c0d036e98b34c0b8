"""Five-field cron expressions (minute hour day-of-month month day-of-week) in a time zone.

For schedules that daily/weekly cannot say: ``0 9 * * 1-5`` (weekdays at
09:00), ``0 8,17 * * *`` (twice a day), ``30 9 1 * *`` (monthly). Supported:
``*``, numbers, ranges ``a-b``, lists ``a,b``, steps ``*/n`` and ``a-b/n``,
weekday names ``mon``-``sun`` and 0 or 7 for Sunday. As in classic cron, when
both day-of-month and day-of-week are restricted a day matching either fires.
Times are local to the subscription's time zone; a fire time skipped by a DST
change resolves like the daily schedule (an hour later on the wall clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))
_DAY_NAMES = {n: i for i, n in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
#: Furthest a search for the previous or next fire time looks (covers "29 Feb" and "every 4 years" edge cases).
_HORIZON_DAYS = 366 * 5


class CronError(ValueError):
    """A cron expression that cannot be parsed; the message names the field."""


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    def day_matches(self, d: date) -> bool:
        if d.month not in self.months:
            return False
        dom, dow = d.day in self.days, (d.weekday() + 1) % 7 in self.weekdays
        if self.any_day and self.any_weekday:
            return True
        if self.any_day:
            return dow
        if self.any_weekday:
            return dom
        return dom or dow


def _value(token: str, name: str, lo: int, hi: int) -> int:
    if name == "day of week" and token.lower() in _DAY_NAMES:
        return _DAY_NAMES[token.lower()]
    if not token.isdigit():
        raise CronError(f"{name} field: {token!r} is not a number")
    value = int(token)
    if not lo <= value <= hi:
        raise CronError(f"{name} field: {value} is outside {lo}-{hi}")
    return value


def _field(text: str, name: str, lo: int, hi: int) -> frozenset[int]:
    out: set[int] = set()
    for part in text.split(","):
        rng, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"{name} field: step {step_text!r} must be a positive number")
            step = int(step_text)
        if rng == "*":
            start, end = lo, hi
        elif "-" in rng:
            a, _, b = rng.partition("-")
            start, end = _value(a, name, lo, hi), _value(b, name, lo, hi)
            if start > end:
                raise CronError(f"{name} field: range {rng!r} runs backwards")
        else:
            start = _value(rng, name, lo, hi)
            end = hi if step_text else start
        out.update(range(start, end + 1, step))
    return frozenset(out)


def parse(expr: str) -> Cron:
    """Parse a five-field expression; raises :class:`CronError` naming the bad field.

    Example:
        >>> sorted(parse("0 9 * * mon-fri").weekdays)
        [1, 2, 3, 4, 5]
    """
    parts = expr.split()
    if len(parts) != 5:
        raise CronError(f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}")
    sets = [_field(p, name, lo, hi) for p, (name, lo, hi) in zip(parts, _FIELDS, strict=True)]
    weekdays = frozenset(d % 7 for d in sets[4])
    return Cron(sets[0], sets[1], sets[2], sets[3], weekdays, parts[2] == "*", parts[4] == "*")


def _fires_on(cron: Cron, d: date, zone: ZoneInfo) -> list[datetime]:
    if not cron.day_matches(d):
        return []
    return sorted(datetime.combine(d, time(h, m), tzinfo=zone).astimezone(UTC) for h in cron.hours for m in cron.minutes)


def previous_fire(cron: Cron, tz: str, now: datetime) -> datetime | None:
    """The latest fire time at or before ``now`` (UTC), or None within the search horizon."""
    zone = ZoneInfo(tz)
    day = now.astimezone(zone).date() + timedelta(days=1)  # DST can move a local time across midnight in UTC
    for _ in range(_HORIZON_DAYS):
        fires = [f for f in _fires_on(cron, day, zone) if f <= now]
        if fires:
            return fires[-1]
        if day == date.min:
            return None  # the calendar starts here: nothing fired before
        day -= timedelta(days=1)
    return None


def next_fire(cron: Cron, tz: str, now: datetime) -> datetime | None:
    """The first fire time strictly after ``now`` (UTC)."""
    zone = ZoneInfo(tz)
    day = now.astimezone(zone).date() - timedelta(days=1)
    for _ in range(_HORIZON_DAYS):
        fires = [f for f in _fires_on(cron, day, zone) if f > now]
        if fires:
            return fires[0]
        if day == date.max:
            return None  # the calendar ends here: nothing fires after
        day += timedelta(days=1)
    return None


__all__ = ["Cron", "CronError", "next_fire", "parse", "previous_fire"]

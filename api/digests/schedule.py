"""When digests are due and which period each covers, in the subscription's own time zone.

Semantics (docs/digests.md repeats them for users):

* A **daily** digest sent at ``hour`` on day D covers local day D-1, from
  local midnight to local midnight. A **weekly** digest sent on ``weekday``
  at ``hour`` covers the seven local days before that day's midnight (sent
  Monday 09:00 = last Monday 00:00 to this Monday 00:00).
* Periods are cut at local midnights, so across a DST change a day lasts 23
  or 25 hours and a week 167 or 169: the digest covers the user's calendar,
  not a fixed number of hours.
* A send time that does not exist locally (02:30 on the spring-forward
  night) resolves with the offset before the change, i.e. an hour later on
  the wall clock; an ambiguous one (autumn) takes its first occurrence.
* A **cron** schedule (``frequency="cron"``, e.g. ``0 9 * * 1-5``) sends at
  each fire time, and its digest covers the time since the previous fire
  time (Monday 09:00 covers Friday 09:00 to Monday 09:00).
* Only the latest due period is sent: a runner that was down for three days
  sends the newest digest, not three stale ones. A subscription's first
  digest is the first send time after it was created.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .cron import next_fire, previous_fire
from .schemas import WEEKDAYS


@dataclass(frozen=True)
class Period:
    """One digest period: ``[start, end)`` in UTC, sent at ``scheduled_at``."""

    key: str
    start: datetime
    end: datetime
    scheduled_at: datetime
    label: str

    @property
    def is_span(self) -> bool:
        """Cron periods run between fire times, not between local midnights."""
        return self.key.startswith("cron:")

    def previous(self, tz: str) -> Period:
        """The period of the same calendar length right before this one (for "vs previous")."""
        if self.is_span:
            span = self.end - self.start
            return Period(key=f"prev:{self.key}", start=self.start - span, end=self.start, scheduled_at=self.start,
                          label=span_label(self.start - span, self.start, tz))
        zone = ZoneInfo(tz)
        start_local = self.start.astimezone(zone).date()
        end_local = self.end.astimezone(zone).date()
        days = (end_local - start_local).days
        prev_start = start_local - timedelta(days=days)
        return Period(key=f"prev:{self.key}", start=local_midnight(prev_start, zone), end=self.start,
                      scheduled_at=self.start, label=_label(prev_start, days))


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _label(start: date, days: int) -> str:
    if days == 1:
        return start.strftime("%a %d %b %Y")
    return f"{start:%d %b} - {start + timedelta(days=days - 1):%d %b %Y}"


def period_ending(frequency: str, tz: str, send_day: date, hour: int) -> Period:
    """The period delivered on local ``send_day`` at ``hour``."""
    zone = ZoneInfo(tz)
    days = 1 if frequency == "daily" else 7
    start_day = send_day - timedelta(days=days)
    scheduled = datetime.combine(send_day, time(hour), tzinfo=zone).astimezone(UTC)
    return Period(key=f"{frequency}:{start_day.isoformat()}", start=local_midnight(start_day, zone),
                  end=local_midnight(send_day, zone), scheduled_at=scheduled, label=_label(start_day, days))


def latest_due(frequency: str, hour: int, weekday: str, tz: str, now: datetime) -> Period:
    """The newest period whose send time is at or before ``now``."""
    zone = ZoneInfo(tz)
    local_today = now.astimezone(zone).date()
    day = local_today
    if frequency == "weekly":
        day -= timedelta(days=(day.weekday() - WEEKDAYS.index(weekday)) % 7)
    period = period_ending(frequency, tz, day, hour)
    if period.scheduled_at > now:
        period = period_ending(frequency, tz, day - timedelta(days=1 if frequency == "daily" else 7), hour)
    return period


def span_label(start: datetime, end: datetime, tz: str) -> str:
    zone = ZoneInfo(tz)
    return f"{start.astimezone(zone):%d %b %H:%M} - {end.astimezone(zone):%d %b %Y %H:%M}"


def cron_period(expr: str, tz: str, now: datetime) -> Period | None:
    """The cron period whose fire time is the latest at or before ``now``."""
    fire = previous_fire(expr, tz, now)
    if fire is None:
        return None
    before = previous_fire(expr, tz, fire - timedelta(microseconds=1))
    start = before if before is not None else fire - timedelta(days=1)
    local = fire.astimezone(ZoneInfo(tz))
    return Period(key=f"cron:{local.replace(tzinfo=None).isoformat(timespec='minutes')}", start=start, end=fire,
                  scheduled_at=fire, label=span_label(start, fire, tz))


def due_period(sub, now: datetime) -> Period | None:
    """The latest due period of a subscription (any schedule kind)."""
    if sub.frequency == "cron":
        return cron_period(sub.cron, sub.tz, now)
    return latest_due(sub.frequency, sub.hour, sub.weekday, sub.tz, now)


def next_send_of(sub, now: datetime) -> datetime | None:
    """When the subscription's next digest goes out (UTC)."""
    if sub.frequency == "cron":
        return next_fire(sub.cron, sub.tz, now)
    return next_send(sub.frequency, sub.hour, sub.weekday, sub.tz, now)


def next_send(frequency: str, hour: int, weekday: str, tz: str, now: datetime) -> datetime:
    """When the next digest after ``now`` goes out (UTC); shown by the CLI and the API."""
    due = latest_due(frequency, hour, weekday, tz, now)
    step = 1 if frequency == "daily" else 7
    send_day = due.end.astimezone(ZoneInfo(tz)).date() + timedelta(days=step)
    return period_ending(frequency, tz, send_day, hour).scheduled_at


def alert_window(window: timedelta, tz: str, now: datetime) -> tuple[str, datetime]:
    """The fixed alert window containing ``now``: its key and its start (UTC).

    Windows are counted on the local wall clock from 2000-01-01, so a ``1d``
    window is a local calendar day and ``12h`` windows start at 00:00 and 12:00.
    """
    zone = ZoneInfo(tz)
    local = now.astimezone(zone).replace(tzinfo=None)
    epoch = datetime(2000, 1, 1)
    index = (local - epoch) // window
    start_local = epoch + index * window
    return f"alert:{start_local.isoformat(timespec='minutes')}", start_local.replace(tzinfo=zone).astimezone(UTC)


def idempotency_key(subscription_id: str, period_key: str) -> str:
    """Stable across retries, restarts and runners: the same (subscription, period) always gets the same key."""
    return hashlib.sha256(f"voclens-digest\x1f{subscription_id}\x1f{period_key}".encode()).hexdigest()[:40]


__all__ = ["Period", "alert_window", "cron_period", "due_period", "idempotency_key", "latest_due", "next_send",
           "next_send_of", "period_ending"]

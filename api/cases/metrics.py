"""Case metrics: time to first response, time to resolve, share within deadline, reopen rate, and per period.

Pure functions over cases (``schemas.Case``), so the API, the CLI and tests
compute them alike. Times are in hours. A case counts for a deadline once
it is decided: answered (in time or late) or past its due time unanswered;
a case still inside its deadline counts for neither side.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel

from .schemas import Case


class CaseMetrics(BaseModel):
    cases: int
    open: int
    first_response_h_median: float | None
    first_response_h_mean: float | None
    resolve_h_median: float | None
    resolve_h_mean: float | None
    first_response_within_deadline: float | None
    resolution_within_deadline: float | None
    reopen_rate: float | None


class MetricsBucket(CaseMetrics):
    start: datetime


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def _within(done: datetime | None, due: datetime, now: datetime) -> bool | None:
    if done is not None:
        return done <= due
    return False if now > due else None  # still in time: undecided


def _share(flags: list[bool | None]) -> float | None:
    decided = [f for f in flags if f is not None]
    return round(sum(decided) / len(decided), 4) if decided else None


def _stats(values: list[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return round(statistics.median(values), 2), round(statistics.fmean(values), 2)


def _resolved_at(case: Case) -> datetime | None:
    return case.resolved_at or case.closed_at


def metrics(cases: list[Case], now: datetime | None = None) -> CaseMetrics:
    """The metrics of ``cases`` at ``now``."""
    now = now or datetime.now(UTC)
    first = [_hours(c.opened_at, c.first_response_at) for c in cases if c.first_response_at]
    resolve = [_hours(c.opened_at, _resolved_at(c)) for c in cases if _resolved_at(c)]
    ever_done = [c for c in cases if _resolved_at(c) or c.reopen_count]
    (fr_med, fr_mean), (rs_med, rs_mean) = _stats(first), _stats(resolve)
    return CaseMetrics(
        cases=len(cases), open=sum(c.state in ("open", "in_progress") for c in cases),
        first_response_h_median=fr_med, first_response_h_mean=fr_mean,
        resolve_h_median=rs_med, resolve_h_mean=rs_mean,
        first_response_within_deadline=_share([_within(c.first_response_at, c.due_first_response, now) for c in cases]),
        resolution_within_deadline=_share([_within(_resolved_at(c), c.due_resolution, now) for c in cases]),
        reopen_rate=round(sum(c.reopen_count > 0 for c in ever_done) / len(ever_done), 4) if ever_done else None,
    )


def bucket_start(at: datetime, interval: Literal["day", "week"]) -> datetime:
    """The UTC day, or the week starting Monday, that ``at`` falls in."""
    day = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday()) if interval == "week" else day


def metrics_trend(cases: list[Case], interval: Literal["day", "week"], now: datetime | None = None) -> list[MetricsBucket]:
    """The metrics of the cases opened in each day or week, oldest first (periods without cases left out)."""
    groups: dict[datetime, list[Case]] = defaultdict(list)
    for case in cases:
        groups[bucket_start(case.opened_at, interval)].append(case)
    return [MetricsBucket(start=start, **metrics(groups[start], now).model_dump()) for start in sorted(groups)]


__all__ = ["CaseMetrics", "MetricsBucket", "bucket_start", "metrics", "metrics_trend"]

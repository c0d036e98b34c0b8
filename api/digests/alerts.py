"""Spike alerts: evaluate a subscription's rule now, and describe what fired.

The rule looks at a sliding window (the last ``window`` before now) so a
spike is caught within one poll, while "at most once per window" counts
fixed windows (``schedule.alert_window``: local calendar days for ``1d``):
the first run that sees the threshold crossed in a window creates that
window's delivery row, and the unique (subscription, period) constraint
makes every later crossing in the same window a no-op.
"""

from __future__ import annotations

from datetime import datetime

from index.base import Backend, EmergingQuery
from nlp.labels import Polarity

from ..windows import parse_duration
from .content import AlertInfo
from .schemas import Subscription


def evaluate(backend: Backend, sub: Subscription, now: datetime) -> AlertInfo | None:
    """The alert to send when ``sub``'s rule is crossed at ``now``, else None."""
    rule = sub.alert
    if rule is None:
        return None
    window = parse_duration(rule.window, "window")
    start = now - window
    if rule.kind == "volume":
        value = backend.count(sub.q, sub.filters.model_copy(update={"since": start, "until": now}))
        if value < rule.threshold:
            return None
        return AlertInfo(kind="volume", threshold=rule.threshold, value=value, window=rule.window,
                         window_start=start, window_end=now)
    baseline = parse_duration(rule.baseline, "baseline")
    items = backend.emerging_topics(EmergingQuery(
        q=sub.q, filters=sub.filters, current_since=start, current_until=now, baseline_since=start - baseline,
        baseline_until=start, polarity=Polarity.negative, min_count=rule.min_count, limit=1))
    if not items or items[0].score < rule.threshold:
        return None
    return AlertInfo(kind="emerging", threshold=rule.threshold, value=round(items[0].score, 3), item=items[0].key,
                     window=rule.window, window_start=start, window_end=now)


__all__ = ["evaluate"]

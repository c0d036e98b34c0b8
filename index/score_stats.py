"""Score figures from counts: estimates with intervals, changes between periods, key drivers.

Pure functions over what the backends count (``index.scoring`` says what each metric means), so
SQLite and Elasticsearch give the same figures for the same documents.

* NPS: %promoters - %detractors, a normal interval with the trinomial variance
  ``(p + d - (p - d)^2) / n`` (p, d: promoter and detractor shares).
* Top-2-box shares (CSAT): the Wilson score interval, right for small n and shares near 0 or 1.
* Means (CES, ratings, named scores): the Student t interval.
* A change between consecutive buckets: a z test on the NPS difference (variances added), the
  two-proportion z test for shares, Welch's t test for means; marked only below ``1 - CONFIDENCE``.
"""

from __future__ import annotations

import math
from functools import lru_cache
import numpy as np
from scipy import stats

from .scoring import CONFIDENCE, Estimate, Metric

#: (responses, sum, sum of squares, at or above top, at or below bottom) of the raw scores
Counts = tuple[float, float, float, float, float]
EMPTY: Counts = (0, 0.0, 0.0, 0, 0)
_ALPHA = 1 - CONFIDENCE
_Z = float(stats.norm.ppf(1 - _ALPHA / 2))
_DIGITS = 6  # figures are rounded, so the two backends' float sums compare equal


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), _DIGITS)


def add(a: Counts, b: Counts) -> Counts:
    return tuple(x + y for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def value_and_se(metric: Metric, c: Counts) -> tuple[float | None, float | None]:
    """The metric over counts ``c`` and its standard error (None when undefined)."""
    n, total, squares, top, bottom = c
    if not n:
        return None, None
    if metric.kind == "nps":
        p, d = top / n, bottom / n
        return 100 * (p - d), 100 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)
    if metric.kind == "top2":
        p = top / n
        return 100 * p, 100 * math.sqrt(p * (1 - p) / n)
    mean = total / n
    if n < 2:
        return mean, None
    return mean, math.sqrt(_variance(c) / n)


@lru_cache(maxsize=4096)
def _t_quantile(dof: int) -> float:
    return float(stats.t.ppf(1 - _ALPHA / 2, dof))


def _variance(c: Counts) -> float:
    n, total, squares = c[0], c[1], c[2]
    return max((squares - total * total / n) / (n - 1), 0.0)


def estimate(metric: Metric, c: Counts) -> Estimate:
    """The metric over counts ``c`` with its interval (see the module docstring for the method)."""
    n = int(c[0])
    value, se = value_and_se(metric, c)
    if value is None:
        return Estimate(responses=0, value=None)
    low = high = None
    if metric.kind == "top2":
        p, z2 = c[3] / n, _Z * _Z
        centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        half = _Z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
        low, high = 100 * max(centre - half, 0.0), 100 * min(centre + half, 1.0)
    elif metric.kind == "nps" and n >= 2:
        low, high = max(value - _Z * se, -100.0), min(value + _Z * se, 100.0)
    elif metric.kind == "mean" and se is not None:
        t = _t_quantile(n - 1)
        low, high = value - t * se, value + t * se
        if metric.scale is not None:
            low, high = max(low, metric.scale[0]), min(high, metric.scale[1])
    return Estimate(responses=n, value=_r(value), low=_r(low), high=_r(high))


def change_p_value(metric: Metric, before: Counts, after: Counts) -> float | None:
    """Two-sided p-value of the change from ``before`` to ``after``; None when it cannot be tested."""
    n1, n2 = before[0], after[0]
    if n1 < 2 or n2 < 2:
        return None
    if metric.kind == "top2":
        pooled = (before[3] + after[3]) / (n1 + n2)
        se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        diff = after[3] / n2 - before[3] / n1
    elif metric.kind == "nps":
        (v1, s1), (v2, s2) = value_and_se(metric, before), value_and_se(metric, after)
        se, diff = math.hypot(s1, s2), v2 - v1
    else:
        m1, m2 = before[1] / n1, after[1] / n2
        v1, v2 = _variance(before), _variance(after)
        if v1 == 0 and v2 == 0:
            return 1.0 if m1 == m2 else 0.0
        return float(stats.ttest_ind_from_stats(m2, math.sqrt(v2), n2, m1, math.sqrt(v1), n1, equal_var=False).pvalue)
    if se == 0:
        return 1.0 if diff == 0 else 0.0
    return math.erfc(abs(diff) / se / math.sqrt(2))  # two-sided normal tail, without scipy's per-call overhead


def significant(p_value: float | None) -> bool:
    return p_value is not None and p_value < _ALPHA


def counts_of(metric: Metric, scores: np.ndarray) -> Counts:
    """Counts of raw scores (for tests and drivers)."""
    top = int((scores >= metric.top).sum()) if metric.top is not None else 0
    bottom = int((scores <= metric.bottom).sum()) if metric.bottom is not None else 0
    return (len(scores), float(scores.sum()), float((scores * scores).sum()), top, bottom)


__all__ = ["EMPTY", "Counts", "add", "change_p_value", "counts_of", "estimate", "significant", "value_and_se"]

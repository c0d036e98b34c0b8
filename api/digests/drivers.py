"""The digest's "what cost you the most points" section: key drivers of the period's score.

NPS when the period has survey answers with an NPS, else star ratings; only topics that cost
points (a positive impact whose interval lies above zero, so noise is not reported as a
cause), at most ``TOP_DRIVERS``. Built from ``Backend.drivers`` like the rest of the digest.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from index.base import Backend, Filters
from index.scoring import DriverQuery, Estimate

#: Drivers shown, and the fewest responses a topic needs in the period to be one.
TOP_DRIVERS = 3
MIN_RESPONSES = 3
#: Scores tried in order: the first with responses in the period is explained.
METRICS = ("nps", "rating")


class CostlyTopic(BaseModel):
    topic: str
    polarity: str
    share: float
    impact: float = Field(description="Points the score would gain if these responses scored like the rest.")
    impact_low: float | None
    impact_high: float | None


class ScoreDrivers(BaseModel):
    metric: str
    unit: str
    overall: Estimate
    topics: list[CostlyTopic]


def score_drivers(backend: Backend, q: str, filters: Filters) -> ScoreDrivers | None:
    """The section for responses matching ``q`` and ``filters`` (the period's window); None without scores."""
    for metric in METRICS:
        result = backend.drivers(DriverQuery(metric=metric, q=q, filters=filters, min_count=MIN_RESPONSES, limit=50))
        if not result.overall.responses:
            continue
        costly = [CostlyTopic(topic=d.topic, polarity=d.polarity.value, share=d.share, impact=d.impact,
                              impact_low=d.impact_low, impact_high=d.impact_high)
                  for d in result.drivers if d.impact > 0 and d.impact_low is not None and d.impact_low > 0]
        return ScoreDrivers(metric=metric, unit=result.unit, overall=result.overall, topics=costly[:TOP_DRIVERS])
    return None


def driver_lines(section: ScoreDrivers | None) -> list[str]:
    """The section as plain lines, shared by the text, HTML and chat renderers."""
    if section is None:
        return []
    o, digits = section.overall, 2 if section.metric == "rating" else 1
    lines = [f"What cost you the most points: {section.metric} {o.value:.{digits}f} over {o.responses} responses"]
    if not section.topics:
        return lines + ["  no topic cost points beyond chance this period"]
    for t in section.topics:
        interval = f" ({t.impact_low:.{digits + 1}f} to {t.impact_high:.{digits + 1}f})" if t.impact_high is not None else ""
        lines.append(f"  - {t.topic} ({t.polarity}, {t.share:.0%} of responses): "
                     f"-{t.impact:.{digits + 1}f} {section.unit}{interval}")
    return lines


__all__ = ["CostlyTopic", "ScoreDrivers", "driver_lines", "score_drivers"]

"""A digest as an e-mail: a plain-text part, an HTML part and the trend chart as an inline (CID) image.

The Message-ID is derived from the delivery's idempotency key, so a digest
sent again after a crash carries the same Message-ID as the first copy
(mail clients that thread or de-duplicate by it show one message). SMTP
itself has no receiver-side de-duplication beyond that; docs/digests.md says so.
"""

from __future__ import annotations

import html
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from .chart import trend_png
from .content import Digest
from .drivers import driver_lines

CHART_CID = "trend-chart@voclens"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _delta(cur: int, prev: int) -> str:
    if prev == 0:
        return "new" if cur else "0"
    change = (cur - prev) / prev
    return f"{change:+.0%}"


def _share_delta(cur: float | None, prev: float | None) -> str:
    if cur is None or prev is None:
        return ""
    return f" ({(cur - prev) * 100:+.0f} pts)"


def subject(d: Digest) -> str:
    if d.alert:
        what = f"{d.alert.item} complaints spiking" if d.alert.item else f"{d.alert.value:.0f} mentions"
        return f"[voclens alert] {d.name}: {what}"
    return f"[voclens] {d.name}: {d.period_label}"


def headline(d: Digest) -> list[str]:
    """The few lines every format starts with."""
    lines = []
    if d.alert:
        a = d.alert
        if a.kind == "emerging":
            lines.append(f"Alert: '{a.item}' complaints are rising (G² {a.value:.1f} >= {a.threshold:g}) "
                         f"in the last {a.window}.")
        else:
            lines.append(f"Alert: {a.value:.0f} matching items in the last {a.window} (threshold {a.threshold:g}).")
    lines.append(f"Query: {d.query}")
    lines.append(f"Period: {d.period_label} ({d.tz})")
    lines.append(f"Volume: {d.volume} ({_delta(d.volume, d.previous_volume)} vs {d.previous_volume} the period before)")
    lines.append(f"Negative share: {_pct(d.negative_share)}{_share_delta(d.negative_share, d.previous_negative_share)}"
                 f" ({d.negative} negative)")
    return lines


def render_text(d: Digest) -> str:
    """The plain-text part (also what chat formats fall back to)."""
    out = [subject(d), "", *headline(d), ""]
    if d.top_topics:
        out.append("Top complaint topics:")
        for t in d.top_topics:
            out.append(f"  - {t.topic}: {t.count} ({t.change:+d} vs previous period)")
            for ex in t.examples:
                out.append(f"      \"{ex.text}\" ({ex.source}, {ex.created_at:%Y-%m-%d})" + (f" {ex.url}" if ex.url else ""))
        out.append("")
    else:
        out += ["No complaints in this period.", ""]
    if d.score_drivers is not None:
        out += [*driver_lines(d.score_drivers), ""]
    if d.emerging_topics or d.emerging_keywords:
        out.append("Emerging: " + ", ".join(
            [f"{e.key} ({e.current} vs {e.expected:.1f} expected)" for e in d.emerging_topics + d.emerging_keywords]))
        out.append("")
    trend = ", ".join(f"{p.start.astimezone(ZoneInfo(d.tz)):%m-%d} {p.volume}/{p.negative}" for p in d.trend)
    out.append(f"Trend per {d.trend_interval} (volume/negative): {trend}")
    if d.link:
        out.append(f"More: {d.link}")
    return "\n".join(out) + "\n"


def render_html(d: Digest, *, chart_src: str = f"cid:{CHART_CID}") -> str:
    """The HTML part; inline styles only, since mail clients drop <style> blocks."""
    e = html.escape
    rows = []
    for t in d.top_topics:
        quotes = "".join(
            f'<li style="margin:4px 0;color:#333">&ldquo;{e(ex.text)}&rdquo; <span style="color:#888">'
            f'({e(ex.source)}, {ex.created_at:%Y-%m-%d})</span>'
            + (f' <a href="{e(ex.url)}">open</a>' if ex.url else "") + "</li>"
            for ex in t.examples)
        color = "#c0392b" if t.change > 0 else "#27ae60" if t.change < 0 else "#555"
        rows.append(f'<tr><td style="padding:6px 8px;vertical-align:top"><b>{e(t.topic)}</b></td>'
                    f'<td style="padding:6px 8px;vertical-align:top;text-align:right">{t.count}</td>'
                    f'<td style="padding:6px 8px;vertical-align:top;text-align:right;color:{color}">{t.change:+d}</td>'
                    f'<td style="padding:6px 8px"><ul style="margin:0;padding-left:18px">{quotes}</ul></td></tr>')
    table = ('<table style="border-collapse:collapse;width:100%"><tr style="background:#f4f4f4">'
             '<th align="left">Topic</th><th>Complaints</th><th>Change</th><th align="left">Examples</th></tr>'
             + "".join(rows) + "</table>") if rows else "<p>No complaints in this period.</p>"
    emerging = ""
    if d.emerging_topics or d.emerging_keywords:
        items = "".join(f"<li>{e(x.key)}: {x.current} (expected {x.expected:.1f})</li>"
                        for x in d.emerging_topics + d.emerging_keywords)
        emerging = f"<h3>Emerging topics and keywords</h3><ul>{items}</ul>"
    drivers = ""
    if d.score_drivers is not None:
        first, *rest = driver_lines(d.score_drivers)
        drivers = f"<h3>{e(first)}</h3><ul>" + "".join(f"<li>{e(x.strip().removeprefix('- '))}</li>" for x in rest) + "</ul>"
    head = "".join(f"<p style=\"margin:2px 0\">{e(line)}</p>" for line in headline(d))
    more = f'<p><a href="{e(d.link)}">Open voclens</a></p>' if d.link else ""
    return (f'<!doctype html><html><body style="font-family:Arial,Helvetica,sans-serif;max-width:720px">'
            f"<h2>{e(subject(d))}</h2>{head}"
            f'<p><img src="{e(chart_src)}" alt="volume (blue) and negative (red) per {d.trend_interval}" '
            f'width="480" height="140"></p><h3>Top complaint topics</h3>{table}{drivers}{emerging}{more}'
            f'<p style="color:#999;font-size:12px">Sent by voclens for subscription {e(d.subscription_id)}.</p>'
            f"</body></html>")


def chart_bytes(d: Digest) -> bytes:
    return trend_png([(p.volume, p.negative) for p in d.trend])


def build_email(d: Digest, *, sender: str, recipients: list[str], idempotency_key: str) -> EmailMessage:
    """A multipart/alternative message whose HTML part is multipart/related with the chart."""
    from datetime import UTC, datetime

    msg = EmailMessage()
    msg["Subject"] = subject(d)
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(datetime.now(UTC))
    domain = sender.rpartition("@")[2] or "voclens"
    msg["Message-ID"] = f"<{idempotency_key}@{domain}>"
    msg["X-Voclens-Idempotency-Key"] = idempotency_key
    msg["X-Voclens-Subscription"] = d.subscription_id
    msg.set_content(render_text(d))
    msg.add_alternative(render_html(d), subtype="html")
    html_part = msg.get_payload()[1]
    html_part.add_related(chart_bytes(d), maintype="image", subtype="png", cid=f"<{CHART_CID}>",
                          filename="trend.png", disposition="inline")
    return msg


__all__ = ["CHART_CID", "build_email", "chart_bytes", "headline", "render_html", "render_text", "subject"]

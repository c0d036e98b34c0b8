"""Dates as pages write them, read with ``dateparser``: absolute and relative, Chinese, English and more.

Sites write dates for people, not programs: Weibo ``06-27``, ``15小时前``,
``刚刚``, ``昨天 12:25``; Amazon ``16 July 2022``, ``July 16, 2022``,
``14 novembre 2018``, ``2022年7月16日``, behind a prefix such as "Reviewed in
the United Kingdom on". ``dateparser`` knows these forms in some 200 locales
and resolves relative ones against a reference time, so the spiders hand it
the text and two facts only the page knows: its time zone and *when it was
served* (the response's ``Date`` header). Relative dates resolved against the
crawl's clock would drift when a captured page is replayed, and against
nothing at all they cannot be read.

Own code stays only where ``dateparser`` is not the right tool: the machine
formats (ISO 8601, epoch seconds, Twitter-style ``Sat Nov 21 10:15:00 +0800
2026``) are read exactly by the standard library first, because a heuristic
parser may read ``2019-11-10`` day-first under a European locale; and the
site's own prefixes are cut by the spider, because no parser can know that
"Reviewed in the United Kingdom on" is noise.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo

import dateparser

#: Languages tried when a spider does not say: the sites voclens crawls write these.
DEFAULT_LANGUAGES = ("zh", "en", "de", "fr", "it", "es", "ja")
_MACHINE_FORMATS = ("%a %b %d %H:%M:%S %z %Y",)  # Weibo and Twitter APIs
_ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")


def response_time(headers: Any) -> datetime | None:
    """The ``Date`` header of a response (Scrapy headers or a mapping), as an aware UTC datetime."""
    raw = headers.get(b"Date") if hasattr(headers, "getlist") else (headers or {}).get("Date")
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    if not raw:
        return None
    try:
        return parsedate_to_datetime(raw).astimezone(UTC)
    except (TypeError, ValueError, IndexError):
        return None


def _machine(text: str, zone: ZoneInfo) -> datetime | None:
    if _ISO_RE.match(text):
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return dt if dt.tzinfo else dt.replace(tzinfo=zone)
    for fmt in _MACHINE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def page_date(value: Any, *, tz: str = "UTC", now: datetime | None = None,
              languages: tuple[str, ...] | None = DEFAULT_LANGUAGES) -> datetime | None:
    """A date the page wrote, as an aware datetime; None when it is not a date.

    Args:
        value: the text as written (``"15小时前"``, ``"16 July 2022"``), or a datetime.
        tz: the page's time zone, for dates written without one.
        now: when the page was served (``response_time``); relative dates
            (``刚刚``, ``昨天 12:25``, ``3 days ago``) count back from it, and
            dates without a year (``06-27``) take the latest year that is not
            in its future. Defaults to the current time.
        languages: dateparser language codes to try (None: detect).
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(tz))
    if not isinstance(value, str) or not value.strip():
        return None
    text = " ".join(value.split())
    zone = ZoneInfo(tz)
    exact = _machine(text, zone)
    if exact is not None:
        return exact
    base = (now or datetime.now(UTC)).astimezone(zone).replace(tzinfo=None)
    settings = {"TIMEZONE": tz, "RETURN_AS_TIMEZONE_AWARE": True, "RELATIVE_BASE": base,
                "PREFER_DATES_FROM": "past", "DATE_ORDER": "YMD" if re.match(r"^\d{4}", text) else "DMY"}
    if re.fullmatch(r"\d{1,2}-\d{1,2}", text):  # Weibo's month-day of the current year
        settings["DATE_ORDER"] = "MDY"
    parsed = dateparser.parse(text, languages=list(languages) if languages else None, settings=settings)
    if parsed is None and languages:
        parsed = dateparser.parse(text, settings=settings)
    return parsed


def iso_date(value: Any, **kwargs: Any) -> Any:
    """``page_date`` as ISO 8601 text for an item; what cannot be read passes on unchanged to validation."""
    parsed = page_date(value, **kwargs)
    return parsed.isoformat() if parsed is not None else value

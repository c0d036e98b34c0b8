"""Periods and send times in the subscription's time zone, DST included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.digests.schedule import alert_window, idempotency_key, latest_due, next_send, period_ending


def test_weekly_digest_covers_the_seven_local_days_before_the_send_day():
    # Monday 2026-11-23 02:00 UTC = 10:00 in Shanghai: the Monday-09:00 digest is due.
    p = latest_due("weekly", 9, "mon", "Asia/Shanghai", datetime(2026, 11, 23, 2, tzinfo=UTC))
    assert p.key == "weekly:2026-11-16"
    assert p.start == datetime(2026, 11, 15, 16, tzinfo=UTC)  # Mon 16 Nov 00:00 +08:00
    assert p.end == datetime(2026, 11, 22, 16, tzinfo=UTC)
    assert p.scheduled_at == datetime(2026, 11, 23, 1, tzinfo=UTC)
    prev = p.previous("Asia/Shanghai")
    assert (prev.start, prev.end) == (datetime(2026, 11, 8, 16, tzinfo=UTC), p.start)


def test_before_the_send_hour_the_previous_period_is_the_latest_due():
    # 08:59 Shanghai on Monday: this week's digest is not due yet, last week's is.
    p = latest_due("weekly", 9, "mon", "Asia/Shanghai", datetime(2026, 11, 23, 0, 59, tzinfo=UTC))
    assert p.key == "weekly:2026-11-09"
    d = latest_due("daily", 9, "mon", "Asia/Shanghai", datetime(2026, 11, 23, 0, 59, tzinfo=UTC))
    assert d.key == "daily:2026-11-21"


def test_next_send_is_after_now():
    now = datetime(2026, 11, 23, 2, tzinfo=UTC)
    assert next_send("weekly", 9, "mon", "Asia/Shanghai", now) == datetime(2026, 11, 30, 1, tzinfo=UTC)
    assert next_send("daily", 9, "mon", "Asia/Shanghai", now) == datetime(2026, 11, 24, 1, tzinfo=UTC)


def test_dst_days_last_23_and_25_hours_and_weeks_follow_the_calendar():
    spring = period_ending("daily", "Europe/Berlin", datetime(2026, 3, 30).date(), 9)  # covers Sun 29 March
    assert spring.end - spring.start == timedelta(hours=23)
    autumn = period_ending("daily", "Europe/Berlin", datetime(2026, 10, 26).date(), 9)  # covers Sun 25 October
    assert autumn.end - autumn.start == timedelta(hours=25)
    week = period_ending("weekly", "America/New_York", datetime(2026, 3, 9).date(), 9)  # DST began 8 March
    assert week.end - week.start == timedelta(hours=167)
    # The send hour is local: 09:00 Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
    assert spring.scheduled_at == datetime(2026, 3, 30, 7, tzinfo=UTC)
    assert period_ending("daily", "Europe/Berlin", datetime(2026, 3, 28).date(), 9).scheduled_at == \
        datetime(2026, 3, 28, 8, tzinfo=UTC)


def test_a_send_time_skipped_by_dst_goes_out_an_hour_later():
    # 02:00 does not exist in Berlin on 29 March 2026; it resolves with the winter offset (= 03:00 CEST).
    p = period_ending("daily", "Europe/Berlin", datetime(2026, 3, 29).date(), 2)
    assert p.scheduled_at == datetime(2026, 3, 29, 1, tzinfo=UTC)


def test_alert_windows_are_local_calendar_days_and_keys_are_stable():
    key, start = alert_window(timedelta(days=1), "Asia/Shanghai", datetime(2026, 11, 23, 2, tzinfo=UTC))
    assert key == "alert:2026-11-23T00:00" and start == datetime(2026, 11, 22, 16, tzinfo=UTC)
    key2, _ = alert_window(timedelta(days=1), "Asia/Shanghai", datetime(2026, 11, 23, 15, 59, tzinfo=UTC))
    assert key2 == key
    half, _ = alert_window(timedelta(hours=12), "UTC", datetime(2026, 11, 23, 13, tzinfo=UTC))
    assert half == "alert:2026-11-23T12:00"
    assert idempotency_key("s1", key) == idempotency_key("s1", key) != idempotency_key("s2", key)

"""Periods and send times in the subscription's time zone, DST included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

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


def test_cron_fire_times_in_the_subscriptions_time_zone():
    from api.digests.cron import next_fire, previous_fire

    # Monday 23 Nov 2026 02:00 UTC = 10:00 Shanghai: fired at 09:00 local today; next is Tuesday.
    now = datetime(2026, 11, 23, 2, tzinfo=UTC)
    assert previous_fire("0 9 * * mon-fri", "Asia/Shanghai", now) == datetime(2026, 11, 23, 1, tzinfo=UTC)
    assert next_fire("0 9 * * mon-fri", "Asia/Shanghai", now) == datetime(2026, 11, 24, 1, tzinfo=UTC)
    # Monday before 09:00: the previous fire is Friday.
    assert previous_fire("0 9 * * mon-fri", "Asia/Shanghai", datetime(2026, 11, 23, 0, tzinfo=UTC)) == \
        datetime(2026, 11, 20, 1, tzinfo=UTC)
    # previous is "at or before", next is "strictly after", to the microsecond
    fire = datetime(2026, 11, 23, 1, tzinfo=UTC)
    assert previous_fire("0 9 * * *", "Asia/Shanghai", fire) == fire
    assert previous_fire("0 9 * * *", "Asia/Shanghai", fire - timedelta(microseconds=1)) == fire - timedelta(days=1)
    assert next_fire("0 9 * * *", "Asia/Shanghai", fire) == fire + timedelta(days=1)
    assert next_fire("0 9 * * *", "Asia/Shanghai", fire - timedelta(microseconds=1)) == fire
    assert next_fire("*/15 8,17 * * *", "UTC", datetime(2026, 11, 23, 8, 20, tzinfo=UTC)) == \
        datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    assert next_fire("0 0 * * 7", "UTC", now) == datetime(2026, 11, 29, tzinfo=UTC)  # 7 is Sunday too
    assert next_fire("0 9 L * *", "UTC", now) == datetime(2026, 11, 30, 9, tzinfo=UTC)  # last day of the month


def test_cron_day_of_month_or_day_of_week_as_in_debian_cron():
    from api.digests.cron import next_fire

    # both restricted: a day matching either fires (Friday 20 Nov, then the 13th of December)
    fires = [datetime(2026, 11, 19, tzinfo=UTC)]
    for _ in range(4):
        fires.append(next_fire("0 0 13 * fri", "UTC", fires[-1]))
    assert [f.day for f in fires[1:]] == [20, 27, 4, 11]
    assert next_fire("0 0 13 * fri", "UTC", datetime(2026, 12, 12, tzinfo=UTC)).day == 13
    # a field starting with * makes both conditions hold: odd days that are also Fridays
    assert next_fire("0 0 */2 * fri", "UTC", datetime(2026, 11, 19, tzinfo=UTC)) == datetime(2026, 11, 27, tzinfo=UTC)


def test_cron_across_dst_changes():
    from api.digests.cron import next_fire, previous_fire

    # 02:30 does not exist in Berlin on 29 March 2026: it fires at the first minute after the gap (03:00 CEST).
    assert next_fire("30 2 * * *", "Europe/Berlin", datetime(2026, 3, 28, 12, tzinfo=UTC)) == \
        datetime(2026, 3, 29, 1, tzinfo=UTC)
    # 02:30 happens twice on 25 October 2026: it fires once, at the first (CEST, 00:30 UTC).
    first = next_fire("30 2 * * *", "Europe/Berlin", datetime(2026, 10, 24, 12, tzinfo=UTC))
    assert first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert next_fire("30 2 * * *", "Europe/Berlin", first) == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)
    assert previous_fire("30 2 * * *", "Europe/Berlin", datetime(2026, 10, 25, 1, 45, tzinfo=UTC)) == first
    # every 30 minutes keeps its rhythm in UTC through the repeated hour
    t, seen = datetime(2026, 10, 24, 23, 50, tzinfo=UTC), []
    for _ in range(6):
        t = next_fire("*/30 * * * *", "Europe/Berlin", t)
        seen.append(t)
    assert all(b - a == timedelta(minutes=30) for a, b in zip(seen, seen[1:], strict=False))


def test_cron_that_never_fires_within_the_calendar_has_no_fire_time():
    from api.digests.cron import next_fire, previous_fire, validate

    # 30 February: valid (stored subscriptions may hold it), it just never fires
    assert validate("0 9 30 2 *") == "0 9 30 2 *"
    now = datetime(2026, 11, 23, tzinfo=UTC)
    assert previous_fire("0 9 30 2 *", "UTC", now) is None and next_fire("0 9 30 2 *", "UTC", now) is None

    assert previous_fire("0 9 29 2 *", "Pacific/Kiritimati", datetime(2, 1, 1, tzinfo=UTC)) is None
    assert next_fire("0 0 * * *", "UTC", datetime(9999, 12, 31, 12, tzinfo=UTC)) is None
    assert previous_fire("0 0 * * *", "Pacific/Kiritimati", datetime(1, 1, 1, tzinfo=UTC)) is None


def test_cron_periods_run_between_fire_times():
    from types import SimpleNamespace

    from api.digests.schedule import due_period, next_send_of

    sub = SimpleNamespace(frequency="cron", cron="0 9 * * 1-5", tz="Asia/Shanghai")
    p = due_period(sub, datetime(2026, 11, 23, 2, tzinfo=UTC))  # Monday 10:00 Shanghai
    assert p.key == "cron:2026-11-23T09:00"
    assert (p.start, p.end) == (datetime(2026, 11, 20, 1, tzinfo=UTC), datetime(2026, 11, 23, 1, tzinfo=UTC))
    assert p.previous("Asia/Shanghai").start == datetime(2026, 11, 17, 1, tzinfo=UTC)
    assert next_send_of(sub, datetime(2026, 11, 23, 2, tzinfo=UTC)) == datetime(2026, 11, 24, 1, tzinfo=UTC)


@pytest.mark.parametrize(("expr", "words"), [
    ("0 9 * *", "expected 5 fields"),
    ("0 9 * * 1 2026", "expected 5 fields"),  # cronsim would read six fields as seconds first
    ("0 25 * * *", "hour field: '25' is not valid: use 0-23"),
    ("61 * * * *", "minute field: '61' is not valid: use 0-59"),
    ("0 9 * * funday", "day of week field: 'funday' is not valid: use 0-7 (0 and 7 = Sunday), sun-sat"),
    ("*/0 * * * *", "minute field: '*/0' is not valid"),
    ("0 9 5-1 * *", "day of month field: '5-1' is not valid: use 1-31"),
    ("0 9 * 13 *", "month field: '13' is not valid: use 1-12, jan-dec"),
])
def test_bad_cron_names_the_field(expr, words):
    from api.digests.cron import CronError, validate

    with pytest.raises(CronError) as caught:
        validate(expr)
    assert words in str(caught.value)


def test_valid_cron_comes_back_with_single_spaces():
    from api.digests.cron import validate

    assert validate(" 0  9 * *\tmon-fri ") == "0 9 * * mon-fri"
    assert validate("0 9 LW jan,jul mon#1") == "0 9 LW jan,jul mon#1"

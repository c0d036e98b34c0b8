"""Dates as pages write them, read against the time the page was served (``crawlers.dates``)."""

from __future__ import annotations

from datetime import datetime

import pytest

from crawlers.dates import page_date, response_time
from crawlers.spiders.amazon import review_date

SERVED = datetime.fromisoformat("2026-03-02T09:30:00+08:00")


@pytest.mark.parametrize(("written", "expected"), [
    ("刚刚", "2026-03-02T09:30:00+08:00"),
    ("5分钟前", "2026-03-02T09:25:00+08:00"),
    ("15小时前", "2026-03-01T18:30:00+08:00"),
    ("昨天 12:25", "2026-03-01T12:25:00+08:00"),
    ("02-27", "2026-02-27T00:00:00+08:00"),
    ("12-30", "2025-12-30T00:00:00+08:00"),          # a month-day after "now" is last year's
    ("2016-02-18 22:08:37", "2016-02-18T22:08:37+08:00"),
    ("Sat Nov 21 10:15:00 +0800 2020", "2020-11-21T10:15:00+08:00"),
])
def test_weibo_and_jd_dates_in_beijing_time(written, expected):
    assert page_date(written, tz="Asia/Shanghai", now=SERVED).isoformat() == expected


@pytest.mark.parametrize(("sentence", "languages", "day"), [
    ("Reviewed in the United States on July 16, 2022", ("en",), "2022-07-16"),
    ("Reviewed in the United Kingdom on 16 July 2022", ("en",), "2022-07-16"),
    ("Rezension aus Deutschland vom 16. Juli 2022", ("de", "en"), "2022-07-16"),
    ("Commenté en France le 16 juillet 2022", ("fr", "en"), "2022-07-16"),
    ("Commenté en France le 1er mars 2023", ("fr", "en"), "2023-03-01"),                 # the first, "1er"
    ("Valorado en España el 15 de septiembre de 2023", ("es", "en"), "2023-09-15"),      # "de" around the month
    ("Avaliado no Brasil em 3 de março de 2023", ("pt", "en"), "2023-03-03"),
    ("Rezension aus Deutschland vom 3. März 2021", ("de", "en"), "2021-03-03"),
    ("2021年3月3日に日本でレビュー済み", ("ja", "en"), "2021-03-03"),
    ("14 novembre 2018", ("it", "en"), "2018-11-14"),
    ("2022年7月16日に日本でレビュー済み", ("ja", "en"), "2022-07-16"),
    ("Reviewed in the United States on Smarch 40, 2026", ("en",), None),
])
def test_amazon_date_sentences_of_each_site(sentence, languages, day):
    assert review_date(sentence, languages) == day


def test_the_served_time_comes_from_the_date_header():
    assert response_time({"Date": "Tue, 16 Jul 2019 01:30:00 GMT"}).isoformat() == "2019-07-16T01:30:00+00:00"
    assert response_time({}) is None and response_time({"Date": "soon"}) is None
    assert page_date("not a date at all", now=SERVED) is None and page_date(None) is None

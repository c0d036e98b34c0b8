"""Every spider on real responses captured from its site (``tests/crawlers/site/captures``).

The expected values were read off the captures by hand (the origin record
beside each says where it comes from and when it was served), not copied
from the spider's output: a post's text is its HTML read as a person reads
it, a relative date is counted back from the day the page was served.
Parser tests check every item of every capture; crawl tests replay captures
through the fixture site and check what is stored, the share kept (the
target is 98% of the items a capture holds) and the paging. Weibo's and
Amazon's captures have their own modules, ``test_real_captures_weibo.py`` and
``test_real_captures_amazon.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from crawlers.spiders.appstore import parse_reviews as parse_appstore
from crawlers.spiders.feeds import parse_feed
from crawlers.spiders.jd import parse_comments
from crawlers.spiders.reddit import parse_comments as parse_reddit_comments
from crawlers.spiders.reddit import parse_search as parse_reddit_search
from crawlers.spiders.schemaorg import parse_review_page
from nlp.privacy import hash_author
from tests.crawlers.conftest import stored, voclens_crawl
from tests.crawlers.site.replay import CAPTURES, body, origin, served, served_at

APPSTORE_JP = "appstore/jp-1404176564-2020-08.json"
APPSTORE_US = "appstore/us-1321994487-2021.json"
APPSTORE_IN = "appstore/in-1592550875-2026-09.json"
APPSTORE_GB = "appstore/gb-1510826067-2021-01.json"
APPSTORE_CN = "appstore/cn-497799835-2021-01.json"
JD_2016 = "jd/1548519301-2016-02.json"
JD_2017 = "jd/1993070-2017-06.jsonp"
JD_2017_SCLUB = "jd/2667959-2017-11.jsonp"
JD_2017_FOLLOW_UP = "jd/4183290-2017-08.json"
SCHEMA_PAGES = {  # capture -> the page's URL
    "schemaorg/littlespicejar-crab-cake-bites-2023.html": "https://littlespicejar.com/crab-cake-bites/",
    "schemaorg/motherthyme-cinnamon-roll-oatmeal-2023.html": "https://www.motherthyme.com/2014/01/cinnamon-roll-oatmeal.html",
    "schemaorg/joythebaker-jambalaya-biscuits-2024.html": "https://joythebaker.com/2023/01/jambalaya-biscuits/",
    "schemaorg/bazaarvoice-adobe-photoshop-cs6-2013.html": "https://www.adobe.com/products/photoshop.html",
}
REDDIT_SEARCH = "reddit/search-tesla-model-w-2015-04.json"
REDDIT_2015 = "reddit/comments-313qxe-2015-04.json"
REDDIT_2023 = "reddit/comments-116yyx6-2023-02.json"
FEEDS = ("feeds/infoq-news-2020-04.xml", "feeds/stuartsierra-2020-03.xml", "feeds/cleancoder-2020-05.xml")
PLANET_GNOME = "feeds/planet-gnome-2020-04.xml"
RED_BLOB = "feeds/redblobgames-2026-03.xml"
SALT = "capture-test-salt"


def test_every_capture_has_an_origin_record():
    files = [p for p in CAPTURES.rglob("*") if p.is_file() and not p.name.endswith(".origin.json")]
    assert len(files) >= 8
    for path in files:
        record = origin(str(path.relative_to(CAPTURES)))
        assert {"site", "repository", "path", "commit", "captured", "licence", "trimmed"} <= record.keys(), path.name


# -- App Store -------------------------------------------------------------------------------
def test_appstore_japan_2020_keeps_entries_without_dates():
    now = served_at(APPSTORE_JP)
    page = parse_appstore(body(APPSTORE_JP).decode(), "1404176564", "jp", now=now)
    assert [(i.source_id, i.rating) for i in page.items] == [
        ("jp:6290024630", "4"), ("jp:6285559638", "2"), ("jp:6282758619", "1"), ("jp:6281770599", "1"),
        ("jp:6274430551", "5"), ("jp:6274202146", "3"), ("jp:6273889483", "3"), ("jp:6269228388", "5"),
        ("jp:6266063336", "2")]
    first, *_, last = page.items
    assert (first.title, first.author, first.meta["app_version"]) == ("神アプリ", "ヤミ。", "3.4.3")
    assert first.text.startswith("とにかく周りの人皆んなが暖かく") and first.text.endswith("だけど不具合が少し多いので、星4で")
    assert last.meta["helpful_votes"] == 1 and "votes" not in last.meta
    # the feed gives no dates: the day it was served stands in, flagged
    assert {i.created_at for i in page.items} == {now.isoformat()}
    assert all(i.meta["date_estimated"] is True for i in page.items)


def test_appstore_us_2021_and_india_2026():
    us = parse_appstore(body(APPSTORE_US).decode(), "1321994487", "us", now=served_at(APPSTORE_US)).items
    assert len(us) == 13 and [i.rating for i in us[:4]] == ["2", "1", "5", "2"]
    assert (us[0].source_id, us[0].author, us[0].title) == (
        "us:7175647643", "WB-SBB", "Mobile app cannot recognize endorsement on business size checks.")
    assert us[0].text.endswith("The previous app did not have this problem. \nNewer is not always better.")
    assert us[3].title == "‘Bad Request’" and us[-1].source_id == "us:6954017776"
    assert all(i.meta["date_estimated"] and i.meta["app_version"] == "8.0.9" for i in us)
    india = parse_appstore(body(APPSTORE_IN).decode(), "1592550875", "in").items
    # this feed dates its entries (Cupertino time): no estimate
    assert [(i.source_id, i.created_at, i.rating) for i in india] == [
        ("in:14548543799", "2026-09-14T04:24:23-07:00", "5"), ("in:14545746087", "2026-09-10T11:02:00-07:00", "1")]
    assert "date_estimated" not in india[0].meta and india[0].meta["helpful_votes"] == 3 and india[0].meta["votes"] == 4


def test_appstore_united_kingdom_2021_whole_page():
    now = served_at(APPSTORE_GB)
    page = parse_appstore(body(APPSTORE_GB).decode(), "1510826067", "gb", now=now)
    assert [(i.source_id, i.author, i.rating, i.meta["app_version"]) for i in page.items] == [
        ("gb:6504352127", "immeallme", "5", "1.1.0"), ("gb:6108405527", "john7560", "5", "1.0.1"),
        ("gb:6096833863", "Sidelacker", "5", "1.0.1"), ("gb:6091772301", "Kel@Kai boon", "5", "1.0.0")]
    first, _, third, last = page.items
    assert first.title == "Amazing photos integration" and first.text.endswith("which places you've been to! 👏")
    assert (third.title, third.text) == ("Really well designed", "Good design. Intuitive to use.")
    assert last.text == "Beautiful app for travellers with wanderlust."
    assert first.meta["helpful_votes"] == 0 and first.meta["votes"] == 0 and first.meta["country"] == "gb"
    assert {i.created_at for i in page.items} == {now.isoformat()} and not page.last


def test_appstore_china_2021_last_feed_page_in_chinese():
    page = parse_appstore(body(APPSTORE_CN).decode(), "497799835", "cn", now=served_at(APPSTORE_CN))
    items = page.items
    assert len(items) == 50 and {i.meta["app_version"] for i in items} == {"12.0"}
    # star counts read off the feed: 29 one-star, 5 two, 4 three, 2 four, 10 five
    assert sorted(i.rating for i in items) == ["1"] * 29 + ["2"] * 5 + ["3"] * 4 + ["4"] * 2 + ["5"] * 10
    first, second = items[:2]
    assert (first.source_id, first.author, first.title, first.text) == (
        "cn:6455612413", "lxzyzwoout", "越来越烂", "其他的工具都是越开发越好用，就Xcode例外，越开发越难用")
    assert (first.meta["helpful_votes"], first.meta["votes"]) == (1, 2)
    assert (second.author, second.title, second.text) == ("匿名开发者777", "Xcode12架构兼容性太差", "编译问题搞了两天了，文档少得不行，")
    assert (items[48].source_id, items[48].rating, items[48].title, items[48].text) == (
        "cn:6437003450", "4", "xcod12下载", "几次每次卡在正在安装")
    assert (items[-1].source_id, items[-1].author, items[-1].text) == ("cn:6436982592", "liolinlinlin", "点击开发文档闪退")
    assert all(i.meta["date_estimated"] and i.url == "https://apps.apple.com/cn/app/id497799835?see-all=reviews"
               for i in items)


def test_appstore_crawl_of_two_countries_keeps_every_review(make_site, tmp_path: Path):
    feeds = {f"/{c}/rss/customerreviews/page=1/id={app}/sortby=mostrecent/json": served(name, "text/javascript; charset=utf-8")
             for c, app, name in (("gb", "1510826067", APPSTORE_GB), ("cn", "497799835", APPSTORE_CN))}
    site = make_site({"captures": feeds, "appstore": {f"{c}:{a}": {"entries": []} for c in ("gb", "cn") for a in ("1510826067", "497799835")}})
    data = tmp_path / "data"
    stats = voclens_crawl(data, "appstore", "-a", "apps=1510826067,497799835", "-a", "countries=gb,cn",
                          "-a", f"base_url={site.url}", env={"VOCLENS_AUTHOR_SALT": SALT})
    # each app is asked for in both countries: the two feeds that exist hold 4 + 50 reviews, the others none
    assert stats["new"] == 4 + 50 and stats["invalid"] == 0
    docs = stored(data)
    assert docs["cn:6455554417"].author_hash == hash_author("appstore", "匿名开发者777", SALT)
    assert docs["gb:6091772301"].rating == 5.0 and docs["cn:6437003450"].rating == 4.0


def test_appstore_crawl_keeps_undated_reviews_and_stops_at_known_ids(make_site, tmp_path: Path):
    app = "1404176564"
    feed = f"/jp/rss/customerreviews/page=1/id={app}/sortby=mostrecent/json"
    site = make_site({"captures": {feed: served(APPSTORE_JP, "text/javascript; charset=utf-8")},
                      "appstore": {f"jp:{app}": {"entries": []}}})               # page 2: no entry, the end
    data, args = tmp_path / "data", ["-a", f"apps={app}", "-a", "countries=jp", "-a", f"base_url={site.url}"]
    stats = voclens_crawl(data, "appstore", *args, env={"VOCLENS_AUTHOR_SALT": SALT})
    assert stats["new"] == 9 and stats["invalid"] == 0                     # 9 of 9 kept
    doc = stored(data)["jp:6290024630"]
    assert doc.created_at == served_at(APPSTORE_JP).astimezone(UTC) and doc.meta["date_estimated"] is True
    assert doc.author_hash == hash_author("appstore", "ヤミ。", SALT) and doc.rating == 4.0
    site.reset()
    again = voclens_crawl(data, "appstore", *args, env={"VOCLENS_AUTHOR_SALT": SALT})
    # the same feed again: its newest review id is known, so paging stops on page 1, nothing re-dated
    assert (again["new"], again["updated"], again["incremental_stops"]) == (0, 0, 1)
    assert [p for p in site.requests() if "/rss/" in p] == [feed]


# -- JD --------------------------------------------------------------------------------------
def test_jd_2016_comment_page():
    page = parse_comments(body(JD_2016).decode(), "1548519301", "https://item.jd.com/1548519301.html")
    assert [(i.source_id, i.created_at, i.rating) for i in page.items] == [
        ("1334913681", "2016-02-18 22:08:37", 5), ("1330322625", "2016-02-16 12:43:52", 5),
        ("1315592315", "2016-02-02 21:22:49", 5), ("1314670814", "2016-02-02 13:14:22", 1),
        ("1309196588", "2016-01-30 20:25:31", 5), ("1308437258", "2016-01-30 14:33:57", 5),
        ("1302491095", "2016-01-27 21:49:20", 5), ("1302004675", "2016-01-27 18:28:02", 5)]
    low = page.items[3]
    assert low.text == "手机外型可以，不过一拿回来冲电USB线插不稳松动联系卖家也不回复，这是卖出就不管了吗？"
    assert low.author == "sLiwFFZcAiYW" and low.meta["variant"] == {"color": "玫瑰红"}
    assert low.product_name.startswith("爱贝多Q5B 儿童手机") and low.tz == "Asia/Shanghai"
    assert page.items[-1].meta["variant"] == {"color": "太空蓝"} and page.max_page == 1


def _crawl_jd_capture(make_site, tmp_path: Path, product: str, capture, empty_next_page: bool = False):
    """A real crawl of one product whose first comment page is ``capture``; returns its stats and data folder."""
    query = urlencode({"productId": product, "score": 0, "sortType": 6, "page": 0, "pageSize": 10})
    catalog = {"captures": {f"/comment/productPageComments.action?{query}": capture}}
    if empty_next_page:
        catalog["jd"] = {product: {"comments": []}}
    site = make_site(catalog)
    data = tmp_path / "data"
    stats = voclens_crawl(data, "jd", "-a", f"products={product}", "-a", f"base_url={site.url}",
                          env={"VOCLENS_AUTHOR_SALT": SALT})
    return stats, data


def test_jd_crawl_stores_every_comment_of_the_capture(make_site, tmp_path: Path):
    stats, data = _crawl_jd_capture(make_site, tmp_path, "1548519301", served(JD_2016, "application/json;charset=utf-8"))
    assert stats["new"] == 8 and stats["invalid"] == 0
    doc = stored(data)["1302004675"]
    assert doc.text == "非常满意，很适合孩子用。" and doc.created_at == datetime(2016, 1, 27, 10, 28, 2, tzinfo=UTC)
    assert doc.author_hash == hash_author("jd", "z***8", SALT)


# -- schema.org ------------------------------------------------------------------------------
def _schema(name: str):
    return parse_review_page(body(name), SCHEMA_PAGES[name], content_type="text/html; charset=UTF-8", salt=SALT)


def test_schemaorg_comment_rating_plugin_reviews_without_an_enclosing_item():
    page = _schema("schemaorg/littlespicejar-crab-cake-bites-2023.html")
    # 7 comments, 5 of them rated: each rated one is an itemprop="review" item no other item holds
    assert [(i.author, i.created_at, i.rating) for i in page.items] == [
        ("Angela", "2021-10-29", 5.0), ("Nathalie", "2021-12-16", 5.0), ("Kathy", "2021-12-27", 5.0),
        ("Carole", "2021-12-29", 5.0), ("Linda", "2022-12-23", 5.0)]
    assert {i.product_name for i in page.items} == {"Easy Addicting Crab Cake Bites (Crab Cake Cups)"}
    assert page.items[0].text == "I made it and everyone loved it. ❤"
    assert page.items[3].text == ("Delicious What if I use 1 minced garlic instead of powder? "
                                  "What if I use lime zest and juice instead of lemon?")
    assert all(i.meta["markup"] == "microdata" and i.source_id.startswith("h:") for i in page.items)


def test_schemaorg_recipe_pages_name_the_recipe():
    oatmeal = _schema("schemaorg/motherthyme-cinnamon-roll-oatmeal-2023.html")
    assert len(oatmeal.items) == 11 and {i.product_name for i in oatmeal.items} == {"Cinnamon Roll Oatmeal"}
    assert [(i.author, i.rating) for i in oatmeal.items[:2]] == [("Gaye", 5.0), ("Pamela Rhea Davis", 4.0)]
    assert oatmeal.items[-1].created_at == "2022-12-21" and oatmeal.items[-1].text.endswith("10/10!!")
    assert oatmeal.items[-2].text.startswith("I am eating this as I type and it is absolutely delicious words don’t do it")
    assert oatmeal.aggregate == {"value": 4.9, "count": 23, "best": 5.0}
    biscuits = _schema("schemaorg/joythebaker-jambalaya-biscuits-2024.html")
    assert [(i.author, i.created_at) for i in biscuits.items] == [
        ("Suzy Parker", "2023-02-09"), ("Sue", "2023-02-09"), ("Sabrina", "2023-02-15"), ("Micha", "2023-02-22"),
        ("Jane", "2023-02-27"), ("JK", "2023-10-09")]
    assert {i.product_name for i in biscuits.items} == {"Jambalaya Biscuits"}
    assert biscuits.items[0].text == "More reasons to eat Andouille Sausage, yes, please!"


def test_schemaorg_bazaarvoice_seo_payload_2013():
    page = _schema("schemaorg/bazaarvoice-adobe-photoshop-cs6-2013.html")
    assert [(i.author, i.created_at, i.rating, i.title) for i in page.items] == [
        ("Mason", "2012-06-18", 5.0, "Amazingly Powerfull"), ("timjohnson", "2013-09-04", 5.0, "Great"),
        ("Mwolfe", "2013-08-28", 4.0, "Awesome"), ("binni", "2013-08-25", 4.0, "photos")]
    assert page.items[2].text == "I am just a beginner, but I love it. I especially like te smooth interface with Lightroom."
    assert page.items[0].text.startswith("They're very few things that you can't do in Photoshop.")
    assert page.items[0].text.endswith("I don't know what I would do without it!")
    assert {i.product_name for i in page.items} == {"Photoshop CS6"} and {i.rating_scale for i in page.items} == {5.0}
    assert page.aggregate == {"value": 4.5, "count": 264, "best": 5.0}
    assert page.next_url is None  # the pager's links are '{INSERT_PAGE_URI}' templates, not rel=next


def test_schemaorg_crawl_keeps_every_review_of_the_captures(make_site, tmp_path: Path):
    paths = {f"/page-{n}.html": name for n, name in enumerate(SCHEMA_PAGES)}
    site = make_site({"captures": {p: served(name, "text/html; charset=UTF-8") for p, name in paths.items()}})
    data = tmp_path / "data"
    stats = voclens_crawl(data, "schemaorg", "-a", "urls=" + ",".join(site.url + p for p in paths),
                          env={"VOCLENS_AUTHOR_SALT": SALT})
    assert stats["new"] == 5 + 11 + 6 + 4 and stats["invalid"] == 0
    docs = list(stored(data).values())
    assert sum(d.product_name == "Jambalaya Biscuits" for d in docs) == 6
    linda = next(d for d in docs if d.text.startswith("This is a fabulous recipe."))
    assert linda.author_hash == hash_author(linda.source, "Linda", SALT) and linda.rating == 5.0
    binni = next(d for d in docs if d.text.startswith("i like this app"))
    assert binni.author_hash == hash_author(binni.source, "binni", SALT) and binni.rating == 4.0


def test_jd_2017_jsonp_in_gbk_crawled(make_site, tmp_path: Path):
    stats, data = _crawl_jd_capture(make_site, tmp_path, "1993070", served(JD_2017, "text/html;charset=GBK"),
                                    empty_next_page=True)  # page 1: no more comments
    assert stats["new"] == 1 and stats["invalid"] == 0
    doc = stored(data)["10494415492"]
    assert doc.text.startswith("必须好评，安装配送都是一流服务，太专业了买空调必须格力") and doc.text.endswith("点个赞，谁都不喝。")
    assert doc.created_at == datetime(2017, 6, 10, 6, 15, 5, tzinfo=UTC) and doc.rating == 5.0
    assert doc.product_name == "格力（GREE）大1匹 定速 品圆 冷暖 壁挂式空调 KFR-26GW/(26592)NhDa-3"
    assert doc.meta["helpful_votes"] == 12 and doc.author_hash == hash_author("jd", "木***铖", SALT)


def test_jd_late_2017_sclub_jsonp_crawled(make_site, tmp_path: Path):
    (comment,) = parse_comments(body(JD_2017_SCLUB).decode(), "2667959", "https://item.jd.com/2667959.html").items
    assert (comment.source_id, comment.created_at, comment.rating, comment.author) == (
        "10827600829", "2017-10-01 17:54:31", 5, "帅***飞")
    assert comment.text == "检查完了，本人是在广州使用，服务态度没得说，非常好，每个科室医生检查详细，还有送早餐，以后每年检查都会去爱康国宾。"
    assert comment.product_name == "爱康国宾（ikang）体检卡 深爱老公老婆体检套餐 全国门店通用"
    assert comment.meta == {"variant": {"color": "深爱老公老婆"}, "helpful_votes": 1, "replies": 0}
    stats, data = _crawl_jd_capture(make_site, tmp_path, "2667959", served(JD_2017_SCLUB, "text/html;charset=UTF-8"),
                                    empty_next_page=True)  # page 1 (of maxPage 66): empty
    assert stats["new"] == 1 and stats["invalid"] == 0
    doc = stored(data)["10827600829"]
    assert doc.created_at == datetime(2017, 10, 1, 9, 54, 31, tzinfo=UTC) and doc.rating == 5.0
    assert doc.author_hash == hash_author("jd", "帅***飞", SALT)



def test_jd_2017_follow_up_review_and_html_entities():
    page = parse_comments(body(JD_2017_FOLLOW_UP).decode(), "4183290", "https://item.jd.com/4183290.html")
    first, after = page.items
    # read off the capture: id, creationTime, score 3, nickname; the follow-up's afterUserComment.created
    assert (first.source_id, first.created_at, first.rating, first.author) == ("10697564830", "2017-08-13 23:38:52", 3, "-游梦-")
    assert (after.source_id, after.created_at, after.rating, after.author) == (
        "10697564830:after", "2017-08-14 18:30:29", None, "-游梦-")
    # JD writes its text with HTML entities: "MAC过滤&hellip;&hellip;&hellip;否则", "让&ldquo;智能&rdquo;家居"
    assert first.text.startswith("智能？呵，毛线啊，连接难，说明书有像没有一样") and "&" not in first.text
    assert "不能设置MAC过滤………否则无法连接" in first.text and first.text.endswith("让“智能”家居真的变智能")
    assert after.text.startswith("产品本身很好，直连模式反应很迅速") and after.text.endswith("希望更加人性化   变成真正的智能产品")
    assert first.product_name.startswith("控客 1080P高清智能云台摄像头 360远程全景监控防盗看护管家")
    assert first.meta == {"variant": {"color": "WI-FI定时插座"}, "helpful_votes": 0, "replies": 2,
                          "follow_up_id": "10697564830:after"}
    assert after.meta == {"follow_up_of": "10697564830", "after_days": 2, "variant": {"color": "WI-FI定时插座"}}
    assert page.max_page == 1


def test_jd_2017_follow_up_capture_crawled(make_site, tmp_path: Path):
    stats, data = _crawl_jd_capture(make_site, tmp_path, "4183290", served(JD_2017_FOLLOW_UP, "application/json;charset=utf-8"))
    assert stats["new"] == 2 and stats["invalid"] == 0                     # the review and its follow-up
    docs = stored(data)
    first, after = docs["10697564830"], docs["10697564830:after"]
    assert first.created_at == datetime(2017, 8, 13, 15, 38, 52, tzinfo=UTC) and first.rating == 3.0
    assert after.created_at == datetime(2017, 8, 14, 10, 30, 29, tzinfo=UTC) and after.rating is None
    assert "………" in first.text and "&hellip;" not in first.text and after.text.startswith("产品本身很好")
    assert first.author_hash == after.author_hash == hash_author("jd", "-游梦-", SALT)

# -- feeds -----------------------------------------------------------------------------------
def test_feeds_2020_rss_wordpress_and_atom():
    infoq = parse_feed(body(FEEDS[0]), "https://feed.infoq.com/news", []).items
    assert [(i.author, i.created_at) for i in infoq] == [
        ("Matthew Coughlan", "2020-04-21T16:00:00+00:00"), ("Anthony Alford", "2020-04-21T13:00:00+00:00")]
    assert infoq[0].title == "Report Validates Impact of Visual AI on Test Automation"
    assert infoq[0].text.startswith("Empirical data from 288 quality engineers") and infoq[0].text.endswith("By Matthew Coughlan")
    assert infoq[0].url.startswith("https://www.infoq.com/news/2020/04/visual-ai-test-automation/?utm_campaign=")
    wordpress = parse_feed(body(FEEDS[1]), "https://stuartsierra.com/feed", []).items
    assert [(i.source_id, i.author, i.created_at, i.title) for i in wordpress] == [
        ("https://stuartsierra.com/?p=1292", "Stuart", "2020-03-09T13:22:32+00:00", "Remote 103: Software"),
        ("https://stuartsierra.com/?p=1285", "Stuart", "2020-03-06T18:53:31+00:00", "Remote 102: Headsets")]
    assert wordpress[1].text.startswith("If you saw my last post, you’ve got your computer wired up.")
    assert "<" not in wordpress[1].text and wordpress[1].text.endswith("Read the full article")
    atom = parse_feed(body(FEEDS[2]), "http://blog.cleancoder.com/atom.xml", []).items
    assert [(i.title, i.text, i.author, i.created_at) for i in atom] == [
        ("REPL Driven Design", "Some content for entry 1", "Uncle Bob Martin", "2020-05-27T00:00:00+00:00"),
        ("A Little More Clojure", "Some content for entry 2", "Uncle Bob Martin", "2020-04-09T00:00:00+00:00")]
    assert atom[0].url == "http://blog.cleancoder.com/uncle-bob/2020/05/27/ReplDrivenDesign.html"


def test_feeds_crawl_keeps_every_entry_of_the_captures(make_site, tmp_path: Path):
    paths = ["/infoq.xml", "/stuart.xml", "/cleancoder.xml"]
    site = make_site({"captures": {p: served(f, "application/rss+xml") for p, f in zip(paths, FEEDS, strict=True)}})
    data = tmp_path / "data"
    stats = voclens_crawl(data, "feeds", "-a", "urls=" + ",".join(site.url + p for p in paths),
                          env={"VOCLENS_AUTHOR_SALT": SALT})
    assert stats["new"] == 6 and stats["invalid"] == 0 and not stats.get("errors")
    doc = stored(data)["https://stuartsierra.com/?p=1292"]
    assert doc.author_hash == hash_author("feed", "Stuart", SALT) and doc.title == "Remote 103: Software"


def test_feeds_atom_xhtml_of_an_aggregator_2020_names_the_writer():
    items = parse_feed(body(PLANET_GNOME), "https://planet.gnome.org/atom.xml", []).items
    # all 40 entries, read off the feed: the entry's own author, else its <source>'s (aggregated entries),
    # an empty <name/> is nobody (not the planet's team); "Article Author" is a blog template's own author
    assert [(i.title, i.author, i.created_at) for i in items] == [
        ('Timelines on Calendar', 'feaneron', '2020-04-07T02:53:50+00:00'),
        ('Art vs Design', 'Article Author', '2020-04-06T03:41:00+00:00'),
        ('Meson manual sales status and price adjustment', 'Jussi', '2020-04-05T11:46:00+00:00'),
        ('High resolution wheel scrolling in the desktop stack', 'Peter Hutterer', '2020-04-04T04:00:00+00:00'),
        ('This Month in Mutter & GNOME Shell | March 2020', 'feaneron', '2020-04-03T15:50:33+00:00'),
        ('multi-value webassembly in firefox: from 1 to n', 'Andy Wingo', '2020-04-03T10:56:29+00:00'),
        ('SCaLE 18x', 'mdeblanc', '2020-04-02T19:06:20+00:00'),
        ('A Coloring API for GTK', None, '2020-04-02T00:00:00+00:00'),
        ('Chafa 1.4.0: Now with sixels', 'Hans Petter Jansson', '2020-04-01T21:25:15+00:00'),
        ('GTK 3.98.2', 'mclasen', '2020-04-01T19:15:41+00:00'),
        ('PAM testing using pam_wrapper and dbusmock', 'Bastien Nocera', '2020-04-01T16:53:00+00:00'),
        ('Sandboxing WebKitGTK Apps', 'Michael Catanzaro', '2020-03-31T15:56:55+00:00'),
        ('API changes in Tracker 3.0', 'Sam Thursfield', '2020-03-31T10:37:52+00:00'),
        ('How to create border maps for your projects', 'Ismael Olea', '2020-03-30T22:00:00+00:00'),
        ('DevConf.CZ 2020', 'Felipe Borges', '2020-03-30T14:32:02+00:00'),
        ('GNOME Infrastructure updates', 'Andrea Veri', '2020-03-30T12:20:23+00:00'),
        ('Maps in GNOME 3.36', 'Marcus Lundblad', '2020-03-29T20:15:00+00:00'),
        ('Meet the GNOMEies: Regina Nkemchor Adejo', 'mdeblanc', '2020-03-27T14:19:57+00:00'),
        ('Reducing memory consumption in librsvg, part 4: compact representation for Bézier paths', 'Federico Mena Quintero', '2020-03-27T00:58:36+00:00'),
        ("It's not what programming languages do, it's what they shepherd you to", 'Jussi', '2020-03-26T15:18:00+00:00'),
        ("firefox's low-latency webassembly compiler", 'Andy Wingo', '2020-03-25T16:29:56+00:00'),
        ('2020-03-25 Wednesday.', 'Michael Meeks', '2020-03-25T15:20:11+00:00'),
        ('There is No “Linux” Platform (Part 2)', 'Tobias Bernard', '2020-03-25T15:17:32+00:00'),
        ('2020: the fecal matter is colliding with the rotary oscillator', 'Jeff', '2020-03-25T15:06:06+00:00'),
        ('24 Mar 2020', 'Miguel de Icaza', '2020-03-25T08:52:00+00:00'),
        ('Reducing memory consumption in librsvg, part 3: slack space in Bézier paths', 'Federico Mena Quintero', '2020-03-24T23:14:55+00:00'),
        ('2020-03-24 Tuesday.', 'Michael Meeks', '2020-03-24T21:00:00+00:00'),
        ('Initial release of Jcat', 'hughsie', '2020-03-23T12:32:31+00:00'),
        ('GObject Class Private Data', 'chergert', '2020-03-20T17:09:58+00:00'),
        ("It's templates all the way down", 'Peter Hutterer', '2020-03-20T11:33:00+00:00'),
        ('Maintain release info easily in MetaInfo/Appdata files', 'Matthias', '2020-03-16T11:40:00+00:00'),
        ('How to use Sysprof to… Part II', 'chergert', '2020-03-15T23:04:08+00:00'),
        ('Shortwave – First stable release', 'haeckerfelix', '2020-03-15T00:18:51+00:00'),
        ('Building and testing GTK', 'Emmanuele Bassi', '2020-03-13T18:39:00+00:00'),
        ('gedit – 36 things to do, maybe planning a crowdfunding', 'Sébastien Wilmet', '2020-03-13T16:11:05+00:00'),
        ('End of GNOME Outreachy 2019', 'danigm', '2020-03-12T23:00:00+00:00'),
        ('GNOME 3.36 user documentation updates', 'aklapper', '2020-03-11T22:47:46+00:00'),
        ('Epiphany 3.36 and WebKitGTK 2.28', 'Michael Catanzaro', '2020-03-11T15:00:32+00:00'),
        ('Mozilla makes Firefox Beta available on Flathub', 'eischmann', '2020-03-10T15:49:26+00:00'),
        ('Recapping my journey at Endless', None, '2020-03-09T15:50:00+00:00')]
    timelines, meson, chafa, tuesday, endless = items[0], items[2], items[8], items[26], items[39]
    assert all(i.text for i in items)
    # XHTML content read as text, paragraphs and <br/> kept apart
    assert timelines.text.startswith("It’s been a long time since I last wrong a blog post about GNOME Calendar only. "
                                     "That doesn’t mean work has stalled! Since pretty much its inception,")
    assert timelines.text.endswith("and ultimately that will mean less bugs and, who knows!, more features as well.")
    assert meson.text.startswith("The sales dashboard of the Meson manual currently looks like this. It splits up")
    assert chafa.text.endswith("You can get the old behavior back with --color-extractor average.")
    assert tuesday.text == ("Mail, call with Mike, some hacking; tech team call. Dug into unit tests, pwrt. "
                            "parallelizing them. Movie in the evening.")
    assert endless.url == "http://www.uajain.com/Recapping-my-journey-at-Endless/"
    assert meson.source_id == "tag:blogger.com,1999:blog-5968355124473522212.post-9009118234509375679"


def test_feeds_atom_xhtml_2026_escaped_markup_stays_text():
    (entry,) = parse_feed(body(RED_BLOB), "https://www.redblobgames.com/blog/posts.xml", []).items
    assert (entry.title, entry.author, entry.created_at) == (
        "Optimizing page size", "Amit Patel", "2026-03-25T19:05:00+00:00")           # the feed's author, no e-mail
    assert entry.text.startswith("While working on my SDF font guide, I noticed an issue with the white space. ")
    assert ("I added &nbsp; in a few places." in entry.text
            and "remove the spaces between </li><li> but it's not ok to remove the spaces between </i> <b>." in entry.text)
    assert entry.text.endswith("found that I had kept adding more rules over the years:")
    assert entry.url == "https://www.redblobgames.com/blog/2026-03-25-optimizing-page-size/"


def test_feeds_crawl_of_atom_xhtml_captures(make_site, tmp_path: Path):
    site = make_site({"captures": {"/planet.xml": served(PLANET_GNOME, "application/atom+xml"),
                                   "/redblob.xml": served(RED_BLOB, "application/atom+xml")}})
    data = tmp_path / "data"
    stats = voclens_crawl(data, "feeds", "-a", f"urls={site.url}/planet.xml,{site.url}/redblob.xml",
                          env={"VOCLENS_AUTHOR_SALT": SALT})
    assert stats["new"] == 40 + 1 and stats["invalid"] == 0 and not stats.get("errors")
    docs = stored(data)
    meson = docs["tag:blogger.com,1999:blog-5968355124473522212.post-9009118234509375679"]
    assert meson.author_hash == hash_author("feed", "Jussi", SALT) and meson.title.startswith("Meson manual")
    assert docs["http://www.uajain.com/Recapping-my-journey-at-Endless"].author_hash is None


# -- Reddit --------------------------------------------------------------------------------
def test_reddit_2015_search_listing():
    page = parse_reddit_search(body(REDDIT_SEARCH).decode(), "Android", "tesla model w")
    assert [(p.item.source_id, p.item.created_at, p.num_comments) for p in page.posts] == [
        ("t3_313qxe", 1427919062.0, 6), ("t3_313o8x", 1427918106.0, 13), ("t3_313qim", 1427918929.0, 3),
        ("t3_316uxy", 1427981949.0, 0), ("t3_313pnh", 1427918600.0, 0), ("t3_318ebo", 1428007027.0, 0)]
    first = page.posts[0].item
    # a link post: the title is the text
    assert (first.text, first.title, first.author) == (
        "Tesla's response to recent smartwatches - Announcing the Tesla Model W", None, "ahatzz11")
    assert first.url == "https://www.reddit.com/r/Android/comments/313qxe/teslas_response_to_recent_smartwatches_announcing/"
    assert page.after is None


def test_reddit_2015_comment_without_permalink_gets_a_url():
    page = parse_reddit_comments(body(REDDIT_2015).decode(), "reddit:Android:tesla", "t3_313qxe")
    (comment,) = page.items
    assert comment.text == "This one was actually hilarious because it's takes obvious to the next level. The anti-prank."
    assert comment.created_at == 1427921235.0 and comment.author == "SirFadakar"
    # the 2015 answer gives no permalink: built from the post's permalink and the comment id
    assert comment.url == ("https://www.reddit.com/r/Android/comments/313qxe/"
                           "teslas_response_to_recent_smartwatches_announcing/cpy6x8q/")
    assert page.more == 5 and page.gone == 0


def test_reddit_2023_comment_tree():
    page = parse_reddit_comments(body(REDDIT_2023).decode(), "reddit:x:y", "t3_116yyx6")
    # the whole thread: 13 top-level trees, 21 comments, depth-first as the answer nests them (read off the JSON)
    assert [(i.source_id, i.author, i.meta["depth"], i.created_at) for i in page.items] == [
        ("t1_j99ekok", "Doc-Zoidberg", 0, 1676875589.0), ("t1_j99w7mc", "fiskfisk", 1, 1676890067.0),
        ("t1_j9a7kjk", "RayZinnet", 0, 1676898223.0), ("t1_j9atx1u", "ybahman", 0, 1676908790.0),
        ("t1_j9bc52i", "omfgitsjeff", 1, 1676915947.0), ("t1_j9d3kog", "Iamonreddit", 2, 1676941790.0),
        ("t1_j9d4q1z", "omfgitsjeff", 3, 1676942317.0), ("t1_j99d7u3", "Gorgan_Organ", 0, 1676874605.0),
        ("t1_j99xrpb", "Shop-S-Mart89", 1, 1676891358.0), ("t1_j9baevr", "zyxzevn", 0, 1676915285.0),
        ("t1_j9cbjt2", "DonChaote", 1, 1676929732.0), ("t1_j9c6abh", "Gian-Nine", 0, 1676927654.0),
        ("t1_j9ccoic", "DonChaote", 1, 1676930189.0), ("t1_j9b74it", "SwazyMoto", 0, 1676914019.0),
        ("t1_j9aiqyc", "herpetic-whitlow", 0, 1676904000.0), ("t1_j9b9y2i", "PGHobGoblin", 0, 1676915108.0),
        ("t1_j9cc5li", "sblundell2002", 0, 1676929976.0), ("t1_j9cdpqp", "Extreme-Ad723", 0, 1676930609.0),
        ("t1_j9cy6oq", "funnyfootboot", 0, 1676939337.0), ("t1_j9iza8k", "Just_guy_things", 0, 1677055087.0),
        ("t1_jc9d065", "purplesupreme19", 0, 1678859065.0)]
    assert [i.text for i in page.items[:3]] == [
        "That looks fun as hell", "Look up Megavalanche - it's crazy.", 'dude on skis is all "wtf!?!?!"']
    assert (page.items[5].text, page.items[-1].text) == ("Are you sure?", "Fucking sick !")
    assert page.items[6].meta["parent"] == "t1_j9d3kog" and (page.more, page.gone) == (0, 0)
    assert page.items[1].url == "https://www.reddit.com/r/holdmyredbull/comments/116yyx6/_/j99w7mc/"
    assert page.items[1].meta["parent"] == "t1_j99ekok"


def test_reddit_crawl_keeps_every_post_of_the_capture(make_site, tmp_path: Path):
    site = make_site({"captures": {"/r/Android/search.json": served(REDDIT_SEARCH, "application/json; charset=UTF-8")}})
    data = tmp_path / "data"
    stats = voclens_crawl(data, "reddit", "-a", "subreddits=Android", "-a", "query=tesla model w", "-a", "comments=false",
                          "-a", f"base_url={site.url}", env={"VOCLENS_AUTHOR_SALT": SALT})
    assert stats["new"] == 6 and stats["invalid"] == 0
    doc = stored(data)["t3_316uxy"]
    assert doc.text == "Tesla trolling Apple" and doc.created_at == datetime(2015, 4, 2, 13, 39, 9, tzinfo=UTC)
    assert doc.author_hash == hash_author("reddit", "turtlewong", SALT)

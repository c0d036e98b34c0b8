"""Weibo on real answers of m.weibo.cn (``tests/crawlers/site/captures/weibo``): timelines, the hot
channel and the search tab, 2018-2019.

As in ``test_real_captures.py``, the expected values were read off the captures by hand: a post's
text is its HTML read as a person reads it, a relative date (``15小时前``, ``刚刚``) is counted back
from the time the answer was served (its origin record's ``now``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from crawlers.spiders.weibo import parse_search
from nlp.privacy import hash_author_id
from tests.crawlers.conftest import stored, voclens_crawl
from tests.crawlers.site.replay import body, served, served_at

WEIBO_TIMELINE = "weibo/timeline-5529945701-2019-07.json"
WEIBO_PROFILE = "weibo/profile-1245161127-2019-09.json"
WEIBO_HOT = "weibo/hot-102803-2019-08.json"
WEIBO_SEARCH_P7 = "weibo/search-shijiebei-p7-2018-06.json"
WEIBO_SEARCH_P2 = "weibo/search-shijiebei-p2-2018-06.json"
WEIBO_SEARCH_GUAXUE = "weibo/search-guaxue-p2-2018-06.json"
SALT = "capture-test-salt"

def test_weibo_timeline_2019_reads_month_day_and_hours_ago():
    page = parse_search(body(WEIBO_TIMELINE).decode(), "和平精英", now=served_at(WEIBO_TIMELINE))
    assert [(i.source_id, i.created_at) for i in page.items] == [
        ("4387933362623405", "2019-06-27T00:00:00+08:00"),   # "06-27", pinned
        ("4394384827138748", "2019-07-15T18:30:00+08:00"),   # "15小时前" on 2019-07-16 09:30; its video: 18:25
        ("4394087966357544", "2019-07-14T00:00:00+08:00"),   # "07-14"
    ]
    pinned, hours_ago, _ = page.items
    assert pinned.text == "和平精英超话 暗夜危机7处规避丧尸的位置，记住就再也不用哭着喊妈妈了[doge]"
    assert pinned.meta["repost_of"] == "4387930325701338" and pinned.meta["likes"] == 6
    assert hours_ago.text == ("#和平精英# 氪金大佬晒日常——快乐主宰套装和枪械皮肤[doge]\n"
                              "和平精英超话和平精英游戏攻略超话 绝地求生刺激战场游戏攻略的微博视频")
    assert {i.author_id for i in page.items} == {"5529945701"}
    assert all(i.tz == "Asia/Shanghai" and "truncated" not in i.meta for i in page.items)


def test_weibo_profile_2019_reads_yesterday_and_drops_the_full_text_link():
    page = parse_search(body(WEIBO_PROFILE).decode(), "eprom", now=served_at(WEIBO_PROFILE))
    assert [(i.source_id, i.created_at) for i in page.items] == [
        ("4414949763467195", "2019-09-10T12:25:00+08:00"),   # "昨天 12:25", served 2019-09-11
        ("4414943321281350", "2019-09-10T11:59:00+08:00"),
        ("4414941093988009", "2019-09-10T11:50:00+08:00"),
        ("4414937776062677", "2019-09-10T11:37:00+08:00"),   # edited Tue Sep 10 11:55:28 +0800 2019
    ]
    repost, with_comment, plain, long_post = page.items
    assert repost.text == "[摊手]//@真不想做七字狗:不笑不足以为道"
    assert with_comment.text.startswith("[白眼]，提醒大家不要跟右边这样的人打交道。//@卡夫卡炸号三度:这条我一定要bb两句")
    assert plain.text.endswith("道隐无名。夫唯道，善贷且成。")
    assert long_post.text.endswith("想做慈善，就必须摒弃那些荷尔蒙造成的冲动，否则你就会")
    assert "全文" not in long_post.text and "..." not in long_post.text and long_post.meta["truncated"] is True
    assert long_post.text.count("\n\n") == 2  # its <br /><br /> paragraphs
    assert long_post.meta["likes"] == 413 and with_comment.meta["repost_of"] == "4414937776062677"
    assert {i.author_id for i in page.items} == {"1245161127"}


def test_weibo_hot_channel_2019_hours_ago():
    (post,) = parse_search(body(WEIBO_HOT).decode(), "多肉", now=served_at(WEIBO_HOT)).items
    # "16小时前" on 2019-08-26 09:56:46 Beijing time
    assert (post.source_id, post.created_at) == ("4409230629430129", "2019-08-25T17:56:46+08:00")
    assert post.text == "懒人版教学，如何让多肉稳定成长……而且几个月不管的那种，如图："
    assert post.meta == {"keyword": "多肉", "reposts": 1080, "comments": 847, "likes": 3584}
    assert (post.author, post.author_id) == ("小迷妹神吐槽", "2308323314")


def _weibo(name: str, keyword: str):
    return parse_search(body(name).decode(), keyword, now=served_at(name)).items


def test_weibo_search_tab_2018_reads_emoji_written_alt_equals_with_spaces():
    first, second = _weibo(WEIBO_SEARCH_P7, "世界杯")
    # "4分钟前" and "5分钟前" on 2018-06-24 03:21:31 Beijing time
    assert (first.source_id, first.created_at) == ("4254273921062696", "2018-06-24T03:17:31+08:00")
    assert (second.source_id, second.created_at) == ("4254273712330310", "2018-06-24T03:16:31+08:00")
    # <img alt = [泪] ...> is the crying emoji; the zero-width space that ends every 2018 text is gone
    assert first.text == ("#2018世界杯#罗伊斯进球的那一刻，真的快哭了，真的体会到了昨天内马尔比赛结束后掩面哭泣的那种感受\n"
                          "[泪] 壹只JOKER的秒拍视频")
    assert second.text.startswith("【#世界杯吐槽大会#】因伤错过连续两次大赛") and second.text.endswith("中的25%的比赛。")
    assert (first.author, first.author_id, second.author, second.author_id) == (
        "壹只JOKER", "1084322301", "爆棚仓鼠", "2747143811")
    assert second.meta == {"keyword": "世界杯", "reposts": 17, "comments": 7, "likes": 45}


def test_weibo_search_tab_2018_page_with_ads_user_cards_and_plain_full_text_marks():
    items = _weibo(WEIBO_SEARCH_P2, "世界杯")
    # served 2018-06-24 02:26:03: 刚刚 is that second, N分钟前/N小时前 count back, MM-DD is this year's
    assert [(i.source_id, i.created_at) for i in items] == [
        ("4250479733509778", "2018-06-13T00:00:00+08:00"),   # "06-13", the promoted post (a top-level card)
        ("4254253956751501", "2018-06-24T01:58:03+08:00"),   # "28分钟前"
        ("4254140659434522", "2018-06-23T19:26:03+08:00"),   # "7小时前"
        ("4253840204735340", "2018-06-22T00:00:00+08:00"),   # "06-22"
        ("4254261069778534", "2018-06-24T02:26:03+08:00"),   # "刚刚" (x6)
        ("4254261031842739", "2018-06-24T02:26:03+08:00"),
        ("4254260982606327", "2018-06-24T02:26:03+08:00"),
        ("4254260969356491", "2018-06-24T02:26:03+08:00"),
        ("4254260944436767", "2018-06-24T02:26:03+08:00"),
        ("4254260923858447", "2018-06-24T02:26:03+08:00"),
        ("4254260893765304", "2018-06-24T02:25:03+08:00"),   # "1分钟前" (x2)
        ("4254260881172761", "2018-06-24T02:25:03+08:00")]
    by_id = {i.source_id: i for i in items}
    neymar, korea = by_id["4253840204735340"], by_id["4254260944436767"]
    # long posts end " \u200b...全文" as plain text in 2018: cut off, flagged
    assert neymar.text.endswith("点球被VAR吹掉、与裁判争论发泄结果吃牌……最后的最后取得进球，他终") and neymar.meta["truncated"]
    assert korea.text.endswith("但欠点运气，而且墨西哥的防") and korea.meta["truncated"]
    assert "\n说实话，今天韩国队锋线上还是表现得不错的" in korea.text      # its <br />
    assert by_id["4254253956751501"].text.endswith("被出示了4张黄牌。\n[doge]\n[doge]")
    assert by_id["4254261031842739"].meta["repost_of"] == "4253106449378623"
    assert (by_id["4250479733509778"].author, by_id["4250479733509778"].meta["likes"]) == ("vivo", 116480)
    assert sum("truncated" in i.meta for i in items) == 2
    assert not any("\u200b" in i.text or "全文" in i.text for i in items)


def test_weibo_search_tab_2018_hours_ago_and_cut_posts():
    items = _weibo(WEIBO_SEARCH_GUAXUE, "挂靴")
    assert len(items) == 13 and len({i.author_id for i in items}) == 13
    by_id = {i.source_id: i for i in items}
    # served 2018-06-24 05:04:27
    assert by_id["4254207068235675"].created_at == "2018-06-23T23:04:27+08:00"   # "6小时前"
    assert by_id["4254142992142613"].created_at == "2018-06-23T19:04:27+08:00"   # "10小时前"
    assert by_id["4254024746441479"].created_at == "2018-06-23T11:04:27+08:00"   # "18小时前"
    assert by_id["4253997785711603"].created_at == "2018-06-23T09:04:27+08:00"   # "20小时前"
    assert by_id["4245770112569916"].created_at == "2018-05-31T00:00:00+08:00"   # "05-31"
    assert by_id["4253029038873043"].text.endswith("在今年1月份出任维多利亚科隆的主帅。\n#德甲# #沃尔夫斯堡#")
    assert by_id["4243968230804717"].text.endswith("但巴斯比心意已决，前往曼联")
    assert {i.source_id for i in items if i.meta.get("truncated")} == {"4253029038873043", "4243968230804717"}
    assert by_id["4254138076471546"].text == "一冠两亚 就此挂靴"
    assert by_id["4254024746441479"].text.startswith("挂靴、洗手从此退出卜卦行列不问世事沧桑……\n[失望]\n[委屈]\n[失望]\n麻蛋……")
    assert by_id["4253836384695482"].meta["repost_of"] == "4253727240392639"
    assert (by_id["4254207068235675"].author, by_id["4254207068235675"].author_id) == ("爆棚仓鼠", "2747143811")



# -- crawls ----------------------------------------------------------------------------------
def test_weibo_crawl_keeps_every_post_and_hashes_the_uid(make_site, tmp_path: Path):
    def search(keyword: str, page: int) -> str:
        return "/api/container/getIndex?" + urlencode(
            {"containerid": f"100103type=61&q={keyword}", "page_type": "searchall", "page": page})

    site = make_site({"captures": {search("和平精英", 1): served(WEIBO_TIMELINE, "application/json; charset=utf-8"),
                                   search("eprom", 1): served(WEIBO_PROFILE, "application/json; charset=utf-8")},
                      "weibo": {"和平精英": {"posts": []}, "eprom": {"posts": []}}})      # page 2: ok 0
    data = tmp_path / "data"
    stats = voclens_crawl(data, "weibo", "-a", "keywords=和平精英,eprom", "-a", f"base_url={site.url}",
                          env={"VOCLENS_AUTHOR_SALT": SALT})
    assert stats["new"] == 3 + 4 and stats["invalid"] == 0
    docs = stored(data)
    assert docs["4394384827138748"].created_at == datetime(2019, 7, 15, 10, 30, tzinfo=UTC)  # 15小时前
    assert docs["4414949763467195"].created_at == datetime(2019, 9, 10, 4, 25, tzinfo=UTC)   # 昨天 12:25
    assert docs["4414937776062677"].meta["truncated"] is True
    assert docs["4414937776062677"].author_hash == hash_author_id("weibo", "1245161127", SALT)


def test_weibo_crawl_of_the_search_tab_keeps_every_post(make_site, tmp_path: Path):
    def search(keyword: str, page: int) -> str:
        return "/api/container/getIndex?" + urlencode(
            {"containerid": f"100103type=1&q={keyword}", "page_type": "searchall", "page": page})

    json_type = "application/json; charset=utf-8"
    site = make_site({"captures": {search("世界杯", 1): served(WEIBO_SEARCH_P2, json_type),
                                   search("世界杯", 2): served(WEIBO_SEARCH_P7, json_type),
                                   search("挂靴", 1): served(WEIBO_SEARCH_GUAXUE, json_type)},
                      "weibo": {"世界杯": {"posts": []}, "挂靴": {"posts": []}}})       # then ok 0
    data = tmp_path / "data"
    stats = voclens_crawl(data, "weibo", "-a", "keywords=世界杯,挂靴", "-a", "order=mixed", "-a", f"base_url={site.url}",
                          env={"VOCLENS_AUTHOR_SALT": SALT})
    assert stats["new"] == 12 + 2 + 13 and stats["invalid"] == 0                 # 27 of 27 kept
    docs = stored(data)
    assert docs["4254253956751501"].created_at == datetime(2018, 6, 23, 17, 58, 3, tzinfo=UTC)   # 28分钟前
    assert docs["4254273921062696"].text.endswith("感受\n[泪] 壹只JOKER的秒拍视频")
    assert docs["4253840204735340"].meta["truncated"] is True
    assert docs["4254207068235675"].author_hash == hash_author_id("weibo", "2747143811", SALT)

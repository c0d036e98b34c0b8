"""SimHash near-duplicates (crawlers/dedupe.py) and their persistence in the crawl state (crawlers/state.py)."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from crawlers.dedupe import MAX_DISTANCE, FingerprintIndex, bands, distance, normalise_text, simhash
from crawlers.state import CrawlState

SPAM_ZH = ("加微信领红包返现50元，好评截图发给客服立即到账，机会难得，先到先得不要错过。"
           "本店所有商品均为正品，支持七天无理由退换货，全国包邮，下单即送精美礼品一份")
SPAM_EN = ("Add me on WhatsApp for a full refund after you leave a five star review, "
           "limited offer for verified buyers only, message the shop today")

#: Copy-paste edits spammers make: punctuation, spacing, case, emoji, full-width forms, brackets.
EDITS = [
    lambda t: t + "！！！",
    lambda t: t.replace("，", " ").replace(",", " "),
    lambda t: t.upper().replace("微信", "微 信"),
    lambda t: "🔥" + t + "😀👍",
    lambda t: "【" + t + "】",
    lambda t: t.replace("50", "５０").replace("five", "ｆｉｖｅ"),   # full-width digits and letters (NFKC)
    lambda t: t.replace("。", "...").replace(", ", " - "),
]

#: Different customers writing about the same product: never near-duplicates of each other.
DIFFERENT = [
    "物流很快，第二天就到了，包装也很结实，手机拿到手很轻薄，屏幕显示细腻",
    "用了一个星期电池不太耐用，玩游戏两个小时就没电了，有点失望",
    "客服态度很好，耐心解答了我关于保修的问题，还主动帮我申请了价保",
    "拍照效果比上一代好很多，夜景清楚了，但是前置摄像头美颜太重",
    "发货慢了三天，问客服也没有回复，收到以后发现屏幕有一道划痕",
    "Suction is strong on carpets but the battery barely lasts twenty minutes on max",
    "Arrived two days early and was easy to assemble without any tools at all",
    "The app keeps disconnecting from wifi, support told me to reset it twice",
    "Great value for the price, quieter than my old vacuum and much lighter",
    "Stopped charging after a month; the replacement took three weeks to arrive",
    "The brush roll tangles with long hair constantly, I cut it free every week",
    "屏幕很大看视频很爽，就是有点重，单手拿久了手腕会酸",
]


@pytest.mark.parametrize("spam", [SPAM_ZH, SPAM_EN], ids=["zh", "en"])
@pytest.mark.parametrize("edit", range(len(EDITS)))
def test_copy_pasted_spam_with_small_edits_is_found(spam: str, edit: int):
    index = FingerprintIndex()
    index.add(simhash(spam), "original")
    copy = EDITS[edit](spam)
    assert copy != spam
    found = index.nearest(simhash(copy), exclude_id="copy")
    assert found is not None and found[0] == "original" and found[1] <= MAX_DISTANCE


def test_different_reviews_are_not_near_duplicates():
    fps = {t: simhash(t) for t in DIFFERENT}
    assert all(fp is not None for fp in fps.values())
    close = [(a, b) for a, b in itertools.combinations(DIFFERENT, 2) if distance(fps[a], fps[b]) <= MAX_DISTANCE]
    assert close == []
    index = FingerprintIndex()
    for n, text in enumerate(DIFFERENT):
        assert index.nearest(fps[text]) is None, text
        index.add(fps[text], f"d{n}")
    assert index.nearest(simhash(SPAM_ZH)) is None


def test_short_texts_are_never_compared():
    # "好评！" and "Great product" are written independently by many customers
    assert simhash("好评！好评！") is None and simhash("Great product!!") is None
    assert normalise_text("Great, product!! 👍") == "greatproduct"


def test_a_changed_word_in_a_short_review_is_beyond_reach():
    """The limit of 3 bits: editing a word of a ~100-character text moves the fingerprint further (documented)."""
    edited = SPAM_ZH.replace("精美礼品", "实用赠品")
    assert distance(simhash(SPAM_ZH), simhash(edited)) > MAX_DISTANCE


def test_bands_make_every_close_fingerprint_a_candidate():
    """Pigeonhole: 3 flipped bits leave at least one of the 4 bands intact, so the indexed lookup finds it."""
    rng = random.Random(7)
    fp = simhash(SPAM_EN)
    for _ in range(2000):
        other = fp
        for bit in rng.sample(range(64), rng.randint(1, MAX_DISTANCE)):
            other ^= 1 << bit
        assert set(enumerate(bands(fp))) & set(enumerate(bands(other)))
        index = FingerprintIndex()
        index.add(other, "x")
        assert index.nearest(fp) == ("x", distance(fp, other))
    one_per_band = fp ^ sum(1 << (16 * i) for i in range(4))      # 4 bits apart: no band in common, not found
    index = FingerprintIndex()
    index.add(one_per_band, "x")
    assert index.nearest(fp) is None


def test_fingerprints_persist_across_crawls(tmp_path: Path):
    path = tmp_path / "crawl-state.sqlite"
    high = (1 << 63) | 12345  # above SQLite's signed range: stored signed, read back unsigned
    first = CrawlState(path)
    first.add_fingerprints([("doc-spam", simhash(SPAM_ZH)), ("doc-high", high)])
    first.close()

    later = CrawlState(path)  # next month's crawl opens the same file
    try:
        found = later.nearest(simhash(EDITS[3](SPAM_ZH)))
        assert found is not None and found[0] == "doc-spam"
        assert later.nearest(high ^ 0b101) == ("doc-high", 2)
        assert later.nearest(simhash(SPAM_ZH), exclude_id="doc-spam") is None   # a re-crawl of itself
        assert later.nearest(simhash(DIFFERENT[0])) is None
        later.add_fingerprints([("doc-spam", simhash(SPAM_EN))])                 # re-written document: replaced
        assert later.nearest(simhash(SPAM_ZH)) is None
    finally:
        later.close()

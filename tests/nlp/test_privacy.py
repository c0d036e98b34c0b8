"""The masker: every identifier class in Chinese and English, full-width forms, and what must stay."""

from __future__ import annotations

import pytest

from nlp.privacy import (
    DEFAULT_AUTHOR_SALT,
    hash_author,
    hash_author_id,
    is_default_salt,
    luhn_valid,
    mask_fields,
    mask_pii,
    mask_value,
    resident_id_valid,
)

ID_NUMBER = "11010519491231002X"      # check digit X (GB 11643 example)
ID_NUMBER_2 = "440308199901011234"    # check digit 4
CARD_VISA = "4111111111111111"
CARD_UNIONPAY = "6222021234567890128"  # 19 digits, Luhn-valid
CARD_AMEX = "378282246310005"


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize(("text", "masked"), [
    # phones, both languages
    ("联系我13812345678谢谢", "联系我[phone]谢谢"),
    ("电话：+86 138 1234 5678", "电话：[phone]"),
    ("座机 010-12345678 转 8", "座机 [phone] 转 8"),
    ("客服（021）6888 8888", "客服[phone]"),
    ("call me at (415) 555-2671 please", "call me at [phone] please"),
    ("ring +44 20 7946 0958", "ring [phone]"),
    ("1 800 555 0199 is their line", "[phone] is their line"),
    # e-mail
    ("mail jane.doe@example.com please", "mail [email] please"),
    ("邮箱 12345678@qq.com 联系", "邮箱 [email] 联系"),
    # resident ID with its check digit, plain or grouped
    (f"身份证号{ID_NUMBER}，麻烦查一下", "身份证号[id_number]，麻烦查一下"),
    (f"my ID {ID_NUMBER_2[:6]} {ID_NUMBER_2[6:14]} {ID_NUMBER_2[14:]} ok", "my ID [id_number] ok"),
    # bank cards by Luhn, grouped or not
    ("4111 1111 1111 1111", "[bank_card]"),
    (f"退款到卡号{CARD_UNIONPAY}吧", "退款到卡号[bank_card]吧"),
    ("card 4111-1111-1111-1111 was charged twice", "card [bank_card] was charged twice"),
    ("Amex 3782 822463 10005", "Amex [bank_card]"),
    (f"{CARD_VISA} 2 times", "[bank_card] 2 times"),
    # WeChat / QQ after their cues; the cue stays
    ("加我微信：lumio_fan88 详聊", "加我微信：[wechat] 详聊"),
    ("VX abc-12345 私聊", "VX [wechat] 私聊"),
    ("add my WeChat: johnsmith for a refund", "add my WeChat: [wechat] for a refund"),
    ("wechat id jane_doe2026", "wechat id [wechat]"),
    ("QQ：12345678，扣扣 987654321", "QQ：[qq]，扣扣 [qq]"),
    ("my qq is 2233445566", "my qq is [qq]"),
])
def test_each_identifier_class_is_masked(text, masked):
    assert mask_pii(text) == masked


@pytest.mark.parametrize(("text", "masked"), [
    (fullwidth("13800138000"), "[phone]"),
    ("电话：" + fullwidth("138-0013-8000") + "！", "电话：[phone]！"),
    (fullwidth("a@b.com"), "[email]"),
    ("a＠b.com", "[email]"),
    (fullwidth(ID_NUMBER), "[id_number]"),
    (fullwidth("4111 1111 1111 1111"), "[bank_card]"),
    ("ＶＸ：" + fullwidth("abc1234"), "ＶＸ：[wechat]"),
    (fullwidth("QQ") + "　12345678", fullwidth("QQ") + "　[qq]"),
])
def test_full_width_forms_are_folded_before_matching(text, masked):
    assert mask_pii(text) == masked


def test_only_masked_spans_lose_their_full_width_characters():
    text = "物流太慢！（三天）联系：１３８００１３８０００，谢谢。"
    assert mask_pii(text) == "物流太慢！（三天）联系：[phone]，谢谢。"


@pytest.mark.parametrize("text", [
    "订单号2026111812345",
    "订单号：202611181234567890",
    "订单号 5200 1234 5678 9012 3",
    "iPhone 15 Pro 256GB",
    "¥1299",
    "价格 1299.00 元 9.9折，运费12元，优惠券-100",
    "2026-11-18",
    "2026/11/18 14:05",
    "order #112233445566 arrived 2026-11-18 10:30",
    "model SM-G9910 2345678",
    "SN: 12345678901234",
    "SN 4111111111111111",
    "ISBN 9787020002207",
    "110105194912310021 is not an ID: wrong check digit",
    "1234567890123456 fails Luhn",
    "wechat support never answered",
    "wechat is terrible for refunds",
    "微信支付很方便",
    "qq音乐会员2026年",
    "order 2026111812345 cost 299.00 at 12:30",
])
def test_ordinary_numbers_are_not_masked(text):
    assert mask_pii(text) == text


def test_masking_twice_changes_nothing_more():
    text = f"微信 lumio_fan88 QQ 12345678 卡 {CARD_VISA} 电话 13800138000 {ID_NUMBER} a@b.com"
    once = mask_pii(text)
    assert mask_pii(once) == once
    assert not any(ch.isdigit() for ch in once)


def test_check_digit_and_luhn():
    assert resident_id_valid(ID_NUMBER) and resident_id_valid(ID_NUMBER_2)
    assert not resident_id_valid(ID_NUMBER[:-1] + "1")
    assert luhn_valid(CARD_VISA) and luhn_valid(CARD_UNIONPAY) and luhn_valid(CARD_AMEX)
    assert not luhn_valid("4111111111111112")


def test_mask_value_walks_nested_metadata_and_keeps_keys():
    meta = {"follow_up": "加微信 lumio_fan88", "contacts": [{"tel": "13800138000"}, "a@b.com"],
            "phone_number": 13800138000, "votes": 12, "ok": True, "score": 1.5}
    assert mask_value(meta) == {"follow_up": "加微信 [wechat]", "contacts": [{"tel": "[phone]"}, "[email]"],
                                "phone_number": "[phone]", "votes": 12, "ok": True, "score": 1.5}


def test_mask_fields_covers_text_title_product_name_and_meta_only():
    record = {"text": "call 13800138000", "title": "a@b.com", "product_name": "QQ 12345678 同款",
              "meta": {"note": ID_NUMBER}, "source_id": "13800138000"}
    assert mask_fields(record) == {"text": "call [phone]", "title": "[email]", "product_name": "QQ [qq] 同款",
                                   "meta": {"note": "[id_number]"}, "source_id": "13800138000"}


def test_author_ids_are_hashed_apart_from_handles():
    assert hash_author_id("weibo", 5000002, "s3cret-salt") == hash_author("weibo", "id:5000002", "s3cret-salt")
    assert hash_author_id("weibo", "5000002", "s3cret-salt") != hash_author("weibo", "5000002", "s3cret-salt")
    assert is_default_salt(DEFAULT_AUTHOR_SALT) and not is_default_salt("s3cret-salt")

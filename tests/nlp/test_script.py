"""Traditional Chinese folded to simplified for matching and classification (issue 23)."""

from __future__ import annotations

import pytest

from nlp import Analyser, LexiconClassifier, fold, normalize
from nlp._script import TRADITIONAL_CHARS_FILE, _get_converter, has_traditional

# Hong Kong and Taiwan wording, with the simplified text each must fold to.
WORDING = [
    ("質量很差，用了兩天就壞了", "质量很差，用了两天就坏了"),
    ("物流太慢，等咗一個星期", "物流太慢，等咗一个星期"),
    ("客服態度很好，退貨也很快", "客服态度很好，退货也很快"),
    ("這個軟體的網路功能常常斷線", "这个软体的网路功能常常断线"),
    ("為什麼還沒發貨？裏面的綫都斷了", "为什么还没发货？里面的线都断了"),
    ("頭髮乾燥，乾隆年間", "头发干燥，乾隆年间"),  # the phrase table keeps 乾 in 乾隆
]


@pytest.mark.parametrize(("traditional", "simplified"), WORDING)
def test_fold_hong_kong_and_taiwan_wording(traditional, simplified):
    assert fold(traditional) == simplified
    assert len(fold(traditional)) == len(traditional)  # offsets carry over
    assert fold(simplified) == simplified


@pytest.mark.parametrize("text", [
    "快递打坏了，沈先生说覆盖面很广",  # 打坏 and 深沈 are OpenCC phrases: simplified text never reaches them
    "什么时候发货？怎么这么慢",
    "The delivery was slow, refund refused",
    "",
])  # fmt: skip
def test_simplified_and_english_are_left_alone(text):
    assert not has_traditional(text)
    assert fold(text) == text


def test_trigger_list_holds_every_character_opencc_changes_alone():
    """The shipped list (``scripts/traditional_chars.py``) matches the installed OpenCC."""
    listed = "".join(l for l in TRADITIONAL_CHARS_FILE.read_text(encoding="utf-8").splitlines() if not l.startswith("#"))
    ranges = [(0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F)]
    chars = [chr(c) for lo, hi in ranges for c in range(lo, hi + 1)]
    converted = _get_converter().convert("\n".join(chars)).split("\n")
    assert len(converted) == len(chars)
    changed = {c for c, out in zip(chars, converted, strict=True) if out != c}
    assert changed <= set(listed), sorted(changed - set(listed))[:20]
    assert all(has_traditional(c) for c in changed)


def test_analyser_tokens_are_the_same_in_either_script():
    a = Analyser()
    for traditional, simplified in WORDING:
        assert a.tokenize(traditional) == a.tokenize(simplified)
        assert a.query_tokens(traditional) == a.query_tokens(simplified)
    assert normalize("ＡＢＣ質量") == "ABC质量"


def test_user_terms_in_traditional_match_both_scripts():
    a = Analyser(user_terms=["戴森吹風機"])
    assert "戴森吹风机" in a.tokenize("戴森吹風機很好用")
    assert "戴森吹风机" in a.tokenize("戴森吹风机很好用")


@pytest.mark.parametrize(("traditional", "simplified"), WORDING + [
    ("物流很快，但是質量很差，客服也不理人", "物流很快，但是质量很差，客服也不理人"),
    ("包裝破損，要求退款", "包装破损，要求退款"),
])  # fmt: skip
def test_lexicon_labels_traditional_as_simplified(traditional, simplified):
    clf = LexiconClassifier()
    assert clf.predict(traditional).model_dump() == clf.predict(simplified).model_dump()

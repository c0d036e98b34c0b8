"""The analyser's Chinese segmentation is jieba's: rjieba must cut exactly as jieba does."""

import logging

import jieba
import pytest

from nlp.analyser import Analyser

SENTENCES = [
    "物流太慢了，等了一个星期才到",
    "快递小哥服务态度很好，包装也很用心",
    "爽肤水瓶子漏液了，洒了一半，太失望",
    "中华人民共和国成立以来第一次买到这么差的充电宝",
    "客服一直不回复，申请退款三天了还没处理",
    "尺码偏大一号，建议买小一码",
    "这款吹风机性价比很高，双十一降价后更划算",
    "App闪退好几次，下单失败",
    "收到的货与描述不符，颜色有色差，还少了配件",
    "南京市长江大桥欢迎你",
]


@pytest.fixture(scope="module")
def reference():
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    return tok


@pytest.mark.parametrize("text", SENTENCES)
def test_search_tokens_equal_jieba_cut_for_search(reference, text):
    # English words are stemmed by us and not by jieba: compare the Chinese tokens.
    ours = [w for w in Analyser().tokenize(text) if not w.isascii()]
    theirs = [w for w in reference.cut_for_search(text.lower()) if w.strip() and not w.isascii() and w not in "，。！？"]
    assert ours == theirs


def test_user_terms_and_user_dictionary_file(tmp_path):
    plain = Analyser().query_tokens("青禾水光精华很好用")
    assert "青禾水光精华" not in plain
    assert "青禾水光精华" in Analyser(user_terms=["青禾水光精华"]).query_tokens("青禾水光精华很好用")
    udict = tmp_path / "brands.txt"
    udict.write_text("# brands\n青禾水光精华 300 nz\n伏特拉\n", encoding="utf-8")
    a = Analyser(user_dict=udict)
    assert "青禾水光精华" in a.query_tokens("青禾水光精华很好用")
    assert "伏特拉" in a.query_tokens("伏特拉充电宝")


def test_bad_user_dictionary_names_file_and_line(tmp_path):
    udict = tmp_path / "bad.txt"
    udict.write_text("好词 10\n坏词 many\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.txt:2"):
        Analyser(user_dict=udict).tokenize("测试")

"""Corpus loaders on tiny files in each set's real format, and on the real shared data."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from nlp.annotations.store import read_plan

from nlp.training._example import Row, finish
from nlp.training.corpora import (
    CORPORA,
    EMOTICON,
    Example,
    load_absa_term_en_tshirt_television,
    load_absa_term_zh_pyabsa,
    load_aichallenger2018_fsauor_subset,
    load_all,
    load_asap_samples,
    load_banking77,
    load_ccf_bdci2018_car_aspect,
    load_cfpb_consumer_complaints_sample,
    load_corpus,
    load_ecommerce_dispute_appeals_zh,
    load_online_shopping_10_cats,
    load_semeval_absa_2014_2016,
    load_smp2020_ewect,
    load_tweeteval_sentiment,
    load_uci_sentiment_labelled_sentences,
    load_waimai_10k,
    load_weibo_senti_100k_partial,
    load_zhijiang2019_ecommerce_opinion,
    mapping_table,
)
from nlp.training.evaluation import DEFAULT_DATA_DIR, split_of
from nlp.labels import DEFAULT_TOPICS, Polarity

P, N, U = Polarity.positive, Polarity.negative, Polarity.neutral
DINING = frozenset({"customer_service", "price", "quality"})
real_data = pytest.mark.skipif(not DEFAULT_DATA_DIR.exists(), reason="shared data not present")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])


def _by_text(examples: list[Example]) -> dict[str, Example]:
    return {ex.text: ex for ex in examples}


# -- the example type and the shared clean-up ----------------------------------------------


def test_example_rejects_topics_outside_covered_or_taxonomy():
    with pytest.raises(ValueError, match="not covered"):
        Example("t", "zh", "s", "train", None, {"price": N}, frozenset())
    with pytest.raises(ValueError, match="outside the taxonomy"):
        Example("t", "zh", "s", "train", None, {}, frozenset({"delivery"}))
    with pytest.raises(ValueError, match="split"):
        Example("t", "zh", "s", "test", P, {}, frozenset())
    ex = Example("t", "en", "s", "dev", None, {"price": N}, frozenset({"price"}))
    with pytest.raises(TypeError):
        ex.topics["price"] = P  # type: ignore[index]


def test_finish_strips_drops_empty_and_later_duplicates_and_unlabelled():
    rows = [Row("  好  ", P), Row("   ", N), Row("好", N), Row("无标注"), Row("差", N)]
    out = finish("waimai_10k", rows, lang="zh")
    assert [(ex.text, ex.sentiment) for ex in out] == [("好", P), ("差", N)]
    assert all(ex.split == split_of(ex.text, 10, 10) and ex.source == "waimai_10k" for ex in out)


# -- sentiment-only sets --------------------------------------------------------------------


def test_online_shopping_and_waimai_map_binary_labels(tmp_path):
    _write(tmp_path / "online_shopping_10_cats" / "online_shopping_10_cats.csv",
           "cat,label,review\n书籍,1,\ufeff好书\n水果,0,\n衣服,0,起球\n衣服,1,起球\n")  # fmt: skip
    _write(tmp_path / "waimai_10k" / "waimai_10k.csv", "label,review\n1,很快\n0,太咸了\nx,坏\n")
    shop = load_online_shopping_10_cats(tmp_path)
    assert [(ex.text, ex.sentiment) for ex in shop] == [("好书", P), ("起球", N)]
    assert all(ex.covered == frozenset() and ex.topics == {} and ex.lang == "zh" for ex in shop)
    waimai = load_waimai_10k(tmp_path)
    assert [(ex.text, ex.sentiment) for ex in waimai] == [("很快", P), ("太咸了", N)]


def test_weibo_strips_emoticons_and_drops_what_only_they_told_apart(tmp_path):
    _write(tmp_path / "weibo_senti_100k_partial" / "weibo_senti_100k_partial_union.csv",
           "label,review,n_sources\n"
           "1,今天真开心[哈哈][哈哈] [good],1\n"
           "0,[泪][泪],1\n"
           "1,又下雨了[嘻嘻],1\n"
           "0,又下雨了[泪],2\n"
           "0,[原文地址：http://t.cn/x ] 堵车[怒],1\n")  # fmt: skip
    ex = load_weibo_senti_100k_partial(tmp_path)
    assert [(e.text, e.sentiment) for e in ex] == [
        ("今天真开心", P), ("[原文地址：http://t.cn/x ] 堵车", N),
    ]  # fmt: skip
    assert all(e.weak for e in ex)
    assert EMOTICON.findall("[哈哈][江南style][?]") == ["[哈哈]", "[江南style]", "[?]"]


def test_smp2020_maps_emotions_and_splits_by_text(tmp_path):
    folder = tmp_path / "smp2020_ewect"
    labels = ["happy", "angry", "sad", "fear", "neutral", "surprise", "unknown"]
    records = [{"id": i, "content": f"微博{i}", "label": lab} for i, lab in enumerate(labels)]
    _write(folder / "usual_eval_labeled.txt", json.dumps(records[:4], ensure_ascii=False))
    _write(folder / "virus_train.txt", json.dumps(records[4:], ensure_ascii=False))
    ex = load_smp2020_ewect(tmp_path)
    assert [e.sentiment for e in ex] == [P, N, N, N, U, U]
    assert all(e.split == split_of(e.text, 10, 10) for e in ex)


def test_tweeteval_uci_and_cfpb(tmp_path):
    folder = tmp_path / "tweeteval_sentiment"
    _write(folder / "val_text.txt", "meh @user \nlove it\nhate it\n")
    _write(folder / "val_labels.txt", "1\n2\n0\n")
    assert [(e.text, e.sentiment) for e in load_tweeteval_sentiment(tmp_path)] == [
        ("meh @user", U), ("love it", P), ("hate it", N),
    ]  # fmt: skip
    uci = tmp_path / "uci_sentiment_labelled_sentences"
    _write(uci / "amazon_cells_labelled.txt", "Good case, Excellent value.\t1\nBad\tbattery.\t0\n")
    _write(uci / "imdb_labelled.txt", "A slow movie.  \t0\n")
    _write(uci / "yelp_labelled.txt", "Good case, Excellent value.\t1\n")
    held = load_uci_sentiment_labelled_sentences(tmp_path)
    assert [(e.text, e.sentiment) for e in held] == [
        ("Good case, Excellent value.", P), ("Bad\tbattery.", N), ("A slow movie.", N),
    ]  # fmt: skip
    assert {e.split for e in held} == {"dev"} and CORPORA[held[0].source].held_out
    cfpb_file = tmp_path / "cfpb_consumer_complaints_sample" / "Consumer_Complaints_sample.csv"
    _write_csv(cfpb_file, ["Product", "Consumer_complaint_narrative", "Issue"],
               [["Mortgage", "", "x"], ["Debt collection", "They keep calling me.", "y"]])
    cfpb = load_cfpb_consumer_complaints_sample(tmp_path)
    assert [(e.text, e.sentiment, e.weak) for e in cfpb] == [("They keep calling me.", N, True)]


def test_held_out_texts_never_reach_a_trainable_set(tmp_path):
    _write(tmp_path / "tweeteval_sentiment" / "val_text.txt", "Great food.\nok then\n")
    _write(tmp_path / "tweeteval_sentiment" / "val_labels.txt", "2\n1\n")
    uci = tmp_path / "uci_sentiment_labelled_sentences"
    for name in ("amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt"):
        _write(uci / name, "Great food.\t1\n")
    assert [e.text for e in load_corpus("tweeteval_sentiment", tmp_path)] == ["ok then"]
    assert len(load_tweeteval_sentiment(tmp_path)) == 2  # the plain loader does not filter
    sets = load_all(tmp_path, ["tweeteval_sentiment", "uci_sentiment_labelled_sentences"])
    assert [e.text for e in sets["tweeteval_sentiment"]] == ["ok then"]
    assert [e.text for e in sets["uci_sentiment_labelled_sentences"]] == ["Great food."]
    # without the held-out set in data_dir there is nothing to leak
    other = tmp_path / "other"
    _write(other / "tweeteval_sentiment" / "val_text.txt", "Great food.\n")
    _write(other / "tweeteval_sentiment" / "val_labels.txt", "2\n")
    assert [e.text for e in load_corpus("tweeteval_sentiment", other)] == ["Great food."]


# -- aspect-column sets ---------------------------------------------------------------------

_DIANPING_HEADER = [
    "service_wait_time", "service_waiters_attitude", "service_parking_convenience",
    "service_serving_speed", "price_level", "location_traffic", "dish_taste", "dish_portion",
]  # fmt: skip


def test_asap_maps_stars_and_resolves_aspect_columns(tmp_path):
    folder = tmp_path / "asap_samples"
    header = ["index", "reviewbody", "star", *_DIANPING_HEADER]
    _write_csv(folder / "train_sample.csv", header, [
        # attitude +, speed -, wait - -> customer_service negative; parking ignored
        ["1", "服务慢，态度好", "2.0", "-1", "1", "1", "-1", "-2", "1", "-2", "-2"],
        # taste + and portion 0 -> quality positive; -2 everywhere else is absent
        ["2", "好吃不贵", "5.0", "-2", "-2", "-2", "-2", "0", "-2", "1", "0"],
    ])  # fmt: skip
    _write_csv(folder / "dev_sample.csv", header, [
        ["3", "一般", "3.0", *["-2"] * 8], ["4", "好吃不贵", "1.0", *["-2"] * 8],
    ])  # fmt: skip
    _write_csv(folder / "test_sample.csv", header, [["5", "只说停车", "4.0", "-2", "-2", "1",
                                                     *["-2"] * 5]])  # fmt: skip
    ex = _by_text(load_asap_samples(tmp_path))
    assert set(ex) == {"服务慢，态度好", "好吃不贵", "一般", "只说停车"}  # duplicate dropped
    assert ex["服务慢，态度好"].sentiment is N
    assert dict(ex["服务慢，态度好"].topics) == {"customer_service": N}
    assert ex["好吃不贵"].sentiment is P
    assert dict(ex["好吃不贵"].topics) == {"price": U, "quality": P}
    assert ex["一般"].sentiment is U and ex["一般"].topics == {}
    assert ex["只说停车"].topics == {} and ex["只说停车"].covered == DINING


def test_aichallenger_reads_both_languages_and_overall_experience(tmp_path):
    folder = tmp_path / "aichallenger2018_fsauor_subset"
    header = ["id", "content", *_DIANPING_HEADER, "others_overall_experience"]
    _write_csv(folder / "chinese_valid.csv", header,
               [["1", "服务员很热情", "-2", "1", *["-2"] * 6, "1"]])  # fmt: skip
    _write_csv(folder / "english_valid.csv", header,
               [["2", "Too expensive.", "-2", "-2", "-2", "-2", "-1", "-2", "-2", "-2", "-2"]])
    _write_csv(folder / "english_test.csv", header,
               [["3", "Too expensive.", *["-2"] * 8, "-1"]])  # fmt: skip
    ex = load_aichallenger2018_fsauor_subset(tmp_path)
    assert [(e.text, e.lang, e.sentiment, dict(e.topics)) for e in ex] == [
        ("服务员很热情", "zh", P, {"customer_service": P}),
        ("Too expensive.", "en", None, {"price": N}),
    ]  # fmt: skip
    assert all(e.covered == DINING for e in ex)


def test_ccf_groups_rows_by_text(tmp_path):
    header = ["content_id", "content", "subject", "sentiment_value", "sentiment_word"]
    _write_csv(tmp_path / "ccf_bdci2018_car_aspect" / "train_2.csv", header, [
        ["1", "价格高，动力好，油耗高", "价格", "-1", "高"],
        ["1", "价格高，动力好，油耗高", "动力", "1", "好"],
        ["1", "价格高，动力好，油耗高", "油耗", "-1", "高"],
        ["2", "后排空间大，导航山寨", "空间", "1", "大"],
        ["2", "后排空间大，导航山寨", "配置", "-1", "山寨"],
    ])  # fmt: skip
    ex = _by_text(load_ccf_bdci2018_car_aspect(tmp_path))
    first, second = ex["价格高，动力好，油耗高"], ex["后排空间大，导航山寨"]
    assert dict(first.topics) == {"price": N, "quality": U} and first.sentiment is N
    # 配置 has no topic but its opinion still counts for the overall: a tie
    assert dict(second.topics) == {"size_fit": P} and second.sentiment is U
    assert first.covered == {"price", "quality", "usability", "size_fit"}


def test_dispute_appeals_map_types_to_one_weak_negative_topic(tmp_path):
    header = ["dispute_id", "content", "outline", "outline_class1", "outline_class2",
              "outline_class3"]  # fmt: skip
    _write_csv(tmp_path / "ecommerce_dispute_appeals_zh" / "appeal_catagory.csv", header, [
        ["1", "快递一直停在中转站，不是我们的责任", "物流异常-物流停滞超72H-继续配送", "", "", ""],
        ["2", "谢谢", "物流异常-物流损-需要退款", "", "", ""],
        ["3", "尊敬的商家，您好！您申诉的交易纠纷单：123 请24H提供证明", "运费-售后运费纠纷-可退",
         "", "", ""],
        ["4", "商品与页面描述一致，客户自己选错了颜色", "其他-描述不符-可证明", "", "", ""],
        ["5", "客户在其他平台下单，要求我们承担后果", "其他-其他-其他", "", "", ""],
        ["6", "运费险已经理赔给客户了，请核实", "运费-售后运费纠纷-可退", "", "", ""],
    ])  # fmt: skip
    ex = load_ecommerce_dispute_appeals_zh(tmp_path)
    assert [(dict(e.topics), e.covered) for e in ex] == [
        ({"logistics": N}, {"logistics"}),
        ({"not_as_described": N}, {"not_as_described"}),
        ({"price": N}, {"price"}),
    ]  # fmt: skip
    assert all(e.sentiment is None and e.weak for e in ex)


# -- aspect-based sentiment sets ------------------------------------------------------------


def test_pyabsa_zh_rebuilds_spaced_sentences_and_maps_term_cues(tmp_path):
    folder = tmp_path / "absa_term_zh_pyabsa"
    _write(folder / "phone.train.txt",
           "$T$ 很 实 惠 但 是 屏 幕 太 暗\n价 格\nPositive\n"
           "价 格 很 实 惠 但 是 $T$ 太 暗\n屏 幕\nNegative\n"
           "$T$ 不 错\n信 号\nPositive\n")  # fmt: skip
    _write(folder / "hair.train.txt",
           "宝贝收到，$T$ ，洗完很顺滑\n物流很快\nPositive\n"
           "宝贝收到，物流很快，$T$\n洗完很顺滑\nPositive\n")  # fmt: skip
    names = [f"{d}.{s}.txt" for d in ("camera", "car", "notebook", "phone", "hair")
             for s in ("train", "test")]  # fmt: skip
    for name in names:
        if not (folder / name).exists():
            _write(folder / name, "")
    ex = _by_text(load_absa_term_zh_pyabsa(tmp_path))
    assert set(ex) == {"价格很实惠但是屏幕太暗", "信号不错", "宝贝收到，物流很快，洗完很顺滑"}
    price = ex["价格很实惠但是屏幕太暗"]
    assert price.sentiment is U and dict(price.topics) == {"price": P}  # 1 pos, 1 neg: a tie
    assert price.covered == {"price"}  # only what a cue found is covered
    assert ex["信号不错"].covered == frozenset() and ex["信号不错"].sentiment is P
    assert dict(ex["宝贝收到，物流很快，洗完很顺滑"].topics) == {"logistics": P}


def test_tshirt_television_terms(tmp_path):
    folder = tmp_path / "absa_term_en_tshirt_television"
    _write(folder / "Menstshirt_Train.xml.seg",
           "$T$ is good but colour faded .\nfabric quality\nPositive\n"
           "fabric quality is good but $T$ faded .\ncolour\nNegative\n"
           "runs small , $T$ is tight .\nfitting\nNegative\n")  # fmt: skip
    _write(folder / "Television_Train.xml.seg", "fast $T$ by Flipkart.\ndelivery\nPositive\n")
    for name in ("Menstshirt_Test_Gold.xml.seg", "Television_Test_Gold.xml.seg"):
        _write(folder / name, "")
    ex = _by_text(load_absa_term_en_tshirt_television(tmp_path))
    shirt = ex["fabric quality is good but colour faded."]
    assert dict(shirt.topics) == {"quality": P} and shirt.sentiment is U  # colour: no topic
    assert dict(ex["runs small, fitting is tight."].topics) == {"size_fit": N}
    assert dict(ex["fast delivery by Flipkart."].topics) == {"logistics": P}


_SEMEVAL14 = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sentences>
    <sentence id="1"><text>But the staff was so horrible to us.</text>
        <aspectCategories>
            <aspectCategory category="service" polarity="negative"/>
        </aspectCategories>
    </sentence>
    <sentence id="2"><text>Nice place, pricey but tasty.</text>
        <aspectCategories>
            <aspectCategory category="price" polarity="negative"/>
            <aspectCategory category="food" polarity="positive"/>
            <aspectCategory category="ambience" polarity="positive"/>
        </aspectCategories>
    </sentence>
    <sentence id="3"><text>The food was ok.</text>
        <aspectCategories><aspectCategory category="food" polarity="conflict"/></aspectCategories>
    </sentence>
</sentences>"""
_SEMEVAL16 = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Reviews><Review rid="1"><sentences>
    <sentence id="1:0"><text>But the staff was so horrible to us.</text>
        <Opinions><Opinion target="staff" category="SERVICE#GENERAL" polarity="neutral"/></Opinions>
    </sentence>
    <sentence id="1:1"><text>Being a PC user my whole life....</text></sentence>
    <sentence id="1:2" OutOfScope="TRUE"><text>My old Dell died.</text>
        <Opinions><Opinion category="LAPTOP#GENERAL" polarity="negative"/></Opinions>
    </sentence>
    <sentence id="1:3"><text>Shipping cost a fortune and took ages.</text>
        <Opinions>
            <Opinion category="SHIPPING#PRICE" polarity="negative"/>
            <Opinion category="SHIPPING#QUALITY" polarity="negative"/>
            <Opinion category="LAPTOP#OPERATION_PERFORMANCE" polarity="positive"/>
        </Opinions>
    </sentence>
</sentences></Review></Reviews>"""


def test_semeval_maps_categories_and_keeps_the_newest_copy(tmp_path):
    folder = tmp_path / "semeval_absa_2014_2016"
    _write(folder / "ABSA-SemEval2014" / "Restaurants_Train_v2.xml", _SEMEVAL14)
    _write(folder / "ABSA-SemEval2016" / "Training_Data" / "ABSA16_Laptops_Train_SB1_v2.xml",
           _SEMEVAL16)  # fmt: skip
    ex = _by_text(load_semeval_absa_2014_2016(tmp_path))
    assert "My old Dell died." not in ex  # out of scope
    staff = ex["But the staff was so horrible to us."]
    assert dict(staff.topics) == {"customer_service": U}  # the 2016 copy won
    assert ex["Nice place, pricey but tasty."].sentiment is P  # food and ambience outvote price
    assert dict(ex["Nice place, pricey but tasty."].topics) == {"price": N, "quality": P}
    assert ex["Nice place, pricey but tasty."].covered == DINING
    assert dict(ex["The food was ok."].topics) == {"quality": U}
    silent = ex["Being a PC user my whole life...."]
    assert silent.sentiment is None and silent.topics == {} and "logistics" in silent.covered
    ship = ex["Shipping cost a fortune and took ages."]
    assert dict(ship.topics) == {"price": N, "logistics": N, "quality": P}
    assert ship.sentiment is N
    with pytest.raises(FileNotFoundError):
        load_semeval_absa_2014_2016(tmp_path / "nowhere")


def test_banking77_maps_a_few_intents(tmp_path):
    folder = tmp_path / "banking77"
    _write(folder / "train.csv", "text,category\nMy card has still not arrived,card_arrival\n"
           "I was charged twice,transaction_charged_twice\nHow do I top up?,top_up_limits\n")
    _write(folder / "test.csv", "text,category\nWhen will my card come?,card_delivery_estimate\n")
    ex = _by_text(load_banking77(tmp_path))
    assert dict(ex["My card has still not arrived"].topics) == {"logistics": N}
    assert dict(ex["When will my card come?"].topics) == {"logistics": U}
    charged = ex["I was charged twice"]
    assert dict(charged.topics) == {"payment": N}
    assert charged.covered == {"logistics", "returns_refunds", "payment"}
    top_up = ex["How do I top up?"]
    assert top_up.topics == {} and top_up.covered == {"logistics", "returns_refunds"}
    assert all(e.sentiment is None for e in ex.values())


def test_zhijiang_uses_the_bench_split_and_coverage(tmp_path):
    folder = tmp_path / "zhijiang2019_ecommerce_opinion"
    _write(folder / "Train_reviews.csv", "id,Reviews\n1,物流快\n2,很好\n")
    header = ["id", "AspectTerms", "A_start", "A_end", "OpinionTerms", "O_start", "O_end",
              "Categories", "Polarities"]  # fmt: skip
    _write_csv(folder / "Train_labels.csv", header, [
        ["1", "物流", "0", "2", "快", "2", "3", "物流", "正面"],
        ["2", "_", " ", " ", "很好", "0", "2", "整体", "正面"],
    ])  # fmt: skip
    ex = _by_text(load_zhijiang2019_ecommerce_opinion(tmp_path))
    assert dict(ex["物流快"].topics) == {"logistics": P} and ex["很好"].topics == {}
    assert "packaging" in ex["很好"].covered and "payment" not in ex["很好"].covered
    assert all(e.split == split_of(e.text, 20, 20) for e in ex.values())


# -- registry -------------------------------------------------------------------------------


def test_registry_names_every_loader_and_the_bench_split():
    from bench.eval_baseline import ZHIJIANG_DEV_PERCENT, ZHIJIANG_TUNE_PERCENT

    for key, spec in CORPORA.items():
        assert spec.key == key and spec.loader.__name__ == f"load_{key}"
        assert spec.sentiment_mapping and spec.topic_mapping and "\n" not in spec.mapping
    zhijiang = CORPORA["zhijiang2019_ecommerce_opinion"]
    assert (zhijiang.dev_percent, zhijiang.tune_percent) == (
        ZHIJIANG_DEV_PERCENT, ZHIJIANG_TUNE_PERCENT,
    )  # fmt: skip
    assert [k for k, s in CORPORA.items() if s.held_out] == ["uci_sentiment_labelled_sentences"]
    with pytest.raises(KeyError):
        load_corpus("no_such_set")


def test_mapping_table_renders_one_row_per_set():
    examples = {key: [] for key in CORPORA}
    examples["waimai_10k"] = [Example("好", "zh", "waimai_10k", "dev", P, {}, frozenset())]
    table = mapping_table(examples=examples)
    lines = table.strip().splitlines()
    assert len(lines) == 2 + len(CORPORA)
    assert all(line.count(" | ") == 5 for line in lines[:1] + lines[2:])
    waimai = next(line for line in lines if line.startswith("| waimai_10k |"))
    assert "1 (train 0, tune 0, dev 1)" in waimai and "0/1 -> neg/pos" in waimai
    assert "held-out" in next(line for line in lines if "uci_sentiment" in line)


# -- the real shared data -------------------------------------------------------------------

#: Plausible example counts per set (after de-duplication and clean-up).
_EXPECTED = {
    "online_shopping_10_cats": (60_000, 62_774), "waimai_10k": (11_500, 11_987),
    "weibo_senti_100k_partial": (50_000, 54_059), "smp2020_ewect": (13_000, 15_606),
    "zhijiang2019_ecommerce_opinion": (2_000, 3_229), "asap_samples": (290, 300),
    "aichallenger2018_fsauor_subset": (5_900, 6_000), "ccf_bdci2018_car_aspect": (10_000, 10_654),
    "ecommerce_dispute_appeals_zh": (500, 800), "absa_term_zh_pyabsa": (7_000, 14_154),
    "semeval_absa_2014_2016": (5_000, 9_000), "absa_term_en_tshirt_television": (4_000, 7_031),
    "tweeteval_sentiment": (1_900, 2_000), "uci_sentiment_labelled_sentences": (2_900, 3_000),
    "banking77": (13_000, 13_083), "cfpb_consumer_complaints_sample": (100, 141),
    "amazon_alexa_reviews_en": (2_300, 2_435), "womens_clothing_reviews_en": (1_450, 1_499),
    "annotations": (900, None),  # grows round by round: at most one example per item of the plan
}  # fmt: skip


@pytest.mark.slow
@real_data
def test_real_data_counts_topics_and_splits():
    folders = {p.name for p in DEFAULT_DATA_DIR.iterdir() if p.is_dir()}
    assert set(CORPORA) == folders | {"annotations"} == set(_EXPECTED)
    sets = load_all()
    # annotated tune and test texts leave their sets' rows: at most the plan's draw from each set
    plan = read_plan()
    planned = Counter(p["set"] for p in plan)
    for key, examples in sets.items():
        low, high = _EXPECTED[key]
        high = len(plan) if high is None else high
        assert low - planned[key] <= len(examples) <= high, key
        assert all(set(e.topics) <= e.covered <= set(DEFAULT_TOPICS) for e in examples)
        assert all(e.source == key and e.text == e.text.strip() and e.text for e in examples)
        assert len({e.text for e in examples}) == len(examples)
        splits = Counter(e.split for e in examples)
        if CORPORA[key].held_out:
            assert set(splits) == {"dev"}
        elif len(examples) > 1_000:
            dev_share = splits["dev"] / len(examples)
            # the annotation set's dev rows are its test part: 30% of the random rounds, none of the
            # targeted (train-only) ones, so the plan says what share to expect
            expected = (sum(p["split"] == "test" for p in plan) / len(plan) if key == "annotations"
                        else CORPORA[key].dev_percent / 100)  # fmt: skip
            assert abs(dev_share - expected) < 0.03, key
    assert not any(EMOTICON.search(e.text) for e in sets["weibo_senti_100k_partial"])
    held = {e.text for e in sets["uci_sentiment_labelled_sentences"]}
    trainable = [e for k, exs in sets.items() if not CORPORA[k].held_out for e in exs]
    assert not any(e.text in held for e in trainable)
    topics = {t for exs in sets.values() for e in exs for t in e.topics}
    assert topics >= set(DEFAULT_TOPICS) - {"app_website"}
    # no annotated tune or test text is a training row of any set
    frozen = {e.text for e in sets["annotations"] if e.split != "train"}
    assert not any(e.text in frozen for k, exs in sets.items() if k != "annotations" for e in exs if e.split == "train")

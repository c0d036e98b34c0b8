"""The annotation set: pointers, the loader's checks, the plan, and scoring on annotated items."""

from __future__ import annotations

import json

import pytest

from nlp.annotations import sampling, sources
from nlp.annotations.evaluation import score_annotated
from nlp.annotations.sampling import ROUNDS, RevisitRound, TargetedRound, TrainRound, draw_plan, draw_rounds, split_for
from nlp.annotations.store import (
    LABELS_DIR, PLAN_PATH, AnnotatedText, Annotation, AnnotationError, TopicLabel, gold, join, load_train,
    parse_line, read_annotations, read_plan, write_annotations, write_plan,
)  # fmt: skip
from nlp.training.evaluation import DEFAULT_DATA_DIR
from nlp.labels import Classification, Polarity, Sentiment
from nlp.labels import TopicLabel as PredictedTopic

NEG, NEU, POS = Polarity.negative, Polarity.neutral, Polarity.positive
real_data = pytest.mark.skipif(not DEFAULT_DATA_DIR.exists(), reason="shared data folder not present")


@pytest.fixture
def data_dir(tmp_path):
    """A data folder holding one set in its real layout (waimai_10k's CSV)."""
    folder = tmp_path / "data" / "waimai_10k"
    folder.mkdir(parents=True)
    (folder / "waimai_10k.csv").write_text(
        "label,review\n1,很快，好吃，味道足\n0,送餐太慢了，等了两个小时\n0,饭是凉的，米饭很硬\n", encoding="utf-8")
    return tmp_path / "data"


def _ann(row, **kw) -> Annotation:
    fields = dict(set=row.set, key=row.key, sha=row.sha, lang="zh", domain="food_delivery", split="test",
                  annotator="zh-000", sentiment=NEG, topics=())  # fmt: skip
    fields.update(kw)
    return Annotation(**fields)


def test_sources_read_rows_with_stable_keys_and_fingerprints(data_dir):
    rows = list(sources.waimai(data_dir))
    assert [r.key for r in rows] == ["waimai_10k.csv#1", "waimai_10k.csv#2", "waimai_10k.csv#3"]
    assert rows[1].text == "送餐太慢了，等了两个小时" and rows[1].meta == {"label": "0"}
    assert rows[1].sha == sources.text_sha("  送餐太慢了，等了两个小时 ") != rows[2].sha


def test_join_returns_texts_and_quotes_from_offsets(data_dir):
    row = list(sources.waimai(data_dir))[1]
    ann = _ann(row, topics=(TopicLabel("logistics", NEG, 0, 5),))
    (joined,) = join([ann], data_dir)
    assert joined.text == row.text and joined.quote(ann.topics[0]) == "送餐太慢了"


def test_join_fails_clearly_when_the_text_under_a_pointer_changed(data_dir):
    row = list(sources.waimai(data_dir))[1]
    ann = _ann(row)
    csv_path = data_dir / "waimai_10k" / "waimai_10k.csv"
    csv_path.write_text(csv_path.read_text(encoding="utf-8").replace("两个小时", "三个小时"), encoding="utf-8")
    with pytest.raises(AnnotationError, match=r"waimai_10k/waimai_10k.csv#2: the text in .*waimai_10k.csv no longer matches"):
        list(join([ann], data_dir))


def test_join_fails_clearly_on_a_missing_row_span_or_folder(data_dir, tmp_path):
    row = list(sources.waimai(data_dir))[0]
    with pytest.raises(AnnotationError, match="waimai_10k.csv#99: no such row"):
        list(join([_ann(row, key="waimai_10k.csv#99")], data_dir))
    with pytest.raises(AnnotationError, match="outside the text"):
        list(join([_ann(row, topics=(TopicLabel("quality", POS, 3, 400),))], data_dir))
    with pytest.raises(AnnotationError, match="folder .* is missing"):
        list(join([_ann(row)], tmp_path / "nowhere"))


def test_label_lines_round_trip_and_errors_name_file_line_and_field(tmp_path, data_dir):
    row = list(sources.waimai(data_dir))[2]
    ann = _ann(row, topics=(TopicLabel("quality", NEG, 0, 4), TopicLabel("price", NEU, 5, 9)))
    write_annotations(tmp_path / "labels" / "a.jsonl", [ann])
    assert read_annotations(tmp_path / "labels") == [ann]
    good = json.loads((tmp_path / "labels" / "a.jsonl").read_text())
    cases = {
        "sentiment": ({**good, "sentiment": "angry"}, "x.jsonl:3: field 'sentiment': 'angry' is not one of"),
        "topic": ({**good, "topics": [{"topic": "shipping", "polarity": "negative", "span": [0, 1]}]},
                  r"field topics\[0\].topic: 'shipping' is not a taxonomy topic"),
        "span": ({**good, "topics": [{"topic": "price", "polarity": "negative", "span": [4, 2]}]},
                 r"field topics\[0\].span"),
        "text": ({**good, "text": "送餐太慢了"}, "texts are never stored"),
        "split": ({**good, "split": "dev"}, "field 'split'"),
        "missing": ({k: v for k, v in good.items() if k != "sha"}, "field 'sha' is missing"),
    }
    for name, (rec, message) in cases.items():
        with pytest.raises(AnnotationError, match=message):
            parse_line(json.dumps(rec, ensure_ascii=False), "x.jsonl:3")
    with pytest.raises(AnnotationError, match="x.jsonl:3: not JSON"):
        parse_line("{", "x.jsonl:3")


def test_gold_prefers_the_adjudicated_label_then_the_first_annotator(data_dir):
    row = list(sources.waimai(data_dir))[1]
    first, second = _ann(row, annotator="zh-000"), _ann(row, annotator="zh-001", sentiment=NEU)
    assert gold([first, second]) == [first]
    adjudicated = _ann(row, annotator="adjudicated", sentiment=NEU)
    assert gold([first, adjudicated, second]) == [adjudicated]


def test_splits_come_from_the_pointer_alone():
    assert split_for("waimai_10k", "waimai_10k.csv#1") == split_for("waimai_10k", "waimai_10k.csv#1")
    counts = {s: 0 for s in ("train", "tune", "test")}
    for n in range(3000):
        counts[split_for("x", f"f#{n}")] += 1
    assert 0.26 < counts["test"] / 3000 < 0.34 and 0.12 < counts["tune"] / 3000 < 0.18


def test_a_targeted_round_takes_only_rows_naming_its_topics_and_puts_them_in_train(tmp_path, monkeypatch):
    folder = tmp_path / "waimai_10k"
    folder.mkdir()
    rows = ["很快，好吃，味道足", "送餐太慢了，等了两个小时", "饭是凉的，米饭很硬", "配送员态度很好，送餐很快",
            "味道一般", "外卖送到已经是一个小时以后了，物流太慢"]  # fmt: skip
    (folder / "waimai_10k.csv").write_text("label,review\n" + "".join(f"0,{t}\n" for t in rows), encoding="utf-8")
    monkeypatch.setattr(sampling, "READERS", {"waimai": sources.waimai})
    target = TargetedRound({"food_delivery": 5}, frozenset({"logistics"}))
    plain = draw_plan(tmp_path, rounds=({"food_delivery": 2},))
    plan = draw_plan(tmp_path, rounds=({"food_delivery": 2}, target))
    assert plan[:2] == plain  # earlier rounds never change
    texts = {r.key: r.text for r in sources.waimai(tmp_path)}
    late = plan[2:]
    wanted = {k for k, t in texts.items() if target.wants(t)} - {p.key for p in plain}
    assert late and {p.key for p in late} == wanted  # every remaining row naming delivery, no other
    assert all(p.split == "train" for p in late)
    assert not target.wants("味道一般")


def test_a_revisit_round_takes_the_rows_a_targeted_round_passed_over_once(tmp_path, monkeypatch):
    folder = tmp_path / "waimai_10k"
    folder.mkdir()
    rows = ["很快，好吃，味道足", "送餐太慢了，等了两个小时", "饭是凉的，米饭很硬", "配送员态度很好，送餐很快",
            "味道一般", "外卖送到已经是一个小时以后了，物流太慢", "分量很足", "包装很好"]  # fmt: skip
    (folder / "waimai_10k.csv").write_text("label,review\n" + "".join(f"0,{t}\n" for t in rows), encoding="utf-8")
    monkeypatch.setattr(sampling, "READERS", {"waimai": sources.waimai})
    target = TargetedRound({"food_delivery": 9}, frozenset({"logistics"}))  # runs through the whole set
    before = draw_plan(tmp_path, rounds=({"food_delivery": 1}, target))
    rounds = draw_rounds(tmp_path, rounds=({"food_delivery": 1}, target, RevisitRound({"food_delivery": 2}),
                                           RevisitRound({"food_delivery": 9}), TrainRound({"food_delivery": 9})))  # fmt: skip
    assert rounds[4] == []  # a random round after them finds nothing left: no row is drawn twice
    assert [p for r in rounds[:2] for p in r] == before  # earlier rounds never change
    texts = {r.key: r.text for r in sources.waimai(tmp_path)}
    passed_over = {k for k, t in texts.items() if not target.wants(t)} - {p.key for p in rounds[0]}
    assert len(rounds[2]) == 2 and len(rounds[2] + rounds[3]) == len(passed_over)  # each row once
    assert {p.key for p in rounds[2] + rounds[3]} == passed_over
    assert all(p.split == "train" for p in rounds[2] + rounds[3])


def test_training_reads_the_train_part_less_texts_annotated_in_tune_or_test(tmp_path, data_dir):
    (data_dir / "waimai_10k" / "waimai_10k.csv").write_text(
        "label,review\n1,很快，好吃\n0,送餐太慢了\n0,送餐太慢了\n0,饭是凉的\n0,饭是凉的\n0,味道一般\n",
        encoding="utf-8")  # rows 1 and 2 hold one text, rows 3 and 4 another  # fmt: skip
    rows = list(sources.waimai(data_dir))
    labels = tmp_path / "labels"
    write_annotations(labels / "zh-000.jsonl", [
        _ann(rows[0], split="train"), _ann(rows[1], split="test"), _ann(rows[2], split="train"),
        _ann(rows[3], split="train"), _ann(rows[4], split="tune"), _ann(rows[5], split="train")])  # fmt: skip
    kept = load_train(data_dir, labels)
    assert [i.text for i in kept] == ["很快，好吃", "味道一般"]  # the train copies of a test and a tune text are left out


@real_data
def test_the_committed_targeted_rounds_hold_only_train_items_that_name_their_topics():
    plan = read_plan(PLAN_PATH)
    texts = {}
    for domain_rows in (sources.online_shopping, sources.waimai, sources.tshirt_television, sources.amazon_alexa):
        texts.update({(r.set, r.key): r.text for r in domain_rows(DEFAULT_DATA_DIR)})
    drawn = draw_rounds(DEFAULT_DATA_DIR)
    assert [p.to_json() for r in drawn for p in r] == plan
    for r, items in zip(ROUNDS, drawn, strict=True):
        if isinstance(r, TargetedRound):
            assert items and all(p.split == "train" for p in items)
            assert all(r.wants(texts[(p.set, p.key)]) for p in items if (p.set, p.key) in texts)


def _classification(sentiment, topics=()):
    return Classification(lang="zh", sentiment=Sentiment(label=sentiment, score=0.9), model_version="t",
                          topics=[PredictedTopic(topic=t, polarity=p, score=0.9) for t, p in topics])  # fmt: skip


def test_scores_count_pairs_per_language_domain_and_topic(data_dir):
    rows = list(sources.waimai(data_dir))
    items = [
        AnnotatedText(rows[1].text, _ann(rows[1], topics=(TopicLabel("logistics", NEG, 0, 5),)), {"stars": 1}),
        AnnotatedText(rows[2].text, _ann(rows[2], domain="other", topics=(TopicLabel("quality", NEG, 0, 4),))),
    ]
    preds = [_classification(NEG, [("logistics", NEG), ("price", NEG)]), _classification(POS, [("quality", POS)])]
    report = score_annotated("m", "test", items, preds)
    (zh,) = report.languages
    assert (zh.pairs.tp, zh.pairs.fp, zh.pairs.fn) == (1, 2, 1)
    # quality was found with the wrong polarity: a topic found, a polarity missed
    assert (zh.detection.tp, zh.detection.fp, zh.detection.fn) == (2, 1, 0) and zh.polarity_accuracy == 0.5
    assert zh.as_dict()["topic_f1"] == pytest.approx(0.8) and zh.as_dict()["polarity_accuracy"] == 0.5
    assert zh.sentiment_accuracy == 0.5 and zh.starred_n == 1
    assert [d.name for d in report.domains] == ["zh/food_delivery", "zh/other"]
    assert report.domains[0].pairs.f1 == pytest.approx(2 / 3)
    assert report.topics["zh"]["price"] == {"gold": 0, "predicted": 1, "correct": 0, "precision": 0.0, "recall": None}
    assert report.topics["zh"]["logistics"]["precision"] == 1.0


# -- the committed set and plan ------------------------------------------------------------------


def test_the_plan_is_written_in_parts_read_back_in_order(tmp_path, monkeypatch):
    from nlp.annotations import store

    monkeypatch.setattr(store, "PLAN_PART_ITEMS", 3)
    items = [{"set": "s", "key": f"k{i}", "sha": str(i), "lang": "zh", "domain": "d", "split": "train"} for i in range(7)]
    write_plan(items, tmp_path / "plan")
    assert sorted(p.name for p in (tmp_path / "plan").iterdir()) == ["000.jsonl", "001.jsonl", "002.jsonl"]
    assert read_plan(tmp_path / "plan") == items
    write_plan(items[:2], tmp_path / "plan")  # a shorter plan leaves no stale part behind
    assert read_plan(tmp_path / "plan") == items[:2] and len(list((tmp_path / "plan").iterdir())) == 1
    assert all(p.stat().st_size < 5_000_000 for p in PLAN_PATH.iterdir())  # no committed part passes 5 MB


def test_committed_labels_are_valid_and_hold_no_texts():
    anns = read_annotations(LABELS_DIR)
    for path in LABELS_DIR.glob("*.jsonl"):
        assert '"text"' not in path.read_text(encoding="utf-8")
    plan = {(p["set"], p["key"]): p for p in read_plan(PLAN_PATH)}
    for a in anns:  # every label points at a plan item, with the plan's fingerprint and split
        p = plan[a.pointer]
        assert (a.sha, a.split, a.lang, a.domain) == (p["sha"], p["split"], p["lang"], p["domain"])


@real_data
def test_the_committed_plan_is_what_sampling_draws_and_every_pointer_resolves():
    committed = read_plan(PLAN_PATH)
    assert [p.to_json() for p in draw_plan(DEFAULT_DATA_DIR)] == committed
    langs = {lang: [p for p in committed if p["lang"] == lang] for lang in ("zh", "en")}
    assert len(langs["zh"]) >= 3000 and len(langs["en"]) >= 3000
    assert len({p["domain"] for p in langs["zh"]}) >= 8 and len({p["domain"] for p in langs["en"]}) >= 6


@real_data
def test_committed_labels_join_the_shared_data():
    anns = gold(read_annotations(LABELS_DIR))
    joined = list(join(anns, DEFAULT_DATA_DIR))
    assert len(joined) == len(anns)
    for item in joined:
        for t in item.annotation.topics:
            assert item.quote(t).strip()


@real_data
@pytest.mark.model
def test_the_default_model_beats_the_lexicon_on_a_fixed_sample_of_test_items():
    """Every 4th item of the frozen test part, by pointer: scored only, never used for a choice."""
    from nlp.annotations.evaluation import evaluate_annotated
    from nlp.models import get_classifier
    from nlp.transformer import DEFAULT_CACHE_DIR

    items = sorted(join(gold(read_annotations(LABELS_DIR)), DEFAULT_DATA_DIR), key=lambda i: i.annotation.pointer)
    sample = [i for i in items if i.annotation.split == "test"][::4]
    model = evaluate_annotated(get_classifier("lite", cache_dir=DEFAULT_CACHE_DIR), sample, "test")
    lexicon = evaluate_annotated(get_classifier("fast"), sample, "test")
    for ours, theirs in zip(model.languages, lexicon.languages, strict=True):
        assert ours.n >= 150
        assert ours.pairs.f1 > theirs.pairs.f1 + 0.05, (ours.name, ours.pairs.f1, theirs.pairs.f1)
        assert ours.sentiment_macro_f1 > theirs.sentiment_macro_f1, ours.name

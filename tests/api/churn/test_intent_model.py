"""The intent-to-leave head: its labels, the encoder it belongs to, its figures, and how the scan reads with it.

The shipped head must belong to the default model's encoder: a new default
model without ``voclens churn train-intent`` fails here, not silently in
production (where the scan would fall back to the cue rule on every document).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from api.churn import ChurnStore, customer_risk, scan
from api.churn.intent_model import LABELS_PATH, WEIGHTS_PATH, EncoderMismatch, IntentModel, IntentModelError, IntentReader
from api.churn.intent_training import encode, load_examples, scores, split_of
from api.settings import Settings
from index.document import Document
from index.registry import open_backend
from index.vectors import DocumentVector
from nlp.labels import Sentiment
from nlp.training.evaluation import DEFAULT_DATA_DIR
from nlp.transformer import LITE_MODEL_DIR

real_data = pytest.mark.skipif(not DEFAULT_DATA_DIR.exists(), reason="shared data folder not present")
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _doc(n: int, text: str, vector: DocumentVector | None = None, sentiment: str | None = None,
         customer: str = "c_" + "e" * 24) -> Document:
    return Document(source="survey", source_id=str(n), channel="survey", text=text, customer_hash=customer,
                    created_at=NOW - timedelta(days=n), vector=vector,
                    sentiment=Sentiment(label=sentiment, score=0.9) if sentiment else None)


def _toward(head: IntentModel, sign: float, model: str | None = None) -> DocumentVector:
    """A vector along the head's weights (sign +1: intent, -1: none), as the index would store it."""
    return DocumentVector.from_array(model or head.encoder, sign * np.asarray(head.coef[:384], dtype=np.float32) * 5)


def test_shipped_head_belongs_to_the_default_models_encoder():
    head = IntentModel.load()
    assert Settings.model_fields["model"].default == "lite"
    config = json.loads((LITE_MODEL_DIR / "config.json").read_text())
    assert head.encoder == config.get("vectors_of", config["version"])  # the vectors it reads: the encoder's name
    assert len(head.coef) == 384 + head.uses_cue and 0 < head.threshold < 1


def test_labels_are_pointers_with_a_hashed_split_and_no_text():
    rows = [json.loads(line) for line in LABELS_PATH.read_text(encoding="utf-8").splitlines()]
    assert 400 <= len(rows) <= 600
    assert all(set(r) == {"set", "key", "sha", "label", "split"} and r["label"] in (0, 1) for r in rows)
    assert all(r["split"] == split_of(r["set"], r["key"]) for r in rows)
    assert len({(r["set"], r["key"]) for r in rows}) == len(rows)
    assert 0.3 < sum(r["label"] for r in rows) / len(rows) < 0.5
    assert {"waimai_10k", "online_shopping_10_cats", "weibo_senti_100k_partial", "banking77",
            "cfpb_consumer_complaints_sample", "tweeteval_sentiment", "amazon_alexa_reviews_en"} <= {r["set"] for r in rows}
    head = IntentModel.load()
    assert head.trained_on["train"] == sum(r["split"] == "train" for r in rows)
    assert head.evaluation["n"] == sum(r["split"] == "test" for r in rows)


@real_data
def test_every_pointer_finds_its_text_and_a_changed_text_is_refused(tmp_path):
    examples = load_examples(DEFAULT_DATA_DIR)
    assert len(examples) == len(LABELS_PATH.read_text(encoding="utf-8").splitlines())
    assert {e.lang for e in examples} == {"zh", "en"}
    first = json.loads(LABELS_PATH.read_text(encoding="utf-8").splitlines()[0])
    bad = tmp_path / "labels.jsonl"
    bad.write_text(json.dumps({**first, "sha": "0000000000"}) + "\n", encoding="utf-8")
    with pytest.raises(IntentModelError, match=r"labels.jsonl line 1: the text of .* changed"):
        load_examples(DEFAULT_DATA_DIR, bad)


def test_a_vector_of_another_encoder_is_refused_and_read_by_the_cue_rule(caplog):
    head = IntentModel.load()
    other = _toward(head, +1, model="e5s-other-9")
    with pytest.raises(EncoderMismatch, match="voclens churn train-intent"):
        head.probability(other, "anything")
    reader = IntentReader(head)
    docs = [_doc(1, "第三次发错货，换别家了", other, "negative"), _doc(2, "I love it, thanks", other, "positive"),
            _doc(3, "Cancel my subscription, I'm done", other, "negative")]
    with caplog.at_level(logging.WARNING, logger="voclens.churn"):
        found = [reader(d) for d in docs]
    assert found == ["换别家", None, "Cancel my subscription"]  # the cue rule, not the head (which says yes to all)
    warnings = [r for r in caplog.records if "e5s-other-9" in r.getMessage()]
    assert len(warnings) == 1 and "cue rule" in warnings[0].getMessage()


def test_the_head_decides_where_it_can_read_the_vector():
    head = IntentModel.load()
    reader = IntentReader(head)
    yes, no = _toward(head, +1), _toward(head, -1)
    assert head.probability(yes, "x") > 0.99 and head.probability(no, "x") < 0.01
    assert reader(_doc(1, "How do I get rid of this account?", yes, "neutral")).startswith("classifier, p ")
    assert reader(_doc(2, "How do I get rid of this account?", no, "neutral")) is None
    # the cue rule still counts beside the head; without a vector it is all there is
    assert reader(_doc(3, "再也不买了，太差", no, "negative")) == "再也不买"
    assert reader(_doc(4, "再也不买了，太差", None, "negative")) == "再也不买"
    assert reader(_doc(5, "I switched to this brand and love it", None, "positive")) is None


def test_without_a_head_file_the_reader_warns_and_uses_the_cue_rule(tmp_path, caplog):
    with pytest.raises(IntentModelError, match="train one with `voclens churn train-intent`"):
        IntentModel.load(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text('{"encoder": "x"}')
    with pytest.raises(IntentModelError, match="not an intent head"):
        IntentModel.load(tmp_path / "bad.json")
    (tmp_path / "empty.json").write_text('{"encoder": "x", "coef": [], "intercept": 0}')
    with pytest.raises(IntentModelError, match="needs an encoder, weights and a threshold"):
        IntentModel.load(tmp_path / "empty.json")
    with pytest.raises(IntentModelError, match="385 weights, these vectors 10 numbers and the cue"):
        IntentModel.load().probabilities(np.ones((1, 10)), ["x"])
    with caplog.at_level(logging.WARNING, logger="voclens.churn"):
        reader = IntentReader.shipped(tmp_path / "none.json")
    assert reader.head is None and "cue rule alone" in caplog.text
    assert reader(_doc(1, "再也不买了", _toward(IntentModel.load(), -1), "negative")) == "再也不买"


def test_save_and_load_round_trip(tmp_path):
    head = IntentModel.load()
    head.save(tmp_path / "w.json")
    again = IntentModel.load(tmp_path / "w.json")
    vec = _toward(head, +1)
    assert again.encoder == head.encoder and abs(again.probability(vec, "x") - head.probability(vec, "x")) < 1e-6


@pytest.mark.model
@real_data
def test_shipped_head_reproduces_its_held_out_figures_and_beats_the_cue_rules():
    """The quoted figures come from the shipped weights on the held-out texts, encoded now by the default model."""
    from api.components import load_classifier

    head = IntentModel.load(WEIGHTS_PATH)
    test = [e for e in load_examples(DEFAULT_DATA_DIR) if e.split == "test"]
    texts, gold = [e.text for e in test], [e.label for e in test]
    vectors, sentiments = encode(load_classifier(Settings(model="lite")), texts)
    head_says = head.probabilities(vectors, texts) >= head.threshold
    got = scores(head_says, gold)
    ev = head.evaluation
    assert abs(got["precision"] - ev["head"]["precision"]) <= 0.02 and abs(got["recall"] - ev["head"]["recall"]) <= 0.02
    from api.churn.intent import cue

    rule = np.array([cue(t) is not None and s == "negative" for t, s in zip(texts, sentiments)])
    used = scores(head_says | rule, gold)
    print(f"held out: head {got}, head or cue rule {used}, cue rule {scores(rule, gold)}")
    assert used["f1"] > scores([cue(t) is not None for t in texts], gold)["f1"] + 0.05
    assert used["f1"] > scores(rule, gold)["f1"] + 0.05
    assert used["recall"] > scores(rule, gold)["recall"] + 0.2


@pytest.mark.model
def test_scan_reads_intent_from_the_stored_vectors(tmp_path):
    """Ingest-like: documents labelled by the lite model (vectors stored), then the scan; no cue in the text."""
    from api.components import load_classifier
    from crawlers.enrich import classify_documents

    leaving, staying = "c_" + "1" * 24, "c_" + "2" * 24
    docs = [_doc(1, "How do I delete my account? I don't want to use this anymore.", customer=leaving),
            _doc(2, "The parcel came a day late but the jacket is lovely.", customer=staying)]
    docs = classify_documents(docs, load_classifier(Settings(model="lite")))
    assert all(d.vector is not None for d in docs)
    backend = open_backend("sqlite", path=tmp_path / "voclens.db")
    store = ChurnStore(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        backend.upsert(docs)
        customers, flagged = scan(store, backend, now=NOW)
        assert customers == 2 and [r.customer_hash for r in flagged] == [leaving]
        assert flagged[0].signals[0].kind == "intent_to_leave" and flagged[0].signals[0].detail.startswith("classifier, p ")
        # read by the cue rule alone, the same customer is not flagged: the words hold no cue
        assert customer_risk(leaving, [d for d in docs if d.customer_hash == leaving]).signals == []
    finally:
        store.close()
        backend.close()

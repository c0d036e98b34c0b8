"""An own topic's evidence and polarity come from the part of the text that shows it (``nlp.own_evidence``).

The model tests teach a "strap" head from texts with the shipped lite model, as an analyst
would, and check mixed reviews: the document reads positive (or neutral), the strap part negative.
"""

from __future__ import annotations

import numpy as np
import pytest

from nlp.labels import Polarity
from nlp.own_classifier import OwnTopicsClassifier, own_labelled
from nlp.own_evidence import locate, parts
from nlp.own_topics import HeadStack, has_cue, train_head


def _cut(text: str) -> list[str]:
    return [text[a:b] for a, b in parts(text)]


def test_parts_are_clauses_cut_again_before_a_contrast_word():
    assert _cut("fast delivery but the strap broke") == ["fast delivery", "but the strap broke"]
    assert _cut("物流很快，包装也很好，但是表带断了。") == ["物流很快", "包装也很好", "但是表带断了"]
    assert _cut("The strap broke. However, delivery was fast") == ["The strap broke", "However", "delivery was fast"]
    # "but" inside a word is no contrast; a text of one clause is one part; no words, no part
    assert _cut("butter arrived in a rebuttal box") == ["butter arrived in a rebuttal box"]
    assert _cut("不但便宜而且冷却很快") == ["不但便宜而且冷却很快"]
    assert _cut("价格便宜质量却很差") == ["价格便宜质量", "却很差"]
    assert _cut("表带很结实") == ["表带很结实"]
    assert parts("") == [] and parts(" ，。 ") == []


def test_offsets_point_into_the_text_as_given():
    text = "  Great watch,  but the strap broke \n表带断了"
    for a, b in parts(text):
        assert text[a:b] == text[a:b].strip() and text[a:b]


STRAP = ["The strap broke after a week", "The watch band snapped on day two", "表带断了", "表带质量太差，戴了两天就裂开",
         "Strap is cheap plastic and cracked", "The strap is very comfortable", "表带很舒服，很软",
         "Nice leather strap, fits well", "表带扣坏了，戴不上", "The buckle of the strap fell off"]
OTHER = ["Delivery was fast", "物流很快", "The box was crushed", "客服态度很好", "Price is great",
         "包装很精美", "Battery lasts long", "屏幕很清晰", "The courier was late", "发货太慢了", "App keeps crashing",
         "退款很及时"]


@pytest.fixture(scope="module")
def lite():
    from nlp.models import get_classifier

    return get_classifier("lite")


#: The topic's cue words: the vectors place texts by tone more than by what they are about, and
#: a cue tells the head (and the part finder) which words are the topic's (docs/topics.md).
CUES = {"strap": ("strap", "表带", "band")}


@pytest.fixture(scope="module")
def strap(lite):
    _, pos = lite.classify_with_vectors(STRAP)
    _, neg = lite.classify_with_vectors(OTHER)
    flags = np.array([has_cue(t, CUES["strap"]) for t in STRAP + OTHER])
    return train_head(lite.vector_model, pos, neg, np.zeros((0, pos.shape[1]), np.float32), cues=flags)


@pytest.mark.model
def test_a_mixed_review_gets_the_polarity_of_its_strap_part(lite, strap):
    stack = HeadStack.of({"strap": strap})
    texts = ["Great watch, fast delivery, love the face, but the strap broke after a week",
             "物流很快，包装也很好，但是表带断了", "fast delivery but the strap broke", "表带很舒服，但是物流太慢了"]
    docs = lite.classify_batch(texts)
    assert [d.sentiment.label for d in docs[:3]] != [Polarity.negative] * 3  # the documents are not (all) negative
    # three pluses and a minus, or two and a minus: positive or mixed (the default models differ), never
    # negative, so the strap part's negative polarity is its own and not the document's
    assert docs[0].sentiment.label != Polarity.negative and docs[1].sentiment.label != Polarity.negative
    located = locate(lite, stack, CUES, texts, [{"strap": 0.9}] * len(texts))
    got = [(texts[i][slice(*f["strap"].evidence)], f["strap"].polarity) for i, f in enumerate(located)]
    assert got == [("but the strap broke after a week", Polarity.negative), ("但是表带断了", Polarity.negative),
                   ("but the strap broke", Polarity.negative), ("表带很舒服", Polarity.positive)]
    assert all(f["strap"].score == 0.9 for f in located)


@pytest.mark.model
def test_a_text_of_one_part_takes_its_known_sentiment_without_a_second_pass(lite, strap):
    class Counting:
        calls = 0

        def classify_with_vectors(self, texts):
            Counting.calls += 1
            return lite.classify_with_vectors(texts)

    stack = HeadStack.of({"strap": strap})
    located = locate(Counting(), stack, {}, ["表带断了"], [{"strap": 0.8}], [Polarity.negative])
    assert Counting.calls == 0 and located[0]["strap"].polarity == Polarity.negative
    assert located[0]["strap"].evidence == (0, 4)
    # not known: the part is classified
    located = locate(Counting(), stack, {}, ["表带断了"], [{"strap": 0.8}])
    assert Counting.calls == 1 and located[0]["strap"].polarity == Polarity.negative


@pytest.mark.model
def test_the_wrapper_labels_what_the_head_finds_and_reads_the_heads_each_batch(lite, strap):
    heads = {"strap": (strap, CUES["strap"])}
    wrapped = OwnTopicsClassifier(lite, lambda: dict(heads))
    texts = ["Love the face, but the strap broke after a week", "Delivery was fast and the box was fine"]
    first = wrapped.classify_batch(texts)
    own = [[t for t in r.topics if t.topic == "strap"] for r in first]
    assert len(own[0]) == 1 and own[0][0].polarity == Polarity.negative and own[1] == []
    assert texts[0][slice(*own[0][0].evidence)] == "but the strap broke after a week"
    assert [t for t in first[0].topics if t.topic != "strap"] == lite.classify_batch(texts[:1])[0].topics
    heads.clear()  # the topic removed: the next batch has no label of it
    assert all(t.topic != "strap" for r in wrapped.classify_batch(texts) for t in r.topics)
    assert wrapped.version == lite.version and wrapped.vector_model == lite.vector_model


@pytest.mark.model
def test_heads_of_another_encoder_label_nothing(lite, strap):
    other = strap.model_copy(update={"model": "another-encoder"})
    results, vectors = lite.classify_with_vectors(["the strap broke"])
    assert own_labelled(lite, {}, ["the strap broke"], results, vectors) == results
    wrapped = OwnTopicsClassifier(lite, lambda: {"strap": (other, CUES["strap"])})
    assert all(t.topic != "strap" for t in wrapped.classify_batch(["the strap broke"])[0].topics)

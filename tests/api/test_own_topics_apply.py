"""``voclens topics apply`` with the model: labels it wrote with the same head and model are kept, not located again.

With the shipped lite model, a "strap" topic taught from texts (with cue words) is applied to
documents classified by the plain model (no own labels at their write). The model is wrapped to
count the texts it encodes: a first apply encodes every part of every labelled document; a second
one with nothing changed encodes none and writes nothing; a document added meanwhile, a retrained
head, another model version or an apply without the model make apply locate again, exactly there.
Every result is compared with the full path: the same documents, every label located again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from api.own_topics import add_examples, add_topic, apply_topics, get_topic, remove_topic, train_topics
from crawlers.enrich import classify_documents
from index.document import Document
from index.registry import open_backend
from nlp.own_evidence import parts
from nlp.own_topics import TopicExample
from tests.es_node import unique_prefix

from .test_own_topics_write import BATTERY, MIXED, OTHER, STRAP, _examples

DOCS = {**MIXED, "s1": "表带质量太差，戴了两天就裂开，但是屏幕很清晰", "s2": "The strap is soft. The battery died in a day",
        "s3": "Nice leather strap, fits well", "b1": "电池不耐用，一天就没电，不过物流很快", "o1": "客服态度很好，退款很及时",
        "o2": "The courier was late, but the box was fine"}
LATER = {"n1": "Love the screen, however the band snapped on day two", "n2": "发货太慢了，包装也一般"}


class Counting:
    """The model, counting the texts it is asked to encode (``locate`` encodes the parts of texts)."""

    def __init__(self, base, version: str | None = None):
        self.base, self.texts, self._version = base, 0, version

    def __getattr__(self, name: str):
        return getattr(self.base, name)

    @property
    def version(self) -> str:
        return self._version or self.base.version

    def classify_with_vectors(self, texts):
        self.texts += len(texts)
        return self.base.classify_with_vectors(texts)


@pytest.fixture(scope="module")
def lite():
    from nlp.models import get_classifier

    return get_classifier("lite")


@contextmanager
def _opened(kind: str, request, name: str) -> Iterator:
    """A backend of ``kind``: a SQLite file ``name``.db, or indices of their own on the test node (dropped after)."""
    if kind == "sqlite":
        backend = open_backend("sqlite", path=request.getfixturevalue("tmp_path") / f"{name}.db")
    else:
        backend = open_backend("elasticsearch", hosts=[request.getfixturevalue("es_node").url], index_prefix=unique_prefix())
    try:
        yield backend
    finally:
        drop = getattr(backend, "drop_all", None)
        if drop is not None:
            drop()
        backend.close()


def _write(backend, lite, texts: dict[str, str]) -> None:
    """Documents classified by the plain model, as before any own topic: vectors, no own label."""
    docs = [Document(source="own-apply", source_id=k, text=t, created_at="2026-11-20T08:00:00Z") for k, t in texts.items()]
    backend.upsert(classify_documents(docs, lite))


def _labels(backend, key: str = "strap") -> dict[str, tuple]:
    """source_id -> (polarity, score, evidence) of the documents labelled ``key``."""
    return {d.source_id: (t.polarity.value, t.score, t.evidence) for batch in backend.iter_documents() for d in batch
            for t in d.topics if t.topic == key}


def _parts(backend, key: str = "strap") -> int:
    """Parts of every document labelled ``key``: what locating all its labels encodes."""
    texts = {d.source_id: d.text for batch in backend.iter_documents() for d in batch}
    return sum(len(parts(texts[sid])) for sid in _labels(backend, key))


def _full_path(backend, lite, key: str = "strap") -> dict[str, tuple]:
    """Every label located again, as apply did before it kept any: it must change nothing."""
    topic = get_topic(backend, key)
    backend.save_own_topic(topic.model_copy(update={"labelled_by": None}))
    counting = Counting(lite)
    assert apply_topics(backend, classifier=counting).changed == 0
    assert counting.texts == _parts(backend, key) > 0
    return _labels(backend, key)


def _teach(backend, lite, pos, neg, cues) -> None:
    add_topic(backend, "strap", "表带", "Strap", cues=cues)
    add_examples(backend, "strap", [TopicExample.model_validate(x) for x in _examples(pos, neg)], replace=True)
    assert train_topics(backend, lite)[0].head is not None


@pytest.mark.model
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)])
def test_a_second_apply_encodes_nothing_and_a_new_document_only_its_own_parts(kind, request, lite):
    with _opened(kind, request, "v") as backend:
        _write(backend, lite, DOCS)
        _teach(backend, lite, STRAP, OTHER, ["strap", "表带", "band"])
        first = Counting(lite)
        done = apply_topics(backend, classifier=first)
        labelled = _labels(backend)
        assert {"m1", "m2", "s1"} <= set(labelled) and done.changed == len(labelled)
        assert labelled["m1"][0] == "negative" and first.texts == _parts(backend)
        assert get_topic(backend, "strap").labelled_by is not None
        again = Counting(lite)
        assert apply_topics(backend, classifier=again).changed == 0 and again.texts == 0
        assert _labels(backend) == labelled
        # documents written since: only their parts are encoded, and they are labelled as the full path labels them
        _write(backend, lite, LATER)
        later = Counting(lite)
        done = apply_topics(backend, classifier=later)
        new = {k: v for k, v in _labels(backend).items() if k not in labelled}
        assert set(new) == {"n1"} and done.changed == 1 and later.texts == len(parts(LATER["n1"]))
        assert _full_path(backend, lite) == {**labelled, **new}
        topic = get_topic(backend, "strap")
    # the same documents written at once and applied once with the same head: the same labels
    with _opened(kind, request, "w") as fresh:
        _write(fresh, lite, {**DOCS, **LATER})
        fresh.save_own_topic(topic.model_copy(update={"labelled_by": None}))
        apply_topics(fresh, classifier=lite)
        assert _labels(fresh) == {**labelled, **new}


@pytest.mark.model
def test_a_retrained_head_another_model_or_an_apply_without_it_make_apply_locate_again(tmp_path, lite):
    with open_backend("sqlite", path=tmp_path / "v.db") as backend:
        _write(backend, lite, DOCS)
        _teach(backend, lite, STRAP, OTHER, ["strap", "表带", "band"])
        apply_topics(backend, classifier=lite)
        labelled = _labels(backend)
        # a writer that labelled one document with a head read before a retraining: another score, that one is redone
        m2 = backend.get(next(d.id for b in backend.iter_documents() for d in b if d.source_id == "m2"))
        stale = next(t for t in m2.topics if t.topic == "strap").model_copy(update={"score": 0.5, "evidence": (0, 2)})
        assert backend.relabel_topics({m2.id: {"strap": stale}}, ["strap"]) == 1
        counting = Counting(lite)
        assert apply_topics(backend, classifier=counting).changed == 1 and counting.texts == len(parts(DOCS["m2"]))
        assert _labels(backend) == labelled
        # another version of the model: every label located again (the same model underneath: nothing changes)
        other = Counting(lite, version=f"{lite.version}+other")
        assert apply_topics(backend, classifier=other).changed == 0 and other.texts == _parts(backend)
        assert apply_topics(backend, classifier=Counting(lite, version=f"{lite.version}+other")).changed == 0
        # without the model, labels take the document's sentiment (a label of another polarity loses its evidence);
        # the next apply with the model locates them all again
        assert apply_topics(backend).changed > 0
        assert get_topic(backend, "strap").labelled_by is None and _labels(backend)["m1"][2] is None
        counting = Counting(lite)
        apply_topics(backend, classifier=counting)
        assert counting.texts == _parts(backend) and _labels(backend) == labelled
        # retrained with other examples (the battery, under the same key): located again, following the new head
        _teach(backend, lite, BATTERY, OTHER + STRAP, ["battery", "电池"])
        counting = Counting(lite)
        assert apply_topics(backend, classifier=counting).changed > 0
        battery = _labels(backend)
        assert {"b1", "s2"} <= set(battery) and not {"m1", "m2", "s3"} & set(battery)
        assert counting.texts == _parts(backend) and battery["b1"][0] == "negative"
        assert _full_path(backend, lite) == battery
        # removed: its labels go, as before
        assert remove_topic(backend, "strap") == len(battery) and _labels(backend) == {}


@pytest.mark.model
def test_a_run_resumed_with_the_model_after_one_stopped_without_it_leaves_the_labels_to_locate(tmp_path, lite):
    """The documents before the checkpoint got labels without evidence: the resumed run must not vouch for them."""
    from api.own_topics import checkpoint_file, trained_heads

    with open_backend("sqlite", path=tmp_path / "v.db") as backend:
        _write(backend, lite, DOCS)
        _teach(backend, lite, STRAP, OTHER, ["strap", "表带", "band"])
        ckpt = checkpoint_file(tmp_path, trained_heads(backend))

        def stop(n: int) -> None:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):  # stopped after its first batch, without the model
            apply_topics(backend, checkpoint=ckpt, batch_size=4, progress=stop)
        done = apply_topics(backend, checkpoint=ckpt, batch_size=4, classifier=lite)
        assert done.resumed_after is not None and get_topic(backend, "strap").labelled_by is None
        counting = Counting(lite)
        apply_topics(backend, classifier=counting)  # all of them located: the full path's labels, now vouched for
        assert counting.texts == _parts(backend) and get_topic(backend, "strap").labelled_by is not None
        assert apply_topics(backend, classifier=Counting(lite)).changed == 0
